"""The compiled Parquet reader against pyarrow: footers field by field, values bit for bit."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend.kernels import thrift
from descend.kernels.parquet import (
    DICTIONARY_PAGE,
    decode_columns,
    parse_footer,
    snappy_decompress,
)

PHYSICAL = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
            "FIXED_LEN_BYTE_ARRAY"]  # fmt: skip
#: Parquet's codecs by pyarrow's names ("LZ4" is LZ4_RAW, what pyarrow writes).
CODECS = {"UNCOMPRESSED": 0, "SNAPPY": 1, "GZIP": 2, "LZO": 3, "BROTLI": 4, "ZSTD": 6, "LZ4": 7}


def _bytes(path):
    return np.fromfile(path, dtype=np.uint8)


def _footer_bytes(raw):
    assert bytes(raw[-4:]) == b"PAR1"
    n = int.from_bytes(bytes(raw[-8:-4]), "little")
    return raw[-8 - n : -8]


def _footer(path):
    return parse_footer(_footer_bytes(_bytes(path)))


def _decode(path, group, dtype=np.float64, columns=None, raw=None, out=None):
    """decode_columns of the group's columns (all, or those listed) from the whole file."""
    raw = _bytes(path) if raw is None else raw
    f = parse_footer(_footer_bytes(raw))
    assert f is not None
    js = list(range(len(f.names))) if columns is None else columns
    m = int(f.group_rows[group])
    out = np.full((m, len(js)), np.nan, dtype=dtype) if out is None else out
    ok = decode_columns(raw, f.start[group, js], f.length[group, js], f.n_values[group, js],
                        f.physical[js], f.codec[group, js], f.max_def[js], m, out)  # fmt: skip
    return ok, out


def _expected(path, group, dtype=np.float64):
    table = pq.ParquetFile(path).read_row_group(group)
    out = np.empty((table.num_rows, table.num_columns), dtype=dtype)
    for j in range(table.num_columns):
        out[:, j] = table.column(j).to_numpy()
    return out


def _same_bits(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    view = np.uint64 if a.dtype == np.float64 else np.uint32
    np.testing.assert_array_equal(a.view(view), b.view(view))


def _assert_footer_is_pyarrows(path):
    f = _footer(path)
    meta = pq.read_metadata(path)
    assert f is not None
    assert f.names == [meta.schema.column(j).name for j in range(meta.num_columns)]
    assert list(f.physical) == [PHYSICAL.index(meta.schema.column(j).physical_type)
                                for j in range(meta.num_columns)]  # fmt: skip
    assert list(f.max_def) == [meta.schema.column(j).max_definition_level
                               for j in range(meta.num_columns)]  # fmt: skip
    assert f.group_rows.shape == (meta.num_row_groups,)
    for a in (f.start, f.length, f.n_values, f.codec):
        assert a.shape == (meta.num_row_groups, meta.num_columns) and a.dtype == np.int64
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        assert f.group_rows[g] == group.num_rows
        for j in range(meta.num_columns):
            c = group.column(j)
            data, dic = c.data_page_offset, c.dictionary_page_offset
            first = c.has_dictionary_page and dic and (dic < data or data < 4)
            assert f.start[g, j] == (dic if first else data)
            assert f.length[g, j] == c.total_compressed_size
            assert f.n_values[g, j] == c.num_values
            assert f.codec[g, j] == CODECS[c.compression]
    return f


def _assert_decodes_as_pyarrow(path, dtypes=(np.float64, np.float32)):
    f = _assert_footer_is_pyarrows(path)
    for g in range(len(f.group_rows)):
        for dtype in dtypes:
            ok, out = _decode(path, g, dtype)
            assert ok, (g, dtype)
            _same_bits(out, _expected(path, g, dtype))


def _pages(path, group, column):
    """The chunk's pages: (page type, encoding) of each."""
    raw = _bytes(path)
    f = _footer(path)
    pos = int(f.start[group, column])
    end = pos + int(f.length[group, column])
    h, stack, found = np.empty(10, dtype=np.int64), thrift.new_stack(), []
    while pos < end:
        pos = thrift.page_header(raw, pos, end, stack, h)
        assert pos > 0
        found.append((int(h[thrift.H_TYPE]), int(h[thrift.H_ENC])))
        pos += h[thrift.H_CSIZE]
    return found


def _table(m, seed=0, nullable=True):
    rng = np.random.default_rng(seed)
    columns = {
        "x64": rng.normal(size=m),
        "few": rng.integers(0, 5, size=m) / 4.0,  # few values: RLE runs of indices
        "x32": rng.normal(size=m).astype(np.float32),
        "tiny": np.where(rng.random(m) < 0.5, 5e-324, -0.0),  # subnormal and negative zero
    }
    schema = pa.schema([pa.field(k, pa.from_numpy_dtype(v.dtype), nullable=nullable)
                        for k, v in columns.items()])  # fmt: skip
    return pa.table(columns, schema=schema)


@pytest.mark.parametrize("compression", ["none", "snappy"])
@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("nullable", [True, False])
def test_a_flat_file_decodes_as_pyarrow_reads_it(tmp_path, compression, version, dictionary,
                                                 nullable):  # fmt: skip
    path = tmp_path / "t.parquet"
    pq.write_table(_table(700, nullable=nullable), path, row_group_size=300,
                   compression=compression, data_page_version=version,
                   use_dictionary=dictionary)  # fmt: skip
    _assert_decodes_as_pyarrow(path)


@pytest.mark.parametrize("compression", ["none", "snappy"])
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_several_pages_and_the_fallback_from_dictionary_to_plain(tmp_path, compression, version):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(2000), path, row_group_size=1500, compression=compression,
                   data_page_version=version, data_page_size=512, write_batch_size=64,
                   dictionary_pagesize_limit=2048)  # fmt: skip
    pages = _pages(path, 0, 0)
    data = [e for kind, e in pages if kind != DICTIONARY_PAGE]
    assert pages[0][0] == DICTIONARY_PAGE and len(pages) > 4
    assert 8 in data and 0 in data and data.index(0) > data.index(8)  # dictionary, then plain
    _assert_decodes_as_pyarrow(path)


