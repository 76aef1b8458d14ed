"""The compiled data passes behind :mod:`descend.kernels.fit` (read that module's docstring
first): one epoch of (mini-batch) updates, and one block of the full pass.

Every function takes the loss, the penalty and the update rule as integer codes
(:data:`~descend.models.losses.LOSS_CODES`, :data:`~descend.models.linear.PENALTY_CODES`,
:data:`~descend.optim.rules.RULE_CODES`), so that the whole set compiles once per dtype of X
(float32, float64), cached on disk (``cache=True``). ``error_model="numpy"`` makes divisions
follow IEEE rules (inf/NaN, as in NumPy) instead of raising, which also keeps the loops free of
zero checks and vectorisable. The helpers that take arrays are inlined into Numba's IR
(``inline="always"``), so that a per-sample epoch pays no call with a dozen array arguments
per update. The kernels release the GIL (``nogil``). μ and 1/σ (empty: raw features) standardise
the rows on the fly (:func:`descend.kernels.rows.load_row`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from descend.kernels.rows import (
    AHEAD,
    NEAR,
    axpy,
    axpy2,
    dot,
    dot2,
    dot_and_square,
    dz,
    load_row,
    prefetch_row,
    row_at,
    row_lines,
    sign,
    value,
)
from descend.kernels.update import ADAGRAD, MOMENTUM, SGD, commit, update
from descend.models.linear import ELASTICNET, L1, L2, NO_PENALTY

_serial = njit(cache=True, error_model="numpy", nogil=True)
_inline = njit(cache=True, error_model="numpy", nogil=True, inline="always")


@_inline
def _sample(X, y, perm, ii, mu, inv, xb, w, b, loss, delta, nI, acc, acc_w, lines, step, want):
    """acc = [δ, δ·x] for the one row ii of the order (K = 1): a per-sample update's sum.
    Returns l(z, y) when ``want``, else 0."""
    if ii + AHEAD < perm.size:
        prefetch_row(X, y, perm[ii + AHEAD], lines, step, True)
    if ii + NEAR < perm.size:
        prefetch_row(X, y, perm[ii + NEAR], lines, step, False)
    r = row_at(perm, ii)
    load_row(X, r, mu, inv, xb)
    zz = dot(xb, w) + b
    d = dz(loss, zz, y[r], delta)
    if nI:
        acc[0] = d
    axpy(d, xb, acc_w, True)
    return value(loss, zz, y[r], delta) if want else 0.0


@_inline
def _accumulate(X, y, perm, lo, hi, mu, inv, x0, x1, theta, w, loss, delta, K, nI, acc, acc_w,
                z, want):  # fmt: skip
    """acc = [Σδ, Xᵀδ] over the rows perm[lo:hi] (rows lo:hi when perm is empty).

    Each row is read once into a buffer (x0, x1): its score, its δ = ∂l/∂z and its share of
    the gradient are taken while it is in cache; one output (K = 1) takes the rows two at a
    time. ``w`` and ``acc_w`` are the views theta[nI:] and acc[nI:]; for K > 1, θ and acc are
    class-major (:func:`_class_major`). Returns Σ l over the rows when ``want``, else 0.
    """
    total = 0.0
    d = X.shape[1]
    lines, step = row_lines(X)
    b = theta[0] if nI else 0.0
    for i in range(acc.size):
        acc[i] = 0.0
    if K == 1:
        ii = lo
        while ii + 1 < hi:
            if ii + AHEAD + 1 < perm.size:
                prefetch_row(X, y, perm[ii + AHEAD], lines, step, True)
                prefetch_row(X, y, perm[ii + AHEAD + 1], lines, step, True)
            if ii + NEAR + 1 < perm.size:
                prefetch_row(X, y, perm[ii + NEAR], lines, step, False)
                prefetch_row(X, y, perm[ii + NEAR + 1], lines, step, False)
            r = row_at(perm, ii)
            s = row_at(perm, ii + 1)
            load_row(X, r, mu, inv, x0)
            load_row(X, s, mu, inv, x1)
            z0, z1 = dot2(x0, x1, w)
            z0 += b
            z1 += b
            d0 = dz(loss, z0, y[r], delta)
            d1 = dz(loss, z1, y[s], delta)
            if want:
                total += value(loss, z0, y[r], delta)
                total += value(loss, z1, y[s], delta)
            if nI:
                acc[0] += d0 + d1
            axpy2(d0, x0, d1, x1, acc_w)
            ii += 2
        if ii < hi:
            if ii + AHEAD < perm.size:
                prefetch_row(X, y, perm[ii + AHEAD], lines, step, True)
            if ii + NEAR < perm.size:
                prefetch_row(X, y, perm[ii + NEAR], lines, step, False)
            r = row_at(perm, ii)
            load_row(X, r, mu, inv, x0)
            zz = dot(x0, w) + b
            dd = dz(loss, zz, y[r], delta)
            if want:
                total += value(loss, zz, y[r], delta)
            if nI:
                acc[0] += dd
            axpy(dd, x0, acc_w, False)
        return total
    # softmax, θ and acc class-major (see _class_major): z_k = x·W_k + b_k, a contiguous dot
    # product, and the row's share of the gradient of class k an axpy
    W = w.reshape((K, d))
    G = acc_w.reshape((K, d))
    for ii in range(lo, hi):
        if ii + AHEAD < perm.size:
            prefetch_row(X, y, perm[ii + AHEAD], lines, step, True)
        if ii + NEAR < perm.size:
            prefetch_row(X, y, perm[ii + NEAR], lines, step, False)
        r = row_at(perm, ii)
        load_row(X, r, mu, inv, x0)
        label = int(y[r])
        for k in range(K):
            z[k] = dot(x0, W[k]) + (theta[k] if nI else 0.0)
        top = z[0]
        for k in range(1, K):
            top = max(top, z[k])
        sum_exp = 0.0
        for k in range(K):
            sum_exp += math.exp(z[k] - top)
        lse = math.log(sum_exp)
        for k in range(K):
            ls = (z[k] - top) - lse  # log softmax
            if want and k == label:
                total -= ls
            z[k] = math.exp(ls) - (1.0 if k == label else 0.0)  # δₖ
        for k in range(K):
            if nI:
                acc[k] += z[k]
            axpy(z[k], x0, G[k], False)
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
            g[i] = g[i] + alpha * sign(theta[i])
    elif pen == ELASTICNET:
        for i in range(nI, n):
            w = theta[i]
            g[i] = g[i] + alpha * (l1r * sign(w) + (1.0 - l1r) * w)


@_inline
def _class_major(a, nI, K, d):
    """A copy of a softmax parameter vector [b₁..b_K, W (d, K) row-major] with W stored
    class by class, [b₁..b_K, W₁ (d), …, W_K (d)]: each class's weights contiguous. The update
    rules and penalties act coordinate by coordinate, so they run unchanged in this layout."""
    out = np.empty(a.size)
    for k in range(nI):
        out[k] = a[k]
    for j in range(d):
        for k in range(K):
            out[nI + k * d + j] = a[nI + j * K + k]
    return out


@_inline
def _feature_major(a, nI, K, d):
    """The inverse of :func:`_class_major`: back to the model's layout."""
    out = np.empty(a.size)
    for k in range(nI):
        out[k] = a[k]
    for j in range(d):
        for k in range(K):
            out[nI + j * K + k] = a[nI + k * d + j]
    return out


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


