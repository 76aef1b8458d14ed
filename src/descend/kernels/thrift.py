"""Thrift's compact protocol, compiled: the primitives that Parquet's footer and page headers
are read with.

Parquet serialises its metadata (the footer's ``FileMetaData``, each page's ``PageHeader``)
with Thrift's compact protocol (``thrift/doc/specs/thrift-compact-protocol.md``):

* integers are ULEB128 varints, zigzag-coded when signed (i16, i32, i64);
* a field header is one byte, the field id's delta from the previous id of the struct (1..15)
  in the high nibble and the type in the low nibble; delta 0 is the long form, the id follows
  as a zigzag varint; type 0 (STOP) ends the struct; a bool field's value is its type
  (1 true, 2 false) and takes no byte of its own;
* binary (and string) is a varint length and the bytes;
* a list or set header is one byte, the size (0..14) in the high nibble and the elements' type
  in the low; size nibble 15 is the long form, the size follows as a varint; a bool element
  takes one byte;
* a map is a varint size and, when not empty, one byte of key and value types.

Every reader takes the address of the buffer (``buf.ctypes.data``), the position and the end
of the bytes it may read, and returns the new position with its value, or a position of -1
when the bytes end too soon or make no sense: the callers test ``pos < 0`` and never read
outside ``[pos, end)``. :func:`skip` steps over a value of any type, nested structs, lists and
maps included, without recursion: its containers go on a small stack the caller owns
(:func:`new_stack`, passed by address too), so skipping allocates nothing; values nested
deeper than :data:`DEPTH` are refused.

Addresses, not arrays, because Numba counts the references to an array passed to a function
(atomic increments and decrements at each call): with the buffer passed as an array, skipping
a footer of 1.8 MB took 27 ms, 15 ns a byte; with its address it takes 2.5 ms. The
callers keep the arrays alive (arguments of theirs, or used after the last read).

:func:`page_header` reads Parquet's PageHeader; :func:`file_metadata` its FileMetaData, for
:func:`parse_footer` (a flat schema only: a root over required or optional leaf columns).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

_jit = njit(cache=True, error_model="numpy", nogil=True)

#: The compact protocol's type ids.
STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT, UUID = range(14)
#: The deepest nesting :func:`skip` steps over (structs, lists and maps together).
DEPTH = 64
_STRUCT_FRAME, _LIST_FRAME, _MAP_FRAME = 0, 1, 2


def _at(typingctx, address, kind):
    """The value of NumPy type ``kind`` (np.uint8, np.float64, ...) at address (an int64),
    unaligned."""
    value = kind.instance_type

    def codegen(context, builder, signature, args):
        pointer = context.get_value_type(value).as_pointer()
        return builder.load(builder.inttoptr(args[0], pointer), align=1)

    return value(types.int64, kind), codegen


def _put(typingctx, address, value):
    """Write value (a number) at address, unaligned."""

    def codegen(context, builder, signature, args):
        pointer = context.get_value_type(signature.args[1]).as_pointer()
        builder.store(args[1], builder.inttoptr(args[0], pointer), align=1)
        return context.get_dummy_value()

    return types.void(types.int64, value), codegen


#: ``at(address, np.float64)`` and ``put(address, value)`` in compiled code (typed here for
#: the checkers, which would see the intrinsics' typing context as an argument).
at = cast(Callable[[Any, Any], Any], intrinsic(_at))
put = cast(Callable[[Any, Any], None], intrinsic(_put))


@_jit
def new_stack():
    """The scratch :func:`skip` keeps its open containers in (one row per level of nesting)."""
    return np.empty((DEPTH, 4), dtype=np.int64)


@_jit
def _byte(buf, pos):
    """The byte at buf + pos, as an int64."""
    return np.int64(at(buf + pos, np.uint8))


@_jit
def read_varint(buf, pos, end):
    """``(value, pos)``: the unsigned varint at ``pos`` (at most 10 bytes, as an int64 whose
    bits are the value's); pos -1 when it is cut short or longer than 64 bits."""
    value = np.int64(0)
    for shift in range(0, 64, 7):
        if pos < 0 or pos >= end:
            break
        b = _byte(buf, pos)
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, np.int64(pos)
    return np.int64(0), np.int64(-1)


@_jit
def zigzag(n):
    """The signed integer of the zigzag code n: 0, 1, 2, 3, 4 → 0, -1, 1, -2, 2."""
    return ((n >> 1) & 0x7FFFFFFFFFFFFFFF) ^ -(n & 1)


@_jit
def read_int(buf, pos, end):
    """``(value, pos)``: the i16, i32 or i64 at ``pos`` (a zigzag varint)."""
    n, pos = read_varint(buf, pos, end)
    return zigzag(n), pos


@_jit
def read_field(buf, pos, end, last):
    """``(type, id, pos)``: the field header at ``pos`` in a struct whose previous field id
    was ``last`` (0 at the struct's start); type STOP at the struct's end."""
    if pos < 0 or pos >= end:
        return np.int64(STOP), np.int64(0), np.int64(-1)
    b = _byte(buf, pos)
    pos += 1
    ftype = b & 0x0F
    if ftype == STOP:
        return ftype, np.int64(0), np.int64(pos)
    if b >> 4 != 0:
        return ftype, last + (b >> 4), np.int64(pos)
    fid, pos = read_int(buf, pos, end)  # the long form
    return ftype, fid, pos


@_jit
def read_binary(buf, pos, end):
    """``(offset, length, pos)``: where the bytes of the binary (or string) at ``pos`` are."""
    n, pos = read_varint(buf, pos, end)
    if pos < 0 or n < 0 or n > end - pos:
        return np.int64(0), np.int64(0), np.int64(-1)
    return pos, n, pos + n


@_jit
def read_list(buf, pos, end):
    """``(size, element type, pos)``: the list (or set) header at ``pos``. Every element
    takes a byte at least, so a size larger than the bytes left is refused."""
    if pos < 0 or pos >= end:
        return np.int64(0), np.int64(0), np.int64(-1)
    b = _byte(buf, pos)
    pos += 1
    size, etype = b >> 4, b & 0x0F
    if size == 15:  # the long form
        size, pos = read_varint(buf, pos, end)
    if pos < 0 or size < 0 or size > end - pos:
        return np.int64(0), np.int64(0), np.int64(-1)
    return size, etype, np.int64(pos)


@_jit
def _push(stack, depth, frame, left, a, b):
    """Open a container on the stack (at address ``stack``) at ``depth``; the new depth."""
    row = stack + 32 * depth
    put(row, np.int64(frame))
    put(row + 8, np.int64(left))
    put(row + 16, np.int64(a))
    put(row + 24, np.int64(b))
    return depth + 1


@_jit
def _skip_one(buf, pos, end, ttype, in_field, stack, depth):
    """``(pos, depth)`` past one value of ``ttype``; a container is opened on the stack (its
    elements are skipped by :func:`skip`'s loop). pos -1 on bad bytes."""
    if ttype in (TRUE, FALSE):
        return (pos if in_field else pos + 1), depth
    if ttype == BYTE:
        return pos + 1, depth
    if ttype in (I16, I32, I64):
        _, pos = read_varint(buf, pos, end)
        return pos, depth
    if ttype in (DOUBLE, UUID):
        return pos + (8 if ttype == DOUBLE else 16), depth
    if ttype == BINARY:
        _, _, pos = read_binary(buf, pos, end)
        return pos, depth
    if depth >= DEPTH:
        return np.int64(-1), depth
    if ttype in (LIST, SET):
        size, etype, pos = read_list(buf, pos, end)
        return pos, _push(stack, depth, _LIST_FRAME, size, etype, 0)
    if ttype == MAP:
        size, pos = read_varint(buf, pos, end)
        if pos < 0 or size < 0 or size > end - pos:
            return np.int64(-1), depth
        kinds = 0
        if size > 0:
            if pos >= end:
                return np.int64(-1), depth
            kinds = _byte(buf, pos)
            pos += 1
        return pos, _push(stack, depth, _MAP_FRAME, 2 * size, kinds >> 4, kinds & 0x0F)
    if ttype == STRUCT:
        return pos, _push(stack, depth, _STRUCT_FRAME, 0, 0, 0)
    return np.int64(-1), depth


@_jit
def skip(buf, pos, end, ttype, stack):
    """The position past the value of type ``ttype`` at ``pos`` (a field's value: a bool's is
    in its header), whatever it nests; -1 on bad bytes or nesting deeper than :data:`DEPTH`.
    ``stack`` is the address of a :func:`new_stack`."""
    pos, depth = _skip_one(buf, pos, end, ttype, True, stack, 0)
    while pos >= 0 and pos <= end:
        if depth == 0:
            return pos
        row = stack + 32 * (depth - 1)
        frame, left = at(row, np.int64), at(row + 8, np.int64)
        if frame == _STRUCT_FRAME:
            ftype, _, pos = read_field(buf, pos, end, 0)
            if pos < 0:
                return np.int64(-1)
            if ftype == STOP:
                depth -= 1
            else:
                pos, depth = _skip_one(buf, pos, end, ftype, True, stack, depth)
        elif left == 0:  # a list or map with no elements left
            depth -= 1
        else:
            put(row + 8, left - 1)
            # a list's elements, or a map's keys and values in turn
            etype = at(row + (24 if frame == _MAP_FRAME and left % 2 == 1 else 16), np.int64)
            pos, depth = _skip_one(buf, pos, end, etype, False, stack, depth)
    return np.int64(-1)


# -- Parquet's structures (parquet.thrift) --------------------------------------------------

#: The page header's fields, as :func:`page_header` leaves them in its array (-1 if absent).
(H_TYPE, H_USIZE, H_CSIZE, H_NVALS, H_ENC, H_DEFENC, H_DEFLEN, H_REPLEN, H_ZIPPED, H_NULLS) = range(
    10
)


@_jit
def _sub_header(buf, pos, end, stack, h, kind):
    """Parse a DataPageHeader (kind 5), DictionaryPageHeader (7) or DataPageHeaderV2 (8) into
    the header's fields at address h."""
    last = 0
    while True:
        ftype, fid, pos = read_field(buf, pos, end, last)
        if pos < 0 or ftype == STOP:
            return pos
        last = fid
        slot = -1
        if fid == 1:
            slot = H_NVALS
        elif kind == 8:
            if fid == 7 and ftype in (TRUE, FALSE):  # is_compressed
                put(h + 8 * H_ZIPPED, np.int64(1 if ftype == TRUE else 0))
                continue
            if fid == 2 or fid == 4:
                slot = H_NULLS if fid == 2 else H_ENC
            elif fid == 5 or fid == 6:
                slot = H_DEFLEN if fid == 5 else H_REPLEN
        elif fid == 2 or (fid == 3 and kind == 5):
            slot = H_ENC if fid == 2 else H_DEFENC
        if slot >= 0 and ftype == I32:
            v, pos = read_int(buf, pos, end)
            put(h + 8 * slot, v)
        else:
            pos = skip(buf, pos, end, ftype, stack)
        if pos < 0:
            return pos


@_jit
def page_header(buf, pos, end, stack, h):
    """Parse the PageHeader at buf[pos:end] into the int64 array h (:data:`H_TYPE` ...); the
    position of its payload, -1 when bad, or when a size is missing, negative or past end.
    ``stack`` is a :func:`new_stack` (arrays, here: one call per page)."""
    h[:] = -1
    h[H_DEFLEN], h[H_REPLEN], h[H_ZIPPED], h[H_NULLS] = 0, 0, 1, 0
    base, st, ha = buf.ctypes.data, stack.ctypes.data, h.ctypes.data
    last = 0
    while True:
        ftype, fid, pos = read_field(base, pos, end, last)
        if pos < 0:
            return pos
        if ftype == STOP:
            break
        last = fid
        if 1 <= fid <= 3 and ftype == I32:  # type, uncompressed and compressed sizes
            h[fid - 1], pos = read_int(base, pos, end)
        elif fid in (5, 7, 8) and ftype == STRUCT:
            pos = _sub_header(base, pos, end, st, ha, fid)
        else:
            pos = skip(base, pos, end, ftype, st)
        if pos < 0:
            return pos
    if h[H_TYPE] < 0 or h[H_USIZE] < 0 or h[H_CSIZE] < 0 or h[H_CSIZE] > end - pos:
        return np.int64(-1)
    return pos


#: A schema element's row: physical type, repetition, number of children, name's bytes.
S_TYPE, S_REP, S_CHILDREN, S_NAME, S_NAME_LEN = range(5)
#: A column chunk's row: first byte, bytes, values, codec, physical type.
C_START, C_LENGTH, C_VALUES, C_CODEC, C_TYPE = range(5)


@_jit
def _schema_element(buf, pos, end, stack, row):
    """Parse a SchemaElement at pos into the row at address ``row`` (absent fields stay as
    they are, -1); the position past it."""
    last = 0
    while True:
        ftype, fid, pos = read_field(buf, pos, end, last)
        if pos < 0 or ftype == STOP:
            return pos
        last = fid
        if ftype == I32 and fid in (1, 3, 5):  # type, repetition, children
            v, pos = read_int(buf, pos, end)
            put(row + 8 * (S_TYPE if fid == 1 else (S_REP if fid == 3 else S_CHILDREN)), v)
        elif ftype == BINARY and fid == 4:  # name
            offset, n, pos = read_binary(buf, pos, end)
            put(row + 8 * S_NAME, offset)
            put(row + 8 * S_NAME_LEN, n)
        else:
            pos = skip(buf, pos, end, ftype, stack)
        if pos < 0:
            return pos


@_jit
def _column_meta(buf, pos, end, stack, row):
    """Parse a ColumnMetaData at pos into the row at address ``row``; the position past it,
    -1 when a field it needs is missing."""
    last = 0
    data_page, dictionary_page = np.int64(-1), np.int64(-1)
    while True:
        ftype, fid, pos = read_field(buf, pos, end, last)
        if pos < 0:
            return pos
        if ftype == STOP:
            break
        last = fid
        if (ftype == I32 and fid in (1, 4)) or (ftype == I64 and fid in (5, 7, 9, 11)):
            v, pos = read_int(buf, pos, end)
            if fid == 9 or fid == 11:
                data_page, dictionary_page = (v, dictionary_page) if fid == 9 else (data_page, v)
            else:  # type, codec, num_values, total_compressed_size
                put(row + 8 * (C_TYPE, 0, 0, C_CODEC, C_VALUES, 0, C_LENGTH)[fid - 1], v)
        else:
            pos = skip(buf, pos, end, ftype, stack)
        if pos < 0:
            return pos
    # the dictionary page comes first; a chunk of no rows may have no data page (offset 0)
    first = dictionary_page > 0 and (dictionary_page < data_page or data_page < 4)
    put(row + 8 * C_START, dictionary_page if first else data_page)
    for i in range(5):
        if at(row + 8 * i, np.int64) < 0:
            return np.int64(-1)
    return pos


@_jit
def _column_chunk(buf, pos, end, stack, row):
    """Parse a ColumnChunk at pos into the row at address ``row``; -1 when its data is in
    another file or it has no (plain) ColumnMetaData."""
    last = 0
    found = False
    while True:
        ftype, fid, pos = read_field(buf, pos, end, last)
        if pos < 0:
            return pos
        if ftype == STOP:
            return pos if found else np.int64(-1)
        last = fid
        if fid == 1 and ftype == BINARY:  # file_path
            _, n, pos = read_binary(buf, pos, end)
            if n > 0:
                return np.int64(-1)
        elif fid == 3 and ftype == STRUCT:
            pos = _column_meta(buf, pos, end, stack, row)
            found = True
        else:
            pos = skip(buf, pos, end, ftype, stack)
        if pos < 0:
            return pos


@_jit
def _row_group(buf, pos, end, stack, g, rows, chunks):
    """Parse row group g at pos: its rows into rows[g], its chunks into chunks[g] (made
    ``(len(rows), columns, 5)`` at the first group). ``(pos, chunks)``."""
    last = 0
    rows[g] = -1
    found = False
    while True:
        ftype, fid, pos = read_field(buf, pos, end, last)
        if pos < 0:
            return pos, chunks
        if ftype == STOP:
            break
        last = fid
        if fid == 1 and ftype == LIST and not found:
            size, etype, pos = read_list(buf, pos, end)
            if pos < 0 or (size > 0 and etype != STRUCT):
                return np.int64(-1), chunks
            if g == 0:
                chunks = np.full((len(rows), size, 5), -1, dtype=np.int64)
            if size != chunks.shape[1]:
                return np.int64(-1), chunks
            row = chunks.ctypes.data + 8 * 5 * size * g
            for c in range(size):
                pos = _column_chunk(buf, pos, end, stack, row + 8 * 5 * c)
                if pos < 0:
                    return pos, chunks
            found = True
        elif fid == 3 and ftype == I64:
            rows[g], pos = read_int(buf, pos, end)
        else:
            pos = skip(buf, pos, end, ftype, stack)
        if pos < 0:
            return pos, chunks
    return (pos if found and rows[g] >= 0 else np.int64(-1)), chunks


@_jit
def _flat(schema, chunks):
    """Whether the schema is a root over leaves (required or optional) that the chunks
    match."""
    n = len(schema) - 1
    if n < 0 or max(schema[0, S_CHILDREN], 0) != n:
        return False
    for i in range(1, n + 1):
        if schema[i, S_CHILDREN] > 0 or schema[i, S_TYPE] < 0 or schema[i, S_NAME] < 0:
            return False
        if schema[i, S_REP] not in (0, 1):  # REPEATED, or none given
            return False
    if chunks.shape[0] > 0 and chunks.shape[1] != n:
        return False
    for g in range(chunks.shape[0]):
        for c in range(chunks.shape[1]):
            if chunks[g, c, C_TYPE] != schema[c + 1, S_TYPE]:
                return False
    return True


@_jit
def file_metadata(data):
    """``(ok, schema, rows, chunks)`` of the FileMetaData in the uint8 array data: the
    schema's elements (rows of :data:`S_TYPE` ...), the row groups' rows and their column
    chunks ``(groups, columns, 5)`` (:data:`C_START` ...); ok False when the bytes are bad or
    the schema not flat (a root over required or optional leaves) or a chunk not in the file
    or not described."""
    buf, end = data.ctypes.data, len(data)
    scratch = new_stack()
    stack = scratch.ctypes.data
    schema = np.empty((0, 5), dtype=np.int64)
    rows = np.empty(0, dtype=np.int64)
    chunks = np.empty((0, 0, 5), dtype=np.int64)
    have_schema, have_groups = False, False
    pos, last = np.int64(0), np.int64(0)
    while pos >= 0:
        ftype, fid, pos = read_field(buf, pos, end, last)
        if pos < 0 or ftype == STOP:
            break
        last = fid
        if fid in (2, 4) and ftype == LIST and not (have_schema if fid == 2 else have_groups):
            size, etype, pos = read_list(buf, pos, end)
            if pos < 0 or (size > 0 and etype != STRUCT):
                pos = np.int64(-1)
            elif fid == 2:
                have_schema = True
                schema = np.full((size, 5), -1, dtype=np.int64)
                for i in range(size):
                    pos = _schema_element(buf, pos, end, stack, schema.ctypes.data + 40 * i)
                    if pos < 0:
                        break
            else:
                have_groups = True
                rows = np.empty(size, dtype=np.int64)
                for g in range(size):
                    pos, chunks = _row_group(buf, pos, end, stack, g, rows, chunks)
                    if pos < 0:
                        break
        else:
            pos = skip(buf, pos, end, ftype, stack)
    ok = pos >= 0 and have_schema and have_groups and _flat(schema, chunks)
    return ok and len(scratch) == DEPTH, schema, rows, chunks  # scratch alive until here


# -- the footer, for Python -----------------------------------------------------------


class Footer(NamedTuple):
    """The parts of a flat Parquet file's footer that its float columns are decoded with.

    Arrays are int64; those of the chunks are ``(groups, columns)``."""

    #: The leaf columns' names.
    names: list[str]
    #: Physical types (FLOAT 4, DOUBLE 5, ...).
    physical: NDArray[np.int64]
    #: Maximum definition levels: 0 for a required column, 1 for an optional one.
    max_def: NDArray[np.int64]
    #: Rows of each row group.
    group_rows: NDArray[np.int64]
    #: First byte of each column chunk in the file: its dictionary page's when it has one before
    #: its first data page (or no data page: a chunk of no rows), else its first data page's.
    start: NDArray[np.int64]
    #: Bytes of each column chunk (total_compressed_size).
    length: NDArray[np.int64]
    #: Values of each column chunk (num_values).
    n_values: NDArray[np.int64]
    #: Compression codec of each column chunk (UNCOMPRESSED 0, SNAPPY 1, ...).
    codec: NDArray[np.int64]


def as_bytes(buf: Any) -> NDArray[np.uint8]:
    """buf (a NumPy array, bytes, or any buffer) as a flat uint8 array, without a copy."""
    if isinstance(buf, np.ndarray):
        if buf.dtype != np.uint8 or buf.ndim != 1 or not buf.flags.c_contiguous:
            buf = np.ascontiguousarray(buf).reshape(-1).view(np.uint8)
        return buf
    return np.frombuffer(buf, dtype=np.uint8)


def parse_footer(buf: Any) -> Footer | None:
    """The footer of a flat Parquet file from its serialised FileMetaData.

    Parameters
    ----------
    buf
        The FileMetaData's bytes (uint8 array or bytes): the ``n`` bytes before the file's last
        8 (``n`` as 4 bytes little-endian, then ``b"PAR1"``).

    Returns
    -------
    Footer or None
        None when the bytes are not a FileMetaData, or the schema is not flat (a repeated
        column, a nested group), or a column chunk lives in another file or has no metadata
        (an encrypted column), or a name is not UTF-8.
    """
    data = as_bytes(buf)
    ok, schema, rows, chunks = file_metadata(data)
    if not ok:
        return None
    leaves = schema[1:]
    try:
        names = [bytes(data[o : o + n]).decode() for o, n in leaves[:, S_NAME : S_NAME + 2]]
    except UnicodeDecodeError:
        return None
    if len(rows) == 0:
        chunks = np.empty((0, len(leaves), 5), dtype=np.int64)
    part = [np.ascontiguousarray(chunks[:, :, i]) for i in range(4)]
    return Footer(names, leaves[:, S_TYPE].copy(), leaves[:, S_REP].copy(), rows, *part)
