"""rbm.Engine through Python: exact quantities against brute force in NumPy on tiny models,
training with callbacks, checkpoints and resume, sampling, and the GIL released in long calls."""
import pickle
import threading
import time

import numpy as np
import pytest

import rbm
from conftest import all_states, brute_log_z, random_model

# log Z: float64 accumulation in the library against float64 NumPy over ≤ 2^10 terms: both are
# within a few ulps of the exact sum, so 1e-12 relative is far above either error.
REL = 1e-12
U32 = 2.0**-24  # float32 unit roundoff


def free_energy_bound(V, W, b, c):
    """How far the library's free energies may be from float64 ones: each hidden field
    c_j + v·W_j is a float32 sum of D + 1 terms, within γ_{D+1} ≈ (D + 1)·u of the sum of their
    magnitudes (Higham, Thm. 3.1), b·v likewise, and softplus' slope is at most 1 — one more u
    for the float32 inputs' own rounding."""
    D = W.shape[0]
    return (D + 2) * U32 * (np.abs(V) @ np.abs(b) + (np.abs(V) @ np.abs(W) + np.abs(c)).sum(axis=1))


def test_exact_quantities_match_brute_force(engine):
    model = random_model(6, 4, scale=1.0)
    log_z = engine.log_z(model)
    assert log_z.log_z == pytest.approx(brute_log_z(model), rel=REL)
    assert log_z.states == 16 and float(log_z) == log_z.log_z
    V = all_states(6)
    W, b, c = (np.asarray(x, np.float64) for x in (model.W, model.b, model.c))
    free = -V @ b - np.logaddexp(0, V @ W + c).sum(axis=1)
    bound = free_energy_bound(V, W, b, c)
    assert np.all(np.abs(engine.free_energy(model, V) - free) <= bound)
    log_p = engine.log_probabilities(model, V)
    assert np.all(np.abs(log_p - (-free - brute_log_z(model))) <= bound + REL * abs(log_z.log_z))
    # p sums to 1: log Σ p is within the largest bound of 0.
    assert abs(np.logaddexp.reduce(log_p)) <= bound.max() + REL * abs(log_z.log_z)
    assert engine.mean_log_likelihood(model, V) == pytest.approx(log_p.mean(), rel=REL)
    # float32 conditionals: sigmoid of a float32 dot product of ≤ 6 terms, to ~1e-6.
    np.testing.assert_allclose(engine.hidden_probabilities(model, V),
                               1 / (1 + np.exp(-(V @ W + c))), atol=1e-6)
    H = all_states(4)
    np.testing.assert_allclose(engine.visible_probabilities(model, H),
                               1 / (1 + np.exp(-(H @ W.T + b))), atol=1e-6)


def test_several_models_in_one_log_z_call(engine):
    models = [random_model(5, 3, seed=s) for s in range(3)]
    results = engine.log_z(models)
    assert [r.log_z for r in results] == pytest.approx([brute_log_z(m) for m in models], rel=REL)


def test_log_z_refuses_what_it_cannot_enumerate(engine):
    with pytest.raises(rbm.InvalidArgument, match="2\\^40"):
        engine.log_z(rbm.Model.zeros(784, 40), max_log2_states=24)


def test_a_progress_callback_can_cancel_log_z(engine):
    model = random_model(60, 22, scale=0.05)
    seen = []
    with pytest.raises(rbm.Cancelled):
        engine.log_z(model, progress=lambda fraction: seen.append(fraction) or False)
    assert len(seen) == 1


def test_training_returns_new_models_and_reports_every_epoch(engine, bas4):
    config = rbm.TrainConfig(batch_size=10, epochs=5, learning_rate="linear:0.1:0.01")
    start = rbm.init_model(bas4, 8, config)
    before = start.W.copy()
    metrics = []
    model = engine.train(start, config, bas4, on_epoch=metrics.append)
    np.testing.assert_array_equal(start.W, before)
    assert not np.array_equal(model.W, before)
    assert [m[0].epoch for m in metrics] == [1, 2, 3, 4, 5]
    assert metrics[0][0].learning_rate == pytest.approx(0.1) and metrics[-1][0].learning_rate == pytest.approx(0.01)
    assert "reconstruction_error" in repr(metrics[0][0])


