"""rip §2.5's pruning loop: train, estimate the information plane, remove the hidden layers
whose trajectory repeats the one before it, retrain, until no layer repeats.

rip adds 3-unit layers at the end of the SZT net, early-stops, and removes "layers that have
similar trajectories" (its Fig. 8: layers 5, 6 and 7 of the big tanh net), judged by eye. Here
that judgement is a distance and a threshold (config ``pruning``):

- Distance of two layers: the mean over the snapshot epochs up to the early stop of the
  Euclidean distance between their points (I(X;T), I(T;Y)) on the plane with each axis divided
  by its largest possible value, H(X) and H(Y) of the data (I(X;T) <= H(X), I(T;Y) <= H(Y)),
  so both axes weigh alike as on rip's square plots (SZT: 12 and 0.98 bits); 0 = the same
  trajectory, 1 = a plane's side apart. Trajectories are repetition means, as drawn.
- Decision: hidden layer l+1 repeats layer l when their distance is below ``threshold``; every
  such layer goes in one round (a run of similar layers keeps its first, as rip's "layers 5, 6
  and 7" become one). Only the big net's layers from ``prunable_from`` on are candidates:
  rip's premise is that the layers at the end are the prune-able ones ("assuming that these
  are potentially prune-able"); the first layers of a tanh net all sit at I(X;T) = H(X) under
  bin size 0.07 (rip Fig. 1b) and would count as similar. The output is never removed, so
  each round removes at least one layer or ends the loop.

Each round trains all repetitions of the round's net (``train.loop.train``) from the
experiment's seeds, estimates every layer at every snapshot as training produces it (one
snapshot in memory at a time, ``estimators.apply.estimate_layers`` as the estimate rule does)
and early-stops as rip Figs. 7 and 10 do
(``figures.stopping``: the repetition-mean validation loss, the config's patience): Table 2's
accuracy is the test accuracy at that epoch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from ibrepro.atomic import write_netcdf
from ibrepro.estimators.apply import estimate_layers
from ibrepro.estimators.entropy import entropy
from ibrepro.estimators.registry import get, validate_params
from ibrepro.provenance import provenance_attrs, sha256_file
from ibrepro.spec import Experiment
from ibrepro.stopping import early_stop_epoch, snapshot_at
from ibrepro.train.experiment import layer_names
from ibrepro.train.loop import SPLITS, layer_widths, resolve_device, train
from ibrepro.train.schedule import recorded_epochs


def trajectory_distance(i_xt: np.ndarray, i_ty: np.ndarray, *, scale: tuple[float, float]
                        ) -> np.ndarray:
    """Mean over epochs of the distance between consecutive layers' IP points.

    i_xt, i_ty: ``(..., epoch, layer)``; scale: the (I(X;T), I(T;Y)) axis lengths each axis is
    divided by, same units. Returns ``(..., layer - 1)``: entry l compares layers l and l+1.
    """
    x = np.asarray(i_xt, dtype=float) / scale[0]
    y = np.asarray(i_ty, dtype=float) / scale[1]
    step = np.hypot(np.diff(x, axis=-1), np.diff(y, axis=-1))  # (..., epoch, layer - 1)
    return step.mean(axis=-2)


def layers_to_prune(distance: np.ndarray, candidates: np.ndarray, *, threshold: float
                    ) -> list[int]:
    """0-based indices of the candidate layers that repeat the layer before them: l+1 for every
    pair ``distance[l]`` (consecutive hidden layers, ``(layer - 1,)``) below ``threshold``
    where ``candidates[l + 1]`` (bool ``(layer,)``)."""
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    distance, candidates = np.asarray(distance), np.asarray(candidates, bool)
    if candidates.shape != (distance.size + 1,):
        raise ValueError(f"{distance.size} distances need {distance.size + 1} candidate flags, "
                         f"got {candidates.shape}")
    return [int(pair) + 1 for pair in np.flatnonzero((distance < threshold) & candidates[1:])]


def plane_scale(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """H(X) and H(Y) in bits, plug-in over the samples (each sample one equiprobable x): the
    largest values of I(X;T) and I(T;Y) a layer can reach."""
    rows = np.unique(np.asarray(x), axis=0, return_inverse=True)[1].reshape(-1, 1)
    return (float(entropy(torch.as_tensor(rows.astype(np.int64)))),
            float(entropy(torch.as_tensor(np.asarray(y, dtype=np.int64))[:, None])))


def _estimate_round(spec: Experiment, x, y, train_mask, estimator: dict, device: torch.device,
                    progress: bool):
    """Train ``spec`` and estimate every layer at every snapshot: ``(epochs, history, i_xt,
    i_ty)`` with i_xt, i_ty ``(rep, epoch, layer)`` in the estimator's units."""
    method = get(estimator["method"])
    if method.needs != ("activations",) or method.observed_range or method.outputs:
        raise ValueError(f"pruning estimator {estimator['name']!r} ({estimator['method']}) must "
                         "estimate one snapshot from its activations alone (e.g. bin-size)")
    params = validate_params(estimator["method"], estimator["params"])
    epochs = recorded_epochs(spec.total_epochs, snapshots=spec.snapshots,
                             record_epochs=spec.record_epochs)
    widths = layer_widths(spec, int(y.max()) + 1)
    bounds = np.cumsum([0, *widths])
    units = [slice(int(start), int(stop)) for start, stop in zip(bounds[:-1], bounds[1:],
                                                                 strict=True)]
    labels = torch.as_tensor(y, dtype=torch.int64, device=device)
    shape = (spec.repetitions, len(epochs), len(widths))
    i_xt, i_ty = np.empty(shape), np.empty(shape)
    index = {int(e): k for k, e in enumerate(epochs)}

    def on_snapshot(epoch: int, acts: np.ndarray) -> None:
        values = torch.as_tensor(acts, device=device)  # (rep, sample, unit)
        mi = estimate_layers(method, values, labels, units, params)  # each (rep, layer)
        i_xt[:, index[epoch]], i_ty[:, index[epoch]] = mi["I_XT"], mi["I_TY"]

    history = train(spec, x, y, train_mask, snapshot_epochs=epochs, on_snapshot=on_snapshot,
                    device=device, progress=progress)
    return epochs, history, i_xt, i_ty