#: Rows per block of :func:`_sgd_rows`: θ is kept at the start of each block.
SGD_BLOCK = 256


@_serial
def _sgd_range(X, y, perm, lo, hi, mu, inv, loss, delta, nI, pen, alpha, lrs, b, w, x0, want):
    """Per-sample SGD updates from the rows lo:hi of the order, in place in w; returns the
    new intercept b, and when ``want`` the sum over the rows of J at the row just before its
    update (l(z, y) + R(w)) and that of row lo. The arithmetic of the checked path (g =
    [δ, δ·x] (+ α·w), θ + (−α)·g) in the same order, so the same bits."""
    last = lrs.size - 1
    lines, step = row_lines(X)
    total = 0.0
    first = 0.0
    for ii in range(lo, hi):
        lr = lrs[min(ii, last)]
        if ii + AHEAD < perm.size:
            prefetch_row(X, y, perm[ii + AHEAD], lines, step, True)
        if ii + NEAR < perm.size:
            prefetch_row(X, y, perm[ii + NEAR], lines, step, False)
        r = row_at(perm, ii)
        load_row(X, r, mu, inv, x0)
        if want and pen == L2:
            zz, sq = dot_and_square(x0, w)
        else:
            zz, sq = dot(x0, w), 0.0
        zz += b
        d = dz(loss, zz, y[r], delta)
        if want:
            j_row = value(loss, zz, y[r], delta)
            if pen == L2:
                j_row += alpha * (0.5 * sq)
            total += j_row
            if ii == lo:
                first = j_row
        if nI:
            b = b + (-lr) * d
        if pen == L2:
            for j in range(w.size):
                w[j] = w[j] + (-lr) * (d * x0[j] + alpha * w[j])
        else:
            for j in range(w.size):
                w[j] = w[j] + (-lr) * (d * x0[j])
    return b, total, first