def test_returning_false_stops_and_training_repeats_exactly(engine, bas4):
    config = rbm.TrainConfig(batch_size=10, epochs=50, seed=3)
    start = rbm.init_model(bas4, 6, config)
    epochs = []
    stopped = engine.train(start, config, bas4, on_epoch=lambda m: epochs.append(1) or len(epochs) < 3)
    assert len(epochs) == 3
    # Constant schedules: the first 3 epochs of a 50-epoch run are a 3-epoch run.
    short = rbm.TrainConfig(batch_size=10, epochs=3, seed=3)
    np.testing.assert_array_equal(stopped.W, engine.train(start, short, bas4).W)


def test_an_exception_in_a_callback_stops_training_and_is_raised(engine, bas4):
    config = rbm.TrainConfig(batch_size=10, epochs=100)
    start = rbm.init_model(bas4, 6, config)
    checkpoints = []

    def fail(metrics):
        if metrics[0].epoch == 2:
            raise LookupError("from the callback")

    with pytest.raises(LookupError, match="from the callback"):
        engine.train(start, config, bas4, on_epoch=fail, on_checkpoint=checkpoints.append)
    assert [c.epochs_done for c in checkpoints] == [2]
    assert engine.train(start, rbm.TrainConfig(batch_size=10, epochs=1), bas4).n_hidden == 6


def test_interrupted_runs_resume_to_the_uninterrupted_result(engine, bas4, tmp_path):
    config = rbm.TrainConfig(persistent=True, n_chains=7, batch_size=10, epochs=6,
                             optimizer="adam", learning_rate=0.01, centering=True, seed=5)
    start = rbm.init_model(bas4, 5, config)
    whole = engine.train(start, config, bas4)
    checkpoints = []
    engine.train(start, config, bas4, checkpoint_every=2, on_checkpoint=checkpoints.append)
    assert [c.epochs_done for c in checkpoints] == [2, 4, 6]
    path = tmp_path / "run.checkpoint"
    rbm.save_checkpoint(path, checkpoints[0])
    for checkpoint in (rbm.load_checkpoint(path), pickle.loads(pickle.dumps(checkpoints[0]))):
        (resumed,) = engine.resume(checkpoint, bas4)
        np.testing.assert_array_equal(resumed.W, whole.W)
        np.testing.assert_array_equal(resumed.b, whole.b)
        np.testing.assert_array_equal(resumed.c, whole.c)


def test_models_train_together_as_they_train_alone(engine, bas4):
    configs = [rbm.TrainConfig(batch_size=10, epochs=3, seed=s) for s in (1, 2)]
    starts = [rbm.init_model(bas4, 4, c) for c in configs]
    together = engine.train(starts, configs, bas4)
    inspected = []
    engine.train(starts, configs, bas4, inspect_every=1,
                 on_inspect=lambda epoch, models: inspected.append((epoch, len(models))))
    assert inspected == [(1, 2), (2, 2), (3, 2)]
    for start, config, model in zip(starts, configs, together):
        np.testing.assert_array_equal(engine.train(start, config, bas4).W, model.W)


def test_config_options_schedules_and_json():
    config = rbm.TrainConfig(epochs=7, learning_rate="exp:0.1:0.001", momentum=0.9,
                             cd_steps=rbm.Schedule.linear(1, 5), optimizer="nesterov")
    assert config.learning_rate == rbm.Schedule("exp:0.1:0.001")
    assert config.learning_rate.at(6, 7) == pytest.approx(0.001)
    assert config.cd_steps.at_int(6, 7) == 5 and config.momentum.is_constant
    config.batch_size = "linear:10:100"
    assert str(config.batch_size) == "linear:10:100" and config.optimizer == "nesterov"
    assert rbm.TrainConfig.from_json(config.to_json()) == config
    assert pickle.loads(pickle.dumps(config)) == config
    with pytest.raises(rbm.InvalidArgument):
        rbm.TrainConfig(learning_rate="fast")


def test_sampling_is_seeded_and_beta_zero_is_uniform(engine):
    model = random_model(8, 4, scale=2.0)
    a = engine.sample(model, n_chains=4, burn_in=10, samples_per_chain=3, seed=7)
    assert a.shape == (12, 8) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, engine.sample(model, n_chains=4, burn_in=10, samples_per_chain=3, seed=7))
    # At β = 0 every unit is on with probability 1/2: 4000·8 bits, mean within 5 standard
    # deviations (sd = 0.5/sqrt(32000) ≈ 0.0028) of 1/2: a false alarm rate below 1e-6.
    flat = engine.sample(model, n_chains=4000, burn_in=1, beta=0.0, seed=1)
    assert abs(flat.mean() - 0.5) < 5 * 0.5 / np.sqrt(flat.size)
    start = np.ones((2, 8), np.uint8)
    assert engine.sample(model, n_chains=2, burn_in=0, init=start).shape == (2, 8)


