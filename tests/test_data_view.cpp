// tests/test_data_view.cpp — Engine::upload(DataView): datasets read from caller-owned arrays.
//
//  - A host array of every element type uploads to what the same rows as a Dataset upload to:
//    equal free energies and, with centering (which starts from the data's column means), the
//    same trained model bit for bit.
//  - A value that is not exactly 0 or 1 (a fraction, 2, NaN) is refused, naming its row and
//    column; so are empty arrays and null pointers.
//  - The CPU backend refuses device memory without reading it (the pointer given is not even
//    valid memory).
//  - On a GPU (skipped without one): device arrays upload device to device and give what the
//    host path gives; bad device values are named; a host pointer posing as device memory is
//    refused. These need the CUDA runtime and compile in CUDA builds only.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/device.hpp"
#include "tests/support/same_model.hpp"
#ifdef RBM_TEST_CUDA_RUNTIME
#include <cuda_runtime.h>
#endif

namespace rbm::test {
namespace {

/// The dataset's bits as elements of type T, row-major.
template <typename T>
std::vector<T> as_elements(const Dataset& data) {
  return std::vector<T>(data.values.begin(), data.values.end());
}

template <typename T>
DataView view_of(const std::vector<T>& elements, const Dataset& like, ElementType type) {
  DataView view;
  view.data = elements.data();
  view.n_samples = like.n_samples;
  view.n_visible = like.n_visible;
  view.type = type;
  view.name = "array";
  return view;
}

/// Equal free energies and the same centered training as the Dataset's upload.
void expect_same_as_dataset(Engine& engine, const DataHandle& from_view, const Dataset& data) {
  const DataHandle reference = engine.upload(data);
  ASSERT_EQ(from_view.n_samples(), data.n_samples);
  ASSERT_EQ(from_view.n_visible(), data.n_visible);
  TrainConfig config;
  config.batch_size = 10;
  config.epochs = 3;
  config.centering = true;
  const Model start = init_model(data, 8, config);
  EXPECT_EQ(engine.free_energy(start, from_view), engine.free_energy(start, reference));
  EXPECT_TRUE(
      same_bits(engine.train(start, config, from_view), engine.train(start, config, reference)));
}

TEST(DataView, EveryElementTypeUploadsLikeTheDataset) {
  const Dataset data = load_dataset("bas:4");
  Engine engine(BackendKind::cpu);
  const auto u8 = as_elements<std::uint8_t>(data);
  const auto i32 = as_elements<std::int32_t>(data);
  const auto i64 = as_elements<std::int64_t>(data);
  const auto f32 = as_elements<float>(data);
  const auto f64 = as_elements<double>(data);
  for (const DataView& view :
       {view_of(u8, data, ElementType::uint8), view_of(i32, data, ElementType::int32),
        view_of(i64, data, ElementType::int64), view_of(f32, data, ElementType::float32),
        view_of(f64, data, ElementType::float64)}) {
    SCOPED_TRACE(to_string(view.type));
    expect_same_as_dataset(engine, engine.upload(view), data);
  }
}

/// The message of the InvalidArgument that uploading `view` throws ("" if none).
std::string upload_error(Engine& engine, const DataView& view) {
  try {
    engine.upload(view);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

TEST(DataView, ValuesOtherThanZeroOrOneAreNamed) {
  const Dataset data = load_dataset("bas:4");
  Engine engine(BackendKind::cpu);
  const std::size_t at = 3 * data.n_visible + 7;  // sample 3, unit 7
  for (const double bad : {0.5, 2.0, -1.0, std::numeric_limits<double>::quiet_NaN()}) {
    auto f64 = as_elements<double>(data);
    f64[at] = bad;
    const std::string message = upload_error(engine, view_of(f64, data, ElementType::float64));
    EXPECT_NE(message.find("sample 3, unit 7"), std::string::npos) << message;
    EXPECT_NE(message.find("not 0 or 1"), std::string::npos) << message;
  }
  auto u8 = as_elements<std::uint8_t>(data);
  u8[at] = 255;
  EXPECT_NE(upload_error(engine, view_of(u8, data, ElementType::uint8)).find("value 255"),
            std::string::npos);
}

TEST(DataView, EmptyOrNullArraysAreRefused) {
  Engine engine(BackendKind::cpu);
  const std::vector<float> one(4, 1.0f);
  DataView view;
  view.data = one.data();
  view.n_samples = 0;
  view.n_visible = 4;
  view.type = ElementType::float32;
  EXPECT_NE(upload_error(engine, view).find("empty"), std::string::npos);
  view.n_samples = 1;
  view.n_visible = 0;
  EXPECT_NE(upload_error(engine, view).find("0 columns"), std::string::npos);
  view.n_visible = 4;
  view.data = nullptr;
  EXPECT_NE(upload_error(engine, view).find("null"), std::string::npos);
  view.data = one.data();
  view.n_samples = std::numeric_limits<std::size_t>::max() / 2;
  EXPECT_NE(upload_error(engine, view).find("do not fit"), std::string::npos);
}

TEST(DataView, TheCpuBackendRefusesDeviceMemory) {
  Engine engine(BackendKind::cpu);
  DataView view;
  // Not memory at all: a CPU backend that read it would crash instead of refusing.
  view.data = reinterpret_cast<const void*>(std::uintptr_t{0x10});
  view.n_samples = 5;
  view.n_visible = 3;
  view.type = ElementType::float32;
  view.cuda_device = 0;
  const std::string message = upload_error(engine, view);
  EXPECT_NE(message.find("cannot read CUDA device memory"), std::string::npos) << message;
}

#ifdef RBM_TEST_CUDA_RUNTIME
/// A device copy of `host`, freed on destruction.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(const std::vector<T>& host) {
    EXPECT_EQ(cudaMalloc(&data_, host.size() * sizeof(T)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  ~DeviceArray() { cudaFree(data_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  const T* data() const { return data_; }

 private:
  T* data_ = nullptr;
};

using DataViewGpu = CudaTest;

TEST_F(DataViewGpu, DeviceArraysUploadLikeTheDataset) {
  // More rows than one counting block of the column means, and not a multiple of it.
  const Dataset data = make_glyph_digits(130, 3);
  Engine engine(BackendKind::cuda);
  const DeviceArray<float> f32(as_elements<float>(data));
  const DeviceArray<std::uint8_t> u8(as_elements<std::uint8_t>(data));
  const DeviceArray<std::int64_t> i64(as_elements<std::int64_t>(data));
  const DeviceArray<double> f64(as_elements<double>(data));
  const std::pair<const void*, ElementType> arrays[] = {{f32.data(), ElementType::float32},
                                                        {u8.data(), ElementType::uint8},
                                                        {i64.data(), ElementType::int64},
                                                        {f64.data(), ElementType::float64}};
  for (const auto& [pointer, type] : arrays) {
    SCOPED_TRACE(to_string(type));
    DataView view;
    view.data = pointer;
    view.n_samples = data.n_samples;
    view.n_visible = data.n_visible;
    view.type = type;
    view.cuda_device = 0;
    expect_same_as_dataset(engine, engine.upload(view), data);
  }
}

TEST_F(DataViewGpu, BadDeviceValuesAndHostPointersAreRefused) {
  const Dataset data = load_dataset("bas:4");
  Engine engine(BackendKind::cuda);
  auto values = as_elements<float>(data);
  values[3 * data.n_visible + 7] = std::numeric_limits<float>::quiet_NaN();
  values[5 * data.n_visible + 1] = 0.5f;  // a later bad value: the first one is named
  const DeviceArray<float> device(values);
  DataView view = view_of(values, data, ElementType::float32);
  view.cuda_device = 0;
  EXPECT_NE(upload_error(engine, view).find("not CUDA device memory"), std::string::npos);
  view.data = device.data();
  const std::string message = upload_error(engine, view);
  EXPECT_NE(message.find("sample 3, unit 7"), std::string::npos) << message;
  view.cuda_device = 1;
  EXPECT_NE(upload_error(engine, view).find("this engine runs on cuda:0"), std::string::npos);
}
#endif

}  // namespace
}  // namespace rbm::test
