// tests/test_c_api.cpp — the C API (rbm/rbm.h) function by function: every result equals the C++
// API's for the same inputs (bit for bit: one CPU thread, one library), parameters and data
// round-trip exactly, files are the `rbm` tool's, every bad call returns its status with a
// message naming the problem, and the epoch callback can stop training.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rbm/rbm.h"
#include "rbm/rbm.hpp"
#include "tests/support/same_model.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* handle) const { Free(handle); }
};
using EnginePtr = std::unique_ptr<rbm_engine_t, Deleter<rbm_engine_t, rbm_engine_free>>;
using DataPtr = std::unique_ptr<rbm_data_t, Deleter<rbm_data_t, rbm_data_free>>;
using ModelPtr = std::unique_ptr<rbm_model_t, Deleter<rbm_model_t, rbm_model_free>>;
using ListPtr = std::unique_ptr<rbm_model_list_t, Deleter<rbm_model_list_t, rbm_model_list_free>>;

/// `status` is `expected` and the last error message contains `needle`.
::testing::AssertionResult fails_with(int status, int expected, const std::string& needle) {
  const std::string message = rbm_last_error();
  if (status == expected && message.find(needle) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << rbm_status_name(status) << " \"" << message << "\", expected "
         << rbm_status_name(expected) << " with '" << needle << "'";
}

::testing::AssertionResult ok(int status) {
  if (status == RBM_OK) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << rbm_status_name(status) << ": " << rbm_last_error();
}

EnginePtr cpu_engine() {
  rbm_engine_t* engine = nullptr;
  EXPECT_TRUE(ok(rbm_engine_create("cpu", 1, 0, &engine)));
  return EnginePtr(engine);
}

DataPtr spec_data(const char* spec) {
  rbm_data_t* data = nullptr;
  EXPECT_TRUE(ok(rbm_data_from_spec(spec, &data)));
  return DataPtr(data);
}

/// A C model read back through the C API's getters.
rbm::Model model_of(const rbm_model_t* handle) {
  rbm::Model model;
  const char *visible = nullptr, *hidden = nullptr, *provenance = nullptr;
  EXPECT_TRUE(ok(rbm_model_shape(handle, &model.n_visible, &model.n_hidden)));
  EXPECT_TRUE(ok(rbm_model_unit_types(handle, &visible, &hidden)));
  EXPECT_TRUE(ok(rbm_model_provenance(handle, &provenance)));
  model.visible_type = rbm::parse_unit_type(visible);
  model.hidden_type = rbm::parse_unit_type(hidden);
  model.provenance = provenance;
  model.weights.resize(static_cast<std::size_t>(model.n_visible) * model.n_hidden);
  model.visible_bias.resize(model.n_visible);
  model.hidden_bias.resize(model.n_hidden);
  EXPECT_TRUE(ok(rbm_model_get_parameters(handle, model.weights.data(), model.weights.size(),
                                          model.visible_bias.data(), model.visible_bias.size(),
                                          model.hidden_bias.data(), model.hidden_bias.size())));
  return model;
}

std::vector<rbm::Model> models_of(const rbm_model_list_t* list) {
  std::size_t size = 0;
  EXPECT_TRUE(ok(rbm_model_list_size(list, &size)));
  std::vector<rbm::Model> models;
  for (std::size_t m = 0; m < size; ++m) {
    rbm_model_t* model = nullptr;
    EXPECT_TRUE(ok(rbm_model_list_get(list, m, &model)));
    models.push_back(model_of(model));
    rbm_model_free(model);
  }
  return models;
}

rbm::Engine cpp_engine() {
  rbm::EngineOptions options;
  options.cpu_threads = 1;
  return rbm::Engine(rbm::BackendKind::cpu, options);
}

/// The C++ API's models for a run configuration (what rbm_train must give).
std::vector<rbm::Model> cpp_train(const std::string& config, const rbm::Dataset& data) {
  const rbm::RunConfig run = rbm::run_config_from_json(config);
  rbm::Engine engine = cpp_engine();
  return engine.train(rbm::init_models(data, run), rbm::model_configs(run), engine.upload(data));
}

const char* const kConfig =
    R"({"hidden": 6, "models": 2, "epochs": 20, "batch_size": 7, "learning_rate": 0.1,
        "seed": 4})";

/// A CPU engine with one thread and bars-and-stripes 3×3 (14 patterns, D = 9) uploaded to it.
class CApi : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ok(rbm_engine_upload(engine_.get(), data_.get()))); }

  ListPtr train(const char* config) {
    rbm_model_list_t* models = nullptr;
    EXPECT_TRUE(ok(rbm_train(engine_.get(), data_.get(), config, nullptr, nullptr, &models)));
    return ListPtr(models);
  }
  ModelPtr first(const rbm_model_list_t* list) {
    rbm_model_t* model = nullptr;
    EXPECT_TRUE(ok(rbm_model_list_get(list, 0, &model)));
    return ModelPtr(model);
  }

  EnginePtr engine_ = cpu_engine();
  DataPtr data_ = spec_data("bas:3");
  const rbm::Dataset bas_ = rbm::make_bars_and_stripes(3);
};

// ---- status, errors, version ---------------------------------------------------------------

TEST(CApiStatus, VersionAndStatusNames) {
  EXPECT_STREQ(rbm_version(), rbm::version());
  EXPECT_STREQ(rbm_status_name(RBM_OK), "RBM_OK");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_INVALID_ARGUMENT), "RBM_ERR_INVALID_ARGUMENT");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_IO), "RBM_ERR_IO");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_CUDA), "RBM_ERR_CUDA");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_OUT_OF_MEMORY), "RBM_ERR_OUT_OF_MEMORY");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_NOT_BUILT), "RBM_ERR_NOT_BUILT");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_CANCELLED), "RBM_ERR_CANCELLED");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_DIVERGED), "RBM_ERR_DIVERGED");
  EXPECT_STREQ(rbm_status_name(RBM_ERR_INTERNAL), "RBM_ERR_INTERNAL");
  EXPECT_STREQ(rbm_status_name(-1), "unknown");
}

// Each thread sees its own last error; a thread that has not failed sees "".
TEST(CApiStatus, LastErrorIsPerThread) {
  rbm_data_t* data = nullptr;
  ASSERT_TRUE(fails_with(rbm_data_from_spec("nonsense:1", &data), RBM_ERR_INVALID_ARGUMENT,
                         "rbm_data_from_spec: "));
  const std::string mine = rbm_last_error();
  std::string fresh, other;
  std::thread([&] {
    fresh = rbm_last_error();
    rbm_model_t* model = nullptr;
    EXPECT_EQ(rbm_model_zeros(0, 3, &model), RBM_ERR_INVALID_ARGUMENT);
    other = rbm_last_error();
  }).join();
  EXPECT_EQ(fresh, "");
  EXPECT_NE(other.find("rbm_model_zeros"), std::string::npos) << other;
  EXPECT_EQ(rbm_last_error(), mine);
}

// ---- engines ---------------------------------------------------------------------------------

TEST(CApiEngine, CreateQueryFree) {
  rbm_engine_t* engine = nullptr;
  ASSERT_TRUE(ok(rbm_engine_create("cpu", 1, 0, &engine)));
  const EnginePtr owned(engine);
  const char *kind = nullptr, *name = nullptr;
  ASSERT_TRUE(ok(rbm_engine_kind(engine, &kind)));
  EXPECT_STREQ(kind, "cpu");
  ASSERT_TRUE(ok(rbm_engine_device_name(engine, &name)));
  EXPECT_EQ(name, cpp_engine().device_name());
  EXPECT_EQ(rbm_cuda_available(), rbm::cuda_available() ? 1 : 0);
  rbm_engine_free(nullptr);
}

