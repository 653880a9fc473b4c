"""Lorenzen et al. 2022 on MNIST: the 80/20 re-split, the configured experiments, exact MI
through the quantized layers of one net (the data-processing inequality holds exactly), and
the MNIST items rendered from hand-made MI and metrics files."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from ibrepro.config import load_file
from ibrepro.data import build
from ibrepro.estimators.discrete import exact_discrete
from ibrepro.estimators.entropy import row_keys
from ibrepro.nets.quantize import to_codes
from ibrepro.papers.lorenzen.mnist import NETS, OTHERS
from ibrepro.train.experiment import layer_names
from ibrepro.train.loop import layer_widths, train

REPO = Path(__file__).resolve().parents[1]
EPOCHS = np.array([0, 1, 3, 10, 30])
ITEMS = ("fig4", "figB9", "figE13", "figF16")


def test_mnist_80_20_is_a_stratified_resplit_of_all_digits(dataset_spec):
    data = build("mnist-80-20", dataset_spec("mnist-80-20"))
    y, test = data["y"].values, data["split"].values == "test"
    assert len(y) == 70000 and test.sum() == 14001  # 20% of each class, rounded per class
    for digit in range(10):  # each class 20% test, to one sample
        assert abs(test[y == digit].sum() - 0.2 * (y == digit).sum()) <= 1
    assert json.loads(data.attrs["image_shape"]) == [1, 28, 28]


def test_the_five_nets_as_configured():
    paper = load_file(REPO / "config.yaml", scale="paper").experiments
    quick = load_file(REPO / "config.yaml", scale="quick").experiments
    widths = {n: layer_widths(paper[e], 10, (1, 28, 28)) for n, e in NETS.items()}
    assert widths == {"BOTTLENECK-2": [16, 8, 4, 2, 10], "BOTTLENECK-4": [16, 12, 8, 4, 10],
                      "HOURGLASS": [16, 8, 4, 2, 4, 8, 10], "4X10": [10, 10, 10, 10, 10],
                      "CONV": [392, 98, 20, 10]}
    for experiment in NETS.values():
        spec = paper[experiment]
        assert (spec["bits"], spec["lr"], spec["batch_size"], spec["epochs"]) == (
            8, 1e-4, 256, 3000)
        assert set(spec["activations"]) == {"relu"} and spec["dataset"] == "mnist-80-20"
        assert spec["bad_fit"] == {"min_accuracy": 0.55, "epoch": 1000, "max_restarts": 10}
        assert "bad_fit" not in quick[experiment]  # quick: {bad_fit: false}
    assert layer_names(paper[NETS["CONV"]]) == ["conv 1", "conv 2", "relu 3", "softmax"]


@pytest.mark.parametrize("net", ["BOTTLENECK-2", "CONV"])
def test_exact_mi_obeys_the_data_processing_inequality(net, dataset_spec, one_thread):
    """Each recorded layer is a function of the one before (the quantized codes are what the
    next layer reads), so its code rows merge the previous layer's and exact I(X;T_l) and
    I(T_l;Y) cannot grow with depth l."""
    spec = {**load_file(REPO / "config.yaml", scale="quick").experiments[NETS[net]],
            "lr": 0.01, "epochs": 2, "repetitions": 1}
    data = build("m", {**dataset_spec("mnist-80-20", "quick"),
                       "subsample": {"samples": 300, "seed": 0}})
    x, y = data["x"].values, data["y"].values
    snaps = {}
    train(spec, x, y, data["split"].values == "train", snapshot_epochs=np.array([2]),
          on_snapshot=lambda e, a, r: snaps.update(a=a, r=r), device=torch.device("cpu"),
          progress=False, image_shape=(1, 28, 28))
    widths = layer_widths(spec, 10, (1, 28, 28))
    unit_layer = np.repeat(np.arange(len(widths)), widths)
    ranges = torch.as_tensor(snaps["r"][0])[unit_layer]
    codes = to_codes(torch.as_tensor(snaps["a"][0]), ranges[:, 0], ranges[:, 1], 8)
    layers = [codes[:, unit_layer == k] for k in range(len(widths))]
    mi = [exact_discrete(c, torch.as_tensor(y)) for c in layers]
    i_xt = np.array([float(m.I_XT) for m in mi])
    i_ty = np.array([float(m.I_TY) for m in mi])
    assert i_xt[0] > 6 and i_xt[-1] < i_xt[0]  # not all trivial: the inequality has content
    assert (np.diff(i_xt) <= 1e-12).all() and (np.diff(i_ty) <= 1e-12).all()
    for before, after in zip(layers[:-1], layers[1:], strict=True):  # T_l+1 = f(T_l)
        pairs = torch.stack([row_keys(before), row_keys(after)], 1).unique(dim=0)
        assert len(pairs) == len(row_keys(before).unique())


def _mi(i_xt: np.ndarray, names: list[str]) -> xr.Dataset:
    i_ty = np.clip(i_xt / i_xt.max(), 0, 1) * np.log2(10)
    return xr.Dataset({"I_XT": (("rep", "epoch", "layer"), i_xt),
                       "I_TY": (("rep", "epoch", "layer"), i_ty)},
                      coords={"rep": np.arange(len(i_xt)), "epoch": EPOCHS,
                              "layer": np.arange(1, len(names) + 1),
                              "layer_name": ("layer", names)},
                      attrs={"units": "bits"})


def _metrics(final: float, reps: int = 3) -> xr.Dataset:
    """Accuracies rising to ``final`` over 31 epochs; repetitions 0.01 apart around it."""
    acc = np.linspace(0.1, 1, 31)[None, :, None] * (final + 0.01 * np.arange(-1, reps - 1))[
        :, None, None]
    acc = acc.repeat(2, 2)
    return xr.Dataset({"accuracy": (("rep", "epoch", "split"), acc),
                       "loss": (("rep", "epoch", "split"), 1 - acc)},
                      coords={"rep": np.arange(reps), "epoch": np.arange(31),
                              "split": ["train", "test"]})


@pytest.fixture(scope="module")
def results(tmp_path_factory, write_item_inputs):
    """BOTTLENECK-2 compressing in its output layer; of the App. E nets, 4X10 and CONV with
    every hidden layer at H(X) = 16 bits at every epoch, the bottlenecks below it."""
    root = tmp_path_factory.mktemp("results")
    rng = np.random.default_rng(0)
    files = {}
    for name, experiment in NETS.items():
        trivial = name in ("4X10", "CONV")
        hidden = 2 if name == "CONV" else 4
        i_xt = np.full((3, len(EPOCHS), hidden + 1), 16.0)
        if not trivial:
            i_xt[..., 1:hidden] = np.linspace(4, 9, len(EPOCHS))[:, None]
        i_xt[..., -1] = [1.0, 2.5, 3.3, 3.0, 2.0]  # softmax: fitting, then compression
        i_xt[..., :-1] -= rng.uniform(0, 0.01, i_xt[..., :-1].shape) * (not trivial)
        names = [f"relu {k}" for k in range(1, hidden + 1)] + ["softmax"]
        files[f"mi/{experiment}/exact-quantized"] = _mi(i_xt, names)
        files[f"metrics/{experiment}"] = _metrics(0.9 if name == "BOTTLENECK-2" else 0.96)
    return write_item_inputs(root, [f"lorenzen/{item}" for item in ITEMS], files)


def test_fig4_zooms_the_bottleneck_plane(results, item_caption):
    caption = item_caption(results, "lorenzen/fig4")
    assert "lorenzen Fig. 4" in caption and "lorenzen-mnist-bottleneck-2" in caption
    assert "softmax: -39%" in caption  # 3.3 -> 2.0
    assert "final accuracy train 0.900 ± 0.011" in caption  # 0.89, 0.90, 0.91: 1.96 x 0.01/sqrt 3


def test_figb9_variance_of_the_bottleneck(results, item_caption):
    caption = item_caption(results, "lorenzen/figB9")
    assert "lorenzen Fig. B.9" in caption and "median by L2 distance" in caption


def test_fige13_counts_the_trivial_layers(results, item_caption):
    caption = item_caption(results, "lorenzen/figE13")
    for name in OTHERS:
        assert f"{name} ({NETS[name]})" in caption
    assert "4X10 (lorenzen-mnist-4x10): last epoch" in caption
    assert "epoch): 4 of 4 (relu 1, relu 2, relu 3, relu 4)" in caption  # 4X10
    assert "epoch): 2 of 2 (relu 1, relu 2)" in caption  # CONV
    assert "epoch): 1 of 4 (relu 1)" in caption  # the bottlenecks: their first layer only


def test_figf16_accuracies_of_all_nets(results, item_caption):
    caption = item_caption(results, "lorenzen/figF16")
    for name in NETS:
        assert f"{name}: 3 repetitions" in caption
    assert "BOTTLENECK-2: 3 repetitions, 0 bad-fit restarts, final accuracy train 0.900" in caption
    assert "CONV: 3 repetitions, 0 bad-fit restarts, final accuracy train 0.960" in caption