@_serial
def _softmax_range(X, y, perm, lo, hi, mu, inv, nI, K, pen, alpha, lrs, bv, W, x0, z, want):
    """:func:`_sgd_range` for softmax (K outputs): in place in the intercepts bv and the
    class-major weights W (K·d); the arithmetic of the checked path (acc = δₖ·x, g = acc
    (+ α·w), θ + (−α)·g). Returns (ΣJ, first J) when ``want``, else (0, 0)."""
    last = lrs.size - 1
    lines, step = row_lines(X)
    d = X.shape[1]
    total = 0.0
    first = 0.0
    for ii in range(lo, hi):
        lr = lrs[min(ii, last)]
        if ii + AHEAD < perm.size:
            prefetch_row(X, y, perm[ii + AHEAD], lines, step, True)
        if ii + NEAR < perm.size:
            prefetch_row(X, y, perm[ii + NEAR], lines, step, False)
        r = row_at(perm, ii)
        load_row(X, r, mu, inv, x0)
        label = int(y[r])
        for k in range(K):
            z[k] = dot(x0, W[k * d : (k + 1) * d]) + (bv[k] if nI else 0.0)
        top = z[0]
        for k in range(1, K):
            top = max(top, z[k])
        sum_exp = 0.0
        for k in range(K):
            sum_exp += math.exp(z[k] - top)
        lse = math.log(sum_exp)
        if want:
            j_row = -((z[label] - top) - lse)
            if pen == L2:
                j_row += alpha * (0.5 * dot(W, W))
            total += j_row
            if ii == lo:
                first = j_row
        for k in range(K):
            dk = math.exp((z[k] - top) - lse) - (1.0 if k == label else 0.0)
            if nI:
                bv[k] = bv[k] + (-lr) * dk
            o = k * d
            if pen == L2:
                for j in range(d):
                    W[o + j] = W[o + j] + (-lr) * (dk * x0[j] + alpha * W[o + j])
            else:
                for j in range(d):
                    W[o + j] = W[o + j] + (-lr) * (dk * x0[j])
    return total, first


@_serial
def _rows_range(X, y, perm, lo, hi, mu, inv, loss, delta, nI, K, pen, alpha, lrs, bv, w, x0, z,
                want):  # fmt: skip
    """The updates of rows lo:hi in place (bv, w): :func:`_sgd_range` or, for K > 1,
    :func:`_softmax_range`. Returns (ΣJ, first J)."""
    if K > 1:
        return _softmax_range(X, y, perm, lo, hi, mu, inv, nI, K, pen, alpha, lrs, bv, w, x0, z,
                              want)  # fmt: skip
    b, total, first = _sgd_range(X, y, perm, lo, hi, mu, inv, loss, delta, nI, pen, alpha, lrs,
                                 bv[0], w, x0, want)  # fmt: skip
    bv[0] = b
    return total, first


@_serial
def _all_finite(bv, w):
    """Whether every bᵢ and wᵢ is finite."""
    for i in range(bv.size):
        if not math.isfinite(bv[i]):
            return False
    for i in range(w.size):  # noqa: SIM110
        if not math.isfinite(w[i]):
            return False
    return True


