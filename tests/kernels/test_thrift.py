"""The thrift compact-protocol readers of descend.kernels.thrift on bytes made by hand, and the
footers they parse (unknown fields, cut or corrupt bytes, what is refused)."""

from __future__ import annotations

import struct

import numpy as np
import pyarrow.parquet as pq
import pytest
from support import file_bytes, float_table, footer_bytes

from descend.kernels import thrift
from descend.kernels.parquet import parse_footer


def _varint(n):
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _zigzag(n):
    return _varint(((n << 1) ^ (n >> 63)) & (2**64 - 1))


def _field(fid, ftype, last):
    """A field header: the short form when the delta fits, else the long form."""
    if 0 < fid - last <= 15:
        return bytes([(fid - last) << 4 | ftype])
    return bytes([ftype]) + _zigzag(fid)


def _list(etype, items):
    n = len(items)
    head = bytes([n << 4 | etype]) if n < 15 else bytes([0xF0 | etype]) + _varint(n)
    return head + b"".join(items)


def _arr(b):
    a = np.frombuffer(bytes(b), dtype=np.uint8)
    return a, a.ctypes.data


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 2**31 - 1, 2**32, 2**63 - 1, 2**64 - 1])
def test_varints_and_zigzag(n):
    a, buf = _arr(_varint(n))
    value, pos = thrift.read_varint(buf, 0, len(a))
    assert pos == len(a) and int(value) & (2**64 - 1) == n
    assert thrift.read_varint(buf, 0, len(a) - 1)[1] == -1  # cut short
    signed = n - 2**63 if n >= 2**63 else n
    b, buf = _arr(_zigzag(signed))
    assert thrift.read_int(buf, 0, len(b)) == (signed, len(b))
    assert thrift.read_int(buf, 0, len(b))[0] == signed


def test_a_varint_longer_than_64_bits_is_refused():
    a, buf = _arr(bytes([0xFF] * 10 + [0x01]))
    assert thrift.read_varint(buf, 0, len(a))[1] == -1


def test_field_headers_short_and_long():
    a, buf = _arr(_field(3, thrift.I32, 0) + _field(300, thrift.STRUCT, 3) + _field(0, 0, 0))
    assert thrift.read_field(buf, 0, len(a), 0) == (thrift.I32, 3, 1)
    ftype, fid, pos = thrift.read_field(buf, 1, len(a), 3)
    assert (ftype, fid) == (thrift.STRUCT, 300)
    assert thrift.read_field(buf, pos, len(a), 300)[0] == thrift.STOP
    assert thrift.read_field(buf, len(a), len(a), 0)[2] == -1


def test_lists_short_and_long_and_binary():
    for n in [0, 3, 14, 15, 1000]:
        a, buf = _arr(_list(thrift.BYTE, [b"\1"] * n))
        assert thrift.read_list(buf, 0, len(a)) == (n, thrift.BYTE, len(a) - n)
        assert thrift.read_list(buf, 0, len(a) - n)[2] == (-1 if n else len(a))  # too many
    a, buf = _arr(_varint(5) + b"hello")
    assert thrift.read_binary(buf, 0, len(a)) == (1, 5, 6)
    assert thrift.read_binary(buf, 0, 5)[2] == -1


def _everything(depth=3):
    """A struct with a field of every type, a field id in long form, nesting ``depth`` deep."""
    fields = [
        (1, thrift.TRUE, b""),
        (2, thrift.FALSE, b""),
        (3, thrift.BYTE, b"\x7f"),
        (4, thrift.I16, _zigzag(-300)),
        (5, thrift.I32, _zigzag(2**31 - 1)),
        (6, thrift.I64, _zigzag(-(2**63))),
        (7, thrift.DOUBLE, struct.pack("<d", np.pi)),
        (8, thrift.BINARY, _varint(3) + b"abc"),
        (9, thrift.LIST, _list(thrift.TRUE, [b"\1", b"\2"] * 10)),  # bools: a byte each
        (10, thrift.SET, _list(thrift.I32, [_zigzag(i) for i in range(20)])),
        (
            11,
            thrift.MAP,
            _varint(2)
            + bytes([thrift.BINARY << 4 | thrift.LIST])
            + _varint(1)
            + b"k"
            + _list(thrift.I64, [_zigzag(1)])
            + _varint(0)
            + _list(thrift.STRUCT, [b"\0"]),
        ),
        (12, thrift.MAP, _varint(0)),
        (13, thrift.UUID, bytes(16)),
        (500, thrift.I32, _zigzag(7)),
    ]
    if depth:
        fields.append((501, thrift.STRUCT, _everything(depth - 1)))
        fields.append((502, thrift.LIST, _list(thrift.STRUCT, [_everything(depth - 1)] * 2)))
    out, last = b"", 0
    for fid, ftype, value in fields:
        out += _field(fid, ftype, last) + value
        last = fid
    return out + b"\0"


def test_skip_steps_over_every_type_and_nesting():
    body = _everything()
    a, buf = _arr(body + b"\xaa")
    stack = thrift.new_stack()
    assert thrift.skip(buf, 0, len(a), thrift.STRUCT, stack.ctypes.data) == len(body)
    for cut in range(len(body)):
        assert thrift.skip(buf, 0, cut, thrift.STRUCT, stack.ctypes.data) == -1


