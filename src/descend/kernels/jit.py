"""The Numba functions behind :mod:`descend.kernels.fit` (read that module's docstring first).

Every function takes the loss, the penalty and the update rule as integer codes, so that the
whole set compiles once per dtype of X (float32, float64): ``epoch`` and ``block`` twice,
``step`` and ``finish`` once, all cached on disk (``cache=True``). ``error_model="numpy"``
makes divisions follow IEEE rules (inf/NaN, as in NumPy) instead of raising, which also keeps
the loops free of zero checks and vectorisable. The helpers that take arrays are inlined into
Numba's IR (``inline="always"``), so that a per-sample epoch pays no call with a dozen array
arguments per update; those of scalars only (the losses) and :func:`_dot` (whose fast-math
flags must stay its own) are compiled once and left to LLVM to inline, which keeps compiling
short. The kernels release the GIL (``nogil``).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import binding, ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# Codes, mirrored by name in descend.kernels.fit.
SQUARED, MSE, ABSOLUTE, HUBER, LOG_LOSS, HINGE, SOFTMAX = range(7)
NO_PENALTY, L2, L1, ELASTICNET = range(4)
SGD, MOMENTUM, ADAGRAD, RMSPROP, ADAM, ADAMW = range(6)

_serial = njit(cache=True, error_model="numpy", nogil=True)
_inline = njit(cache=True, error_model="numpy", nogil=True, inline="always")  # into Numba's IR
#: Shuffled rows (and their targets) are prefetched this many rows ahead: random rows defeat
#: the hardware's prefetcher, and the latency of main memory would dominate the epoch.
AHEAD = 16
_PREFETCH = "llvm.prefetch.p0" if binding.llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"


def _prefetch_codegen(context, builder, signature, args):
    """llvm.prefetch of the element at args[1:] of the array args[0] (a hint: never faults)."""
    aryty = signature.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    ptr = cgutils.get_item_pointer(context, builder, aryty, ary, list(args[1:]), wraparound=False)
    i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
    fn = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), _PREFETCH
    )
    read, keep_in_all_caches, data = ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)
    builder.call(fn, [builder.bitcast(ptr, i8p), read, keep_in_all_caches, data])
    return context.get_dummy_value()


@intrinsic
def _prefetch2(typingctx, X, r, j):
    """Bring the cache line of X[r, j] in."""
    return types.void(X, r, j), _prefetch_codegen


@intrinsic
def _prefetch1(typingctx, y, r):
    """Bring the cache line of y[r] in."""
    return types.void(y, r), _prefetch_codegen


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc", "contract"})
def _dot(X, r, w):
    """Σⱼ X[r, j]·wⱼ in float64 (X may be float32), the sum reassociated so that it vectorises.

    (Fast-math flags apply to this function's own instructions only; LLVM inlines it.)
    """
    s = 0.0
    for j in range(w.size):
        s += np.float64(X[r, j]) * w[j]
    return s


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc", "contract"})
def _dot_l1(X, r, w):
    """(X[r]·w, Σⱼ |X[r, j]|) in one loop: :func:`_dot`'s sum, and a bound on the row's size
    for the guard of :func:`_sgd_in_place` (NaN or ∞ when the row holds one)."""
    s = 0.0
    a = 0.0
    for j in range(w.size):
        x = np.float64(X[r, j])
        s += x * w[j]
        a += abs(x)
    return s, a


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc", "contract"})
def _dot2(X, r, s, w):
    """(X[r]·w, X[s]·w) in one loop: two independent rows in flight at once, which hides more
    of the memory latency of shuffled rows than one row at a time."""
    a = 0.0
    b = 0.0
    for j in range(w.size):
        a += np.float64(X[r, j]) * w[j]
        b += np.float64(X[s, j]) * w[j]
    return a, b


@_inline
def _axpy(a, X, r, acc, first):
    """acc += a·X[r] (acc = a·X[r] for the ``first`` row): a row's share of Xᵀδ."""
    if first:
        for j in range(acc.size):
            acc[j] = a * np.float64(X[r, j])
    else:
        for j in range(acc.size):
            acc[j] += a * np.float64(X[r, j])


@_inline
def _axpy2(a, X, r, b, s, acc):
    """acc += a·X[r] + b·X[s]: two rows' share of Xᵀδ."""
    for j in range(acc.size):
        acc[j] += a * np.float64(X[r, j]) + b * np.float64(X[s, j])


@_inline
def _prefetch_row(X, y, perm, ii, line):
    """Prefetch row perm[ii] of X and its target, a cache line of ``line`` items at a time
    (shuffled rows only: rows in order, the hardware sees coming)."""
    if ii < perm.size:
        ahead = perm[ii]
        j = 0
        while j < X.shape[1]:  # (a range with a step would divide, on every row)
            _prefetch2(X, ahead, j)  # type: ignore[call-arg]
            j += line
        _prefetch1(y, ahead)  # type: ignore[call-arg]


@_inline
def _row(perm, ii):
    """Row ii of the epoch's order: perm[ii], or ii when perm is empty (rows in order)."""
    return perm[ii] if perm.size else ii


@_serial
def _sign(v):
    """np.sign: −1, 0 or 1, NaN kept."""
    if v > 0.0:
        return 1.0
    if v < 0.0:
        return -1.0
    if v == 0.0:
        return 0.0
    return v  # NaN


@_serial
def _dz(loss, z, yv, delta):
    """∂l/∂z of one sample, as the Loss classes compute it."""
    if loss == SQUARED:
        return z - yv
    if loss == MSE:
        return 2.0 * (z - yv)
    if loss == ABSOLUTE:
        return _sign(z - yv)
    if loss == HUBER:
        r = z - yv
        if r > delta:
            return delta
        if r < -delta:
            return -delta
        return r
    if loss == LOG_LOSS:
        return 1.0 / (1.0 + math.exp(-z)) - yv  # expit(z) − y
    if yv * z < 1.0:  # HINGE
        return -yv
    return 0.0


@_serial
def _value(loss, z, yv, delta):
    """l(z, y) of one sample."""
    if loss == SQUARED:
        r = z - yv
        return 0.5 * r * r
    if loss == MSE:
        r = z - yv
        return r * r
    if loss == ABSOLUTE:
        return abs(z - yv)
    if loss == HUBER:
        r = abs(z - yv)
        if r <= delta:
            return 0.5 * r * r
        return delta * r - 0.5 * delta * delta
    if loss == LOG_LOSS:  # logaddexp(0, z) − y·z, as NumPy evaluates logaddexp
        if z == 0.0:
            soft = math.log(2.0)
        elif z > 0.0:
            soft = z + math.log1p(math.exp(-z))
        else:
            soft = math.log1p(math.exp(z))
        return soft - yv * z
    return max(0.0, 1.0 - yv * z)  # HINGE


@_inline
def _sample(X, y, perm, ii, w, b, loss, delta, nI, acc, acc_w, line, want):
    """acc = [δ, δ·x] for the one row ii of the order (K = 1): a per-sample update's sum, with
    no zeroing. Returns its loss when ``want``, else 0."""
    _prefetch_row(X, y, perm, ii + AHEAD, line)
    r = _row(perm, ii)
    zz = _dot(X, r, w) + b
    dz = _dz(loss, zz, y[r], delta)
    if nI:
        acc[0] = dz
    _axpy(dz, X, r, acc_w, True)
    return _value(loss, zz, y[r], delta) if want else 0.0


@_inline
def _accumulate(X, y, perm, lo, hi, theta, w, loss, delta, K, nI, acc, acc_w, z, want):
    """acc = [Σδ, Xᵀδ] over the rows perm[lo:hi] (rows lo:hi when perm is empty).

    Each row is read in place: its score, its δ = ∂l/∂z and its share of the gradient are
    taken while it is in cache; one output (K = 1) takes the rows two at a time. ``w`` and
    ``acc_w`` are the views theta[nI:] and acc[nI:] (made once by the caller). Returns Σ l
    over the rows when ``want``, else 0.
    """
    total = 0.0
    d = X.shape[1]
    line = 64 // X.itemsize
    b = theta[0] if nI else 0.0
    if K == 1 and hi - lo == 1:
        return _sample(X, y, perm, lo, w, b, loss, delta, nI, acc, acc_w, line, want)
    for i in range(acc.size):
        acc[i] = 0.0
    if K == 1:
        ii = lo
        while ii + 1 < hi:
            _prefetch_row(X, y, perm, ii + AHEAD, line)
            _prefetch_row(X, y, perm, ii + AHEAD + 1, line)
            r = _row(perm, ii)
            s = _row(perm, ii + 1)
            z0, z1 = _dot2(X, r, s, w)
            z0 += b
            z1 += b
            d0 = _dz(loss, z0, y[r], delta)
            d1 = _dz(loss, z1, y[s], delta)
            if want:
                total += _value(loss, z0, y[r], delta)
                total += _value(loss, z1, y[s], delta)
            if nI:
                acc[0] += d0 + d1
            _axpy2(d0, X, r, d1, s, acc_w)
            ii += 2
        if ii < hi:
            _prefetch_row(X, y, perm, ii + AHEAD, line)
            r = _row(perm, ii)
            zz = _dot(X, r, w) + b
            dz = _dz(loss, zz, y[r], delta)
            if want:
                total += _value(loss, zz, y[r], delta)
            if nI:
                acc[0] += dz
            _axpy(dz, X, r, acc_w, False)
        return total
    for ii in range(lo, hi):
        _prefetch_row(X, y, perm, ii + AHEAD, line)
        r = _row(perm, ii)
        yv = y[r]
        # softmax: z = x·W + b, W (d, K) row-major after the K intercepts
        for k in range(K):
            z[k] = 0.0
        for j in range(d):
            xj = np.float64(X[r, j])
            base = nI + j * K
            for k in range(K):
                z[k] += xj * theta[base + k]
        if nI:
            for k in range(K):
                z[k] += theta[k]
        top = z[0]
        for k in range(1, K):
            top = max(top, z[k])
        sum_exp = 0.0
        for k in range(K):
            sum_exp += math.exp(z[k] - top)
        lse = math.log(sum_exp)
        label = int(yv)
        for k in range(K):
            ls = (z[k] - top) - lse  # log softmax
            if want and k == label:
                total -= ls
            z[k] = math.exp(ls) - (1.0 if k == label else 0.0)  # δₖ
        if nI:
            for k in range(K):
                acc[k] += z[k]
        for j in range(d):
            xj = np.float64(X[r, j])
            base = nI + j * K
            for k in range(K):
                acc[base + k] += xj * z[k]
    return total


@_inline
def _gradient(acc, m, theta, nI, pen, alpha, l1r, g):
    """g = acc / m + ∇R(w), in the model's order of operations.

    acc / 1 is acc exactly, so one row skips the division (and the copy, when acc is g); the
    model's "+ 0" (no penalty, and the intercepts) changes nothing but the sign of a zero, and
    is skipped too.
    """
    n = theta.size
    if m != 1:
        for i in range(n):
            g[i] = acc[i] / m
    elif acc.ctypes.data != g.ctypes.data:
        for i in range(n):
            g[i] = acc[i]
    if pen == L2:
        for i in range(nI, n):
            g[i] = g[i] + alpha * theta[i]
    elif pen == L1:
        for i in range(nI, n):
            g[i] = g[i] + alpha * _sign(theta[i])
    elif pen == ELASTICNET:
        for i in range(nI, n):
            w = theta[i]
            g[i] = g[i] + alpha * (l1r * _sign(w) + (1.0 - l1r) * w)


@_inline
def _sgd_in_place(X, r, dz, lr, theta, nI, pen, alpha):
    """θ ← θ − α·g for the one row r, in place, g = [δ, δ·x] (+ α_pen·w for L2): one pass,
    with the arithmetic of :func:`_sample`, :func:`_gradient` and :func:`update` (SGD) in
    the same order, so the same bits. Only for updates that cannot overflow (see
    :func:`epoch`): nothing is checked here."""
    if nI:
        theta[0] = theta[0] + (-lr) * dz
    if pen == L2:
        for j in range(theta.size - nI):
            i = nI + j
            theta[i] = theta[i] + (-lr) * (dz * np.float64(X[r, j]) + alpha * theta[i])
    else:
        for j in range(theta.size - nI):
            i = nI + j
            theta[i] = theta[i] + (-lr) * (dz * np.float64(X[r, j]))


@_serial
def _max_abs(theta):
    """max |θᵢ| (NaN when θ holds one)."""
    top = 0.0
    for i in range(theta.size):
        v = abs(theta[i])
        if v > top:
            top = v
        elif v != v:
            return v
    return top


@_serial
def _penalty_value(theta, nI, pen, alpha, l1r):
    """R(w), as LinearModel.penalty_value."""
    if pen == NO_PENALTY:
        return 0.0
    sq = 0.0
    ab = 0.0
    for i in range(nI, theta.size):
        sq += theta[i] * theta[i]
        ab += abs(theta[i])
    l2 = 0.5 * sq
    if pen == L2:
        return alpha * l2
    if pen == L1:
        return alpha * ab
    return alpha * (l1r * ab + (1.0 - l1r) * l2)


@_inline
def update(rule, hp, lr, t, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3):
    """One update of the rule: tn = θ − α·direction(g), the new state in n1..n3.

    The arithmetic is that of :mod:`descend.optim.rules` in the same order (as in
    :mod:`descend.engine.compiled`). s1..s3 hold: momentum (buffer), AdaGrad (ΣG²), RMSprop
    (E[g²], E[g], buffer), Adam (m, v, v_max); ``t`` is Adam's count before this update.
    Returns True when every entry of tn is finite. θ and s are left untouched, so the
    caller either commits (:func:`_commit`) or keeps the state before the update, as the
    reference does when an update makes θ non-finite.
    """
    n = theta.size
    beta, beta2, eps, wd, flag, mom = hp[0], hp[1], hp[2], hp[3], hp[4] > 0, hp[5]
    ok = True
    if rule == SGD:
        for i in range(n):
            v = theta[i] + (-lr) * g[i]
            tn[i] = v
            ok &= math.isfinite(v)
    elif rule == MOMENTUM:
        for i in range(n):
            b = beta * s1[i] + g[i] if has_buf else g[i]
            n1[i] = b
            d = g[i] + beta * b if flag else b
            v = theta[i] + (-lr) * d
            tn[i] = v
            ok &= math.isfinite(v)
    elif rule == ADAGRAD:
        for i in range(n):
            acc = s1[i] + g[i] * g[i]
            n1[i] = acc
            v = theta[i] + (-lr) * (g[i] / (math.sqrt(acc) + eps))
            tn[i] = v
            ok &= math.isfinite(v)
    elif rule == RMSPROP:
        for i in range(n):
            sq = beta * s1[i] + (1.0 - beta) * g[i] * g[i]
            n1[i] = sq
            if flag:
                ga = s2[i] + (1.0 - beta) * (g[i] - s2[i])
                avg = math.sqrt(sq - ga * ga) + eps
            else:
                ga = s2[i]
                avg = math.sqrt(sq) + eps
            n2[i] = ga
            d = g[i] / avg
            if mom > 0:
                d = mom * s3[i] + d
            n3[i] = d if mom > 0 else s3[i]
            v = theta[i] + (-lr) * d
            tn[i] = v
            ok &= math.isfinite(v)
    else:  # ADAM, ADAMW
        k = float(t + 1)
        bc1 = 1.0 - beta**k
        bc2 = (1.0 - beta2**k) ** 0.5
        for i in range(n):
            m = s1[i] + (1.0 - beta) * (g[i] - s1[i])
            sv = beta2 * s2[i] + (1.0 - beta2) * g[i] * g[i]
            n1[i] = m
            n2[i] = sv
            if flag:
                vm = max(s3[i], sv)
                denom = math.sqrt(vm) / bc2 + eps
            else:
                vm = s3[i]
                denom = math.sqrt(sv) / bc2 + eps
            n3[i] = vm
            d = (m / bc1) / denom
            if rule == ADAMW:
                d = d + wd * theta[i]
            v = theta[i] + (-lr) * d
            tn[i] = v
            ok &= math.isfinite(v)
    return ok


@_serial
def step(rule, hp, lr, t, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3):
    """:func:`update` compiled on its own: the full batch's one update, called from Python."""
    return update(rule, hp, lr, t, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3)


@_inline
def _commit(theta, tn, s1, s2, s3, n1, n2, n3, used):
    """θ, s ← tn, n after a finite update: copies (cheaper than swapping reference-counted
    arrays)."""
    for i in range(theta.size):
        theta[i] = tn[i]
    if used >= 1:
        for i in range(theta.size):
            s1[i] = n1[i]
    if used == 3:
        for i in range(theta.size):
            s2[i] = n2[i]
            s3[i] = n3[i]


@_serial
def epoch(X, y, perm, bs, theta, loss, delta, K, nI, pen, alpha, l1r,
          rule, hp, lrs, t, has_buf, s1, s2, s3):  # fmt: skip
    """One epoch of mini-batch updates over the rows perm (0..m−1 when perm is empty).

    Batches are perm[start:start + bs]. The update of batch k uses lrs[k] (lrs[0] when lrs
    holds a single constant rate). Stops at the first update whose θ is not finite.
    Returns (θ, s1, s2, s3, updates made including a failed one, all finite).
    """
    n = theta.size
    m = X.shape[0]
    acc = np.empty(n)
    g = np.empty(n)
    tn = np.empty(n)
    n1 = np.empty(n)
    n2 = np.empty(n)
    n3 = np.empty(n)
    z = np.empty(K)
    if bs == 1:  # one row per update: its gradient is written straight into g
        acc = g
    w, acc_w = theta[nI:], acc[nI:]
    used = 0 if rule == SGD else (1 if rule in (MOMENTUM, ADAGRAD) else 3)
    last = lrs.size - 1
    line = 64 // X.itemsize
    per_sample = bs == 1 and K == 1
    # Plain SGD, one row, no penalty or L2: θ is updated in place in one pass over the row
    # (_sgd_in_place) whenever that update provably stays finite, so that it needs neither
    # the copy into tn nor the check. ``bound`` ≥ max|θᵢ|, kept up to date from the growth
    # bound of each in-place update (measured again when it gets too large); |gᵢ| ≤ ``grow``
    # (Σ|x| ≥ max|xⱼ|, and ≥ 1 for the intercept's δ). The margin (BIG ≪ the largest
    # double) covers the roundings of the bounds themselves. Any other update takes the
    # checked path below, which stops the epoch exactly as the reference does.
    fused = per_sample and rule == SGD and pen in (NO_PENALTY, L2)
    pa = abs(alpha) if pen == L2 else 0.0
    bound = _max_abs(theta) if fused else 0.0
    big = 1e300
    steps = 0
    ok = True
    for start in range(0, m, bs):
        stop = min(start + bs, m)
        if fused:
            _prefetch_row(X, y, perm, start + AHEAD, line)
            r = _row(perm, start)
            zz, l1 = _dot_l1(X, r, w)
            zz = zz + (theta[0] if nI else 0.0)
            dz = _dz(loss, zz, y[r], delta)
            lr = lrs[min(steps, last)]
            grow = abs(dz) * (l1 + 1.0) + pa * bound
            if not (grow < big and bound + abs(lr) * grow < big):
                bound = _max_abs(theta)  # the running bound may have drifted: measure it
                grow = abs(dz) * (l1 + 1.0) + pa * bound
            if grow < big and bound + abs(lr) * grow < big:
                _sgd_in_place(X, r, dz, lr, theta, nI, pen, alpha)
                bound = bound + abs(lr) * grow
                steps += 1
                continue
            if nI:  # as _sample: g = [δ, δ·x], then the checked update
                acc[0] = dz
            _axpy(dz, X, r, acc_w, True)
        elif per_sample:
            b = theta[0] if nI else 0.0
            _sample(X, y, perm, start, w, b, loss, delta, nI, acc, acc_w, line, False)
        else:
            _accumulate(X, y, perm, start, stop, theta, w, loss, delta, K, nI, acc, acc_w, z, False)
        _gradient(acc, stop - start, theta, nI, pen, alpha, l1r, g)
        lr = lrs[min(steps, last)]
        ok = update(rule, hp, lr, t + steps, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3)
        steps += 1
        if not ok:
            break
        _commit(theta, tn, s1, s2, s3, n1, n2, n3, used)
        has_buf = True
        if fused:
            bound = _max_abs(theta)
    return theta, s1, s2, s3, steps, ok


@_serial
def block(X, y, lo, hi, theta, loss, delta, K, nI, acc, want):
    """acc = [Σδ, Xᵀδ] over the rows lo:hi, and Σ l when ``want``: one block of the full pass.

    It releases the GIL (``nogil``), so that threads can run blocks side by side.
    """
    rows = np.empty(0, dtype=np.intp)
    z = np.empty(K)
    return _accumulate(X, y, rows, lo, hi, theta, theta[nI:], loss, delta, K, nI, acc,
                       acc[nI:], z, want)  # fmt: skip


@_serial
def finish(part, fpart, m, theta, nI, pen, alpha, l1r, want):
    """(J, ∇J) from the blocks' partial sums, added in block order (so the result does not
    depend on which thread ran which block). J is NaN unless ``want``."""
    n = theta.size
    g = np.empty(n)
    for i in range(n):
        g[i] = part[0, i]
    total = fpart[0]
    for c in range(1, fpart.size):
        total += fpart[c]
        for i in range(n):
            g[i] += part[c, i]
    _gradient(g, m, theta, nI, pen, alpha, l1r, g)
    f = math.nan
    if want:
        f = total / m + _penalty_value(theta, nI, pen, alpha, l1r)
    return f, g
