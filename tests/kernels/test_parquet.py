"""The compiled Parquet reader against pyarrow: footers field by field, values bit for bit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import file_bytes, float_table, footer_bytes

from descend.kernels import thrift
from descend.kernels.parquet import (
    DICTIONARY_PAGE,
    decode_columns,
    parse_footer,
)

PHYSICAL = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
            "FIXED_LEN_BYTE_ARRAY"]  # fmt: skip
#: Parquet's codecs by pyarrow's names ("LZ4" is LZ4_RAW, what pyarrow writes).
CODECS = {"UNCOMPRESSED": 0, "SNAPPY": 1, "GZIP": 2, "LZO": 3, "BROTLI": 4, "ZSTD": 6, "LZ4": 7}


def _footer(path):
    return parse_footer(footer_bytes(file_bytes(path)))


def _decode(path, group, dtype=np.float64, columns=None, raw=None, out=None):
    """decode_columns of the group's columns (all, or those listed) from the whole file."""
    raw = file_bytes(path) if raw is None else raw
    f = parse_footer(footer_bytes(raw))
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
    raw = file_bytes(path)
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


@pytest.mark.parametrize("compression", ["none", "snappy"])
@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("nullable", [True, False])
def test_a_flat_file_decodes_as_pyarrow_reads_it(tmp_path, compression, version, dictionary,
                                                 nullable):  # fmt: skip
    path = tmp_path / "t.parquet"
    pq.write_table(float_table(700, nullable=nullable), path, row_group_size=300,
                   compression=compression, data_page_version=version,
                   use_dictionary=dictionary)  # fmt: skip
    _assert_decodes_as_pyarrow(path)


@pytest.mark.parametrize("compression", ["none", "snappy"])
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_several_pages_and_the_fallback_from_dictionary_to_plain(tmp_path, compression, version):
    path = tmp_path / "t.parquet"
    pq.write_table(float_table(2000), path, row_group_size=1500, compression=compression,
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
    pq.write_table(float_table(301), path, row_group_size=rows)
    _assert_decodes_as_pyarrow(path)


def test_a_group_of_no_rows(tmp_path):
    path = tmp_path / "t.parquet"
    table = float_table(5)
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
    pq.write_table(float_table(100), path, compression=compression)
    f = _assert_footer_is_pyarrows(path)
    assert not _decode(path, 0)[0]
    assert f.codec[0, 0] > 1


def test_out_of_any_strides_and_rows_and_target(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(float_table(500), path, row_group_size=500)
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
    pq.write_table(float_table(400), path, row_group_size=200)  # snappy: the scratch is used
    raw, f = file_bytes(path), _footer(path)
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
    pq.write_table(float_table(10), path)
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
        pq.write_table(float_table(4000, seed), paths[-1], row_group_size=4000,
                       compression=compression)  # fmt: skip
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
    pq.write_table(float_table(300), path, compression=compression, use_dictionary=dictionary,
                   data_page_size=1024, write_batch_size=100)  # fmt: skip
    raw, f = file_bytes(path), _footer(path)
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