TEST(CApiEngine, BadArgumentsAreNamed) {
  rbm_engine_t* engine = reinterpret_cast<rbm_engine_t*>(&engine);  // must become NULL
  EXPECT_TRUE(fails_with(rbm_engine_create("gpu", 0, 0, &engine), RBM_ERR_INVALID_ARGUMENT,
                         "unknown backend 'gpu'"));
  EXPECT_EQ(engine, nullptr);
  EXPECT_TRUE(fails_with(rbm_engine_create(nullptr, 0, 0, &engine), RBM_ERR_INVALID_ARGUMENT,
                         "backend is NULL"));
  EXPECT_TRUE(fails_with(rbm_engine_create("cpu", -2, 0, &engine), RBM_ERR_INVALID_ARGUMENT,
                         "cpu_threads is -2"));
  EXPECT_TRUE(fails_with(rbm_engine_create("cpu", 0, -1, &engine), RBM_ERR_INVALID_ARGUMENT,
                         "cuda_device is -1"));
  EXPECT_TRUE(fails_with(rbm_engine_create("cpu", 0, 0, nullptr), RBM_ERR_INVALID_ARGUMENT,
                         "engine (the output) is NULL"));
  const char* kind = nullptr;
  EXPECT_TRUE(fails_with(rbm_engine_kind(nullptr, &kind), RBM_ERR_INVALID_ARGUMENT,
                         "rbm_engine_kind: engine is NULL"));
  EXPECT_TRUE(fails_with(rbm_engine_device_name(nullptr, &kind), RBM_ERR_INVALID_ARGUMENT,
                         "rbm_engine_device_name: engine is NULL"));
}

// "cuda" fails as the C++ Engine does: NotBuilt in a CPU-only build, CudaError without a device.
TEST(CApiEngine, CudaWithoutDeviceMirrorsTheCppError) {
  if (rbm::cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  int expected = RBM_OK;
  try {
    rbm::Engine engine(rbm::BackendKind::cuda);
  } catch (const rbm::NotBuilt&) {
    expected = RBM_ERR_NOT_BUILT;
  } catch (const rbm::CudaError&) {
    expected = RBM_ERR_CUDA;
  }
  rbm_engine_t* engine = nullptr;
  EXPECT_TRUE(fails_with(rbm_engine_create("cuda", 0, 0, &engine), expected, "cuda"));
  EXPECT_EQ(engine, nullptr);
}

// ---- datasets --------------------------------------------------------------------------------

TEST(CApiData, FromBuffersRoundTrip) {
  const std::vector<std::uint8_t> values = {0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0};
  rbm_data_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_data_from_uint8(3, 4, values.data(), values.size(), &raw)));
  const DataPtr data(raw);
  std::size_t n_samples = 0, n_labels = 7;
  int n_visible = 0, height = -1, width = -1;
  ASSERT_TRUE(ok(rbm_data_shape(data.get(), &n_samples, &n_visible)));
  EXPECT_EQ(n_samples, 3u);
  EXPECT_EQ(n_visible, 4);
  ASSERT_TRUE(ok(rbm_data_n_labels(data.get(), &n_labels)));
  EXPECT_EQ(n_labels, 0u);
  ASSERT_TRUE(ok(rbm_data_image_shape(data.get(), &height, &width)));
  EXPECT_EQ(height, 0);
  EXPECT_EQ(width, 0);
  std::vector<std::uint8_t> back(values.size());
  ASSERT_TRUE(ok(rbm_data_copy_values(data.get(), back.data(), back.size())));
  EXPECT_EQ(back, values);

  const std::vector<std::int32_t> labels = {7, 8, 9};
  ASSERT_TRUE(ok(rbm_data_set_labels(data.get(), labels.data(), labels.size())));
  ASSERT_TRUE(ok(rbm_data_set_image_shape(data.get(), 2, 2)));
  std::vector<std::int32_t> labels_back(3);
  ASSERT_TRUE(ok(rbm_data_copy_labels(data.get(), labels_back.data(), labels_back.size())));
  EXPECT_EQ(labels_back, labels);
  ASSERT_TRUE(ok(rbm_data_image_shape(data.get(), &height, &width)));
  EXPECT_EQ(height, 2);
  EXPECT_EQ(width, 2);

  // The same data from floats.
  const std::vector<float> floats(values.begin(), values.end());
  ASSERT_TRUE(ok(rbm_data_from_float(3, 4, floats.data(), floats.size(), &raw)));
  const DataPtr from_floats(raw);
  ASSERT_TRUE(ok(rbm_data_copy_values(from_floats.get(), back.data(), back.size())));
  EXPECT_EQ(back, values);
}

TEST(CApiData, FromSpecEqualsLoadDataset) {
  const DataPtr data = spec_data("glyphs:3");
  const rbm::Dataset expected = rbm::load_dataset("glyphs:3");
  std::size_t n_samples = 0, n_labels = 0;
  int n_visible = 0, height = 0, width = 0;
  ASSERT_TRUE(ok(rbm_data_shape(data.get(), &n_samples, &n_visible)));
  ASSERT_TRUE(ok(rbm_data_image_shape(data.get(), &height, &width)));
  ASSERT_TRUE(ok(rbm_data_n_labels(data.get(), &n_labels)));
  EXPECT_EQ(n_samples, expected.n_samples);
  EXPECT_EQ(n_visible, expected.n_visible);
  EXPECT_EQ(height, expected.image_height);
  EXPECT_EQ(width, expected.image_width);
  ASSERT_EQ(n_labels, expected.labels.size());
  std::vector<std::uint8_t> values(expected.values.size());
  std::vector<std::int32_t> labels(n_labels);
  ASSERT_TRUE(ok(rbm_data_copy_values(data.get(), values.data(), values.size())));
  ASSERT_TRUE(ok(rbm_data_copy_labels(data.get(), labels.data(), labels.size())));
  EXPECT_EQ(values, expected.values);
  EXPECT_EQ(labels, expected.labels);
}

