"""Restricted Boltzmann Machines with exact log-likelihood, on CPU and GPU.

The C++ library's API (``rbm._rbm``, built with nanobind) and a scikit-learn estimator:

>>> import rbm
>>> engine = rbm.Engine("cpu")
>>> data = rbm.load_dataset("bas:4")
>>> config = rbm.TrainConfig(persistent=True, batch_size=10, epochs=200, optimizer="adam",
...                          learning_rate=0.01)
>>> model = engine.train(rbm.init_model(data, 16, config), config, data)
>>> engine.mean_log_likelihood(model, data)      # exact: log Z by enumeration  # doctest: +SKIP

``rbm.BernoulliRBM`` is a scikit-learn estimator (needs scikit-learn). Every error is an
``rbm.Error``; its subclasses also derive from the built-in exception that fits (``rbm.InvalidArgument``
is a ``ValueError``, ``rbm.IoError`` an ``OSError``, ...).
"""
from . import _rbm
from ._rbm import *  # noqa: F401,F403 (the compiled API: every public name of rbm._rbm)
from ._rbm import __version__

__all__ = sorted([name for name in dir(_rbm) if not name.startswith("_")] + ["BernoulliRBM"])


def __getattr__(name):
    # The estimator needs scikit-learn, which `import rbm` alone does not.
    if name == "BernoulliRBM":
        from .estimator import BernoulliRBM

        return BernoulliRBM
    raise AttributeError(f"module 'rbm' has no attribute {name!r}")
