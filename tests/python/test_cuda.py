"""CUDA tensors on a CUDA engine: read where they lie, device to device. Skipped without a
CUDA device (RBM_REQUIRE_GPU=1 makes that a failure), or without PyTorch/CuPy to make one."""
import os

import numpy as np
import pytest

import rbm

if not rbm.cuda_available():
    if os.environ.get("RBM_REQUIRE_GPU", "0") != "0":
        pytest.fail("RBM_REQUIRE_GPU is set but no usable CUDA device was found", pytrace=False)
    pytest.skip("no CUDA device (or built without CUDA)", allow_module_level=True)


def device_tensor(array):
    try:
        import torch
        return torch.from_numpy(array).cuda()
    except ImportError:
        cupy = pytest.importorskip("cupy")
        return cupy.asarray(array)


def test_cuda_tensors_upload_device_to_device(bas4):
    engine = rbm.Engine("cuda")
    model = rbm.init_model(bas4, 5)
    reference = engine.free_energy(model, bas4)
    for dtype in (np.float32, np.uint8, np.float64, np.int64):
        tensor = device_tensor(np.array(bas4.values, dtype=dtype))
        np.testing.assert_array_equal(engine.free_energy(model, tensor), reference)
    config = rbm.TrainConfig(batch_size=10, epochs=2, centering=True)
    tensor = device_tensor(np.array(bas4.values, dtype=np.float32))
    np.testing.assert_array_equal(engine.train(model, config, tensor).W,
                                  engine.train(model, config, bas4).W)


def test_bad_device_values_are_named(bas4):
    values = np.array(bas4.values, dtype=np.float32)
    values[3, 7] = 0.5
    with pytest.raises(rbm.InvalidArgument, match="sample 3, unit 7"):
        rbm.Engine("cuda").upload(device_tensor(values))