def prune(spec: Experiment | dict, x: np.ndarray, y: np.ndarray, train_mask: np.ndarray, *,
          estimator: dict, threshold: float, prunable_from: int, patience: int,
          device: str = "auto",
          progress: bool = True) -> xr.Dataset:
    """Run the pruning loop from the experiment ``spec`` (the big net); one round per net.

    estimator: ``{"name", "method", "params"}`` (a per-snapshot one, e.g. bin-size-0.07);
    prunable_from: the big net's first hidden layer (1-based) that may be removed.
    Returns the rounds (the ``pruning/<experiment>.nc`` contract): ``I_XT, I_TY(round, rep,
    epoch, layer)`` (NaN past a round's last layer), ``origin(round, layer)`` (the big net's
    1-based layer each position is, 0 past the end), ``layer_name(round, layer)``,
    ``hidden(round)`` (e.g. "10-7-5-4-3"), ``stop_epoch(round)``, ``accuracy(round, rep,
    split)`` at the stop and ``final_accuracy`` at the last epoch, ``distance(round, pair)``
    (repetition-mean trajectories up to the stop; pair l: positions l and l+1, hidden layers
    only) and ``rep_distance(round, rep, pair)``, ``removed(round, layer)``; attrs: the
    settings above, ``H_X`` and ``H_Y`` (the axis lengths, bits).
    """
    spec = Experiment.of(spec)
    torch_device = resolve_device(device)
    scale = plane_scale(x, y)
    hidden, acts = list(spec.hidden), list(spec.activations)
    origin = list(range(1, len(hidden) + 2))  # the big net's layers, the output last
    n_layers = len(origin)
    rounds = []
    while True:
        round_spec = spec.replace(hidden=tuple(hidden), activations=tuple(acts))
        epochs, history, i_xt, i_ty = _estimate_round(round_spec, x, y, train_mask, estimator,
                                                      torch_device, progress)
        val = history.loss[:, :, SPLITS.index("test")]
        stop = int(early_stop_epoch(val.mean(axis=0), np.arange(val.shape[1]),
                                    patience=patience))
        k = snapshot_at(epochs, stop) + 1
        n_hidden = len(hidden)
        mean = trajectory_distance(i_xt.mean(axis=0)[:k, :n_hidden],
                                   i_ty.mean(axis=0)[:k, :n_hidden], scale=scale)
        per_rep = trajectory_distance(i_xt[:, :k, :n_hidden], i_ty[:, :k, :n_hidden],
                                      scale=scale)
        drop = layers_to_prune(mean, np.array(origin[:-1]) >= prunable_from,
                               threshold=threshold)
        rounds.append({
            "i_xt": i_xt, "i_ty": i_ty, "origin": origin, "names": layer_names(round_spec),
            "hidden": "-".join(map(str, hidden)), "stop": stop,
            "accuracy": history.accuracy[:, stop], "final": history.accuracy[:, -1],
            "distance": mean, "rep_distance": per_rep, "removed": drop,
        })
        if not drop:
            break
        keep = [k for k in range(n_hidden) if k not in drop]
        hidden, acts = [hidden[k] for k in keep], [acts[k] for k in keep]
        origin = [origin[k] for k in keep] + [origin[-1]]
    result = _dataset(rounds, epochs, n_layers, scale)
    result.attrs.update(estimator=estimator["name"], threshold=threshold,
                        prunable_from=prunable_from, patience=patience)
    return result


