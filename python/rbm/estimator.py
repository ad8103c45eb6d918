"""rbm.BernoulliRBM: a scikit-learn estimator over rbm's engine.

It takes scikit-learn's ``BernoulliRBM`` names and defaults (PCD-1 with plain SGD, chains =
``batch_size``) and adds the library's options. Unlike scikit-learn's, ``score_samples`` is the
*exact* log-likelihood where log Z can be enumerated (and, when asked, an AIS estimate beyond).
"""
from __future__ import annotations

import copy
import threading

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._rbm import Engine, InvalidArgument, Model, TrainConfig, base_rate_bias, init_model

# Engines are shared by estimators with the same backend and thread count: making one starts a
# thread pool (or a CUDA context), and an Engine serialises calls from several threads.
_engines: dict[tuple[str, int], Engine] = {}
_engines_lock = threading.Lock()

# Seeds drawn from random_state lie in [0, 2^31).
_SEED_BOUND = np.iinfo(np.int32).max


def _engine(backend: str, threads: int) -> Engine:
    with _engines_lock:
        engine = _engines.get((backend, threads))
        if engine is None:
            engine = _engines[(backend, threads)] = Engine(backend, threads=threads)
        return engine


class BernoulliRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Restricted Boltzmann Machine trained by CD-k / persistent CD on rbm's CPU or CUDA engine.

    scikit-learn's ``sklearn.neural_network.BernoulliRBM`` parameters keep their names and
    defaults (persistent CD-1, plain SGD, ``batch_size`` persistent chains). The engine trains on
    binary data: inputs are binarised, ``X > threshold`` (grey levels in [0, 1] at 0.5 by
    default; ``threshold=None`` requires exact 0/1 values).

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units L.
    learning_rate : float or str, default=0.1
        Learning rate, or a schedule string such as ``"linear:0.1:0.01"`` (see rbm.Schedule).
    batch_size : int, default=10
        Mini-batch size (at most the number of samples; the last incomplete batch of an epoch is
        skipped).
    n_iter : int, default=10
        Epochs (passes over the data).
    verbose : int, default=0
        Print the reconstruction error after every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and sampling. Results repeat exactly for one seed,
        machine and thread count.
    cd_steps : int or str, default=1
        Gibbs steps k of the negative phase (a schedule string grows it).
    persistent : bool, default=True
        Persistent CD (scikit-learn's choice); False is CD-k.
    n_chains : int or None, default=None
        Persistent chains; None: ``batch_size``.
    optimizer : {"sgd", "momentum", "nesterov", "rmsprop", "adam"}, default="sgd"
    momentum : float or str, default=0.0
        Momentum of the momentum, nesterov and rmsprop optimizers.
    weight_decay : float, default=0.0
        L2 coefficient on the weights.
    sparsity_target, sparsity_cost : float, default=0.0
        Pull the mean hidden activation towards the target (cost 0 is off).
    centering : bool, default=False
        Centered gradient (Melchior, Fischer & Wiskott 2016).
    visible_type : {"bernoulli", "spin"}, default="bernoulli"
    hidden_type : {"bernoulli", "spin", "potts", "potts-off"}, default="bernoulli"
    init_std : float, default=0.01
        Standard deviation of the initial weights.
    threshold : float or None, default=0.5
        Inputs are binarised as ``X > threshold``; None: inputs must already be 0/1.
    max_log2_states : int, default=24
        ``score_samples`` enumerates up to 2^max_log2_states states for log Z.
    log_z_method : {"exact", "auto", "ais"}, default="exact"
        How ``score_samples`` gets log Z: "exact" enumerates or raises when that exceeds
        2^max_log2_states; "auto" enumerates when affordable and estimates by annealed
        importance sampling (AIS) beyond; "ais" always estimates.
    ais_chains, ais_betas : int, default=100, 10000
        AIS runs and intermediate distributions (from the training data's base-rate model).
    backend : {"auto", "cpu", "cuda"}, default="auto"
    threads : int, default=0
        CPU threads (0: all).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features), float32
        Weights (the transpose of the library's W).
    intercept_hidden_ : ndarray of shape (n_components,), float32
    intercept_visible_ : ndarray of shape (n_features,), float32
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has feature names that are all strings.
    random_state_ : RandomState
        Draws the seeds of training and of ``gibbs``.
    """

    def __init__(
        self,
        n_components=256,
        *,
        learning_rate=0.1,
        batch_size=10,
        n_iter=10,
        verbose=0,
        random_state=None,
        cd_steps=1,
        persistent=True,
        n_chains=None,
        optimizer="sgd",
        momentum=0.0,
        weight_decay=0.0,
        sparsity_target=0.0,
        sparsity_cost=0.0,
        centering=False,
        visible_type="bernoulli",
        hidden_type="bernoulli",
        init_std=0.01,
        threshold=0.5,
        max_log2_states=24,
        log_z_method="exact",
        ais_chains=100,
        ais_betas=10000,
        backend="auto",
        threads=0,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.cd_steps = cd_steps
        self.persistent = persistent
        self.n_chains = n_chains
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.centering = centering
        self.visible_type = visible_type
        self.hidden_type = hidden_type
        self.init_std = init_std
        self.threshold = threshold
        self.max_log2_states = max_log2_states
        self.log_z_method = log_z_method
        self.ais_chains = ais_chains
        self.ais_betas = ais_betas
        self.backend = backend
        self.threads = threads

    # ---- fitting ---------------------------------------------------------------------------

    def fit(self, X, y=None):
        """Fit the model to X (n_samples, n_features) with ``n_iter`` epochs.

        Ctrl-C stops after the current epoch: the estimator keeps the model of the epochs done
        and KeyboardInterrupt is raised.
        """
        X = validate_data(self, X, accept_sparse=("csr", "csc", "coo"), reset=True)
        self.random_state_ = check_random_state(self.random_state)
        bits = self._bits(X)
        config = self._config(len(bits), self.n_iter)
        self._base_rate = base_rate_bias(bits, self.visible_type)
        start = init_model(bits, self.n_components, config)
        self._train(lambda engine, data, **options: engine.train(start, config, data, **options),
                    bits, every=self.n_iter)
        return self

    def partial_fit(self, X, y=None):
        """Fit the model to X with one more epoch, continuing the last run (optimizer state and
        persistent chains included)."""
        first = not hasattr(self, "components_")
        X = validate_data(self, X, accept_sparse=("csr", "csc", "coo"), reset=first)
        bits = self._bits(X)
        if first:
            self.random_state_ = check_random_state(self.random_state)
            config = self._config(len(bits), 1)
            self._base_rate = base_rate_bias(bits, self.visible_type)
            start = init_model(bits, self.n_components, config)
            train = lambda engine, data, **options: engine.train(start, config, data, **options)
        elif self._checkpoint is None:  # fitted without a training state: a fresh optimizer
            config = self._config(len(bits), 1)
            start = self._model()
            train = lambda engine, data, **options: engine.train(start, config, data, **options)
        else:
            checkpoint = copy.copy(self._checkpoint)
            config = checkpoint.configs[0]
            config.epochs = checkpoint.epochs_done + 1
            config.batch_size = min(self.batch_size, len(bits))
            checkpoint.configs = [config]
            checkpoint.models = [self._model()]  # the attributes, as the user may have set them
            train = lambda engine, data, **options: engine.resume(checkpoint, data, **options)
        self._train(train, bits, every=1)
        return self

    def _train(self, train, bits, every):
        """Runs train(engine, data, **options); fitted attributes and the training state come
        from the last checkpoint (the final one, or the one of an interruption)."""
        states = []
        try:
            model = train(self._engine(), bits, on_epoch=self._report,
                          checkpoint_every=max(every, 0), on_checkpoint=states.append)
            if isinstance(model, list):
                model = model[0]
        except KeyboardInterrupt:
            if states:
                self._set_fitted(states[-1].models[0], states[-1])
            raise
        self._set_fitted(model, states[-1] if states else None)

    def _report(self, metrics):
        if self.verbose:
            m = metrics[0]
            print(f"[{type(self).__name__}] Iteration {m.epoch}, reconstruction error = "
                  f"{m.reconstruction_error:.4f}, time = {m.seconds:.2f}s", flush=True)
        return True

    def _set_fitted(self, model, checkpoint):
        self.components_ = np.ascontiguousarray(model.W.T)
        self.intercept_hidden_ = np.array(model.c)
        self.intercept_visible_ = np.array(model.b)
        self._checkpoint = checkpoint
        self._log_z_cache = {}
        self._seed = (checkpoint.configs[0] if checkpoint else TrainConfig()).seed

    # ---- using the model -------------------------------------------------------------------

    def transform(self, X):
        """Hidden activation probabilities p(h_j = 1 | v), shape (n_samples, n_components), in
        X's float dtype (float64 for other inputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc", "coo"), reset=False)
        p = self._engine().hidden_probabilities(self._model(), self._bits(X))
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        return p.astype(dtype, copy=False)

    def gibbs(self, v):
        """One block-Gibbs step from v: samples h ~ p(h | v), then v' ~ p(v | h). Returns v' as
        a bool array of v's shape."""
        check_is_fitted(self)
        v = validate_data(self, v, accept_sparse=("csr", "csc", "coo"), reset=False)
        bits = self._bits(v)
        seed = int(self.random_state_.randint(_SEED_BOUND))
        samples = self._engine().sample(self._model(), n_chains=len(bits), burn_in=0,
                                        samples_per_chain=1, seed=seed, init=bits)
        return samples.astype(bool)

    def score_samples(self, X):
        """Log-likelihood log p(v) = -F(v) - log Z of every sample (after binarisation): exact,
        with log Z summed over all 2^min(D, L) states of the smaller layer (L states for a Potts
        layer), unless log_z_method asks for AIS.

        scikit-learn's BernoulliRBM returns a *pseudo*-likelihood here (from a random one-bit
        flip per sample). With log_z_method="exact" (the default) a model whose log Z needs more
        than 2^max_log2_states states raises rbm.InvalidArgument (a ValueError).
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc", "coo"), reset=False)
        model = self._model()
        engine = self._engine()
        return engine.log_probabilities(model, self._bits(X), log_z=self._log_partition(engine, model))

    def score(self, X, y=None):
        """Mean log-likelihood of X (higher is better; see score_samples)."""
        return float(np.mean(self.score_samples(X)))

    def _log_partition(self, engine, model):
        """log Z of `model`, cached per parameter values: exact by enumeration when affordable,
        else (log_z_method "auto" or "ais") annealed importance sampling from the training
        data's base-rate model."""
        if self.log_z_method not in ("exact", "auto", "ais"):
            raise InvalidArgument(f"log_z_method is {self.log_z_method!r}; expected 'exact', "
                                  "'auto' or 'ais'")
        key = (model.W.tobytes(), model.b.tobytes(), model.c.tobytes(), model.visible_type,
               model.hidden_type, self.log_z_method, self.ais_chains, self.ais_betas)
        if self._log_z_cache.get("key") == key:
            return self._log_z_cache["log_z"]
        affordable = engine.can_enumerate(model, max_log2_states=self.max_log2_states)
        if self.log_z_method == "exact" and not affordable:
            log2_states = min(model.n_visible, model.n_hidden)
            raise InvalidArgument(
                f"the exact log-likelihood needs log Z over 2^{log2_states} states (D = "
                f"{model.n_visible}, L = {model.n_hidden}), more than 2^{self.max_log2_states} "
                "(max_log2_states); use fewer hidden units, raise max_log2_states, or set "
                "log_z_method='auto' for an AIS estimate")
        if self.log_z_method == "ais" or not affordable:
            log_z = engine.ais_log_z(model, n_chains=self.ais_chains, n_betas=self.ais_betas,
                                     base_visible_bias=getattr(self, "_base_rate", None),
                                     seed=self._seed).log_z
        else:
            log_z = engine.log_z(model, max_log2_states=self.max_log2_states).log_z
        self._log_z_cache.update(key=key, log_z=log_z)
        return log_z

    # ---- helpers ---------------------------------------------------------------------------

    def _engine(self):
        return _engine(self.backend, self.threads)

    def _model(self):
        return Model(self.components_.T, self.intercept_visible_, self.intercept_hidden_,
                     visible_type=self.visible_type, hidden_type=self.hidden_type)

    def _bits(self, X):
        """X as C-contiguous data bits (bool), or as it is when threshold is None."""
        if sp.issparse(X):
            X = X.toarray()
        if self.threshold is None:
            return np.ascontiguousarray(X)
        return np.ascontiguousarray(X > self.threshold)

    def _config(self, n_samples, epochs):
        batch_size = min(int(self.batch_size), n_samples)
        return TrainConfig(
            cd_steps=self.cd_steps,
            persistent=self.persistent,
            n_chains=int(self.n_chains if self.n_chains is not None else self.batch_size),
            batch_size=batch_size,
            epochs=epochs,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            weight_decay=float(self.weight_decay),
            sparsity_target=float(self.sparsity_target),
            sparsity_cost=float(self.sparsity_cost),
            centering=bool(self.centering),
            visible_type=self.visible_type,
            hidden_type=self.hidden_type,
            init_weight_std=float(self.init_std),
            seed=int(self.random_state_.randint(_SEED_BOUND)),
        )

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
