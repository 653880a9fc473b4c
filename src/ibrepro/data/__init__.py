"""Datasets as NetCDF files: ``x(sample, feature)``, ``y(sample)``, ``split(sample)``.

``build(name, spec)`` returns the ``xarray.Dataset`` the data rule writes to
``results/<scale>/data/<name>.nc`` (DESIGN.md, file contracts). The entry's ``kind`` picks the
builder (one module per kind, see ``registry``); then, for every kind and in this order:

1. labels become class indices ``0..K-1`` (attr ``class_labels``: the original label of each);
2. a kind without its own split, or an entry with ``test_fraction`` (e.g. MNIST re-split 80/20),
   gets a stratified one (``test_fraction``, ``split_seed``);
3. ``subsample`` (set by the config resolution at quick scale only): a stratified subsample;
4. ``label_noise``: each label replaced by another class with probability ``rate``;
5. ``shuffle_train_labels``: the training labels permuted (random-label variants).

Attrs: ``name``, ``kind``, ``source``, ``licence``, ``source_files`` where there are files,
``image_shape`` (JSON [C, H, W] of a row of x, channel-major) for images,
``class_labels`` (JSON), ``sha256_x`` (x as stored) and ``sha256_y`` (y as uint8), C order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from ibrepro.data import boolean, mnist, mnist_digits, single_neuron, szt  # noqa: F401 (registers)
from ibrepro.data.checksum import array_sha256
from ibrepro.data.labels import flip_labels, shuffle_train_labels
from ibrepro.data.registry import KINDS, Kind, Raw, register
from ibrepro.data.split import stratified_split, stratified_subsample

__all__ = ["KINDS", "Kind", "Raw", "build", "register", "sources"]

X_ENCODING = {"zlib": True, "complevel": 1, "shuffle": True}  # MNIST: mostly zero pixels


def sources(spec: dict) -> list[Path]:
    """The files the dataset ``spec`` is built from (the data rule's inputs); none for most."""
    return KINDS.lookup(spec["kind"]).sources(spec)


def build(name: str, spec: dict) -> xr.Dataset:
    """The dataset ``name`` as its resolved config entry ``spec`` says (see module doc)."""
    raw = KINDS.lookup(spec["kind"]).build(spec)
    classes, y = np.unique(raw.labels, return_inverse=True)
    x, split = raw.x, raw.split
    if split is None or "test_fraction" in spec:  # an entry's test_fraction replaces its own
        split = stratified_split(y, test_fraction=spec["test_fraction"], seed=spec["split_seed"])
    if "subsample" in spec:
        keep = stratified_subsample(y, split, **spec["subsample"])
        x, y, split = x[keep], y[keep], split[keep]
    if "label_noise" in spec:
        y = flip_labels(y, classes.size, **spec["label_noise"])
    if "shuffle_train_labels" in spec:
        y = shuffle_train_labels(y, split, **spec["shuffle_train_labels"])
    return xr.Dataset(
        {
            "x": (("sample", "feature"), x, {}, X_ENCODING),
            "y": ("sample", y.astype(np.int64)),
            "split": ("sample", split),
        },
        coords={"sample": np.arange(y.size)},
        attrs={"name": name, "kind": spec["kind"], **raw.attrs,
               "class_labels": json.dumps(classes.tolist()),
               "sha256_x": array_sha256(x), "sha256_y": array_sha256(y.astype(np.uint8))},
    )