TEST(CApiData, BadInputIsNamed) {
  const std::vector<std::uint8_t> values = {0, 1, 2, 0, 1, 0};
  rbm_data_t* data = nullptr;
  EXPECT_TRUE(fails_with(rbm_data_from_uint8(2, 3, values.data(), 5, &data),
                         RBM_ERR_INVALID_ARGUMENT, "n_values is 5, expected n_samples*n_visible"));
  EXPECT_TRUE(fails_with(rbm_data_from_uint8(2, 3, values.data(), 6, &data),
                         RBM_ERR_INVALID_ARGUMENT, "values[2] (row 0, column 2) is 2;"));
  EXPECT_EQ(data, nullptr);
  EXPECT_TRUE(fails_with(rbm_data_from_uint8(2, 3, nullptr, 6, &data), RBM_ERR_INVALID_ARGUMENT,
                         "values is NULL"));
  EXPECT_TRUE(fails_with(rbm_data_from_uint8(0, 3, values.data(), 0, &data),
                         RBM_ERR_INVALID_ARGUMENT, "n_samples is 0"));
  EXPECT_TRUE(fails_with(rbm_data_from_uint8(2, 0, values.data(), 0, &data),
                         RBM_ERR_INVALID_ARGUMENT, "n_visible is 0"));
  EXPECT_TRUE(fails_with(
      rbm_data_from_uint8(std::numeric_limits<std::size_t>::max(), 2, values.data(), 6, &data),
      RBM_ERR_INVALID_ARGUMENT, "does not fit in size_t"));
  const std::vector<float> floats = {0, 1, 1, 0, 1, 0.5f};
  EXPECT_TRUE(fails_with(rbm_data_from_float(2, 3, floats.data(), 6, &data),
                         RBM_ERR_INVALID_ARGUMENT, "values[5] (row 1, column 2) is 0.5"));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(
      fails_with(rbm_data_from_float(1, 1, &nan, 1, &data), RBM_ERR_INVALID_ARGUMENT, "values[0]"));
  EXPECT_TRUE(fails_with(rbm_data_from_spec("bas:x", &data), RBM_ERR_INVALID_ARGUMENT, "bas:x"));
  EXPECT_TRUE(fails_with(rbm_data_from_spec("amat:/nonexistent/rbm.amat", &data), RBM_ERR_IO,
                         "/nonexistent/rbm.amat"));
  EXPECT_TRUE(
      fails_with(rbm_data_from_spec(nullptr, &data), RBM_ERR_INVALID_ARGUMENT, "spec is NULL"));
  EXPECT_EQ(data, nullptr);

  const DataPtr bas = spec_data("bas:3");
  const std::int32_t labels[3] = {1, 2, 3};
  EXPECT_TRUE(fails_with(rbm_data_set_labels(bas.get(), labels, 3), RBM_ERR_INVALID_ARGUMENT,
                         "n_labels is 3, expected n_samples = 14"));
  EXPECT_TRUE(fails_with(rbm_data_set_image_shape(bas.get(), 2, 4), RBM_ERR_INVALID_ARGUMENT,
                         "image shape 2x4"));
  std::int32_t label = 0;
  EXPECT_TRUE(fails_with(rbm_data_copy_labels(bas.get(), &label, 1), RBM_ERR_INVALID_ARGUMENT,
                         "has no labels"));
  std::uint8_t value = 0;
  EXPECT_TRUE(fails_with(rbm_data_copy_values(bas.get(), &value, 1), RBM_ERR_INVALID_ARGUMENT,
                         "n_values is 1, expected n_samples*n_visible = 14*9 = 126"));
  std::size_t n = 0;
  EXPECT_TRUE(
      fails_with(rbm_data_shape(nullptr, &n, nullptr), RBM_ERR_INVALID_ARGUMENT, "data is NULL"));
  rbm_data_free(nullptr);
}

TEST_F(CApi, UploadIsNeededOnceAndFreezesLabels) {
  EnginePtr other = cpu_engine();
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(9, 3, &raw)));
  const ModelPtr model(raw);
  double error = 0;
  EXPECT_TRUE(fails_with(rbm_reconstruction_error(other.get(), model.get(), data_.get(), &error),
                         RBM_ERR_INVALID_ARGUMENT, "not uploaded to this engine"));
  ASSERT_TRUE(ok(rbm_engine_upload(other.get(), data_.get())));
  ASSERT_TRUE(ok(rbm_engine_upload(other.get(), data_.get())));  // again: nothing happens
  EXPECT_TRUE(ok(rbm_reconstruction_error(other.get(), model.get(), data_.get(), &error)));
  other.reset();  // the uploads stay valid; the data still works on the first engine
  EXPECT_TRUE(ok(rbm_reconstruction_error(engine_.get(), model.get(), data_.get(), &error)));
  EXPECT_TRUE(fails_with(rbm_data_set_image_shape(data_.get(), 3, 3), RBM_ERR_INVALID_ARGUMENT,
                         "already uploaded"));
  EXPECT_TRUE(fails_with(rbm_engine_upload(nullptr, data_.get()), RBM_ERR_INVALID_ARGUMENT,
                         "engine is NULL"));
  EXPECT_TRUE(fails_with(rbm_engine_upload(engine_.get(), nullptr), RBM_ERR_INVALID_ARGUMENT,
                         "data is NULL"));
}

// Threads that each own an engine share one data handle: uploads and evaluations at once.
TEST_F(CApi, ThreadsShareOneDataHandle) {
  const rbm::Model zeros = rbm::Model::zeros(9, 4);
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(9, 4, &raw)));
  const ModelPtr model(raw);
  rbm::Engine reference = cpp_engine();
  const double expected = reference.reconstruction_error(zeros, reference.upload(bas_));
  constexpr int kThreads = 4;
  std::array<double, kThreads> errors{};
  std::array<int, kThreads> statuses{};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      EnginePtr engine = cpu_engine();
      statuses[t] = rbm_engine_upload(engine.get(), data_.get());
      if (statuses[t] == RBM_OK)
        statuses[t] = rbm_reconstruction_error(engine.get(), model.get(), data_.get(), &errors[t]);
    });
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(statuses[t], RBM_OK) << t;
    EXPECT_EQ(errors[t], expected) << t;
  }
}

// ---- models ----------------------------------------------------------------------------------

TEST(CApiModel, ZerosInitAndCopy) {
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(5, 3, &raw)));
  ModelPtr zeros(raw);
  EXPECT_TRUE(rbm::test::same_bits(model_of(zeros.get()), rbm::Model::zeros(5, 3)));
  EXPECT_TRUE(ok(rbm_model_validate(zeros.get())));

  const DataPtr data = spec_data("bas:3");
  const char* config = R"({"seed": 5, "init_weight_std": 0.1, "hidden_type": "spin"})";
  ASSERT_TRUE(ok(rbm_model_init(data.get(), 4, config, &raw)));
  const ModelPtr init(raw);
  const rbm::Model expected =
      rbm::init_model(rbm::make_bars_and_stripes(3), 4, rbm::train_config_from_json(config));
  const rbm::Model got = model_of(init.get());
  EXPECT_TRUE(rbm::test::same_bits(got, expected));
  EXPECT_EQ(got.hidden_type, rbm::UnitType::spin);
  EXPECT_EQ(got.provenance, expected.provenance);
  ASSERT_TRUE(ok(rbm_model_init(data.get(), 4, nullptr, &raw)));
  const ModelPtr defaults(raw);
  EXPECT_TRUE(rbm::test::same_bits(model_of(defaults.get()),
                                   rbm::init_model(rbm::make_bars_and_stripes(3), 4, {})));

  // A copy is independent of its original.
  ASSERT_TRUE(ok(rbm_model_copy(init.get(), &raw)));
  const ModelPtr copy(raw);
  const float c[4] = {1, 2, 3, 4};
  ASSERT_TRUE(ok(rbm_model_set_parameters(init.get(), nullptr, 0, nullptr, 0, c, 4)));
  EXPECT_TRUE(rbm::test::same_bits(model_of(copy.get()), expected));
  rbm_model_free(nullptr);
}

