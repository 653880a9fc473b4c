"""Goldfeld et al. 2019, §4: one noisy tanh neuron T = tanh(w x + b) + Z, Z ~ N(0, beta^2).

Trained by full-batch gradient descent on the mean squared error to the labels -1/+1 (class 0
-> -1, class 1 -> +1), learning rate ``lr``, from w = b = 0 (the paper: "initially w = 0"; it
does not give b_0). The loss is the expected one over the noise, E[(T - y)^2] = (S - y)^2 +
beta^2: the noise adds a constant, so its gradient, and the trajectory (w_k, b_k), are
deterministic and the same for every beta (fig4 (d) compares beta on one trajectory). The
paper does not say whether it drew the noise in its updates. The recorded activation is the
pre-noise S = tanh(w x + b), as for the noisy MLPs, so sample propagation applies unchanged
(weights.nc holds w and b; the neuron is the network's only, noisy, layer).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from tqdm import tqdm

from ibrepro.spec import Experiment
from ibrepro.train.loop import History


def neuron_trajectory(x: np.ndarray, target: np.ndarray, *, lr: float,
                      epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """(w_k, b_k) for k = 0..epochs of GD on mean((tanh(w x + b) - target)^2) from w = b = 0.

    x, target: float ``(sample,)``. Returns two float64 ``(epochs + 1,)`` arrays.
    """
    x, target = np.asarray(x, dtype=np.float64), np.asarray(target, dtype=np.float64)
    w, b = np.zeros(epochs + 1), np.zeros(epochs + 1)
    for k in range(epochs):
        s = np.tanh(w[k] * x + b[k])
        slope = 2 * (s - target) * (1 - s * s) / len(x)  # d loss / d (w x + b), per sample
        w[k + 1] = w[k] - lr * (slope @ x)
        b[k + 1] = b[k] - lr * slope.sum()
    return w, b


def train_neuron(spec: Experiment | dict, x: np.ndarray, y: np.ndarray, train_mask: np.ndarray, *,
                 snapshot_epochs: np.ndarray, on_snapshot: Callable[[int, np.ndarray], None],
                 device: torch.device, seeds: list[int] | None = None, progress: bool = True,
                 on_weights: Callable | None = None) -> History:
    """``train``'s contract for the single neuron (``spec``: hidden [1], activations [tanh],
    repetitions 1; lr and epochs as given; optimizer, batch size and init do not apply: full
    batch from zero). ``History.loss`` is the noiseless mean squared error (S - y)^2 (add
    beta^2 for E[(T - y)^2]); accuracy counts sign(S) = y; the test split is NaN (all four
    samples train). device, seeds and progress are accepted and unused (nothing random)."""
    spec = Experiment.of(spec)
    if spec.hidden != (1,) or spec.activations != ("tanh",) or spec.repetitions != 1:
        raise ValueError(f"{spec.name}: the single-neuron trainer needs hidden [1], "
                         f"activations [tanh] and repetitions 1, got {list(spec.hidden)}, "
                         f"{list(spec.activations)}, {spec.repetitions}")
    if x.shape[1] != 1 or not train_mask.all():
        raise ValueError("the single-neuron trainer needs scalar inputs, all in the train split")
    x, target = x[:, 0].astype(np.float64), np.where(y == 1, 1.0, -1.0)
    w, b = neuron_trajectory(x, target, lr=spec.lr, epochs=spec.epochs)
    s = np.tanh(w[:, None] * x + b[:, None])  # (epoch, sample)
    for epoch in tqdm(snapshot_epochs, desc=spec.name, disable=not progress):
        on_snapshot(int(epoch), s[epoch][None, :, None].astype(np.float32))
        if on_weights is not None:
            on_weights(int(epoch), [np.array([[[w[epoch]]]], dtype=np.float32)],
                       [np.array([[b[epoch]]], dtype=np.float32)])
    loss = np.stack([((s - target) ** 2).mean(-1), np.full(len(s), np.nan)], -1)
    accuracy = np.stack([(np.sign(s) == target).mean(-1), np.full(len(s), np.nan)], -1)
    return History(loss=loss[None], accuracy=accuracy[None])
