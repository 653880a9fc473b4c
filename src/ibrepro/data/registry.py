"""The dataset kinds: each kind's module ends with one ``register(Kind(...))`` line.

A kind's builder makes the arrays from its config entry; ``ibrepro.data.build`` then applies the
steps every kind shares (class indices, split, quick-scale subsample, label noise, label shuffle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ibrepro.registry import Registry


class Raw(NamedTuple):
    """What a kind's builder returns.

    x: ``(sample, feature)``; labels: ``(sample,)`` the original labels (any integers, e.g. -1/1);
    split: ``(sample,)`` "train"/"test", or None for a stratified split by the entry's
    ``test_fraction`` and ``split_seed``; attrs: ``source`` and ``licence`` (text), plus
    ``source_files`` (JSON: path -> sha256 of each file read) where the data come from files,
    ``image_shape`` (JSON [C, H, W]) where a row of x is an image (conv nets need it).
    """

    x: np.ndarray
    labels: np.ndarray
    split: np.ndarray | None
    attrs: dict[str, str]


def no_sources(spec: dict) -> list[Path]:
    """The source files of a kind built from code alone: none."""
    return []


@dataclass(frozen=True)
class Kind:
    """A dataset kind: ``build(spec) -> Raw`` and ``sources(spec)``, the files it reads (the
    data rule's inputs)."""

    name: str
    build: Callable[[dict], Raw]
    sources: Callable[[dict], list[Path]] = no_sources


KINDS: Registry[Kind] = Registry("dataset kind")


def register(kind: Kind) -> Kind:
    """Add ``kind`` to :data:`KINDS`; a kind name can be registered only once."""
    return KINDS.add(kind.name, kind)