@_serial
def _sgd_rows(X, y, perm, theta, mu, inv, loss, delta, nI, K, pen, alpha, lrs, want):
    """One epoch of per-sample SGD (no penalty or L2), θ updated in place: the epoch of
    :func:`epoch` for that case (θ class-major for K > 1), with the same arithmetic (the
    tests hold it bit for bit), and no copy of θ or test of its finiteness per update. The
    intercepts and the weights are buffers of their own, so that the compiler knows the row
    buffer does not alias them.

    A non-finite coordinate of θ stays non-finite under these updates (θᵢ + a is ∞ or NaN for
    any a when θᵢ is), so a block of :data:`SGD_BLOCK` updates ends finite exactly when every
    update in it did. θ is kept at the start of each block; a block that ends non-finite is run
    again from there one checked update at a time, which stops at the first update that makes
    θ non-finite with θ as it was before it, as the reference does.
    Returns (θ, updates made including a failed one, all finite, ΣJ, first J) as
    :func:`epoch`.
    """
    m = perm.size if perm.size else X.shape[0]
    x0 = np.empty(X.shape[1])
    z = np.empty(K)
    w = theta[nI:].copy()
    kept = w.copy()
    bv = theta[:nI].copy() if nI else np.zeros(1)
    kept_b = bv.copy()
    steps, ok = m, True
    total = 0.0
    first = 0.0
    for lo in range(0, m, SGD_BLOCK):
        hi = min(lo + SGD_BLOCK, m)
        kept[:] = w
        kept_b[:] = bv
        part, head = _rows_range(X, y, perm, lo, hi, mu, inv, loss, delta, nI, K, pen, alpha,
                                 lrs, bv, w, x0, z, want)  # fmt: skip
        total += part
        if lo == 0:
            first = head
        if _all_finite(bv, w):
            continue
        w[:] = kept
        bv[:] = kept_b
        for ii in range(lo, hi):
            kept[:] = w
            kept_b[:] = bv
            _rows_range(X, y, perm, ii, ii + 1, mu, inv, loss, delta, nI, K, pen, alpha, lrs, bv,
                        w, x0, z, False)  # fmt: skip
            if not _all_finite(bv, w):
                w[:] = kept
                bv[:] = kept_b
                steps, ok = ii + 1, False
                break
        if not ok:
            break
    if nI:
        theta[:nI] = bv
    theta[nI:] = w
    return theta, steps, ok, total, first


@_serial
def epoch(X, y, perm, bs, theta, mu, inv, loss, delta, K, nI, pen, alpha, l1r,
          rule, hp, lrs, t, has_buf, s1, s2, s3, want):  # fmt: skip
    """One epoch of mini-batch updates over the rows perm (0..m−1 when perm is empty).

    Batches are perm[start:start + bs]. The update of batch k uses lrs[k] (lrs[0] when lrs
    holds a single constant rate). Stops at the first update whose θ is not finite.
    Returns (θ, s1, s2, s3, updates made including a failed one, all finite, ΣJ, first J):
    with ``want``, J_B(θ) of each batch just before its update, summed over the batches, and
    that of the first batch (both 0 without ``want``).
    """
    per_sample = bs == 1 and K == 1
    features = X.shape[1]
    if bs == 1 and rule == SGD and pen in (NO_PENALTY, L2):  # in place, unchecked
        if K > 1:
            theta = _class_major(theta, nI, K, features)
        theta, steps, ok, total, first = _sgd_rows(X, y, perm, theta, mu, inv, loss, delta, nI,
                                                   K, pen, alpha, lrs, want)  # fmt: skip
        if K > 1:
            theta = _feature_major(theta, nI, K, features)
        return theta, s1, s2, s3, steps, ok, total, first
    n = theta.size
    m = X.shape[0]
    acc = np.empty(n)
    g = np.empty(n)
    tn = np.empty(n)
    n1 = np.empty(n)
    n2 = np.empty(n)
    n3 = np.empty(n)
    z = np.empty(K)
    x0 = np.empty(X.shape[1])
    x1 = np.empty(X.shape[1])
    if K > 1:  # the epoch runs class-major; θ and the state come back in the model's layout
        theta = _class_major(theta, nI, K, features)
        s1 = _class_major(s1, nI, K, features)
        s2 = _class_major(s2, nI, K, features)
        s3 = _class_major(s3, nI, K, features)
    if bs == 1:  # one row per update: its gradient is written straight into g
        acc = g
    w, acc_w = theta[nI:], acc[nI:]
    used = 0 if rule == SGD else (1 if rule in (MOMENTUM, ADAGRAD) else 3)
    last = lrs.size - 1
    lines, step = row_lines(X)
    steps = 0
    ok = True
    total = 0.0
    first = 0.0
    for start in range(0, m, bs):
        stop = min(start + bs, m)
        if per_sample:
            b = theta[0] if nI else 0.0
            part = _sample(X, y, perm, start, mu, inv, x0, w, b, loss, delta, nI, acc, acc_w,
                           lines, step, want)  # fmt: skip
        else:
            part = _accumulate(X, y, perm, start, stop, mu, inv, x0, x1, theta, w, loss, delta,
                               K, nI, acc, acc_w, z, want)  # fmt: skip
        if want:
            j_batch = part / (stop - start) + _penalty_value(theta, nI, pen, alpha, l1r)
            total += j_batch
            if start == 0:
                first = j_batch
        _gradient(acc, stop - start, theta, nI, pen, alpha, l1r, g)
        lr = lrs[min(steps, last)]
        ok = update(rule, hp, lr, t + steps, has_buf, g, theta, tn, s1, s2, s3, n1, n2, n3)
        steps += 1
        if not ok:
            break
        commit(theta, tn, s1, s2, s3, n1, n2, n3, used)
        has_buf = True
    if K > 1:
        theta = _feature_major(theta, nI, K, features)
        s1 = _feature_major(s1, nI, K, features)
        s2 = _feature_major(s2, nI, K, features)
        s3 = _feature_major(s3, nI, K, features)
    return theta, s1, s2, s3, steps, ok, total, first