def test_skip_refuses_nesting_too_deep():
    deep = b"\x1c" * (thrift.DEPTH + 1) + b"\0" * (thrift.DEPTH + 2)  # field 1: a struct, ...
    a, buf = _arr(deep)
    stack = thrift.new_stack()
    assert thrift.skip(buf, 0, len(a), thrift.STRUCT, stack.ctypes.data) == -1
    ok = b"\x1c" * (thrift.DEPTH - 1) + b"\0" * thrift.DEPTH
    a, buf = _arr(ok)
    assert thrift.skip(buf, 0, len(a), thrift.STRUCT, stack.ctypes.data) == len(ok)


def test_a_footer_with_unknown_fields_parses_the_same(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(float_table(50), path, row_group_size=20)
    footer = footer_bytes(file_bytes(path)).tobytes()
    assert footer[-1] == 0  # FileMetaData's STOP
    extra = _field(600, thrift.STRUCT, 0) + _everything() + _field(601, thrift.MAP, 600)
    extra += _varint(1) + bytes([thrift.I32 << 4 | thrift.STRUCT]) + _zigzag(1) + _everything()
    richer = parse_footer(footer[:-1] + extra + b"\0")
    plain = parse_footer(footer)
    assert richer is not None and plain is not None
    assert richer.names == plain.names
    for a, b in zip(richer[1:], plain[1:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_footers_have_none(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(float_table(50), path)
    footer = footer_bytes(file_bytes(path)).tobytes()
    assert parse_footer(b"") is None
    assert parse_footer(b"\0") is None  # no schema, no row groups
    for cut in range(0, len(footer), 3):
        assert parse_footer(footer[:cut]) is None
    rng = np.random.default_rng(3)
    for _ in range(300):  # never a crash
        bad = bytearray(footer)
        bad[rng.integers(len(bad))] = rng.integers(0, 256)
        parse_footer(bytes(bad))


def _metadata(path=b"", meta=True, repetition=0, groups_first=False):
    """A FileMetaData made by hand: a flat schema of one DOUBLE column x, one row group (its
    fields in order, or the row groups before the schema)."""
    column = (_field(1, thrift.I32, 0) + _zigzag(5) + _field(2, thrift.LIST, 1)
              + _list(thrift.I32, [_zigzag(0)]) + _field(3, thrift.LIST, 2)
              + _list(thrift.BINARY, [_varint(1) + b"x"]) + _field(4, thrift.I32, 3) + _zigzag(0)
              + _field(5, thrift.I64, 4) + _zigzag(2) + _field(6, thrift.I64, 5) + _zigzag(30)
              + _field(7, thrift.I64, 6) + _zigzag(30) + _field(9, thrift.I64, 7) + _zigzag(4)
              + b"\0")  # fmt: skip
    chunk = _field(1, thrift.BINARY, 0) + _varint(len(path)) + path
    chunk += _field(2, thrift.I64, 1) + _zigzag(4)
    chunk += (_field(3, thrift.STRUCT, 2) + column if meta else b"") + b"\0"
    schema = _list(thrift.STRUCT, [
        _field(4, thrift.BINARY, 0) + _varint(6) + b"schema" + _field(5, thrift.I32, 4)
        + _zigzag(1) + b"\0",
        _field(1, thrift.I32, 0) + _zigzag(5) + _field(3, thrift.I32, 1) + _zigzag(repetition)
        + _field(4, thrift.BINARY, 3) + _varint(1) + b"x" + b"\0",
    ])  # fmt: skip
    group = _field(1, thrift.LIST, 0) + _list(thrift.STRUCT, [chunk])
    group += _field(2, thrift.I64, 1) + _zigzag(30) + _field(3, thrift.I64, 2) + _zigzag(2) + b"\0"
    if groups_first:  # field ids going down: the long form
        return (_field(4, thrift.LIST, 0) + _list(thrift.STRUCT, [group])
                + _field(2, thrift.LIST, 4) + schema + b"\0")  # fmt: skip
    return (_field(1, thrift.I32, 0) + _zigzag(1) + _field(2, thrift.LIST, 1) + schema
            + _field(3, thrift.I64, 2) + _zigzag(2) + _field(4, thrift.LIST, 3)
            + _list(thrift.STRUCT, [group]) + b"\0")  # fmt: skip


def test_a_footer_made_by_hand():
    f = parse_footer(_metadata())
    assert f is not None and f.names == ["x"]
    assert (list(f.physical), list(f.max_def), list(f.group_rows)) == ([5], [0], [2])
    assert (f.start[0, 0], f.length[0, 0], f.n_values[0, 0], f.codec[0, 0]) == (4, 30, 2, 0)
    assert parse_footer(_metadata(repetition=1)).max_def[0] == 1
    g = parse_footer(_metadata(groups_first=True))
    assert g is not None and g.names == f.names
    for a, b in zip(g[1:], f[1:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_chunk_in_another_file_without_metadata_or_repeated_has_no_footer():
    assert parse_footer(_metadata(path=b"other.parquet")) is None
    assert parse_footer(_metadata(meta=False)) is None
    assert parse_footer(_metadata(repetition=2)) is None
