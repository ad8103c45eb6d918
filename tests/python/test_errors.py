"""The library's exceptions in Python: one base, rbm.Error; each also the built-in exception
that fits; the library's messages and fields carried along."""
import numpy as np
import pytest

import rbm


@pytest.mark.parametrize("error, builtin", [
    (rbm.InvalidArgument, ValueError), (rbm.InvalidType, TypeError), (rbm.IoError, OSError),
    (rbm.CudaError, RuntimeError), (rbm.OutOfMemory, MemoryError),
    (rbm.NotBuilt, NotImplementedError), (rbm.Cancelled, RuntimeError),
    (rbm.Interrupted, rbm.Cancelled), (rbm.Diverged, RuntimeError)])
def test_each_error_is_an_rbm_error_and_a_builtin(error, builtin):
    assert issubclass(error, rbm.Error) and issubclass(error, builtin)
    assert error.__module__ == "rbm"


def test_messages_name_the_problem(tmp_path):
    with pytest.raises(rbm.InvalidArgument, match="unknown backend 'gpu'"):
        rbm.Engine("gpu")
    with pytest.raises(rbm.InvalidArgument, match="bas"):
        rbm.load_dataset("bas:x")
    missing = tmp_path / "missing.safetensors"
    with pytest.raises(rbm.IoError, match="missing.safetensors") as info:
        rbm.load_model(missing)
    assert isinstance(info.value, OSError)
    with pytest.raises(rbm.InvalidArgument, match="unknown optimizer|optimizer"):
        rbm.TrainConfig(optimizer="lbfgs")
    with pytest.raises(rbm.InvalidType, match="TrainConfig has no option 'epoch'"):
        rbm.TrainConfig(epoch=3)
    with pytest.raises(rbm.InvalidType, match="TrainConfig.epochs: expected int, got float"):
        rbm.TrainConfig(epochs=2.5)


def test_a_cuda_engine_without_cuda_says_why():
    if rbm.cuda_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises((rbm.NotBuilt, rbm.CudaError), match="cuda"):
        rbm.Engine("cuda")


def test_diverged_carries_the_last_healthy_models(engine, bas4):
    config = rbm.TrainConfig(batch_size=10, epochs=20, optimizer="sgd", learning_rate=1e6,
                             max_abs_parameter=10.0)
    start = rbm.init_model(bas4, 4, config)
    with pytest.raises(rbm.Diverged, match="diverged") as info:
        engine.train(start, config, bas4)
    error = info.value
    assert error.model == 0 and error.epoch >= 1
    assert len(error.last_good) == 1 and isinstance(error.last_good[0], rbm.Model)
    assert np.abs(error.last_good[0].W).max() <= 10.0
    # The engine is still usable.
    assert engine.train(start, rbm.TrainConfig(batch_size=10, epochs=1), bas4).n_hidden == 4