@pytest.mark.parametrize("rows", [1, 7, 64, 300])
def test_small_row_groups(tmp_path, rows):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(301), path, row_group_size=rows)
    _assert_decodes_as_pyarrow(path)


def test_a_group_of_no_rows(tmp_path):
    path = tmp_path / "t.parquet"
    table = _table(5)
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table.slice(0, 0))
        writer.write_table(table)
    f = _assert_footer_is_pyarrows(path)
    assert list(f.group_rows) == [0, 5]
    assert _decode(path, 0)[0]
    _assert_decodes_as_pyarrow(path)


def test_no_statistics_and_pandas_metadata(tmp_path):
    import pandas as pd

    path = tmp_path / "t.parquet"
    frame = pd.DataFrame({"a": np.linspace(0, 1, 50), "b": np.arange(50.0)[::-1]})
    pq.write_table(pa.Table.from_pandas(frame), path, write_statistics=False)
    assert b"pandas" in pq.read_metadata(path).metadata
    _assert_decodes_as_pyarrow(path)
    table = pa.Table.from_pandas(frame.set_index("b"))  # the index a column, with its name
    pq.write_table(table, path)
    assert _footer(path).names == ["a", "b"]
    _assert_decodes_as_pyarrow(path)


def test_other_types_are_reported_and_refused(tmp_path):
    path = tmp_path / "t.parquet"
    table = pa.table({"i": np.arange(10), "x": np.arange(10.0), "s": [str(i) for i in range(10)],
                      "b": np.arange(10) % 2 == 0, "j": np.arange(10, dtype=np.int32)})  # fmt: skip
    pq.write_table(table, path)
    f = _assert_footer_is_pyarrows(path)
    assert list(f.physical) == [2, 5, 6, 0, 1]
    for j in [0, 2, 3, 4]:
        assert not _decode(path, 0, columns=[j])[0]
    ok, out = _decode(path, 0, columns=[1])
    assert ok
    _same_bits(out[:, 0], np.arange(10.0))


@pytest.mark.parametrize(
    "column",
    [
        pa.array([[1.0], [2.0, 3.0]]),
        pa.array([{"u": 1.0}, {"u": 2.0}]),
        pa.array([{"u": [1.0]}, {"u": []}]),
    ],
    ids=["list", "struct", "nested"],
)
def test_a_nested_schema_has_no_footer(tmp_path, column):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "n": column}), path)
    assert _footer(path) is None


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf])
def test_nulls_nan_and_infinities_are_refused(tmp_path, version, dictionary, bad):
    path = tmp_path / "t.parquet"
    values = pa.array(np.arange(100.0), mask=np.arange(100) == 37) if bad is None else (
        np.where(np.arange(100) == 37, bad, np.arange(100.0)))  # fmt: skip
    pq.write_table(pa.table({"ok": np.arange(100.0), "x": values}), path,
                   data_page_version=version, use_dictionary=dictionary)  # fmt: skip
    assert _decode(path, 0, columns=[0])[0]
    assert not _decode(path, 0, columns=[1])[0]
    assert not _decode(path, 0, np.float32, columns=[1])[0]