TEST(CApiModel, ParametersRoundTripAndAreChecked) {
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(3, 2, &raw)));
  const ModelPtr model(raw);
  std::vector<float> w = {0.5f, -1.25f, 3e-8f, -0.0f, 7.0f, 1e30f}, b = {1, 2, 3}, c = {-4, 5};
  ASSERT_TRUE(ok(rbm_model_set_parameters(model.get(), w.data(), w.size(), b.data(), b.size(),
                                          c.data(), c.size())));
  rbm::Model expected = rbm::Model::zeros(3, 2);
  expected.weights = w;
  expected.visible_bias = b;
  expected.hidden_bias = c;
  EXPECT_TRUE(rbm::test::same_bits(model_of(model.get()), expected));
  // NULL buffers are skipped, both ways.
  const std::vector<float> c2 = {0.25f, 0.75f};
  ASSERT_TRUE(ok(rbm_model_set_parameters(model.get(), nullptr, 0, nullptr, 0, c2.data(), 2)));
  std::vector<float> c_back(2);
  ASSERT_TRUE(
      ok(rbm_model_get_parameters(model.get(), nullptr, 99, nullptr, 99, c_back.data(), 2)));
  EXPECT_EQ(c_back, c2);
  expected.hidden_bias = c2;

  // Wrong sizes and non-finite values are named, and nothing changes.
  std::vector<float> out(10);
  EXPECT_TRUE(
      fails_with(rbm_model_get_parameters(model.get(), out.data(), 5, nullptr, 0, nullptr, 0),
                 RBM_ERR_INVALID_ARGUMENT, "n_weights is 5, expected D*L = 3*2 = 6"));
  EXPECT_TRUE(
      fails_with(rbm_model_get_parameters(model.get(), nullptr, 0, out.data(), 2, nullptr, 0),
                 RBM_ERR_INVALID_ARGUMENT, "n_visible_bias is 2, expected D = 3"));
  EXPECT_TRUE(
      fails_with(rbm_model_get_parameters(model.get(), nullptr, 0, nullptr, 0, out.data(), 3),
                 RBM_ERR_INVALID_ARGUMENT, "n_hidden_bias is 3, expected L = 2"));
  const std::vector<float> zeros6(6, 0.0f);
  std::vector<float> bad_c = {0.0f, std::numeric_limits<float>::infinity()};
  EXPECT_TRUE(fails_with(
      rbm_model_set_parameters(model.get(), zeros6.data(), 6, nullptr, 0, bad_c.data(), 2),
      RBM_ERR_INVALID_ARGUMENT, "hidden_bias[1] is inf"));
  EXPECT_TRUE(
      fails_with(rbm_model_set_parameters(model.get(), zeros6.data(), 6, b.data(), 4, nullptr, 0),
                 RBM_ERR_INVALID_ARGUMENT, "n_visible_bias is 4, expected D = 3"));
  EXPECT_TRUE(rbm::test::same_bits(model_of(model.get()), expected));
  EXPECT_TRUE(fails_with(rbm_model_get_parameters(nullptr, out.data(), 6, nullptr, 0, nullptr, 0),
                         RBM_ERR_INVALID_ARGUMENT, "model is NULL"));
  EXPECT_TRUE(fails_with(rbm_model_validate(nullptr), RBM_ERR_INVALID_ARGUMENT, "model is NULL"));
  EXPECT_TRUE(fails_with(rbm_model_zeros(3, 0, &raw), RBM_ERR_INVALID_ARGUMENT, "L=0"));
}

TEST(CApiModel, UnitTypes) {
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(3, 2, &raw)));
  const ModelPtr model(raw);
  const char *visible = nullptr, *hidden = nullptr;
  ASSERT_TRUE(ok(rbm_model_set_unit_types(model.get(), "spin", "potts-off")));
  ASSERT_TRUE(ok(rbm_model_unit_types(model.get(), &visible, &hidden)));
  EXPECT_STREQ(visible, "spin");
  EXPECT_STREQ(hidden, "potts-off");
  ASSERT_TRUE(ok(rbm_model_set_unit_types(model.get(), nullptr, "potts")));
  ASSERT_TRUE(ok(rbm_model_unit_types(model.get(), &visible, &hidden)));
  EXPECT_STREQ(visible, "spin");
  EXPECT_STREQ(hidden, "potts");
  EXPECT_TRUE(fails_with(rbm_model_set_unit_types(model.get(), "potts", "bernoulli"),
                         RBM_ERR_INVALID_ARGUMENT, "visible_type 'potts'"));
  EXPECT_TRUE(fails_with(rbm_model_set_unit_types(model.get(), "bernoulli", "ising"),
                         RBM_ERR_INVALID_ARGUMENT, "unknown unit type 'ising'"));
  ASSERT_TRUE(ok(rbm_model_unit_types(model.get(), &visible, &hidden)));  // unchanged
  EXPECT_STREQ(visible, "spin");
  EXPECT_STREQ(hidden, "potts");
}

TEST(CApiModel, InitChecksItsArguments) {
  const DataPtr data = spec_data("bas:3");
  rbm_model_t* model = nullptr;
  EXPECT_TRUE(fails_with(rbm_model_init(data.get(), 4, R"({"seed": 5, "sead": 6})", &model),
                         RBM_ERR_INVALID_ARGUMENT, "unknown key 'sead'"));
  EXPECT_TRUE(fails_with(rbm_model_init(data.get(), 4, R"({"hidden": 4})", &model),
                         RBM_ERR_INVALID_ARGUMENT, "unknown key 'hidden'"));
  EXPECT_TRUE(
      fails_with(rbm_model_init(data.get(), 4, "{", &model), RBM_ERR_INVALID_ARGUMENT, "invalid"));
  EXPECT_TRUE(fails_with(rbm_model_init(data.get(), 0, nullptr, &model), RBM_ERR_INVALID_ARGUMENT,
                         "n_hidden is 0"));
  EXPECT_TRUE(fails_with(rbm_model_init(nullptr, 4, nullptr, &model), RBM_ERR_INVALID_ARGUMENT,
                         "data is NULL"));
  EXPECT_EQ(model, nullptr);
}

// ---- files and lists -------------------------------------------------------------------------

TEST_F(CApi, SaveAndLoadModelsAndLists) {
  const rbm::test::TempDir dir("rbm_c_api");
  const ListPtr trained = train(kConfig);
  const std::vector<rbm::Model> models = models_of(trained.get());
  ASSERT_EQ(models.size(), 2u);

  // One file with both models: what the C++ API reads, and back through the C API.
  const std::string both = dir.file("both.safetensors");
  ASSERT_TRUE(ok(rbm_model_list_save(trained.get(), both.c_str())));
  const std::vector<rbm::Model> cpp = rbm::load_models(both);
  rbm_model_list_t* raw_list = nullptr;
  ASSERT_TRUE(ok(rbm_model_list_load(both.c_str(), &raw_list)));
  const ListPtr loaded(raw_list);
  const std::vector<rbm::Model> back = models_of(loaded.get());
  ASSERT_EQ(cpp.size(), 2u);
  ASSERT_EQ(back.size(), 2u);
  for (std::size_t m = 0; m < 2; ++m) {
    EXPECT_TRUE(rbm::test::same_bits(cpp[m], models[m])) << m;
    EXPECT_TRUE(rbm::test::same_bits(back[m], models[m])) << m;
    EXPECT_EQ(back[m].provenance, models[m].provenance) << m;
  }
  rbm_model_t* raw = nullptr;
  EXPECT_TRUE(fails_with(rbm_model_load(both.c_str(), &raw), RBM_ERR_IO, "holds 2 models"));
  EXPECT_EQ(raw, nullptr);

  // One model, with unit types.
  ModelPtr model = first(trained.get());
  ASSERT_TRUE(ok(rbm_model_set_unit_types(model.get(), "spin", "potts")));
  const std::string one = dir.file("one.safetensors");
  ASSERT_TRUE(ok(rbm_model_save(model.get(), one.c_str())));
  ASSERT_TRUE(ok(rbm_model_load(one.c_str(), &raw)));
  const ModelPtr one_back(raw);
  const rbm::Model expected = model_of(model.get()), got = model_of(one_back.get());
  EXPECT_TRUE(rbm::test::same_bits(got, expected));
  EXPECT_EQ(got.visible_type, rbm::UnitType::spin);
  EXPECT_EQ(got.hidden_type, rbm::UnitType::potts);
  EXPECT_EQ(got.provenance, expected.provenance);

  const std::string missing = dir.file("missing.safetensors");
  EXPECT_TRUE(fails_with(rbm_model_load(missing.c_str(), &raw), RBM_ERR_IO, missing));
  EXPECT_TRUE(fails_with(rbm_model_list_load(missing.c_str(), &raw_list), RBM_ERR_IO, missing));
  const std::string no_dir = dir.file("no/such/dir/m.safetensors");
  EXPECT_TRUE(fails_with(rbm_model_save(model.get(), no_dir.c_str()), RBM_ERR_IO, no_dir));
  EXPECT_TRUE(
      fails_with(rbm_model_save(model.get(), nullptr), RBM_ERR_INVALID_ARGUMENT, "path is NULL"));
}

