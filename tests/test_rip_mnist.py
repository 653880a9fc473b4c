"""rip App. D (MNIST-138) items drawn by the SZT items' functions: the histograms bin at each
item's own size (0.07 tanh, 0.2 relu), counted against numpy."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ibrepro.figures import ItemInputs, get, input_paths
from ibrepro.train.writer import ActivationWriter

EPOCHS = [0, 1, 2, 5, 10]  # histogram epochs 1, 5, 10
WIDTHS = [10, 7, 5, 4, 3, 3]


@pytest.mark.parametrize("item_id, experiment, size", [("rip/fig13", "mnist138-tanh", 0.07),
                                                       ("rip/fig14", "mnist138-relu", 0.2)])
def test_histogram_items_count_bins_of_their_own_size(item_id, experiment, size, tmp_path):
    path = input_paths(item_id, tmp_path)[f"activations/{experiment}"]
    path.parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 3, (2, len(EPOCHS), 30, sum(WIDTHS))).astype("f4")
    names = [f"layer {k}" for k in range(1, len(WIDTHS) + 1)]
    with ActivationWriter.create(path, repetitions=2, epochs=EPOCHS, layer_widths=WIDTHS,
                                 layer_names=names, labels=np.arange(30) % 3,
                                 split=np.array(["train"] * 30), attrs={}) as writer:
        for k, epoch in enumerate(EPOCHS):
            writer.write(epoch, values[:, k])
    with ItemInputs(item_id, input_paths(item_id, tmp_path)) as inputs:
        _, caption = get(item_id).build(inputs)
    acts = xr.load_dataset(path)
    for layer in (4, 5, 6):
        chosen = acts["activation"].sel(epoch=[1, 5, 10]).values[..., acts["layer"] == layer]
        occupied = [np.mean([len(np.unique(np.floor(chosen[r, j].astype(float) / size)))
                             for r in range(2)]) for j in range(3)]
        assert f"layer {layer} {' → '.join(f'{v:.1f}' for v in occupied)}" in caption
    assert f"bin size {size})" in caption and "nearest snapshot epochs: 1, 5, 10" in caption
