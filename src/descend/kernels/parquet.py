"""Parquet, compiled: the float columns of a flat table decoded straight into C-order X.

descend streams Parquet files larger than memory, a row group at a time. pyarrow decodes a row
group of 8,192 rows × 101 float64 columns (dictionary-encoded, what it writes by default) in
about 3 ms, and the columns still have to be transposed into the rows the kernels read; its
parsed footer of a file of 159 row groups × 101 columns holds ~20 MB. Here the bytes of the
row group (one ``pread``) are decoded in one compiled call that releases the GIL, written into
X as they are decoded, and the footer is parsed into a few int64 arrays
(:func:`parse_footer`, :class:`Footer`, from :mod:`descend.kernels.thrift`).

What is read, and what is not (:func:`decode_columns` returns False, the caller then takes
pyarrow's checked reader, which names the offending rows):

* physical types FLOAT and DOUBLE, into float32 or float64 (the value as stored, converted);
  a NaN, ±inf, or a float64 too large for float32 is refused;
* pages DICTIONARY_PAGE, DATA_PAGE (v1) and DATA_PAGE_V2, several a chunk; INDEX_PAGE is
  skipped; encodings PLAIN, and PLAIN_DICTIONARY / RLE_DICTIONARY (a bit width 0..32, then
  the RLE/bit-packed hybrid of indices), also mixed in one chunk: a dictionary page, pages of
  indices, then PLAIN pages (the writer's fallback when the dictionary grew too large);
* required columns, and optional ones with no null: the definition levels (v1: 4-byte
  length, then the hybrid of width 1; v2: ``definition_levels_byte_length`` bytes, never
  compressed) must all be 1; no repetition levels;
* codecs UNCOMPRESSED and SNAPPY (:func:`snappy_decompress`, raw format, every bound checked;
  v2's ``is_compressed`` honoured); any other codec, encoding, page type, a count of values
  other than the row group's, a bad header or a page cut short is refused.

How. A first walk over the page headers counts the pages and the bytes of the compressed ones;
a second inflates those into one scratch buffer, checks the definition levels and fills a
table of the data pages (where their values are, count, encoding, bit width). Then X is
written in tiles of :data:`ROWS` rows: for each tile, each column in turn resumes its decoder
(its page, the run of the hybrid it is in) and writes its next ROWS values, so the tile of X
(256 × 800 bytes) stays in cache while every column writes into it, and the columns' bytes
are read in sequence. A bit-packed run is unpacked 8 bytes (one unaligned load) per index,
then the indices are looked up in the dictionary (its page, read in place); a PLAIN page is
read in place when not compressed. The hot loops take addresses, not arrays: Numba counts
references to an array at every call (atomic operations), which cost more than the decoding.

Measured (AMD EPYC, 2 cores, shared; min of 30 runs, the range over a few sessions; files
written by pyarrow 26 with ``row_group_size=8192``; one row group of 8,192 × 101 float64
decoded into X (8,192 × 100, C order) and y, two calls; the snappy ones given a scratch):

=============================  ============  ===================================
row group                      here          pyarrow ``read_row_group`` (no X)
=============================  ============  ===================================
dictionary, uncompressed       0.85–0.92 ms  2.6–3.1 ms
PLAIN, uncompressed            0.44–0.45 ms  1.6–1.8 ms
dictionary, snappy             1.08–1.28 ms  2.9–3.6 ms
PLAIN, snappy                  0.60–0.65 ms  1.7–2.0 ms
=============================  ============  ===================================

A scratch allocated by the call instead (8 MB, its pages touched for the first time) adds
0.05–0.15 ms. Tiles of 64 rows: 1.03 and 0.47 ms; of 1,024: 1.16 and 0.53 ms (dictionary and
PLAIN). Each column decoded whole into a column-major scratch, then transposed in tiles
(:mod:`descend.kernels.columns`): 1.88 and 1.33 ms. The footer of 159 row groups × 101 columns
(1.8 MB) parses in 3.1 ms (``pq.read_metadata``: 6.5–7 ms).

Values are read as little-endian; on a big-endian machine :func:`decode_columns` declines.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from descend.kernels import thrift as t
from descend.kernels.thrift import Footer, as_bytes, parse_footer
from descend.kernels.thrift import at as _at
from descend.kernels.thrift import put as _put

__all__ = ["Footer", "decode_columns", "parse_footer", "snappy_decompress"]

_jit = njit(cache=True, error_model="numpy", nogil=True)
_inline = njit(cache=True, error_model="numpy", nogil=True, inline="always")  # into Numba's IR

#: Rows per tile of X: every column gives ROWS values before the next column is read, so that
#: the tile of X (ROWS × 800 bytes for 100 float64 features) stays in cache while it fills
#: (as in :mod:`descend.kernels.columns`).
ROWS = 256
#: Parquet's physical types, codecs, page types and encodings (parquet.thrift).
BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY = range(8)
UNCOMPRESSED, SNAPPY = 0, 1
DATA_PAGE, INDEX_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = range(4)
PLAIN, PLAIN_DICTIONARY, RLE, RLE_DICTIONARY = 0, 2, 3, 8
#: A data page's row in the page table: where its values are (0 the file's buffer, 1 the
#: scratch the compressed pages are inflated into), their bytes, count and encoding.
_SRC, _OFF, _END, _COUNT, _KIND, _WIDTH, _LIMIT = range(7)
_COLUMNS = 7
_PLAIN_KIND, _DICT_KIND = 0, 1


# -- snappy -------------------------------------------------------------------------------


@_inline
def _le_at(address, n):
    """The n-byte little-endian unsigned integer at address."""
    v = np.int64(0)
    for i in range(n):
        v |= np.int64(_at(address + i, np.uint8)) << (8 * i)
    return v


@_inline
def _copy(s, d, n):
    """Copy n bytes from address s to address d, forward, 8 bytes at a time: right within one
    buffer too when s is 8 bytes or more before d (every word read has been written)."""
    i = 0
    while i + 8 <= n:
        _put(d + i, _at(s + i, np.int64))
        i += 8
    while i < n:
        _put(d + i, _at(s + i, np.uint8))
        i += 1


@_jit
def snappy_decompress(src, s, send, dst, d, dend):
    """Inflate the raw Snappy block ``src[s:send]`` into ``dst[d:dend]`` (uint8 arrays).

    Returns
    -------
    int
        The bytes written, or -1 when the block is malformed (cut short, a copy reaching before
        the output's start, more or fewer bytes than its preamble says) or would not fit.
    """
    if not (0 <= s <= send <= len(src) and 0 <= d <= dend <= len(dst)):
        return np.int64(-1)
    a, b = src.ctypes.data, dst.ctypes.data  # src and dst: the caller's, alive
    ulen, s = t.read_varint(a, s, send)
    if s < 0 or ulen < 0 or ulen > 0xFFFFFFFF or ulen > dend - d:
        return np.int64(-1)
    op, oend = d, d + ulen
    while s < send:
        tag = np.int64(_at(a + s, np.uint8))
        s += 1
        kind = tag & 3
        if kind == 0:  # a literal: its length - 1 in the tag, or in the 1..4 bytes after it
            n = (tag >> 2) + 1
            if n > 60:
                if n - 60 > send - s:
                    return np.int64(-1)
                width = n - 60
                n = _le_at(a + s, width) + 1
                s += width
            if n > send - s or n > oend - op:
                return np.int64(-1)
            _copy(a + s, b + op, n)
            s += n
            op += n
            continue
        width = 1 << (kind - 1)  # the offset's bytes: 1 (and 3 bits of the tag), 2 or 4
        if width > send - s:
            return np.int64(-1)
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | _le_at(a + s, 1)
        else:
            n = (tag >> 2) + 1
            offset = _le_at(a + s, width)
        s += width
        if offset <= 0 or offset > op - d or n > oend - op:
            return np.int64(-1)
        if offset >= 8:
            _copy(b + op - offset, b + op, n)
        else:  # overlapping: the pattern repeats, byte by byte
            for i in range(n):
                _put(b + op + i, _at(b + op - offset + i, np.uint8))
        op += n
    return op - d if op == oend else np.int64(-1)


# -- pages --------------------------------------------------------------------------------


@_jit
def _all_defined(a, p, pend, n):
    """Whether the definition levels (RLE/bit-packed hybrid, bit width 1) at address a, bytes
    p..pend, start with n ones: no value of the page is null."""
    while n > 0:
        header, p = t.read_varint(a, p, pend)
        if p < 0:
            return False
        if header & 1:  # bit-packed: groups of 8 levels, a byte each
            groups = header >> 1
            count = n if groups >= n else min(groups * 8, n)
            nbytes = (count + 7) >> 3
            if nbytes > pend - p:
                return False
            for i in range(count >> 3):
                if _at(a + p + i, np.uint8) != 0xFF:
                    return False
            mask = (1 << (count & 7)) - 1  # the first bits of one more byte
            if mask and _at(a + p + (count >> 3), np.uint8) & mask != mask:
                return False
            p = pend if groups > pend - p else p + groups
            n -= count
        else:
            count = header >> 1
            if p >= pend or (count > 0 and _at(a + p, np.uint8) != 1):
                return False
            p += 1
            n -= min(count, n)
    return True


@_jit
def _chunk_pages(buf, pos, end, phys, codec, max_def, stack, h, scratch, sp, pages, n, dic):
    """Walk the pages of one column chunk, buf[pos:end]: inflate the compressed ones into
    scratch[sp:], check the definition levels, note where the dictionary is (``dic``: source,
    offset, count) and append a row per data page to ``pages`` from row n.
    ``(n, sp, values)``; values -1 when a page is bad or not supported."""
    width = 8 if phys == DOUBLE else 4
    values = 0
    bad = (n, sp, np.int64(-1))
    while pos < end:
        pos = t.page_header(buf, pos, end, stack, h)
        if pos < 0:
            return bad
        body, bend = pos, pos + h[t.H_CSIZE]
        pos = bend
        kind, count = h[t.H_TYPE], h[t.H_NVALS]
        if kind == INDEX_PAGE:
            continue
        if count < 0 or (kind != DATA_PAGE and kind != DICTIONARY_PAGE and kind != DATA_PAGE_V2):
            return bad
        if kind == DATA_PAGE_V2:  # levels first, never compressed
            if h[t.H_REPLEN] != 0 or h[t.H_NULLS] != 0 or not 0 <= h[t.H_DEFLEN] <= bend - body:
                return bad
            if max_def == 1 and not _all_defined(
                buf.ctypes.data, body, body + h[t.H_DEFLEN], count
            ):
                return bad
            if max_def == 0 and h[t.H_DEFLEN] != 0:
                return bad
            body += h[t.H_DEFLEN]
        src, p, pend = 0, body, bend
        if codec == SNAPPY and (kind != DATA_PAGE_V2 or h[t.H_ZIPPED] == 1):
            size = h[t.H_USIZE] - (h[t.H_DEFLEN] if kind == DATA_PAGE_V2 else 0)
            if size < 0 or snappy_decompress(buf, body, bend, scratch, sp, sp + size) != size:
                return bad
            src, p, pend = 1, sp, sp + size
            sp += size
        a = buf if src == 0 else scratch
        if kind == DICTIONARY_PAGE:
            if (
                dic[0] >= 0
                or values > 0
                or (h[t.H_ENC] != PLAIN and h[t.H_ENC] != PLAIN_DICTIONARY)
            ):
                return bad
            if count > (pend - p) // width:
                return bad
            dic[0], dic[1], dic[2] = src, p, count
            continue
        if max_def == 1 and kind == DATA_PAGE:  # the levels' length, then the levels
            if h[t.H_DEFENC] != RLE or pend - p < 4:
                return bad
            levels = _le_at(a.ctypes.data + p, 4)
            if levels > pend - p - 4 or not _all_defined(
                a.ctypes.data, p + 4, p + 4 + levels, count
            ):
                return bad
            p += 4 + levels
        enc = h[t.H_ENC]
        pages[n, _SRC], pages[n, _OFF], pages[n, _END], pages[n, _COUNT] = src, p, pend, count
        if enc == PLAIN:
            if count > (pend - p) // width:
                return bad
            pages[n, _KIND] = _PLAIN_KIND
        elif enc in (PLAIN_DICTIONARY, RLE_DICTIONARY):
            if dic[0] < 0 or p >= pend or a[p] > 32:  # the bit width of the indices
                return bad
            pages[n, _KIND], pages[n, _WIDTH], pages[n, _OFF] = _DICT_KIND, a[p], p + 1
        else:
            return bad
        n += 1
        values += count
    return n, sp, np.int64(values)


@_inline
def _value(address, i, phys):
    """Value i of the float column (``phys``) whose values start at address, as float64."""
    if phys == DOUBLE:
        return _at(address + 8 * i, np.float64)
    return np.float64(_at(address + 4 * i, np.float32))


@_inline
def _int(address, i):
    """The int64 i of the array at address."""
    return _at(address + 8 * i, np.int64)


@_inline
def _varint_at(address, end):
    """``(value, address)``: the varint at address, below end; address -1 when bad."""
    value = np.int64(0)
    for shift in range(0, 64, 7):
        if address >= end:
            break
        b = np.int64(_at(address, np.uint8))
        address += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, address
    return np.int64(0), np.int64(-1)


@_inline
def _plain_rows(address, phys, dtype, at, step, n):
    """Write the n plain values at address, as dtype, from address ``at`` on, ``step`` bytes
    apart; whether all are finite."""
    for i in range(n):
        x = dtype.type(_value(address, i, phys))
        if x - x != 0:
            return False
        _put(at + i * step, x)
    return True


@_inline
def _packed_rows(address, limit, first, w, dictionary, size, phys, dtype, at, step, n, index):
    """Write the dictionary's values (``size`` of them at address ``dictionary``) at the
    bit-packed indices first.. of width w from address on (its array ends at limit), as in
    :func:`_plain_rows`; whether all are in the dictionary and finite. ``index`` is the
    address of scratch for n int64."""
    mask = (np.int64(1) << w) - 1
    top = np.int64(0)
    if address + (((first + n) * w) >> 3) + 8 <= limit:  # whole words all the way
        for i in range(n):
            bit = (first + i) * w
            v = (_at(address + (bit >> 3), np.int64) >> (bit & 7)) & mask
            top = max(top, v)
            _put(index + 8 * i, v)
    else:
        for i in range(n):
            bit = (first + i) * w
            byte = address + (bit >> 3)
            v = (_le_at(byte, min(8, limit - byte)) >> (bit & 7)) & mask
            top = max(top, v)
            _put(index + 8 * i, v)
    if top >= size:
        return False
    for i in range(n):
        x = dtype.type(_value(dictionary, _int(index, i), phys))
        if x - x != 0:
            return False
        _put(at + i * step, x)
    return True


#: A column's decoding state, a row of int64 between its tiles: its page (row of the page
#: table), values left in it, address, kind of run (0 RLE, 1 bit-packed), values left in the
#: run, the run's value or first byte, and values of the run done.
_PAGE, _LEFT, _AT, _RUN, _RUN_LEFT, _RUN_AT, _RUN_DONE = range(7)


@_jit
def _column_rows(pages, last, dictionary, size, phys, state, dtype, at, step, n_rows, index):
    """Decode n_rows values of a column, resuming where its state left it (addresses of the
    page table's rows and of the state's), and write them from address ``at`` on, ``step``
    bytes apart; whether they were all valid. Only integers are passed, so that no reference
    to an array is counted for each of the many calls."""
    page, left, p, run = _int(state, 0), _int(state, 1), _int(state, 2), _int(state, 3)
    run_left, run_at, run_done = _int(state, 4), _int(state, 5), _int(state, 6)
    row = pages + 8 * _COLUMNS * page
    r = 0
    while r < n_rows:
        if left == 0:  # the next page (the totals were checked: there is one)
            page += 1
            if page >= last:
                return False
            row = pages + 8 * _COLUMNS * page
            left, p, run_left = _int(row, _COUNT), _int(row, _OFF), 0
            continue
        n = min(n_rows - r, left)
        if _int(row, _KIND) == _PLAIN_KIND:
            if not _plain_rows(p, phys, dtype, at + r * step, step, n):
                return False
            p += n * (8 if phys == DOUBLE else 4)
        else:
            w, end = _int(row, _WIDTH), _int(row, _END)
            if run_left == 0:  # the next run of the RLE/bit-packed hybrid
                header, p = _varint_at(p, end)
                if p < 0:
                    return False
                groups = header >> 1
                run_left = left if groups >= left else min(8 * groups if header & 1 else
                                                           groups, left)  # fmt: skip
                if header & 1:
                    run, run_at, run_done = 1, p, 0
                    if (run_left * w + 7) >> 3 > end - p:
                        return False
                    p = end if groups > end - p else p + groups * w
                else:
                    nb = (w + 7) >> 3
                    if nb > end - p:
                        return False
                    run, run_at = 0, _le_at(p, nb)
                    p += nb
                    if run_left > 0 and run_at >= size:
                        return False
                continue
            n = min(n, run_left)
            if run == 1:
                if not _packed_rows(run_at, _int(row, _LIMIT), run_done, w, dictionary,
                                    size, phys, dtype, at + r * step, step, n, index):  # fmt: skip
                    return False
                run_done += n
            else:
                x = dtype.type(_value(dictionary, run_at, phys))
                if x - x != 0:
                    return False
                for i in range(n):
                    _put(at + (r + i) * step, x)
            run_left -= n
        left -= n
        r += n
    for i, v in enumerate((page, left, p, run, run_left, run_at, run_done)):
        _put(state + 8 * i, v)
    return True


@_jit
def _decode(buf, start, length, n_values, physical, codec, max_def, out, scratch):
    """:func:`decode_columns`'s compiled core."""
    n_rows, k = out.shape
    for j in range(k):
        if (physical[j] != FLOAT and physical[j] != DOUBLE) or not 0 <= codec[j] <= 1:
            return False
        if not 0 <= max_def[j] <= 1 or n_values[j] != n_rows:
            return False
        if start[j] < 0 or length[j] < 0 or length[j] > len(buf) - start[j]:
            return False
    stack = t.new_stack()
    h = np.empty(10, dtype=np.int64)
    n_pages, need = 0, 0
    for j in range(k):  # count the pages, and the bytes of the compressed ones inflated
        pos, end = start[j], start[j] + length[j]
        while pos < end:
            pos = t.page_header(buf, pos, end, stack, h)
            if pos < 0:
                return False
            if codec[j] == SNAPPY:
                if h[t.H_USIZE] > 24 * h[t.H_CSIZE] + 64:  # more than snappy can inflate
                    return False
                need += h[t.H_USIZE]
            pos += h[t.H_CSIZE]
            n_pages += 1
    if len(scratch) < need:
        scratch = np.empty(need, dtype=np.uint8)
    pages = np.zeros((n_pages, _COLUMNS), dtype=np.int64)
    last = np.empty(k, dtype=np.int64)
    dicts = np.full((k, 3), -1, dtype=np.int64)
    state = np.zeros((k, 7), dtype=np.int64)
    n, sp = 0, 0
    for j in range(k):
        state[j, _PAGE] = n - 1
        pos, end = start[j], start[j] + length[j]
        n, sp, values = _chunk_pages(
            buf,
            pos,
            end,
            physical[j],
            codec[j],
            max_def[j],
            stack,
            h,
            scratch,
            sp,
            pages,
            n,
            dicts[j],
        )
        if values != n_rows:
            return False
        last[j] = n
    return _tiles(buf, scratch, pages, n, last, dicts, state, physical, out)


@_jit
def _tiles(buf, scratch, pages, n_pages, last, dicts, state, physical, out):
    """Decode the columns, tile by tile of :data:`ROWS` rows, into out; whether all were
    valid. The values are read at their addresses: the arrays are the caller's, alive
    through the call, and their addresses alone are passed on."""
    bases = (buf.ctypes.data, scratch.ctypes.data)
    limits = (bases[0] + len(buf), bases[1] + len(scratch))
    for i in range(n_pages):
        src = pages[i, _SRC]
        pages[i, _OFF] += bases[src]
        pages[i, _END] += bases[src]
        pages[i, _LIMIT] = limits[src]
    n_rows, k = out.shape
    for j in range(k):
        if dicts[j, 0] >= 0:
            dicts[j, 1] += bases[dicts[j, 0]]
    index = np.empty(ROWS, dtype=np.int64)
    at, (row_step, column_step) = out.ctypes.data, out.strides
    p_pages, p_state, p_index = pages.ctypes.data, state.ctypes.data, index.ctypes.data
    ok = True
    for r in range(0, n_rows, ROWS):
        n = min(ROWS, n_rows - r)
        for j in range(k):
            ok = _column_rows(p_pages, last[j], dicts[j, 1], dicts[j, 2], physical[j],
                              p_state + 8 * 7 * j, out.dtype, at + r * row_step + j * column_step,
                              row_step, n, p_index)  # fmt: skip
            if not ok:
                break
        if not ok:
            break
    return ok and len(index) == ROWS  # index is used here: alive (not freed) until now


_NO_SCRATCH = np.empty(0, dtype=np.uint8)


def decode_columns(
    buf: Any,
    start: Any,
    length: Any,
    n_values: Any,
    physical: Any,
    codec: Any,
    max_def: Any,
    n_rows: int,
    out: NDArray[Any],
    scratch: NDArray[np.uint8] | None = None,
) -> bool:
    """Decode float column chunks of one row group straight into the columns of ``out``.

    Parameters
    ----------
    buf
        Bytes read from the file (uint8 array or bytes) holding the column chunks.
    start, length, n_values, physical, codec, max_def
        One entry per column to decode (int64 array-likes, as in :class:`Footer`): where its
        chunk starts in ``buf``, its bytes, its values, physical type, codec and maximum
        definition level.
    n_rows
        The row group's rows.
    out
        ``(n_rows, k)`` float32 or float64 array, any strides: column i goes to ``out[:, i]``,
        each value as stored converted to out's dtype.
    scratch
        Optional uint8 buffer the compressed pages are inflated into, reused when large enough
        (else one is allocated for the call).

    Returns
    -------
    bool
        Whether every column was decoded: False, ``out`` then partly written, for anything not
        supported or invalid (a page cut short or corrupt, an encoding or codec not supported,
        a physical type other than FLOAT and DOUBLE, a null, NaN or ±inf, a count of values
        other than ``n_rows``).

    Raises
    ------
    ValueError
        When ``out`` is not a writeable ``(n_rows, k)`` float32/float64 array, or the column
        arrays' lengths differ.
    """
    columns = [np.ascontiguousarray(v, dtype=np.int64).reshape(-1)
               for v in (start, length, n_values, physical, codec, max_def)]  # fmt: skip
    k = len(columns[0])
    if any(len(v) != k for v in columns):
        raise ValueError("start, length, n_values, physical, codec and max_def differ in length")
    if out.dtype not in (np.float32, np.float64) or out.shape != (n_rows, k):
        raise ValueError(f"out must be a ({n_rows}, {k}) float32 or float64 array")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    if sys.byteorder != "little":
        return False
    spare = _NO_SCRATCH if scratch is None else as_bytes(scratch)
    start, length, n_values, physical, codec, max_def = columns
    data = as_bytes(buf)
    return bool(_decode(data, start, length, n_values, physical, codec, max_def, out, spare))
