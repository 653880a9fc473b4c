"""The IDX parser on small IDX files written here: every type code, plain and gzip, the MNIST
magic numbers, and clear errors for what is not an IDX file."""

import gzip
import struct

import numpy as np
import pytest

from ibrepro.data.idx import TYPE_CODES, IdxError, read_idx


def write_idx(path, array: np.ndarray, *, code: int | None = None, compress: bool = False,
              cut: int = 0) -> bytes:
    """Write ``array`` as an IDX file (gzip if ``compress``; ``cut`` bytes dropped at the end)."""
    code = code if code is not None else {np.dtype(v).newbyteorder("="): k
                                          for k, v in TYPE_CODES.items()}[array.dtype]
    raw = (struct.pack(">BBBB", 0, 0, code, array.ndim)
           + struct.pack(f">{array.ndim}I", *array.shape)
           + array.astype(np.dtype(TYPE_CODES[code])).tobytes())
    raw = raw[: len(raw) - cut]
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return raw


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_every_type(tmp_path, dtype, compress):
    offset = 0 if dtype == np.uint8 else 15  # negative values where the type has them
    array = ((np.arange(30) - offset) * 3).reshape(2, 3, 5).astype(dtype)
    path = tmp_path / "a-idx3"
    write_idx(path, array, compress=compress)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_mnist_magic_numbers(tmp_path):
    """MNIST images are 0x00000803 (uint8, rank 3), labels 0x00000801 (uint8, rank 1)."""
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    labels = np.array([5, 0, 4, 1], dtype=np.uint8)
    assert write_idx(tmp_path / "images", images)[:4] == (0x803).to_bytes(4, "big")
    assert write_idx(tmp_path / "labels", labels, compress=True)[:4] == (0x801).to_bytes(4, "big")
    np.testing.assert_array_equal(read_idx(tmp_path / "images"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), labels)


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    write_idx(tmp_path / "labels.gz", np.arange(3, dtype=np.uint8))  # plain despite the name
    write_idx(tmp_path / "labels", np.arange(3, dtype=np.uint8), compress=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz"), read_idx(tmp_path / "labels"))


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x07\x01\x00\x00\x00\x01x", r"not an IDX file \(magic number 00000701"),
    (b"\x89PNG\r\n\x1a\n", r"not an IDX file \(magic number 89504e47"),
    (b"", r"not an IDX file \(magic number missing"),
    (b"\x00\x00\x08\x03\x00\x00", r"truncated header"),
    (b"\x1f\x8b\x08\x00garbage", r"corrupt gzip data"),
])
def test_malformed_files_fail_clearly(tmp_path, content, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(IdxError, match=message) as error:
        read_idx(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("cut", [1, 28])
def test_truncated_data_fails_clearly(tmp_path, cut):
    path = tmp_path / "images"
    write_idx(path, np.zeros((2, 28, 28), np.uint8), cut=cut)
    with pytest.raises(IdxError, match=r"needs 1584: truncated"):
        read_idx(path)
