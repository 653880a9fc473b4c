"""The CUDA-graph epoch step (engine_torch._graph_step) driven on the CPU with stand-ins for
capture and the side stream: the warm-up epochs, exactly one capture, replays after it, the
random-label prefit's relabelling in place (a graph reads the buffers it was captured with),
and the same numbers as the eager path."""

import contextlib

import numpy as np
import torch

from ibrepro.train import engine_torch
from ibrepro.train.engine_torch import WARMUP_EPOCHS, TorchEngine, _graph_step
from ibrepro.train.loop import repetition_seeds

EPOCHS = 8


def spec(**changes):
    base = dict(name="graph", dataset="szt", snapshots=2, hidden=[10, 7, 5, 4, 3],
                activations=["tanh"] * 5,
                init="truncated-normal-fan-in", optimizer="adam", lr=1e-3, batch_size=512,
                epochs=EPOCHS, repetitions=2, seed=5, noise_std=0.01, dropout=0.1)
    return {**base, **changes}


def engine(s, szt_data):
    x, y, train = szt_data
    return TorchEngine(s, x, y, train, repetition_seeds(s["seed"], s["repetitions"]),
                       torch.device("cpu"), EPOCHS)


def test_graph_step_warms_up_captures_once_and_replays(szt_data):
    s = spec()
    eager, graphed = engine(s, szt_data), engine(s, szt_data)
    captures, warmups, epochs = [], [], []
    original = graphed._epoch

    def counted(record=True):
        epochs.append(record)
        original(record)

    graphed._epoch = counted

    def capture(epoch):  # a CUDA capture records the epoch without running it
        captures.append(epoch)
        return epoch

    @contextlib.contextmanager
    def side_stream():
        warmups.append(len(epochs))
        yield

    graphed._step = _graph_step(graphed, capture=capture, side_stream=side_stream)
    labels_buffer = graphed.y_train.data_ptr()
    true_labels = szt_data[1][szt_data[2]]
    for epoch in range(1, EPOCHS + 1):
        if epoch == 5:  # a prefit's switch to the true labels, after the capture
            shuffled = np.random.default_rng(0).permutation(true_labels)
            for run in (eager, graphed):
                run.set_train_labels(shuffled)
        eager.train_epoch(epoch, record=epoch % 2 == 0)
        graphed.train_epoch(epoch, record=False)
    assert warmups == list(range(WARMUP_EPOCHS))
    assert len(captures) == 1
    assert len(epochs) == EPOCHS and all(epochs)  # a graph always records
    assert graphed.y_train.data_ptr() == labels_buffer
    np.testing.assert_array_equal(graphed.history_array(), eager.history_array())


def test_cuda_settings_pin_ieee_float32():
    settings = engine_torch.pin_float32()
    assert settings == {"cuda_matmul_allow_tf32": False, "cudnn_allow_tf32": False}
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
