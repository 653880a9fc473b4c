"""Goldfeld et al. 2019, Sec. 5: measures of how a layer clusters its samples, in nats.

- H(Bin(T_l)): plug-in entropy of the layer's binned rows, symbol = floor(t / size) per unit
  (bins of width ``size`` anchored at 0, as the ``bin-size`` estimator; Goldfeld uses 10β).
- H(Bin(T_l(k))): the same for each unit k alone, and the least-squares slope of each unit's
  entropy over epochs (nats/epoch), with its mean and standard deviation over a layer's units.
- Histograms of the Euclidean distances between the representations of two samples, over the
  unordered pairs i < j, within-class pairs apart from between-class pairs.

Pure functions batched over leading axes (rep, epoch), on numpy arrays (the CPU, no torch) or
torch tensors (CUDA, and callers holding tensors), answering in kind; then the file-level
functions that stream an activations file through them (``apply.blocks``) and register.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from .apply import as_numpy, blocks, layer_coords, layer_units, on_device
from .baseline import torch_randperm
from .entropy import entropy
from .inputs import check_layer
from .measures import Measure, register
from .mi import is_tensor

PAIRS = ("within-class", "between-class")
_CHUNK_ELEMENTS = 1 << 23  # pair distances held at once by distance_histograms


def _float64(array):
    return array.double() if is_tensor(array) else np.asarray(array, np.float64)


def _symbols(acts, size: float):
    if not size > 0:
        raise ValueError(f"size must be > 0, got {size!r}")
    check_layer(acts)
    if is_tensor(acts):
        import torch

        return torch.floor(acts.double() / size).to(torch.int64)
    return np.floor(acts.astype(np.float64) / size).astype(np.int64)


def binned_entropy(acts, *, size: float):
    """H(Bin(T)) in nats of each group's rows. acts: float ``(..., sample, unit)``; float64
    ``(...)``. Samples are equiprobable; bins are ``[j size, (j + 1) size)``, unbounded."""
    return entropy(_symbols(acts, size)) * math.log(2)


def unit_binned_entropy(acts, *, size: float):
    """H(Bin(T(k))) in nats of each unit k alone: float64 ``(..., unit)`` from ``(..., sample,
    unit)``, bins as :func:`binned_entropy`."""
    return entropy(_symbols(acts, size).swapaxes(-1, -2)[..., None]) * math.log(2)


def least_squares_slope(values, x, *, first: float = -math.inf, last: float = math.inf):
    """Slope b of the least-squares line ``values ≈ a + b x`` over the points with
    ``first <= x <= last`` (at least two distinct x), per series: ``(..., point)`` → ``(...)``.
    With ``values`` in nats and ``x`` in epochs, the slope is in nats/epoch."""
    keep = (x >= first) & (x <= last)
    x, values = _float64(x[keep]), _float64(values[..., keep])
    if x.shape[0] < 2 or x.max() == x.min():
        raise ValueError(f"need at least two distinct x in [{first}, {last}], got {x.tolist()}")
    dx = x - x.mean()
    return ((values - values.mean(-1, keepdims=True)) * dx).sum(-1) / (dx * dx).sum()


def slope_stats(slopes, unit_layer, layers) -> tuple:
    """Mean and standard deviation (over the layer's units: ddof 0, the units are all there is)
    of the slopes ``(..., unit)`` of each layer; ``unit_layer``: ``(unit,)``. Each
    ``(..., layer)``."""
    members = _float64(unit_layer[:, None] == layers[None, :])  # (unit, layer)
    count = members.sum(0)
    mean = slopes @ members / count
    var = (slopes * slopes) @ members / count - mean * mean
    var = var * (var > 0)  # rounding below 0
    return mean, var**0.5


def distance_histograms(acts, labels, *, bins: int, high: float, chunk_rows: int | None = None):
    """Histograms of the Euclidean distances ||t_i - t_j|| over the unordered pairs i < j.

    acts: float ``(..., sample, unit)``; labels: int ``(sample,)``. ``bins`` equal-width bins
    over ``[0, high]``, the last closed (a distance above ``high`` counts in it, as rounding may
    put one there). Returns int64 ``(..., 2, bins)``: pairs of the same class at ``[..., 0, :]``,
    of different classes at ``[..., 1, :]``. Samples are sorted by class, so each chunk of
    ``chunk_rows`` rows meets the later samples of its class (within) and of the later classes
    (between) as two contiguous blocks: no ``sample × sample`` matrix is ever held (default:
    about ``_CHUNK_ELEMENTS`` distances at once). Computed in float32 (float64 if ``acts`` is),
    numpy arrays with numpy's matmul and torch tensors with torch's, the same formula.
    """
    if bins < 1 or not high > 0:
        raise ValueError(f"need bins >= 1 and high > 0, got bins={bins!r}, high={high!r}")
    check_layer(acts, labels)
    if not is_tensor(acts):
        return _distance_histograms_numpy(acts, labels, bins, high, chunk_rows)
    import torch

    n, lead = acts.shape[-2], acts.shape[:-2]
    order = torch.argsort(labels.to(acts.device), stable=True)
    x = acts.reshape(-1, n, acts.shape[-1])[:, order]
    x = x.to(torch.promote_types(x.dtype, torch.float32)) * (bins / high)  # in bin widths
    square, ones = (x * x).sum(-1, keepdim=True), torch.ones_like(x[..., :1])
    # one matmul gives |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, in squared bin widths
    row_side = torch.cat([x, square, ones], -1)
    col_side = torch.cat([-2 * x, ones, square], -1).mT.contiguous()  # (group, unit + 2, sample)
    groups = x.shape[0]
    rows = chunk_rows or max(1, _CHUNK_ELEMENTS // (groups * n))
    # key of (group, pair, bin): one bincount for all groups
    offset = (torch.arange(groups, device=x.device, dtype=torch.int32) * 2 * bins)[:, None, None]
    counts = torch.zeros(groups * 2 * bins, dtype=torch.int64, device=x.device)
    class_end = torch.unique_consecutive(labels.cpu()[order.cpu()], return_counts=True)[1].cumsum(0)
    start = 0
    for end in class_end.tolist():
        for low in range(start, end, rows):
            stop = min(end, low + rows)
            for pair, columns in enumerate((slice(low, end), slice(end, n))):
                d2 = torch.bmm(row_side[:, low:stop], col_side[..., columns])
                if pair == 0:  # pairs j <= i of the diagonal block: bin 0, subtracted below
                    d2[..., : stop - low].masked_fill_(torch.ones(
                        stop - low, stop - low, dtype=torch.bool, device=x.device).tril(), 0)
                # clamp: rounding below 0, and beyond high into the last bin; int() floors d >= 0
                key = d2.clamp_(0, (bins - 1) ** 2).sqrt_().int()
                key += offset + pair * bins
                counts += torch.bincount(key.reshape(-1), minlength=len(counts))
            within_bin0 = counts.view(groups, 2, bins)[:, 0, 0]
            within_bin0 -= (stop - low) * (stop - low + 1) // 2
        start = end
    return counts.view(*lead, 2, bins)


def _distance_histograms_numpy(acts: np.ndarray, labels: np.ndarray, bins: int, high: float,
                               chunk_rows: int | None) -> np.ndarray:
    """:func:`distance_histograms` of numpy arrays, step for step as the torch code."""
    n, lead = acts.shape[-2], acts.shape[:-2]
    order = np.argsort(labels, kind="stable")
    x = acts.reshape(-1, n, acts.shape[-1])[:, order]
    x = x.astype(np.promote_types(x.dtype, np.float32)) * x.dtype.type(bins / high)
    square, ones = (x * x).sum(-1, keepdims=True), np.ones_like(x[..., :1])
    row_side = np.concatenate([x, square, ones], -1)
    col_side = np.ascontiguousarray(np.concatenate([-2 * x, ones, square], -1).swapaxes(1, 2))
    groups = x.shape[0]
    rows = chunk_rows or max(1, _CHUNK_ELEMENTS // (groups * n))
    offset = (np.arange(groups, dtype=np.int64) * 2 * bins)[:, None, None]
    counts = np.zeros(groups * 2 * bins, dtype=np.int64)
    class_end = np.cumsum(np.unique(labels[order], return_counts=True)[1])
    start = 0
    for end in class_end.tolist():
        for low in range(start, end, rows):
            stop = min(end, low + rows)
            for pair, columns in enumerate((slice(low, end), slice(end, n))):
                d2 = row_side[:, low:stop] @ col_side[..., columns]
                if pair == 0:  # pairs j <= i of the diagonal block: bin 0, subtracted below
                    d2[..., : stop - low][..., np.tri(stop - low, dtype=bool)] = 0
                key = np.sqrt(np.clip(d2, 0, (bins - 1) ** 2)).astype(np.int32)
                key = key + offset + pair * bins
                counts += np.bincount(key.reshape(-1), minlength=len(counts))
            counts.reshape(groups, 2, bins)[:, 0, 0] -= (stop - low) * (stop - low + 1) // 2
        start = end
    return counts.reshape(*lead, 2, bins)


def snapshot_positions(n_epochs: int, count: int) -> np.ndarray:
    """``count`` positions in ``range(n_epochs)``, evenly spaced with the first and the last
    (fewer if ``n_epochs < count``). On a log-spaced record schedule, log-spaced epochs."""
    if count < 2:
        raise ValueError(f"snapshots must be >= 2, got {count!r}")
    return np.unique(np.round(np.linspace(0, n_epochs - 1, count)).astype(int))


def sample_subset(n: int, fraction: float, seed: int) -> np.ndarray:
    """Sorted positions of ``round(fraction n)`` samples (at least 2) drawn without replacement
    by ``torch.randperm`` of a ``torch.Generator().manual_seed(seed)`` (computed without
    torch: ``baseline.torch_randperm``); all ``n`` for ``fraction = 1``."""
    if not 0 < fraction <= 1:
        raise ValueError(f"sample_fraction must be in (0, 1], got {fraction!r}")
    keep = max(2, round(fraction * n))
    return np.sort(torch_randperm(n, seed)[:keep])


def _coords(acts: xr.Dataset) -> tuple[np.ndarray, dict]:
    unit_layer, layers = layer_coords(acts)
    return unit_layer, {"rep": acts["rep"].values, "epoch": acts["epoch"].values, **layers}


def binned_entropy_file(acts: xr.Dataset, device: str, *, size: float) -> xr.Dataset:
    """``H_bin(rep, epoch, layer)``, nats, of an open activations file."""
    unit_layer, coords = _coords(acts)
    h = np.empty((acts.sizes["rep"], acts.sizes["epoch"], len(coords["layer"])))
    for rep, where, block in blocks(acts, "activation", device):
        for k, layer in enumerate(coords["layer"]):
            h[rep, where, k] = as_numpy(binned_entropy(block[..., layer_units(unit_layer, layer)],
                                                       size=size))
    attrs = {"long_name": "H(Bin(T_l))", "units": "nats", "bin_size": size}
    return xr.Dataset({"H_bin": (("rep", "epoch", "layer"), h, attrs)}, coords=coords)


def unit_entropy_file(acts: xr.Dataset, device: str, *, size: float,
                      first_epoch: int, last_epoch: int) -> xr.Dataset:
    """``H_unit(rep, epoch, unit)`` in nats; the slope over epochs in ``[first_epoch,
    last_epoch]`` (``last_epoch = -1``: through the last recorded epoch) of each unit,
    ``slope(rep, unit)``, and over each layer's units its ``slope_mean`` and
    ``slope_std(rep, layer)``, in nats/epoch."""
    unit_layer, coords = _coords(acts)
    h = np.empty((acts.sizes["rep"], acts.sizes["epoch"], acts.sizes["unit"]))
    for rep, where, block in blocks(acts, "activation", device):
        h[rep, where] = as_numpy(unit_binned_entropy(block, size=size))
    h_series = h.transpose(0, 2, 1)  # (rep, unit, epoch)
    slope = least_squares_slope(h_series, coords["epoch"], first=first_epoch,
                                last=math.inf if last_epoch < 0 else last_epoch)
    mean, std = slope_stats(slope, unit_layer, coords["layer"])
    rate = {"units": "nats/epoch", "first_epoch": first_epoch, "last_epoch": last_epoch}
    return xr.Dataset(
        {
            "H_unit": (("rep", "epoch", "unit"), h,
                       {"long_name": "H(Bin(T_l(k)))", "units": "nats", "bin_size": size}),
            "slope": (("rep", "unit"), slope,
                      {"long_name": "least-squares slope of H_unit over epochs", **rate}),
            "slope_mean": (("rep", "layer"), mean,
                           {"long_name": "mean of slope over the layer's units", **rate}),
            "slope_std": (("rep", "layer"), std,
                          {"long_name": "standard deviation (ddof 0) of slope over the "
                                        "layer's units", **rate}),
        },
        coords={**coords, "unit": acts["unit"].values, "unit_layer": ("unit", unit_layer)},
    )


def distances_file(acts: xr.Dataset, device: str, *, bins: int, snapshots: int,
                   sample_fraction: float, seed: int) -> xr.Dataset:
    """``pair_count(rep, epoch, layer, pair, bin)`` at ``snapshots`` recorded epochs, over the
    pairs of a ``sample_fraction`` subset of samples; edges ``distance_edges(layer, edge)``.

    Each layer's edges are ``bins`` equal bins over ``[0, D_l]``, D_l the diagonal of the box
    spanned by that layer's values over every repetition and chosen epoch: no pair is farther
    apart, and one scale per layer makes epochs and repetitions comparable. It takes one extra
    pass over the chosen epochs; the exact largest distance would cost a whole second pass.
    """
    unit_layer, coords = _coords(acts)
    positions = snapshot_positions(acts.sizes["epoch"], snapshots)
    subset = sample_subset(acts.sizes["sample"], sample_fraction, seed)
    labels = on_device(acts["y"].values[subset], device)
    low = np.full(acts.sizes["unit"], math.inf)
    high = -low
    for _, _, block in blocks(acts, "activation", "cpu", positions):
        block = block[:, subset].astype(np.float64)
        low = np.minimum(low, block.min(axis=(0, 1)))
        high = np.maximum(high, block.max(axis=(0, 1)))
    width = high - low
    spans = [float(np.sqrt(np.sum(width[unit_layer == layer] ** 2))) for layer in coords["layer"]]
    spans = [span if span > 0 else 1.0 for span in spans]  # a constant layer: any range will do
    counts = np.empty((acts.sizes["rep"], len(positions), len(spans), 2, bins), dtype=np.int64)
    for rep, where, block in blocks(acts, "activation", device, positions):
        block = block[:, on_device(subset, device)]
        for k, layer in enumerate(coords["layer"]):
            counts[rep, where, k] = as_numpy(distance_histograms(
                block[..., layer_units(unit_layer, layer)], labels, bins=bins, high=spans[k]))
    edges = np.linspace(0, 1, bins + 1)[None, :] * np.array(spans)[:, None]
    return xr.Dataset(
        {
            "pair_count": (("rep", "epoch", "layer", "pair", "bin"), counts,
                           {"long_name": "sample pairs i < j per distance bin",
                            "units": "pairs", "samples": len(subset)}),
            "distance_edges": (("layer", "edge"), edges,
                               {"long_name": "bin edges of the Euclidean distance",
                                "units": "activation units"}),
        },
        coords={**coords, "epoch": coords["epoch"][positions], "pair": list(PAIRS)},
    )


register(Measure(
    method="binned-entropy", fn=binned_entropy_file, params={"size": float},
    variables=("H_bin",), reference="Goldfeld et al. 2019, Sec. 5.1 (Fig. 5, bin size 10 beta)",
    description="H(Bin(T_l)) in nats per layer, bins floor(t / size).",
))
register(Measure(
    method="unit-binned-entropy", fn=unit_entropy_file, params={"size": float},
    defaults={"first_epoch": 0, "last_epoch": -1},  # -1: the last epoch (JSON has no inf)
    variables=("H_unit", "slope", "slope_mean", "slope_std"),
    reference="Goldfeld et al. 2019, Sec. 5.2 (per-unit slopes, layer 3 of the MNIST CNN)",
    description="H(Bin(T_l(k))) per unit in nats and its least-squares slope over epochs "
                "[first_epoch, last_epoch], mean and std per layer (nats/epoch).",
))
register(Measure(
    method="pairwise-distances", fn=distances_file, params={"bins": int},
    defaults={"snapshots": 8, "sample_fraction": 1.0, "seed": 0},
    variables=("pair_count", "distance_edges"),
    reference="Goldfeld et al. 2019, Sec. 5 (Figs. 6 and 8)",
    description="Within- vs between-class histograms of pairwise Euclidean distances at "
                "`snapshots` epochs, `sample_fraction` of the samples drawn with `seed`.",
))