TEST(CApiList, AppendGetCopies) {
  rbm_model_list_t* raw_list = nullptr;
  ASSERT_TRUE(ok(rbm_model_list_create(&raw_list)));
  const ListPtr list(raw_list);
  std::size_t size = 9;
  ASSERT_TRUE(ok(rbm_model_list_size(list.get(), &size)));
  EXPECT_EQ(size, 0u);
  EXPECT_TRUE(fails_with(rbm_model_list_save(list.get(), "/tmp/never.safetensors"),
                         RBM_ERR_INVALID_ARGUMENT, "no models"));
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(2, 2, &raw)));
  const ModelPtr model(raw);
  ASSERT_TRUE(ok(rbm_model_list_append(list.get(), model.get())));
  const float w[4] = {1, 2, 3, 4};
  ASSERT_TRUE(ok(rbm_model_set_parameters(model.get(), w, 4, nullptr, 0, nullptr, 0)));
  ASSERT_TRUE(ok(rbm_model_list_append(list.get(), model.get())));
  ASSERT_TRUE(ok(rbm_model_list_size(list.get(), &size)));
  EXPECT_EQ(size, 2u);
  const std::vector<rbm::Model> models = models_of(list.get());
  EXPECT_TRUE(rbm::test::same_bits(models[0], rbm::Model::zeros(2, 2)));  // copied when appended
  EXPECT_EQ(models[1].weights, std::vector<float>(w, w + 4));
  EXPECT_TRUE(fails_with(rbm_model_list_get(list.get(), 2, &raw), RBM_ERR_INVALID_ARGUMENT,
                         "index 2 is out of range: the list holds 2 model(s)"));
  EXPECT_EQ(raw, nullptr);
  EXPECT_TRUE(fails_with(rbm_model_list_append(list.get(), nullptr), RBM_ERR_INVALID_ARGUMENT,
                         "model is NULL"));
  EXPECT_TRUE(
      fails_with(rbm_model_list_size(nullptr, &size), RBM_ERR_INVALID_ARGUMENT, "list is NULL"));
  rbm_model_list_free(nullptr);
}

// ---- training --------------------------------------------------------------------------------

TEST_F(CApi, TrainEqualsTheCppApi) {
  const ListPtr trained = train(kConfig);
  const std::vector<rbm::Model> got = models_of(trained.get());
  const std::vector<rbm::Model> expected = cpp_train(kConfig, bas_);
  ASSERT_EQ(got.size(), 2u);
  for (std::size_t m = 0; m < got.size(); ++m) {
    EXPECT_TRUE(rbm::test::same_bits(got[m], expected[m])) << m;
    // The provenance is the `rbm` tool's: the run configuration, the seed, the data.
    const auto provenance = nlohmann::json::parse(got[m].provenance);
    EXPECT_EQ(provenance["config"]["hidden"], 6);
    EXPECT_EQ(provenance["config"]["data"], "bas:3");
    EXPECT_EQ(provenance["seed"], 4 + m);
    EXPECT_EQ(provenance["image_height"], 3);
    EXPECT_EQ(provenance["backend"], "cpu");
  }
  // With data NULL the config's "data" spec is loaded: the same models.
  rbm_model_list_t* raw = nullptr;
  const std::string with_spec = R"({"data": "bas:3", )" + std::string(kConfig + 1);
  ASSERT_TRUE(ok(rbm_train(engine_.get(), nullptr, with_spec.c_str(), nullptr, nullptr, &raw)));
  const ListPtr from_spec(raw);
  const std::vector<rbm::Model> again = models_of(from_spec.get());
  for (std::size_t m = 0; m < got.size(); ++m)
    EXPECT_TRUE(rbm::test::same_bits(again[m], expected[m])) << m;
  // ... and with the data handle too, since the spec is the data's own.
  ASSERT_TRUE(ok(rbm_train(engine_.get(), data_.get(), with_spec.c_str(), nullptr, nullptr, &raw)));
  rbm_model_list_free(raw);
}

// "labels_as_visible": the models get one visible unit per class after the pixels, as the C++
// API's run (run_label_classes, with_label_units) gives them.
TEST(CApiTrain, LabelUnits) {
  const EnginePtr engine = cpu_engine();
  const DataPtr data = spec_data("glyphs:2");  // 20 images, labels 0..9
  ASSERT_TRUE(ok(rbm_engine_upload(engine.get(), data.get())));
  const char* config = R"({"hidden": 5, "epochs": 3, "batch_size": 10, "labels_as_visible": true})";
  rbm_model_list_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_train(engine.get(), data.get(), config, nullptr, nullptr, &raw)));
  const ListPtr trained(raw);
  const std::vector<rbm::Model> got = models_of(trained.get());

  const rbm::RunConfig run = rbm::run_config_from_json(config);
  const rbm::Dataset pixels = rbm::load_dataset("glyphs:2");
  const std::vector<int> classes = rbm::run_label_classes(run, pixels);
  ASSERT_EQ(classes.size(), 10u);
  const rbm::Dataset visible = rbm::with_label_units(pixels, classes);
  rbm::Engine cpp = cpp_engine();
  const std::vector<rbm::Model> expected =
      cpp.train(rbm::init_models(visible, run), rbm::model_configs(run), cpp.upload(visible));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].n_visible, pixels.n_visible + 10);
  EXPECT_TRUE(rbm::test::same_bits(got[0], expected[0]));
  const auto provenance = nlohmann::json::parse(got[0].provenance);
  EXPECT_EQ(provenance["label_classes"], classes);
  EXPECT_EQ(provenance["image_height"], pixels.image_height);

  const DataPtr unlabelled = spec_data("bas:3");
  ASSERT_TRUE(ok(rbm_engine_upload(engine.get(), unlabelled.get())));
  EXPECT_TRUE(fails_with(rbm_train(engine.get(), unlabelled.get(),
                                   R"({"hidden": 4, "batch_size": 7, "labels_as_visible": true})",
                                   nullptr, nullptr, &raw),
                         RBM_ERR_INVALID_ARGUMENT,
                         "labels_as_visible: the data ('bas:3') has no labels"));
  EXPECT_EQ(raw, nullptr);
}

