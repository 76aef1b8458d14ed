"""The compiled snappy decompressor (raw format) against pyarrow's compressor, and its
refusal of malformed blocks."""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa
import pytest

from descend.kernels.parquet import snappy_decompress


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
