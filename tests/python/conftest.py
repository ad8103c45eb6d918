"""Shared fixtures of the Python tests (the installed `rbm` package, built by `pip install .`)."""
import ctypes
import os
import pathlib

import numpy as np
import pytest

import rbm

REPO = pathlib.Path(__file__).resolve().parents[2]
# ../shared/data beside the repository, or RBM_DATA_DIR (holding mnist/ and digits/).
DATA_DIR = pathlib.Path(os.environ.get("RBM_DATA_DIR", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def engine():
    return rbm.Engine("cpu")


@pytest.fixture(scope="session")
def bas4():
    return rbm.load_dataset("bas:4")


def all_states(n):
    """Every binary vector of length n, [2^n, n] float64."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def brute_log_z(model):
    """log Z of a tiny Bernoulli model by summing exp(-E) over every (v, h)."""
    W, b, c = (np.asarray(x, dtype=np.float64) for x in (model.W, model.b, model.c))
    V, H = all_states(model.n_visible), all_states(model.n_hidden)
    energies = -(V @ b)[:, None] - (H @ c)[None, :] - V @ W @ H.T
    return float(np.logaddexp.reduce(-energies.ravel()))


def random_model(D, L, scale=0.5, seed=0, **types):
    rng = np.random.default_rng(seed)
    return rbm.Model(rng.normal(0, scale, (D, L)), rng.normal(0, scale, D),
                     rng.normal(0, scale, L), **types)


# ---- a DLPack tensor that says it lives on a CUDA device ----------------------------------
# Machines without a GPU still check that device memory is refused where the host would read
# it: the pointer is not memory at all, so reading it would crash instead of raising.

class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]

DL_CUDA = 2
DL_FLOAT, DL_UINT = 2, 1


class FakeCudaTensor:
    """Speaks DLPack like a PyTorch/CuPy CUDA tensor; its data pointer is invalid."""

    def __init__(self, shape, code=DL_FLOAT, bits=32, strides=None, device_id=0):
        self.shape = (ctypes.c_int64 * len(shape))(*shape)
        self.strides = (ctypes.c_int64 * len(shape))(*strides) if strides else None
        self.code, self.bits, self.device_id = code, bits, device_id
        self._kept = []

    def __dlpack_device__(self):
        return (DL_CUDA, self.device_id)

    def __dlpack__(self, stream=None, max_version=None, **kwargs):
        managed = _DLManagedTensor()
        t = managed.dl_tensor
        t.data = 0x1000
        t.device = _DLDevice(DL_CUDA, self.device_id)
        t.ndim = len(self.shape)
        t.dtype = _DLDataType(self.code, self.bits, 1)
        t.shape = self.shape
        t.strides = self.strides
        self._kept.append(managed)  # the capsule points into it
        return _capsule_new(ctypes.addressof(managed), b"dltensor", None)


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    """OpenBLAS's worker threads spin while they wait; on a machine shared with other jobs
    that makes small solves tens of times slower (scikit-learn's logistic regression on digit
    features: 7 s with two threads under load, 0.13 s with one). Tests measure no speed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