@_serial
def block(X, y, lo, hi, theta, mu, inv, loss, delta, K, nI, acc, want):
    """acc = [Σδ, Xᵀδ] over the rows lo:hi, and Σ l when ``want``: one block of the full pass.

    It releases the GIL (``nogil``), so that threads can run blocks side by side.
    """
    rows = np.empty(0, dtype=np.intp)
    z = np.empty(K)
    x0 = np.empty(X.shape[1])
    x1 = np.empty(X.shape[1])
    if K == 1:
        return _accumulate(X, y, rows, lo, hi, mu, inv, x0, x1, theta, theta[nI:], loss, delta,
                           K, nI, acc, acc[nI:], z, want)  # fmt: skip
    d = X.shape[1]
    cm = _class_major(theta, nI, K, d)
    acm = np.empty(acc.size)
    total = _accumulate(X, y, rows, lo, hi, mu, inv, x0, x1, cm, cm[nI:], loss, delta, K, nI,
                        acm, acm[nI:], z, want)  # fmt: skip
    acc[:] = _feature_major(acm, nI, K, d)
    return total


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


@_serial
def column_squares(X, lo, hi, mean, out):
    """out = Σ (X[r] − μ)² over the rows lo:hi, in float64: a block of the spread's pass."""
    for j in range(out.size):
        out[j] = 0.0
    for r in range(lo, hi):
        for j in range(out.size):
            e = np.float64(X[r, j]) - mean[j]
            out[j] += e * e


#: Rows of a tile of :func:`column_moments`: 256 rows of 100 float64 features are 200 KB,
#: read twice while in cache.
TILE_ROWS = 256


@_serial
def column_moments(X, lo, hi, mean, out):
    """mean = the column means and out = Σ (X[r] − mean)² over the rows lo:hi, in float64, in
    one pass over memory: each tile of :data:`TILE_ROWS` rows is summed, then its squares
    about its own mean are summed while it is in cache, and the tiles are merged in order by
    Chan, Golub and LeVeque's formulas (n = nₐ + n_b, δ = μ_b − μₐ, μ = μₐ + δ·n_b/n,
    M₂ = M₂ₐ + M₂_b + δ²·nₐ·n_b/n)."""
    d = out.size
    tile_mean = np.empty(d)
    tile_m2 = np.empty(d)
    for j in range(d):
        mean[j] = 0.0
        out[j] = 0.0
    n_a = 0
    for start in range(lo, hi, TILE_ROWS):
        stop = min(start + TILE_ROWS, hi)
        n_b = stop - start
        for j in range(d):
            tile_mean[j] = 0.0
            tile_m2[j] = 0.0
        for r in range(start, stop):
            for j in range(d):
                tile_mean[j] += np.float64(X[r, j])
        for j in range(d):
            tile_mean[j] /= n_b
        for r in range(start, stop):
            for j in range(d):
                e = np.float64(X[r, j]) - tile_mean[j]
                tile_m2[j] += e * e
        n = n_a + n_b
        for j in range(d):
            delta = tile_mean[j] - mean[j]
            mean[j] += delta * (n_b / n)
            out[j] += tile_m2[j] + delta * delta * (n_a * (n_b / n))
        n_a = n
