"""Arrays in and out: every dtype that can hold data bits, read-only and strided arrays, images,
DLPack producers; wrong shapes, NaN, wrong types and device memory where host memory is needed
are refused with a message naming the argument, never a crash."""
import numpy as np
import pytest

import rbm
from conftest import DL_UINT, FakeCudaTensor


@pytest.fixture(scope="module")
def bits(bas4):
    return np.array(bas4.values)


@pytest.mark.parametrize("dtype", [np.uint8, np.bool_, np.int8, np.int16, np.uint16, np.int32,
                                   np.uint32, np.int64, np.uint64, np.float32, np.float64])
def test_every_real_dtype_of_zeros_and_ones_is_the_same_dataset(bits, dtype):
    data = rbm.Dataset(bits.astype(dtype))
    assert data.values.dtype == np.uint8
    np.testing.assert_array_equal(data.values, bits)


def test_read_only_strided_and_fortran_arrays_are_read_as_they_are(bits, engine, bas4):
    model = rbm.init_model(bas4, 5)
    reference = engine.free_energy(model, bas4)
    read_only = bits.astype(np.float64)
    read_only.setflags(write=False)
    wide = np.zeros((bits.shape[0], 2 * bits.shape[1]), np.uint8)
    wide[:, ::2] = bits
    for array in (read_only, wide[:, ::2], np.asfortranarray(bits), bits[::-1][::-1]):
        np.testing.assert_array_equal(engine.free_energy(model, array), reference)


def test_images_keep_their_shape(bits):
    images = bits.reshape(-1, 4, 4)
    data = rbm.Dataset(images, labels=np.arange(len(images)), name="bas")
    assert data.image_shape == (4, 4)
    np.testing.assert_array_equal(data.labels, np.arange(len(images)))
    assert "bas" in repr(data)


def test_dataset_views_are_zero_copy_and_read_only(bas4):
    values = bas4.values
    assert not values.flags.writeable
    assert values.__array_interface__["data"][0] == bas4.values.__array_interface__["data"][0]


def test_outputs_own_their_memory(engine, bas4):
    model = rbm.init_model(bas4, 3)
    p = engine.hidden_probabilities(model, bas4)
    assert p.shape == (bas4.n_samples, 3) and p.dtype == np.float32 and p.flags.c_contiguous
    del model
    assert np.isfinite(p).all()


def test_numpy_dlpack_capsules_and_lists_are_arrays(bits, engine, bas4):
    model = rbm.init_model(bas4, 3)
    reference = engine.free_energy(model, bas4)
    np.testing.assert_array_equal(engine.free_energy(model, bits.__dlpack__()), reference)
    np.testing.assert_array_equal(engine.free_energy(model, bits.tolist()), reference)


@pytest.mark.parametrize("bad, where", [(0.5, "sample 2, unit 3"), (np.nan, "sample 2, unit 3"),
                                        (2.0, "sample 2, unit 3")])
def test_values_other_than_zero_or_one_are_named(bits, bad, where):
    data = bits.astype(np.float64)
    data[2, 3] = bad
    with pytest.raises(rbm.InvalidArgument, match=where) as info:
        rbm.Dataset(data)
    assert isinstance(info.value, ValueError)
    assert "x > 0.5" in str(info.value)


def test_wrong_shapes_and_types_are_refused(bits):
    with pytest.raises(rbm.InvalidArgument, match=r"shape \(16,\).*reshape"):
        rbm.Dataset(bits[0])
    with pytest.raises(rbm.InvalidArgument, match="empty"):
        rbm.Dataset(np.zeros((0, 4)))
    with pytest.raises(rbm.InvalidType, match="complex"):
        rbm.Dataset(bits.astype(np.complex64))
    with pytest.raises(rbm.InvalidType, match="expected an array, got str"):
        rbm.Dataset("bas:4")
    with pytest.raises(rbm.InvalidType, match="dtype"):
        rbm.Dataset(np.array([["a", "b"]]))
    with pytest.raises(TypeError):  # InvalidType is a TypeError
        rbm.Dataset(None)


def test_model_arrays_check_shape_and_finiteness():
    W = np.zeros((4, 3))
    with pytest.raises(rbm.InvalidArgument, match=r"b: expected shape \(4,\), got \(3,\)"):
        rbm.Model(W, np.zeros(3))
    W[1, 2] = np.inf
    with pytest.raises(rbm.InvalidArgument, match=r"W\[1, 2\] is inf"):
        rbm.Model(W)
    with pytest.raises(rbm.InvalidArgument, match="beyond float32's range"):
        rbm.Model(np.full((2, 2), 1e300))
    model = rbm.Model(np.zeros((4, 3)))
    with pytest.raises(rbm.InvalidArgument, match=r"expected shape \(4, 3\)"):
        model.W = np.zeros((3, 4))


def test_cuda_tensors_are_refused_where_host_memory_is_needed(engine):
    """A CUDA tensor given to a CPU engine, a Dataset or a Model is refused without reading it
    (its pointer is not memory: a read would crash)."""
    tensor = FakeCudaTensor((5, 3))
    with pytest.raises(rbm.InvalidArgument, match="CPU backend cannot read CUDA device memory"):
        engine.upload(tensor)
    model = rbm.Model.zeros(3, 2)
    with pytest.raises(rbm.InvalidArgument, match="cuda:0"):
        engine.free_energy(model, tensor)
    with pytest.raises(rbm.InvalidType, match="holds host memory"):
        rbm.Dataset(tensor)
    with pytest.raises(rbm.InvalidType, match="is on cuda:0; this needs host memory"):
        rbm.Model(FakeCudaTensor((3, 2)))


def test_cuda_tensors_must_be_contiguous_and_of_a_bit_dtype(engine):
    with pytest.raises(rbm.InvalidArgument, match="not contiguous"):
        engine.upload(FakeCudaTensor((5, 3), strides=(1, 5)))
    with pytest.raises(rbm.InvalidArgument, match="dtype uint16"):
        engine.upload(FakeCudaTensor((5, 3), code=DL_UINT, bits=16))


def test_torch_tensors_through_dlpack(engine, bas4):
    torch = pytest.importorskip("torch")
    model = rbm.init_model(bas4, 3)
    tensor = torch.from_numpy(np.array(bas4.values)).to(torch.float32)
    np.testing.assert_array_equal(engine.free_energy(model, tensor), engine.free_energy(model, bas4))
    np.testing.assert_array_equal(rbm.Model(torch.ones(2, 3)).W, np.ones((2, 3)))