def test_cd_step_checks_the_uniform_count(engine):
    model = random_model(4, 3)
    batch = np.ones((2, 4))
    config = rbm.TrainConfig(learning_rate=0.1)
    needed = rbm.cd_step_uniform_count(2, 4, 3, 1)
    stepped = engine.cd_step(model, batch, config, np.full(needed, 0.5))
    assert stepped.W.shape == (4, 3) and not np.array_equal(stepped.W, model.W)
    with pytest.raises(rbm.InvalidArgument, match="uniforms"):
        engine.cd_step(model, batch, config, np.full(needed - 1, 0.5))


def test_long_calls_release_the_gil(engine):
    """A Python thread keeps running while exact log Z (2^22 states) runs in another."""
    model = random_model(784, 22, scale=0.01)
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    begin = time.perf_counter()
    engine.log_z(model)
    seconds = time.perf_counter() - begin
    done.set()
    counter.join()
    # Holding the GIL, the counter would be stuck for the whole call; released, it ticks at
    # least a few times per 10 ms even on a loaded machine.
    assert seconds > 0.05 and len(ticks) > 0.2 * seconds * 100, (seconds, len(ticks))


def test_upload_once_and_reuse(engine, bas4):
    handle = engine.upload(bas4)
    assert (handle.n_samples, handle.n_visible) == (30, 16) and len(handle) == 30
    model = rbm.init_model(bas4, 3)
    np.testing.assert_array_equal(engine.free_energy(model, handle), engine.free_energy(model, bas4))
    assert engine.kind == "cpu" and "cpu" in engine.device_name


def test_one_config_for_several_models(engine, bas4):
    config = rbm.TrainConfig(batch_size=10, epochs=2)
    starts = [rbm.init_model(bas4, 4, config), rbm.init_model(bas4, 4, rbm.TrainConfig(seed=9))]
    shared = engine.train(starts, config, bas4)
    each = engine.train(starts, [config, config], bas4)
    for a, b in zip(shared, each):
        np.testing.assert_array_equal(a.W, b.W)


def test_checkpoint_states_hand_out_copies(engine, bas4):
    # The chains carry hidden states by default (4 chains × 3 units), visible ones on request.
    for pcd_chains, width in (("hidden", 3), ("visible", 16)):
        config = rbm.TrainConfig(persistent=True, n_chains=4, batch_size=10, epochs=1,
                                 pcd_chains=pcd_chains)
        checkpoints = []
        engine.train(rbm.init_model(bas4, 3, config), config, bas4, checkpoint_every=1,
                     on_checkpoint=checkpoints.append)
        state = checkpoints[0].states[0]
        assert state.chains.shape == (4 * width,) and state.steps == 3
        assert state.optimizer.size == 16 * 3 + 16 + 3  # momentum: one slot of W, b, c


def test_can_enumerate_follows_the_limit(engine):
    assert engine.can_enumerate(rbm.Model.zeros(784, 20), max_log2_states=20)
    assert not engine.can_enumerate(rbm.Model.zeros(784, 21), max_log2_states=20)
    assert engine.can_enumerate(rbm.Model.zeros(784, 500, hidden_type="potts"), max_log2_states=1)


def test_exact_log_z_follows_the_time_budget(engine):
    # Without limits the library's time budget decides: 2^40 states at D = 784 is beyond it,
    # 2^12 well within; max_seconds tightens it, max_log2_states alone replaces it.
    assert not engine.can_enumerate(rbm.Model.zeros(784, 40))
    assert engine.can_enumerate(rbm.Model.zeros(784, 12))
    assert not engine.can_enumerate(rbm.Model.zeros(784, 20), max_seconds=1e-9)
    assert engine.can_enumerate(rbm.Model.zeros(784, 40), max_log2_states=40)
    with pytest.raises(rbm.InvalidArgument, match="max_seconds|seconds"):
        engine.log_z(rbm.Model.zeros(784, 20), max_seconds=1e-9)
    assert engine.log_z(rbm.Model.zeros(9, 3), max_seconds=60).log_z == pytest.approx(12 * np.log(2))
