"""rip §2.5: the big nets' information planes round by round (Fig. 8) and the accuracies after
each pruning (Table 2), from the pruning loop's files (``train.pruning``,
``pruning/<experiment>.nc``).

Every round is early-stopped: planes end at the last snapshot at or before the round's stop
epoch, and accuracies are test accuracies there (repetition means). Layers keep the big net's
numbers (and colours) in every round, so a removed layer is missing from the later panels.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ibrepro.figures.plane import information_plane
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.rip.runs import BIG_NETS as NETS
from ibrepro.stopping import snapshot_at

ROUND_NAMES = ("big", "1st pruning", "2nd pruning", "3rd pruning")
PAPER_ACCURACY = {"szt-tanh-big": (0.8768, 0.8780, 0.8732, 0.8805),  # rip Table 2
                  "szt-relu-big": (0.8780, 0.8646, 0.8805)}


def round_name(k: int) -> str:
    return ROUND_NAMES[k] if k < len(ROUND_NAMES) else f"{k}th pruning"


def big_net_plane(rounds: xr.Dataset, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Round ``k``'s repetition-mean plane up to its stop, columns indexed by the big net's
    layers (NaN for removed ones): ``(i_xt, i_ty)`` ``(epoch, big-net layer)`` and epochs."""
    one = rounds.isel(round=k)
    last = snapshot_at(rounds["epoch"].values, int(one["stop_epoch"])) + 1
    origin = one["origin"].values
    present = origin > 0
    planes = []
    for name in ("I_XT", "I_TY"):
        mean = one[name].mean("rep").transpose("epoch", "layer").values[:last, present]
        full = np.full((last, rounds.sizes["layer"]), np.nan)
        full[:, origin[present] - 1] = mean
        planes.append(full)
    return planes[0], planes[1], rounds["epoch"].values[:last]


def removed_layers(rounds: xr.Dataset, k: int) -> list[int]:
    """The big net's numbers of the layers round ``k`` removed."""
    one = rounds.isel(round=k)
    return [int(o) for o in one["origin"].values[one["removed"].values]]


def round_accuracy(rounds: xr.Dataset, k: int) -> tuple[float, float]:
    """Mean and std (ddof 0) over repetitions of round ``k``'s test accuracy at its stop."""
    acc = rounds["accuracy"].isel(round=k).sel(split="test")
    return float(acc.mean()), float(acc.std())


def closest_candidate(rounds: xr.Dataset, k: int) -> float:
    """Round ``k``'s smallest trajectory distance between a candidate layer (from
    ``prunable_from`` on) and the layer before it; NaN if it has no candidate."""
    one = rounds.isel(round=k)
    origin = one["origin"].values[1:one.sizes["pair"] + 1]  # the later layer of each pair
    distance = one["distance"].values  # NaN past the round's hidden layers
    distance = distance[(origin >= int(rounds.attrs["prunable_from"])) & np.isfinite(distance)]
    return float(distance.min()) if distance.size else float("nan")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _layer_names(rounds: xr.Dataset) -> list[str]:
    n = rounds.sizes["layer"]
    return [f"layer {k}" for k in range(1, n)] + ["softmax"]