def test_a_value_too_large_for_float32_is_refused(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.0, 1e300, 2.0]}), path)
    assert _decode(path, 0)[0]
    assert not _decode(path, 0, np.float32)[0]  # it became inf


@pytest.mark.parametrize("compression", ["zstd", "gzip", "lz4"])
def test_other_codecs_are_refused(tmp_path, compression):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(100), path, compression=compression)
    f = _assert_footer_is_pyarrows(path)
    assert not _decode(path, 0)[0]
    assert f.codec[0, 0] > 1


def test_out_of_any_strides_and_rows_and_target(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(500), path, row_group_size=500)
    expected = _expected(path, 0)
    X = np.full((500, 5), np.nan)
    assert _decode(path, 0, columns=[0, 1, 2], out=X[:, 1:4])[0]  # a column slice of C order
    _same_bits(X[:, 1:4], expected[:, :3])
    assert np.isnan(X[:, [0, 4]]).all()  # nothing written outside it
    y = np.empty(500, dtype=np.float32)
    assert _decode(path, 0, np.float32, columns=[3], out=y[:, None])[0]
    _same_bits(y, expected[:, 3].astype(np.float32))
    F = np.empty((500, 4), order="F")
    assert _decode(path, 0, out=F)[0]
    _same_bits(F, expected)
    backwards = np.empty((500, 4))[::-1, ::-1]
    assert _decode(path, 0, out=backwards)[0]
    _same_bits(backwards, expected)


def test_bytes_read_at_an_offset_and_a_reused_scratch(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(400), path, row_group_size=200)  # snappy: the scratch is used
    raw, f = _bytes(path), _footer(path)
    scratch = np.empty(1 << 20, dtype=np.uint8)
    for g in range(2):
        lo = int(f.start[g].min())
        hi = int((f.start[g] + f.length[g]).max())
        part = raw[lo:hi].tobytes()  # as a reader would pread them
        out = np.empty((200, 4))
        assert decode_columns(part, f.start[g] - lo, f.length[g], f.n_values[g], f.physical,
                              f.codec[g], f.max_def, 200, out, scratch)  # fmt: skip
        _same_bits(out, _expected(path, g))


def test_wrong_shapes_raise(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(10), path)
    with pytest.raises(ValueError, match="out must be"):
        _decode(path, 0, out=np.empty((9, 4)))
    with pytest.raises(ValueError, match="out must be"):
        _decode(path, 0, out=np.empty((10, 4), dtype=np.int64))
    frozen = np.empty((10, 4))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _decode(path, 0, out=frozen)
    with pytest.raises(ValueError, match="differ in length"):
        decode_columns(b"", [0], [1, 2], [1], [5], [0], [0], 1, np.empty((1, 1)))


def test_two_threads_decode_at_once(tmp_path):
    paths = []
    for seed, compression in enumerate(["none", "snappy"]):
        paths.append(tmp_path / f"{seed}.parquet")
        pq.write_table(_table(4000, seed), paths[-1], row_group_size=4000, compression=compression)
    expected = [_expected(p, 0) for p in paths]

    def work(i):
        return all(_same_bits(_decode(paths[i % 2], 0)[1], expected[i % 2]) is None
                   for _ in range(5))  # fmt: skip

    with ThreadPoolExecutor(2) as pool:
        assert all(pool.map(work, range(4)))


@pytest.mark.parametrize("compression", ["none", "snappy"])
@pytest.mark.parametrize("dictionary", [True, False])
def test_cut_or_corrupt_bytes_are_refused_without_a_crash(tmp_path, compression, dictionary):
    path = tmp_path / "t.parquet"
    pq.write_table(_table(300), path, compression=compression, use_dictionary=dictionary,
                   data_page_size=1024, write_batch_size=100)  # fmt: skip
    raw, f = _bytes(path), _footer(path)
    lo, hi = int(f.start[0, 0]), int(f.start[0, 0] + f.length[0, 0])
    info = (f.n_values[0, :1], f.physical[:1], f.codec[0, :1], f.max_def[:1])

    def decode(buf, start, length, rows=300):
        return decode_columns(buf, [start], [length], *info, rows, np.empty((rows, 1)))

    assert decode(raw, lo, hi - lo)
    for cut in range(0, hi - lo, 7):  # a chunk cut short, the buffer ending there too
        assert not decode(raw[lo : lo + cut].copy(), 0, cut)
        assert not decode(raw, lo, cut)
    assert not decode(raw, lo, hi - lo, rows=301)
    assert not decode(raw[: hi - 1], lo, hi - lo)
    rng = np.random.default_rng(0)
    for _ in range(300):  # a byte changed: refused, or decoded (a value's bits), never a crash
        bad = raw[lo:hi].copy()
        bad[rng.integers(len(bad))] ^= rng.integers(1, 256)
        decode(bad, 0, hi - lo)


