"""Gradient statistics (SZT 2017's drift and diffusion): known answers and the trainer's file."""

import numpy as np
import torch
import xarray as xr

from ibrepro.nets.mlp import BatchedMLP
from ibrepro.train.experiment import gradient_statistics
from ibrepro.train.gradients import STATISTICS, GradientMoments
from ibrepro.train.loop import repetition_seeds, train
from ibrepro.train.restart import train_with_restarts


def _norms(sequence):
    """Feed ``sequence`` ``(batch, layer)`` of ``(rep, in, out)`` arrays; return the norms."""
    weights = [torch.as_tensor(w) for w in sequence[0]]
    moments = GradientMoments(weights)
    moments.reset()
    for grads in sequence:
        moments.add([torch.as_tensor(g) for g in grads])
    return moments.norms(weights).numpy()


def test_constant_gradients_have_zero_std_and_their_own_norm():
    g = np.arange(12, dtype=np.float32).reshape(2, 2, 3) - 5  # (rep, in, out)
    norms = _norms([[g]] * 7)
    np.testing.assert_allclose(norms[:, 0, 0], np.linalg.norm(g.reshape(2, -1), axis=1))
    np.testing.assert_array_equal(norms[:, 1, 0], 0)


def test_a_sequence_gives_numpy_mean_and_std_norms():
    rng = np.random.default_rng(0)
    grads = rng.normal(3.0, 0.01, size=(13, 4, 5, 3)).astype(np.float32)  # (batch, rep, in, out)
    other = rng.normal(size=(13, 4, 3, 2)).astype(np.float32)
    norms = _norms([[g, o] for g, o in zip(grads, other, strict=True)])
    for layer, seq in enumerate((grads, other)):
        flat = seq.astype(np.float64).reshape(13, 4, -1)
        np.testing.assert_allclose(norms[:, 0, layer], np.linalg.norm(flat.mean(0), axis=1))
        np.testing.assert_allclose(norms[:, 1, layer], np.linalg.norm(flat.std(0), axis=1),
                                   rtol=1e-6)
        np.testing.assert_allclose(norms[:, 2, layer], np.linalg.norm(flat[0], axis=1),
                                   rtol=1e-6)


def test_reset_forgets_the_previous_epoch():
    weights = [torch.ones(1, 2, 2)]
    moments = GradientMoments(weights)
    moments.add([torch.full((1, 2, 2), 100.0)])
    moments.reset()
    for value in (1.0, 3.0):
        moments.add([torch.full((1, 2, 2), value)])
    np.testing.assert_allclose(moments.norms(weights)[0, :2, 0].numpy(), [4.0, 2.0])  # 2*2, 1*2


def _spec(**changes):
    return dict(name="g", dataset="szt", hidden=[6, 4], activations=["tanh", "tanh"],
                init="truncated-normal-fan-in", optimizer="sgd", lr=0.1, batch_size=512,
                epochs=3, repetitions=2, snapshots=3, seed=3) | changes


def _train(spec, szt_data, epochs=(0, 1, 3)):
    return train(spec, *szt_data, snapshot_epochs=np.array(epochs), on_snapshot=lambda *a: None,
                 device=torch.device("cpu"), progress=False)


def test_trainer_records_only_when_asked_and_trains_the_same(szt_data):
    plain = _train(_spec(), szt_data)
    recorded = _train(_spec(gradient_stats=True), szt_data)
    assert plain.gradients is None
    np.testing.assert_array_equal(plain.loss, recorded.loss)  # statistics change nothing
    assert recorded.gradients.shape == (2, 3, len(STATISTICS), 3)  # (rep, snapshot, stat, layer)
    assert np.isnan(recorded.gradients[:, 0]).all()  # epoch 0: no update yet
    assert (recorded.gradients[:, 1:] > 0).all()  # several batches: the std is not 0


def test_full_batch_gradient_descent_has_zero_gradient_std(szt_data):
    x, y, mask = szt_data
    spec = _spec(batch_size=int(mask.sum()), epochs=1, repetitions=1, gradient_stats=True)
    stats = _train(spec, szt_data, (0, 1)).gradients[0, 1]
    np.testing.assert_array_equal(stats[1], 0)
    # ||mean|| is the full-batch gradient at the initial weights, computed independently
    net = BatchedMLP([12, 6, 4, 2], spec["activations"], repetition_seeds(3, 1), spec["init"])
    logits = net(torch.as_tensor(x[mask], dtype=torch.float32))[-1][0]
    torch.nn.functional.cross_entropy(logits, torch.as_tensor(y[mask])).backward()
    np.testing.assert_allclose(stats[0], [w.grad.norm().item() for w in net.weights], rtol=1e-5)


def test_metrics_variables_have_the_snapshot_epochs():
    gradients = np.arange(2 * 3 * 3 * 4, dtype=float).reshape(2, 3, 3, 4)
    ds = gradient_statistics(gradients, np.array([0, 5, 9]))
    assert isinstance(ds, xr.Dataset)
    assert ds["gradient_std_norm"].dims == ("rep", "snapshot_epoch", "layer")
    assert ds["layer"].values.tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal(ds["weight_norm"].sel(snapshot_epoch=9).values,
                                  gradients[:, 2, 2])


def test_a_restarted_repetition_gets_its_rerun_statistics(szt_data):
    """Every repetition is below an unreachable accuracy: one round reruns both with seeds 2, 3,
    and their statistics are those of training with those seeds alone."""
    spec = _spec(gradient_stats=True, bad_fit={"min_accuracy": 1.1, "epoch": 3,
                                                "max_restarts": 1})
    history, restarts, _ = train_with_restarts(
        spec, *szt_data, snapshot_epochs=np.array([0, 1, 3]), on_snapshot=lambda *a, **k: None,
        device=torch.device("cpu"), progress=False)
    alone = train(spec, *szt_data, snapshot_epochs=np.array([0, 1, 3]),
                  on_snapshot=lambda *a: None, device=torch.device("cpu"), progress=False,
                  seeds=repetition_seeds(3, 4)[2:])
    assert restarts.tolist() == [1, 1]
    np.testing.assert_allclose(history.gradients, alone.gradients, rtol=1e-6)