// The C API's model file is the `rbm` tool's: `rbm train --config` makes the same models, and
// `rbm info --config` reads the C API's run configuration back.
TEST_F(CApi, FilesAreTheCommandLineToolsFiles) {
  const rbm::test::TempDir dir("rbm_c_api");
  const std::string config_file = dir.file("config.json");
  const std::string cli_out = dir.file("cli.safetensors"), c_out = dir.file("c.safetensors");
  std::FILE* file = std::fopen(config_file.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fprintf(file, R"({"data": "bas:3", %s)", kConfig + 1);
  std::fclose(file);
  const std::string command = std::string(RBM_CLI_PATH) + " train --config " + config_file +
                              " --backend cpu --threads 1 --quiet --out " + cli_out;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const ListPtr trained = train(kConfig);
  ASSERT_TRUE(ok(rbm_model_list_save(trained.get(), c_out.c_str())));
  const std::vector<rbm::Model> cli = rbm::load_models(cli_out), c = rbm::load_models(c_out);
  ASSERT_EQ(cli.size(), c.size());
  for (std::size_t m = 0; m < c.size(); ++m) {
    EXPECT_TRUE(rbm::test::same_bits(c[m], cli[m])) << m;
    auto c_provenance = nlohmann::json::parse(c[m].provenance);
    auto cli_provenance = nlohmann::json::parse(cli[m].provenance);
    EXPECT_EQ(c_provenance, cli_provenance);
  }
  const std::string info = std::string(RBM_CLI_PATH) + " info " + c_out + " --config";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> pipe(popen(info.c_str(), "r"), pclose);
  ASSERT_NE(pipe, nullptr);
  std::string printed;
  for (std::array<char, 4096> buffer{}; std::fgets(buffer.data(), buffer.size(), pipe.get());)
    printed += buffer.data();
  EXPECT_EQ(rbm::run_config_from_json(printed).hidden, 6) << printed;
  EXPECT_EQ(rbm::to_json(rbm::run_config_from_json(printed)),
            rbm::to_json(rbm::run_config_from_json(
                nlohmann::json::parse(c[0].provenance)["config"].dump())));
}

struct EpochLog {
  std::vector<rbm_epoch_metrics> seen;
  int stop_after = 0;  ///< 0 = never stop
};

int record_epoch(const rbm_epoch_metrics* metrics, std::size_t n_models, void* user_data) {
  auto& log = *static_cast<EpochLog*>(user_data);
  log.seen.insert(log.seen.end(), metrics, metrics + n_models);
  return log.stop_after > 0 && metrics[0].epoch >= log.stop_after;
}

TEST_F(CApi, EpochCallbackReportsAndStops) {
  EpochLog log;
  rbm_model_list_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_train(engine_.get(), data_.get(), kConfig, record_epoch, &log, &raw)));
  ListPtr full(raw);
  // What the C++ API reports for the same run, field by field (wall times aside).
  std::vector<rbm::EpochMetrics> cpp_metrics;
  const rbm::RunConfig run = rbm::run_config_from_json(kConfig);
  rbm::Engine engine = cpp_engine();
  engine.train(rbm::init_models(bas_, run), rbm::model_configs(run), engine.upload(bas_),
               [&](const std::vector<rbm::EpochMetrics>& metrics) {
                 cpp_metrics.insert(cpp_metrics.end(), metrics.begin(), metrics.end());
                 return true;
               });
  ASSERT_EQ(cpp_metrics.size(), 2u * 20);
  ASSERT_EQ(log.seen.size(), cpp_metrics.size());
  for (std::size_t k = 0; k < log.seen.size(); ++k) {
    const rbm_epoch_metrics& got = log.seen[k];
    EXPECT_EQ(got.model, cpp_metrics[k].model) << k;
    EXPECT_EQ(got.epoch, cpp_metrics[k].epoch) << k;
    EXPECT_EQ(got.reconstruction_error, cpp_metrics[k].reconstruction_error) << k;
    EXPECT_EQ(got.batch_size, cpp_metrics[k].batch_size) << k;
    EXPECT_EQ(got.cd_steps, cpp_metrics[k].cd_steps) << k;
    EXPECT_EQ(got.learning_rate, cpp_metrics[k].learning_rate) << k;
    EXPECT_EQ(got.momentum, cpp_metrics[k].momentum) << k;
    EXPECT_EQ(got.diverged, cpp_metrics[k].diverged ? 1 : 0) << k;
    EXPECT_GE(got.seconds, 0.0) << k;
  }
  EXPECT_EQ(log.seen.back().epoch, 20);
  EXPECT_EQ(log.seen.back().model, 1);
  // Stopping after epoch 3 of 20 gives the models of a 3-epoch run (constant schedules).
  EpochLog stopping;
  stopping.stop_after = 3;
  ASSERT_TRUE(ok(rbm_train(engine_.get(), data_.get(), kConfig, record_epoch, &stopping, &raw)));
  const ListPtr stopped(raw);
  EXPECT_EQ(stopping.seen.size(), 2u * 3);
  const std::string three = std::string(kConfig).replace(std::string(kConfig).find("20"), 2, "3");
  const std::vector<rbm::Model> got = models_of(stopped.get()), expected = cpp_train(three, bas_);
  for (std::size_t m = 0; m < got.size(); ++m)
    EXPECT_TRUE(rbm::test::same_bits(got[m], expected[m])) << m;
}

// A callback may call the engine that is training (here: exact log Z of another model).
struct Reentrant {
  rbm_engine_t* engine;
  const rbm_model_t* model;
  int status = RBM_ERR_INTERNAL;
  double log_z = 0;
};

int call_engine(const rbm_epoch_metrics*, std::size_t, void* user_data) {
  auto& r = *static_cast<Reentrant*>(user_data);
  r.status = rbm_log_z_exact(r.engine, r.model, 0, &r.log_z);
  return 0;
}

TEST_F(CApi, CallbackMayCallTheSameEngine) {
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(9, 3, &raw)));
  const ModelPtr zeros(raw);
  Reentrant r{engine_.get(), zeros.get()};
  rbm_model_list_t* list = nullptr;
  ASSERT_TRUE(
      ok(rbm_train(engine_.get(), data_.get(), R"({"hidden": 3, "epochs": 2, "batch_size": 7})",
                   call_engine, &r, &list)));
  rbm_model_list_free(list);
  EXPECT_EQ(r.status, RBM_OK) << rbm_last_error();
  EXPECT_EQ(r.log_z, cpp_engine().log_z(rbm::Model::zeros(9, 3)).log_z);
}

TEST_F(CApi, TrainModelsContinuesGivenModels) {
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_init(data_.get(), 5, R"({"seed": 9})", &raw)));
  const ModelPtr start(raw);
  rbm_model_list_t* raw_list = nullptr;
  ASSERT_TRUE(ok(rbm_model_list_create(&raw_list)));
  const ListPtr initial(raw_list);
  ASSERT_TRUE(ok(rbm_model_list_append(initial.get(), start.get())));
  ASSERT_TRUE(ok(rbm_model_list_append(initial.get(), start.get())));
  const char* config = R"({"epochs": 10, "batch_size": 7, "optimizer": "adam",
                           "learning_rate": 0.01, "seed": 2})";
  ASSERT_TRUE(ok(rbm_train_models(engine_.get(), data_.get(), initial.get(), config, nullptr,
                                  nullptr, &raw_list)));
  const ListPtr trained(raw_list);
  const std::vector<rbm::Model> got = models_of(trained.get());

  rbm::RunConfig run = rbm::run_config_from_json(config);
  run.hidden = 5;
  run.models = 2;
  const rbm::Model start_cpp = model_of(start.get());
  rbm::Engine engine = cpp_engine();
  const std::vector<rbm::Model> expected =
      engine.train({start_cpp, start_cpp}, rbm::model_configs(run), engine.upload(bas_));
  ASSERT_EQ(got.size(), 2u);
  for (std::size_t m = 0; m < 2; ++m) EXPECT_TRUE(rbm::test::same_bits(got[m], expected[m])) << m;
  EXPECT_FALSE(rbm::test::same_bits(got[0], got[1]));  // seeds 2 and 3
  for (const rbm::Model& unchanged : models_of(initial.get()))
    EXPECT_TRUE(rbm::test::same_bits(unchanged, start_cpp));

  EXPECT_TRUE(fails_with(rbm_train_models(engine_.get(), data_.get(), initial.get(),
                                          R"({"hidden": 4})", nullptr, nullptr, &raw_list),
                         RBM_ERR_INVALID_ARGUMENT,
                         "\"hidden\" is 4 but the initial models have L = 5"));
  EXPECT_TRUE(
      fails_with(rbm_train_models(engine_.get(), data_.get(), initial.get(),
                                  R"({"models": 3, "batch_size": 7})", nullptr, nullptr, &raw_list),
                 RBM_ERR_INVALID_ARGUMENT, "\"models\" is 3 but initial holds 2"));
  ASSERT_TRUE(ok(rbm_model_list_create(&raw_list)));
  const ListPtr empty(raw_list);
  EXPECT_TRUE(fails_with(
      rbm_train_models(engine_.get(), data_.get(), empty.get(), "{}", nullptr, nullptr, &raw_list),
      RBM_ERR_INVALID_ARGUMENT, "initial holds no models"));
  EXPECT_EQ(raw_list, nullptr);
}

