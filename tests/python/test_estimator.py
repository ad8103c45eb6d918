"""rbm.BernoulliRBM as a scikit-learn estimator.

scikit-learn's own estimator checks (check_estimator) all run and pass: no check is excluded.
The only ones reported as skipped are those scikit-learn skips itself on this installation
(the array-API check without SCIPY_ARRAY_API=1, pandas/polars output checks without pandas or
polars). Beyond them: the exact score, fitting in pieces, pickling, a Pipeline on digits."""
import pickle

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import check_estimator

import rbm
from conftest import all_states

# The reasons scikit-learn gives when it skips a check itself (not an exclusion of ours).
SKIPPED_BY_SKLEARN = ("SCIPY_ARRAY_API is not set", "pandas is not installed",
                      "polars is not installed", "Can't import pandas", "Can't import polars")


def test_check_estimator_passes_every_check():
    results = check_estimator(rbm.BernoulliRBM(), on_fail=None)
    assert len(results) > 40
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed
    for r in results:
        if r["status"] == "skipped":
            assert any(reason in str(r["exception"]) for reason in SKIPPED_BY_SKLEARN), r


@pytest.fixture(scope="module")
def bas():
    return np.array(rbm.load_dataset("bas:4").values, dtype=np.float64)


def test_score_samples_is_the_exact_log_likelihood(bas):
    estimator = rbm.BernoulliRBM(n_components=8, n_iter=20, learning_rate=0.05, random_state=1,
                                 backend="cpu").fit(bas)
    # Exact: p(v) over all 2^16 visible vectors sums to 1 (float32 free energies: each log p is
    # within ~1e-5 of its float64 value, see test_engine's bound; the sum's log is within that).
    log_p = estimator.score_samples(all_states(16))
    assert abs(np.logaddexp.reduce(log_p)) < 1e-4
    assert estimator.score(bas) == pytest.approx(np.mean(estimator.score_samples(bas)))
    engine = rbm.Engine("cpu")
    model = rbm.Model(estimator.components_.T, estimator.intercept_visible_,
                      estimator.intercept_hidden_)
    np.testing.assert_array_equal(estimator.score_samples(bas), engine.log_probabilities(model, bas))


def test_score_samples_says_when_log_z_is_not_affordable():
    X = np.random.default_rng(0).random((50, 64)) < 0.5
    estimator = rbm.BernoulliRBM(n_components=26, n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"2\^26 states.*max_log2_states"):
        estimator.score_samples(X)
    estimator.set_params(max_log2_states=26)  # the way out the message names
    assert np.isfinite(estimator.score(X))


def test_potts_hidden_layers_score_exactly_at_any_size():
    X = np.random.default_rng(0).random((100, 64)) < 0.3
    estimator = rbm.BernoulliRBM(n_components=40, hidden_type="potts", n_iter=2,
                                 random_state=0).fit(X)
    assert np.isfinite(estimator.score(X))


def test_partial_fit_continues_the_run_exactly(bas):
    options = dict(n_components=6, batch_size=7, optimizer="momentum", momentum=0.5,
                   random_state=3, backend="cpu")
    whole = rbm.BernoulliRBM(n_iter=3, **options).fit(bas)
    pieces = rbm.BernoulliRBM(**options)
    for _ in range(3):
        pieces.partial_fit(bas)
    np.testing.assert_array_equal(pieces.components_, whole.components_)
    np.testing.assert_array_equal(pieces.intercept_visible_, whole.intercept_visible_)
    # A pickled estimator continues the same way.
    copy = pickle.loads(pickle.dumps(whole))
    np.testing.assert_array_equal(copy.transform(bas), whole.transform(bas))
    np.testing.assert_array_equal(copy.partial_fit(bas).components_,
                                  whole.partial_fit(bas).components_)


def test_outputs_and_attributes(bas, capsys):
    estimator = rbm.BernoulliRBM(n_components=5, n_iter=2, verbose=1, random_state=0).fit(bas)
    assert "[BernoulliRBM] Iteration 2, reconstruction error = " in capsys.readouterr().out
    assert estimator.components_.shape == (5, 16) and estimator.n_features_in_ == 16
    assert estimator.intercept_hidden_.shape == (5,) and estimator.intercept_visible_.shape == (16,)
    assert estimator.transform(bas).dtype == np.float64
    assert estimator.transform(bas.astype(np.float32)).dtype == np.float32
    v = estimator.gibbs(bas)
    assert v.shape == bas.shape and v.dtype == bool
    assert list(estimator.get_feature_names_out()) == [f"bernoullirbm{i}" for i in range(5)]


def test_grey_levels_are_thresholded_or_refused():
    X = np.random.default_rng(0).random((40, 9))
    a = rbm.BernoulliRBM(n_components=3, n_iter=1, random_state=0).fit(X)
    b = rbm.BernoulliRBM(n_components=3, n_iter=1, random_state=0).fit(X > 0.5)
    np.testing.assert_array_equal(a.components_, b.components_)
    with pytest.raises(ValueError, match="not 0 or 1"):
        rbm.BernoulliRBM(n_components=3, n_iter=1, threshold=None).fit(X)


def test_a_pipeline_on_digits():
    """RBM features feed a logistic regression (scikit-learn's RBM example): test accuracy far
    above chance (0.1); on this split it measures 0.95 at 100 hidden units and 20 epochs, so a
    floor of 0.85 fails only if learning or the features break."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25,
                                                        random_state=0)
    pipeline = Pipeline([
        ("rbm", rbm.BernoulliRBM(n_components=100, learning_rate=0.06, n_iter=20,
                                 random_state=0)),
        ("logistic", LogisticRegression(C=100.0, max_iter=2000)),
    ]).fit(X_train, y_train)
    assert pipeline.score(X_test, y_test) >= 0.85


def test_ais_beyond_the_enumeration_limit(bas):
    """log_z_method="auto" past max_log2_states estimates log Z by AIS: within 5 of its own
    standard errors of the exact value (normal approximation: false alarms ~6e-7), plus the
    Jensen bias of the log of a mean, about half its variance."""
    options = dict(n_components=8, n_iter=20, learning_rate=0.05, random_state=1, backend="cpu")
    exact = rbm.BernoulliRBM(**options).fit(bas)
    estimated = rbm.BernoulliRBM(max_log2_states=4, log_z_method="auto", ais_chains=200,
                                 ais_betas=2000, **options).fit(bas)
    np.testing.assert_array_equal(exact.components_, estimated.components_)
    model = exact._model()
    engine = rbm.Engine("cpu")
    ais = engine.ais_log_z(model, n_chains=200, n_betas=2000, seed=estimated._seed,
                           base_visible_bias=rbm.base_rate_bias(bas))
    difference = estimated.score(bas) - exact.score(bas)  # = exact log Z - AIS log Z
    assert difference == pytest.approx(engine.log_z(model).log_z - ais.log_z, abs=1e-9)
    assert abs(difference) <= 5 * ais.standard_error + ais.standard_error**2
    with pytest.raises(ValueError, match="log_z_method='auto'"):
        rbm.BernoulliRBM(max_log2_states=4, **options).fit(bas).score(bas)