def fig8(inputs: ItemInputs):
    """rows: the big tanh and relu nets; columns: the rounds (big net, then each pruning)."""
    runs = [(e, title, inputs.pruning(e)) for e, title in NETS]
    columns = max(r.sizes["round"] for _, _, r in runs)
    fig, axes = new_figure(len(runs), columns, sharex=True, sharey=True)
    parts = []
    for row, (experiment, title, rounds) in enumerate(runs):
        names = _layer_names(rounds)
        for k in range(columns):
            ax = axes[row, k]
            if k >= rounds.sizes["round"]:
                ax.set_axis_off()
                continue
            i_xt, i_ty, epochs = big_net_plane(rounds, k)
            information_plane(ax, i_xt, i_ty, epochs, names, units=rounds.attrs["units"],
                              legend=k == 0)
            mean, _ = round_accuracy(rounds, k)
            ax.set_title(f"{title} {round_name(k)}: {rounds['hidden'].values[k]}\n"
                         f"stop epoch {int(rounds['stop_epoch'][k])} (score {mean:.4f})")
            ax.label_outer()
        parts.append(f"{title} ({experiment}, {rounds.sizes['rep']} repetitions): "
                     + "; ".join(f"{round_name(k)} {rounds['hidden'].values[k]} removes "
                                 f"{removed_layers(rounds, k) or 'nothing'}"
                                 for k in range(rounds.sizes["round"])))
    caption = (
        f"rip Fig. 8 (first column) and the re-plotted IP after each pruning (further "
        f"columns): the SZT nets with their hidden layers doubled by 3-unit layers "
        f"(10-7-5-4-3-3-3-3-3-3), early-stopped, bin size 0.07 ({rounds.attrs['estimator']}); "
        f"repetition means up to each round's stop; layers keep the big net's numbers and "
        f"colours, darker = later epoch; bits. A round removes every layer from layer "
        f"{rounds.attrs['prunable_from']} on whose trajectory lies within "
        f"{rounds.attrs['threshold']} (mean distance over the epochs, axes divided by H(X) = "
        f"{float(rounds.attrs['H_X']):.2f} and H(Y) = {float(rounds.attrs['H_Y']):.2f} bits) "
        f"of the layer before it. {'; '.join(parts)}. rip: layers 5, 6 and 7 of the big tanh "
        f"net have similar trajectories; pruning goes on until all added layers are removed."
    )
    return fig, caption


def table2(inputs: ItemInputs):
    """One row per net and round: architecture, removed layers, stop epoch, accuracy."""
    rows, notes = [], []
    for experiment, title in NETS:
        rounds = inputs.pruning(experiment)
        paper = PAPER_ACCURACY[experiment]
        for k in range(rounds.sizes["round"]):
            mean, std = round_accuracy(rounds, k)
            rows.append({
                "network": title, "round": round_name(k),
                "hidden layers": rounds["hidden"].values[k],
                "removed after": " ".join(map(str, removed_layers(rounds, k))) or "-",
                "stop epoch": int(rounds["stop_epoch"][k]),
                "test accuracy": round(mean, 4), "std": round(std, 4),
                "paper accuracy": paper[k] if k < len(paper) else None,
                "closest candidate": round(closest_candidate(rounds, k), 4),
            })
        first = round_accuracy(rounds, 0)[0]
        last = round_accuracy(rounds, rounds.sizes["round"] - 1)[0]
        notes.append(f"{title}: {_plural(rounds.sizes['round'] - 1, 'pruning')} "
                     f"({rounds['hidden'].values[0]} → {rounds['hidden'].values[-1]}), test "
                     f"accuracy {first:.4f} → {last:.4f} ({rounds.sizes['rep']} repetitions; "
                     f"rip: {_plural(len(paper) - 1, 'pruning')}, {paper[0]} → {paper[-1]})")
    caption = (
        f"rip Table 2: test accuracy of the big SZT nets and after each pruning, at each "
        f"round's early stop (patience {rounds.attrs['patience']} epochs on the "
        f"repetition-mean validation loss), mean and std over repetitions. A pruning removes "
        f"every layer from layer {rounds.attrs['prunable_from']} on (the added layers) whose "
        f"trajectory lies within {rounds.attrs['threshold']} of the previous layer's (bin size "
        f"0.07; closest candidate: the smallest distance of a candidate to the layer before "
        f"it, a pruning below the threshold). "
        f"{'; '.join(notes)}. rip: pruning never lowered the score."
    )
    return rows, caption


register(Item("rip/fig8", "figure", fig8, pruning=tuple(e for e, _ in NETS),
              description="IP of the big tanh and relu nets, and after each pruning"))
register(Item("rip/table2", "table", table2, pruning=tuple(e for e, _ in NETS),
              description="accuracy of the big nets and after each pruning (pruning loop)"))