TEST_F(CApi, TrainRefusesBadConfigurations) {
  rbm_model_list_t* models = nullptr;
  const auto train_with = [&](const rbm_data_t* data, const char* config) {
    return rbm_train(engine_.get(), data, config, nullptr, nullptr, &models);
  };
  EXPECT_TRUE(fails_with(train_with(data_.get(), R"({"hidden": 4, "learnig_rate": 0.1})"),
                         RBM_ERR_INVALID_ARGUMENT, "unknown key 'learnig_rate'"));
  EXPECT_TRUE(fails_with(train_with(data_.get(), R"({"hidden": 4, "epochs": "ten"})"),
                         RBM_ERR_INVALID_ARGUMENT, "'epochs' must be an integer"));
  EXPECT_TRUE(fails_with(train_with(data_.get(), R"({"hidden": 4,)"), RBM_ERR_INVALID_ARGUMENT,
                         "JSON is invalid"));
  EXPECT_TRUE(fails_with(train_with(data_.get(), R"({"batch_size": 7})"), RBM_ERR_INVALID_ARGUMENT,
                         "'hidden' must be >= 1, got 0"));
  EXPECT_TRUE(fails_with(train_with(data_.get(), R"({"hidden": 4})"), RBM_ERR_INVALID_ARGUMENT,
                         "exceeds the dataset's 14 samples"));
  EXPECT_TRUE(fails_with(train_with(data_.get(), R"({"hidden": 4, "data": "bas:4"})"),
                         RBM_ERR_INVALID_ARGUMENT, "\"data\" is 'bas:4' but data holds 'bas:3'"));
  EXPECT_TRUE(fails_with(train_with(nullptr, R"({"hidden": 4})"), RBM_ERR_INVALID_ARGUMENT,
                         "names no \"data\" spec"));
  EXPECT_TRUE(fails_with(train_with(nullptr, R"({"hidden": 4, "data": "amat:/nonexistent/x"})"),
                         RBM_ERR_IO, "/nonexistent/x"));
  EXPECT_TRUE(fails_with(train_with(data_.get(), nullptr), RBM_ERR_INVALID_ARGUMENT,
                         "config_json is NULL"));
  const DataPtr not_uploaded = spec_data("bas:3");
  EXPECT_TRUE(fails_with(train_with(not_uploaded.get(), R"({"hidden": 4, "batch_size": 7})"),
                         RBM_ERR_INVALID_ARGUMENT, "not uploaded to this engine"));
  EXPECT_TRUE(fails_with(rbm_train(nullptr, data_.get(), "{}", nullptr, nullptr, &models),
                         RBM_ERR_INVALID_ARGUMENT, "engine is NULL"));
  EXPECT_EQ(models, nullptr);
}

// Divergence: RBM_ERR_DIVERGED, with the models of the last healthy epoch handed out.
TEST_F(CApi, DivergedHandsOutTheLastHealthyModels) {
  const char* config = R"({"hidden": 4, "models": 2, "epochs": 50, "batch_size": 7,
                           "optimizer": "sgd", "learning_rate": 1000, "max_abs_parameter": 50})";
  rbm_model_list_t* raw = nullptr;
  const int status = rbm_train(engine_.get(), data_.get(), config, nullptr, nullptr, &raw);
  const ListPtr last_good(raw);
  ASSERT_TRUE(fails_with(status, RBM_ERR_DIVERGED, "training diverged"));
  int expected_epoch = 0;
  std::vector<rbm::Model> expected;
  try {
    cpp_train(config, bas_);
  } catch (const rbm::Diverged& e) {
    expected = e.last_good;
    expected_epoch = e.epoch;
  }
  ASSERT_GT(expected_epoch, 0);
  ASSERT_NE(raw, nullptr);
  const std::vector<rbm::Model> got = models_of(raw);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t m = 0; m < got.size(); ++m)
    EXPECT_TRUE(rbm::test::same_bits(got[m], expected[m])) << m;
}

// ---- evaluation and sampling -----------------------------------------------------------------

TEST_F(CApi, EvaluationEqualsTheCppApi) {
  const ListPtr trained = train(kConfig);
  const ModelPtr model = first(trained.get());
  const rbm::Model m = model_of(model.get());
  rbm::Engine engine = cpp_engine();
  const rbm::DataHandle resident = engine.upload(bas_);

  double log_z = 0, log_likelihood = 0, error = 0;
  ASSERT_TRUE(ok(rbm_log_z_exact(engine_.get(), model.get(), 0, &log_z)));
  EXPECT_EQ(log_z, engine.log_z(m).log_z);
  ASSERT_TRUE(
      ok(rbm_mean_log_likelihood(engine_.get(), model.get(), data_.get(), log_z, &log_likelihood)));
  EXPECT_EQ(log_likelihood, engine.mean_log_likelihood(m, resident, log_z));
  ASSERT_TRUE(ok(rbm_reconstruction_error(engine_.get(), model.get(), data_.get(), &error)));
  EXPECT_EQ(error, engine.reconstruction_error(m, resident));
  std::vector<double> energies(14);
  ASSERT_TRUE(ok(rbm_free_energy(engine_.get(), model.get(), data_.get(), energies.data(), 14)));
  EXPECT_EQ(energies, engine.free_energy(m, resident));
  std::vector<float> probabilities(14 * 6);
  ASSERT_TRUE(ok(rbm_hidden_probabilities(engine_.get(), model.get(), data_.get(),
                                          probabilities.data(), probabilities.size())));
  EXPECT_EQ(probabilities, engine.hidden_probabilities(m, resident));

  // Errors name the argument.
  EXPECT_TRUE(fails_with(rbm_log_z_exact(engine_.get(), model.get(), 5, &log_z),
                         RBM_ERR_INVALID_ARGUMENT, "the limit is 2^5 states"));
  EXPECT_TRUE(fails_with(rbm_log_z_exact(engine_.get(), model.get(), -1, &log_z),
                         RBM_ERR_INVALID_ARGUMENT, "max_log2_states is -1"));
  EXPECT_TRUE(fails_with(rbm_log_z_exact(engine_.get(), model.get(), 0, nullptr),
                         RBM_ERR_INVALID_ARGUMENT, "log_z is NULL"));
  EXPECT_TRUE(fails_with(
      rbm_mean_log_likelihood(engine_.get(), model.get(), data_.get(), NAN, &log_likelihood),
      RBM_ERR_INVALID_ARGUMENT, "log_z is nan"));
  EXPECT_TRUE(
      fails_with(rbm_free_energy(engine_.get(), model.get(), data_.get(), energies.data(), 13),
                 RBM_ERR_INVALID_ARGUMENT, "n_free_energies is 13, expected N (samples) = 14"));
  EXPECT_TRUE(fails_with(rbm_hidden_probabilities(engine_.get(), model.get(), data_.get(),
                                                  probabilities.data(), 14 * 5),
                         RBM_ERR_INVALID_ARGUMENT,
                         "n_probabilities is 70, expected N*L = 14*6 = 84"));
  EXPECT_TRUE(
      fails_with(rbm_hidden_probabilities(engine_.get(), model.get(), data_.get(), nullptr, 84),
                 RBM_ERR_INVALID_ARGUMENT, "probabilities is NULL"));
  rbm_model_t* raw = nullptr;
  ASSERT_TRUE(ok(rbm_model_zeros(4, 6, &raw)));
  const ModelPtr narrow(raw);
  EXPECT_TRUE(fails_with(rbm_reconstruction_error(engine_.get(), narrow.get(), data_.get(), &error),
                         RBM_ERR_INVALID_ARGUMENT, "D=4 visible units but the dataset has 9"));
}