# -- snappy --------------------------------------------------------------------------------


def _inflate(block, size=None):
    src = np.frombuffer(block, dtype=np.uint8)
    dst = np.zeros(len(block) * 30 + 16 if size is None else size, dtype=np.uint8)
    n = snappy_decompress(src, 0, len(src), dst, 0, len(dst))
    return None if n < 0 else dst[:n].tobytes()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        bytes(np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8)),
        b"ab" * 50_000,  # copies of offset 2, overlapping
        b"\0" * 100_000,
        bytes(range(7)) * 5000 + bytes(range(9)) * 3000,
        np.repeat(np.random.default_rng(1).normal(size=3000), 7).tobytes(),
        b"".join(b"%d," % i for i in range(40_000)),
    ],
    ids=["empty", "one", "random", "ab", "zeros", "periods", "repeats", "text"],
)
def test_snappy_inflates_what_arrow_compresses(data):
    block = pa.compress(data, "snappy", asbytes=True)
    assert _inflate(block) == data
    for cut in {*range(0, len(block), max(1, len(block) // 50)), len(block) - 1}:
        assert _inflate(block[:cut]) is None
    if data:
        assert _inflate(block, len(data) - 1) is None  # does not fit


def test_snappy_long_literals_and_four_byte_copies():
    literal = bytes(range(256)) * 300  # 76,800 bytes: a length in 3 and in 4 bytes
    for width, tag, n in [(1, 60, 200), (2, 61, 60_000), (3, 62, 76_800), (4, 63, 76_800)]:
        data = literal[:n]
        block = bytes([len(data) & 0x7F | 0x80, len(data) >> 7 & 0x7F | 0x80, len(data) >> 14])
        block += bytes([tag << 2]) + (len(data) - 1).to_bytes(width, "little") + data
        assert _inflate(block) == data
        assert _inflate(block[:-1]) is None
    copy4 = bytes([20, 4 << 2]) + b"abcde" + bytes([(15 - 1) << 2 | 3]) + struct.pack("<I", 5)
    assert _inflate(copy4) == b"abcde" * 4


@pytest.mark.parametrize(
    "block",
    [
        bytes([5, 1 | 4 << 2, 1]),  # a copy before anything was written
        bytes([5, 0 << 2, 97, 1, 9]),  # a copy reaching before the start
        bytes([5, 0 << 2, 97, 2 | 3 << 2, 0, 0]),  # offset 0
        bytes([3, 4 << 2, 97, 98, 99]),  # a literal longer than the preamble says
        bytes([3, 0 << 2, 97]),  # fewer bytes than the preamble says
        bytes([0x80] * 11),  # a preamble that never ends
        bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),  # more than 4 GB
        bytes([4, 63 << 2, 0xFF, 0xFF]),  # a literal's length cut short
    ],
)
def test_snappy_refuses_malformed_blocks(block):
    assert _inflate(block) is None


def test_snappy_never_crashes_on_corrupt_blocks():
    rng = np.random.default_rng(2)
    data = b"".join(b"%d;" % i for i in range(3000)) + bytes(rng.integers(0, 256, 3000, np.uint8))
    block = bytearray(pa.compress(data, "snappy", asbytes=True))
    for _ in range(2000):
        bad = block.copy()
        for i in rng.integers(0, len(bad), 3):
            bad[i] = rng.integers(0, 256)
        out = _inflate(bytes(bad), len(data) + 100)
        assert out is None or len(out) <= len(data) + 100


# -- thrift --------------------------------------------------------------------------------


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
    pq.write_table(_table(50), path, row_group_size=20)
    footer = _footer_bytes(_bytes(path)).tobytes()
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
    pq.write_table(_table(50), path)
    footer = _footer_bytes(_bytes(path)).tobytes()
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