def _pad(values: np.ndarray, size: int, fill) -> np.ndarray:
    """``values`` padded with ``fill`` along its last axis to ``size``."""
    pad = [(0, 0)] * (values.ndim - 1) + [(0, size - values.shape[-1])]
    return np.pad(values, pad, constant_values=fill)


def _dataset(rounds: list[dict], epochs: np.ndarray, n_layers: int,
             scale: tuple[float, float]) -> xr.Dataset:
    def stack(key, size, fill=np.nan):
        return np.stack([_pad(np.asarray(r[key]), size, fill) for r in rounds])

    removed = np.zeros((len(rounds), n_layers), bool)
    for k, r in enumerate(rounds):
        removed[k, r["removed"]] = True
    reps = rounds[0]["i_xt"].shape[0]
    plane = ("round", "rep", "epoch", "layer")
    return xr.Dataset(
        {
            "I_XT": (plane, stack("i_xt", n_layers), {"long_name": "I(X;T)", "units": "bits"}),
            "I_TY": (plane, stack("i_ty", n_layers), {"long_name": "I(T;Y)", "units": "bits"}),
            "origin": (("round", "layer"), stack("origin", n_layers, 0),
                       {"long_name": "the big net's 1-based layer at this position (0: none)"}),
            "layer_name": (("round", "layer"), stack("names", n_layers, "")),
            "hidden": (("round",), [r["hidden"] for r in rounds]),
            "stop_epoch": (("round",), [r["stop"] for r in rounds],
                           {"long_name": "early stop epoch of the repetition-mean val. loss"}),
            "accuracy": (("round", "rep", "split"), np.stack([r["accuracy"] for r in rounds]),
                         {"long_name": "fraction correct at the early stop epoch"}),
            "final_accuracy": (("round", "rep", "split"), np.stack([r["final"] for r in rounds]),
                               {"long_name": "fraction correct at the last epoch"}),
            "distance": (("round", "pair"), stack("distance", n_layers - 2),
                         {"long_name": "trajectory distance of positions pair, pair + 1 "
                          "(repetition means)", "units": "plane side"}),
            "rep_distance": (("round", "rep", "pair"), stack("rep_distance", n_layers - 2),
                             {"long_name": "trajectory distance per repetition",
                              "units": "plane side"}),
            "removed": (("round", "layer"), removed,
                        {"long_name": "removed after this round"}),
        },
        coords={"round": np.arange(len(rounds)), "rep": np.arange(reps), "epoch": epochs,
                "layer": np.arange(1, n_layers + 1), "pair": np.arange(1, n_layers - 1),
                "split": list(SPLITS)},
        attrs={"units": "bits", "H_X": scale[0], "H_Y": scale[1]},
    )


def prune_file(spec: dict, dataset_path: str | Path, out_path: str | Path, *,
               device: str = "auto", progress: bool = True) -> None:
    """Run ``prune`` on a dataset file and write ``pruning/<experiment>.nc`` with provenance.

    spec: ``{"experiment": resolved experiment spec, "estimator": estimator spec,
    "threshold": float, "prunable_from": int, "patience": int}`` (the config's ``pruning`` and
    ``early_stopping``, resolved by the Snakefile).
    """
    data = xr.load_dataset(dataset_path)
    result = prune(spec["experiment"], data["x"].values, data["y"].values,
                   data["split"].values.astype(str) == "train",
                   estimator=spec["estimator"], threshold=spec["threshold"],
                   prunable_from=spec["prunable_from"], patience=spec["patience"],
                   device=device, progress=progress)
    result.attrs.update(provenance_attrs(
        spec=spec, inputs={"dataset": dataset_path}, experiment=spec["experiment"]["name"],
        params=json.dumps(spec["estimator"]["params"]),
        device=str(resolve_device(device)), dataset_sha256=sha256_file(dataset_path),
    ))
    write_netcdf(result, out_path)
