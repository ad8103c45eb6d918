"""The library's estimators through Python: AIS and reverse AIS against exact log Z, the
exact-or-AIS likelihood, parallel tempering, clamped sampling and label posteriors. The
statistics are the library's (tested in C++); these check that the bindings hand the right
inputs in and the results out."""
import numpy as np
import pytest

import rbm
from conftest import random_model


def test_ais_brackets_the_exact_value(engine, bas4):
    model = random_model(16, 6, scale=0.3, seed=2)
    exact = engine.log_z(model).log_z
    result = engine.ais_log_z(model, n_chains=200, n_betas=1000, seed=3)
    assert result.n_chains == 200 and result.log_weights.shape == (200,)
    # Within 5 standard errors (false alarms ~6e-7) plus the Jensen bias, about var/2.
    assert abs(result.log_z - exact) <= 5 * result.standard_error + result.standard_error**2
    both = engine.ais_log_z([model, model.copy()], n_chains=20, n_betas=100)
    assert isinstance(both, list) and len(both) == 2
    reverse = engine.reverse_ais(model, bas4, [0, 5, 9], n_chains=10, n_betas=200)
    assert reverse.row_log_likelihood.shape == (3,) and reverse.log_weights.shape == (3, 10)
    assert reverse.row_free_energy == pytest.approx(engine.free_energy(model, bas4)[[0, 5, 9]])


def test_log_likelihood_picks_exact_or_ais(engine, bas4):
    model = random_model(16, 6, scale=0.3, seed=2)
    exact = engine.log_likelihood(model, bas4)
    assert exact.method == "exact" and exact.log_z_error == 0
    assert float(exact) == pytest.approx(engine.mean_log_likelihood(model, bas4), rel=1e-12)
    ais = engine.log_likelihood(model, bas4, method="ais", n_chains=100, n_betas=500,
                                bracket_rows=5)
    assert ais.method == "ais" and ais.has_bracket and ais.log_z_error > 0
    auto = engine.log_likelihood([model], bas4, max_log2_states=3, n_chains=10, n_betas=50)
    assert auto[0].method == "ais"


def test_tempering_and_clamped_sampling(engine):
    model = random_model(8, 4, scale=1.0)
    result = engine.sample_tempered(model, n_chains=3, burn_in=20, samples_per_chain=2, replicas=4)
    assert result.samples.shape == (6, 8) and result.swap_rates.shape == (3,)
    assert result.betas[-1] == 1.0 and np.all((0 <= result.swap_rates) & (result.swap_rates <= 1))
    init = np.zeros((5, 8), np.uint8)
    init[:, :3] = 1
    clamped = np.zeros(8, np.uint8)
    clamped[:4] = 1  # the first four units keep 1, 1, 1, 0
    samples = engine.sample(model, n_chains=5, burn_in=10, init=init, clamped=clamped)
    np.testing.assert_array_equal(samples[:, :4], init[:, :4])
    with pytest.raises(rbm.InvalidArgument, match="clamped"):
        engine.sample(model, n_chains=5, init=init, clamped=np.full(8, 2))


def test_label_units_and_posteriors(engine):
    data = rbm.make_glyph_digits(20)
    classes = list(range(10))
    labelled = rbm.with_label_units(data, classes)
    assert labelled.n_visible == data.n_visible + 10
    config = rbm.TrainConfig(batch_size=20, epochs=30, learning_rate=0.1, seed=1)
    model = engine.train(rbm.init_model(labelled, 50, config), config, labelled)
    p = engine.label_posteriors(model, data, classes)
    assert p.shape == (200, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    # Learned on its own training glyphs: far better than chance (0.1).
    assert np.mean(np.argmax(p, axis=1) == data.labels) > 0.5
    a = engine.label_activations(model, data.head(4), classes, burn_in=5, samples_per_chain=10)
    assert a.shape == (4, 10) and np.all((0 <= a) & (a <= 1))
    assert rbm.ais_schedule(10)[[0, -1]].tolist() == [0.0, 1.0]
    assert rbm.base_rate_bias(data).shape == (196,)