// rbm_log_likelihood is Engine::log_likelihood: exact, AIS, and auto's choice between them.
TEST_F(CApi, LogLikelihoodEqualsTheCppApi) {
  const ListPtr trained = train(kConfig);
  const ModelPtr model = first(trained.get());
  const rbm::Model m = model_of(model.get());
  rbm::Engine engine = cpp_engine();
  const rbm::DataHandle resident = engine.upload(bas_);

  rbm_likelihood_options options = rbm_likelihood_options_default();
  const rbm::LikelihoodOptions defaults;
  EXPECT_STREQ(options.method, "auto");
  EXPECT_EQ(options.max_seconds, 0.0);
  EXPECT_EQ(options.max_log2_states, 0);
  EXPECT_EQ(options.ais_chains, defaults.ais.n_chains);
  EXPECT_EQ(options.ais_betas, defaults.ais.n_betas);
  EXPECT_EQ(options.ais_seed, defaults.ais.seed);

  // auto with the default limits: 2^6 states are enumerated, as rbm_log_z_exact does.
  rbm_likelihood result{};
  ASSERT_TRUE(ok(rbm_log_likelihood(engine_.get(), model.get(), data_.get(), nullptr, &result)));
  double log_z = 0, log_likelihood = 0;
  ASSERT_TRUE(ok(rbm_log_z_exact(engine_.get(), model.get(), 0, &log_z)));
  ASSERT_TRUE(
      ok(rbm_mean_log_likelihood(engine_.get(), model.get(), data_.get(), log_z, &log_likelihood)));
  EXPECT_STREQ(result.method, "exact");
  EXPECT_EQ(result.log_z, log_z);
  EXPECT_EQ(result.mean_log_likelihood, log_likelihood);
  EXPECT_EQ(result.log_z_error, 0.0);

  // AIS: the C++ API's estimate from the same seed, bit for bit.
  options.method = "ais";
  options.ais_chains = 16;
  options.ais_betas = 300;
  options.ais_seed = 7;
  rbm::LikelihoodOptions cpp;
  cpp.method = rbm::LikelihoodMethod::ais;
  cpp.ais.n_chains = 16;
  cpp.ais.n_betas = 300;
  cpp.ais.seed = 7;
  const rbm::LikelihoodEstimate expected = engine.log_likelihood(m, resident, cpp);
  ASSERT_TRUE(ok(rbm_log_likelihood(engine_.get(), model.get(), data_.get(), &options, &result)));
  EXPECT_STREQ(result.method, "ais");
  EXPECT_EQ(result.log_z, expected.log_z);
  EXPECT_EQ(result.log_z_error, expected.log_z_error);
  EXPECT_EQ(result.mean_log_likelihood, expected.mean_log_likelihood);
  EXPECT_GT(result.log_z_error, 0.0);

  // auto beyond a limit of 2^5 states switches to that AIS run; exact refuses.
  options.method = "auto";
  options.max_log2_states = 5;
  rbm_likelihood fallback{};
  ASSERT_TRUE(ok(rbm_log_likelihood(engine_.get(), model.get(), data_.get(), &options, &fallback)));
  EXPECT_STREQ(fallback.method, "ais");
  EXPECT_EQ(fallback.mean_log_likelihood, result.mean_log_likelihood);
  options.method = "exact";
  const rbm_likelihood before = fallback;
  EXPECT_TRUE(
      fails_with(rbm_log_likelihood(engine_.get(), model.get(), data_.get(), &options, &fallback),
                 RBM_ERR_INVALID_ARGUMENT, "2^5 states"));
  EXPECT_EQ(fallback.mean_log_likelihood, before.mean_log_likelihood);  // untouched

  // Bad options and arguments are named.
  const auto refused = [&](rbm_likelihood_options bad, const std::string& needle) {
    return fails_with(rbm_log_likelihood(engine_.get(), model.get(), data_.get(), &bad, &result),
                      RBM_ERR_INVALID_ARGUMENT, needle);
  };
  rbm_likelihood_options bad = rbm_likelihood_options_default();
  bad.method = "exakt";
  EXPECT_TRUE(refused(bad, "'exakt'"));
  bad.method = nullptr;
  EXPECT_TRUE(refused(bad, "options->method is NULL"));
  bad = rbm_likelihood_options_default();
  bad.max_seconds = NAN;
  EXPECT_TRUE(refused(bad, "options->max_seconds is nan"));
  bad = rbm_likelihood_options_default();
  bad.max_log2_states = 63;
  EXPECT_TRUE(refused(bad, "options->max_log2_states is 63"));
  bad = rbm_likelihood_options_default();
  bad.ais_chains = 1;
  EXPECT_TRUE(refused(bad, "options->ais_chains is 1"));
  bad = rbm_likelihood_options_default();
  bad.ais_betas = 0;
  EXPECT_TRUE(refused(bad, "options->ais_betas is 0"));
  EXPECT_TRUE(
      fails_with(rbm_log_likelihood(engine_.get(), model.get(), data_.get(), nullptr, nullptr),
                 RBM_ERR_INVALID_ARGUMENT, "result is NULL"));
  const DataPtr elsewhere = spec_data("bas:3");
  EXPECT_TRUE(
      fails_with(rbm_log_likelihood(engine_.get(), model.get(), elsewhere.get(), nullptr, &result),
                 RBM_ERR_INVALID_ARGUMENT, "not uploaded to this engine"));
}

TEST_F(CApi, SamplingEqualsTheCppApi) {
  const ListPtr trained = train(kConfig);
  const ModelPtr model = first(trained.get());
  const rbm::Model m = model_of(model.get());
  rbm::Engine engine = cpp_engine();

  rbm_sample_options options = rbm_sample_options_default();
  const rbm::SampleOptions defaults;
  EXPECT_EQ(options.n_chains, defaults.n_chains);
  EXPECT_EQ(options.burn_in, defaults.burn_in);
  EXPECT_EQ(options.thinning, defaults.thinning);
  EXPECT_EQ(options.samples_per_chain, defaults.samples_per_chain);
  EXPECT_EQ(options.beta, defaults.beta);
  EXPECT_EQ(options.seed, defaults.seed);
  options.n_chains = 5;
  options.burn_in = 20;
  options.thinning = 3;
  options.samples_per_chain = 4;
  options.beta = 2.0f;
  options.seed = 11;
  std::vector<std::uint8_t> samples(5 * 4 * 9);
  ASSERT_TRUE(ok(rbm_sample(engine_.get(), model.get(), &options, samples.data(), samples.size())));
  rbm::SampleOptions cpp;
  cpp.n_chains = 5;
  cpp.burn_in = 20;
  cpp.thinning = 3;
  cpp.samples_per_chain = 4;
  cpp.beta = 2.0f;
  cpp.seed = 11;
  EXPECT_EQ(samples, engine.sample(m, cpp).values);
  std::vector<std::uint8_t> default_samples(16 * 9);
  ASSERT_TRUE(ok(rbm_sample(engine_.get(), model.get(), nullptr, default_samples.data(),
                            default_samples.size())));
  EXPECT_EQ(default_samples, engine.sample(m, defaults).values);

  EXPECT_TRUE(fails_with(rbm_sample(engine_.get(), model.get(), &options, samples.data(), 179),
                         RBM_ERR_INVALID_ARGUMENT,
                         "n_samples is 179, expected n_chains*samples_per_chain*D = 5*4*9 = 180"));
  options.thinning = 0;
  EXPECT_TRUE(fails_with(rbm_sample(engine_.get(), model.get(), &options, samples.data(), 180),
                         RBM_ERR_INVALID_ARGUMENT, "thinning must be >= 1"));
  options.thinning = 1;
  options.n_chains = 0;
  EXPECT_TRUE(fails_with(rbm_sample(engine_.get(), model.get(), &options, samples.data(), 0),
                         RBM_ERR_INVALID_ARGUMENT, "options->n_chains is 0"));
  EXPECT_TRUE(fails_with(rbm_sample(engine_.get(), nullptr, nullptr, samples.data(), 180),
                         RBM_ERR_INVALID_ARGUMENT, "model is NULL"));
}

}  // namespace
