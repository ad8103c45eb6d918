// tests/test_cuda_logz.cpp — exact log Z on the GPU against the float64 CPU backend.
//
// The device runs cuda/logz.cu (split-product kernels); the CPU backend enumerates in float64.
// Random models at weight scales 0.01 to 5, both enumeration directions (D > L and D < L),
// biases that push fields out of float range, several models per call, repeatability and
// cancellation. L stays ≤ 24 where a CPU reference is needed, so that it takes seconds.
// Every test skips itself without a CUDA device (tests/support/device.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rbm/engine.hpp"
#include "rbm/error.hpp"
#include "rbm/model.hpp"
#include "tests/support/device.hpp"
#include "tests/support/logz_models.hpp"

namespace rbm::test {
namespace {

// The bound of tests/test_logz_split.cpp, which derives it: D float32 factors per state with
// independent roundings give ~√(3D)·2^-24·(1 + |exp argument|) in a state's log term, and
// |log Z| grows with the arguments; the library's stated accuracy 1e-5·max(1, |log Z|) holds
// with a margin of ≥ 3. The device's expf (≤ 2 ulp) does not change the estimate.
constexpr double kLogZRel = 1e-5;

double tolerance(double log_z) {
  return kLogZRel * std::max(1.0, std::fabs(log_z));
}

class CudaLogZModels : public CudaTestWithParam<Inputs> {};

TEST_P(CudaLogZModels, MatchesCpuFloat64) {
  const Inputs in = GetParam();
  const Model model = random_model(in);
  Engine cpu(BackendKind::cpu), gpu(BackendKind::cuda);
  const LogZResult expected = cpu.log_z(model);
  const LogZResult got = gpu.log_z(model);
  EXPECT_NEAR(got.log_z, expected.log_z, tolerance(expected.log_z))
      << describe(in) << " on " << gpu.device_name();
  EXPECT_EQ(got.enumerated_hidden, expected.enumerated_hidden) << describe(in);
  EXPECT_EQ(got.log2_states, expected.log2_states) << describe(in);
  EXPECT_EQ(got.pairs, expected.pairs) << describe(in);
  EXPECT_GT(got.seconds, 0) << describe(in);
}

const Inputs kCases[] = {
    {"mnist_l8_w001", 784, 8, 0.01, 0.01, 0, 101},
    {"mnist_l12_w01", 784, 12, 0.1, 0.1, 0, 102},
    {"mnist_l16_w1", 784, 16, 1.0, 1.0, 0, 103},
    {"mnist_l20_w01", 784, 20, 0.1, 0.1, 0, 104},
    {"mnist_l20_w1", 784, 20, 1.0, 1.0, 0, 105},
    {"mnist_l20_w5", 784, 20, 5.0, 1.0, 0, 106},
    {"mnist_l24_w001", 784, 24, 0.01, 0.01, 0, 107},
    {"small_d_l22_w1", 30, 22, 1.0, 1.0, 0, 108},   // many tiles, D not a multiple of 32
    {"tiny_l3", 5, 3, 1.0, 1.0, 0, 109},            // padding everywhere
    {"transposed_d16", 16, 200, 0.5, 0.5, 0, 110},  // D < L: the visible layer is enumerated
    {"transposed_d22", 22, 784, 0.1, 0.1, 0, 111},
    {"biases_pos", 100, 18, 2.0, 10.0, 60, 112},   // flips everywhere
    {"biases_neg", 100, 18, 2.0, 10.0, -60, 113},  // X' underflows harmlessly
    {"huge_weights", 40, 16, 25.0, 5.0, 0, 114},   // the guarded softplus path
};

INSTANTIATE_TEST_SUITE_P(CudaLogZ,
                         CudaLogZModels,
                         ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Inputs>& info) {
                           return std::string(info.param.name);
                         });

class CudaLogZ : public CudaTest {};

TEST_F(CudaLogZ, SeveralModelsInOneCallEqualSingleCalls) {
  std::vector<Model> models;
  for (std::uint64_t seed = 201; seed < 204; ++seed)
    models.push_back(random_model({"multi", 784, 18, 0.3 * (seed - 200), 0.5, 0, seed}));
  Engine gpu(BackendKind::cuda);
  const std::vector<LogZResult> together = gpu.log_z(models);
  ASSERT_EQ(together.size(), models.size());
  for (std::size_t m = 0; m < models.size(); ++m)
    EXPECT_EQ(together[m].log_z, gpu.log_z(models[m]).log_z) << "model " << m;
}

TEST_F(CudaLogZ, RepeatRunsAreBitIdentical) {
  const Model model = random_model({"repeat", 784, 22, 1.0, 1.0, 0, 301});
  Engine gpu(BackendKind::cuda);
  const double first = gpu.log_z(model).log_z;
  for (int run = 0; run < 3; ++run) EXPECT_EQ(gpu.log_z(model).log_z, first) << "run " << run;
}

// What MPI ranks (one GPU each) do: ranges of prefix tiles enumerated apart combine to the
// single call's value bit for bit, whatever the ranges (the device's chunks do not matter).
TEST_F(CudaLogZ, PartsCombineBitForBit) {
  const Model model = random_model({"parts", 784, 22, 1.0, 1.0, 0, 302});  // 64 tiles
  Engine gpu(BackendKind::cuda);
  const double whole = gpu.log_z(model).log_z;
  const std::uint64_t units = gpu.log_z_units(model);
  ASSERT_EQ(units, 64u);
  for (std::uint64_t ranks : {2, 3, 7}) {
    std::vector<LogZPart> parts;
    for (std::uint64_t r = 0; r < ranks; ++r)
      parts.push_back(gpu.log_z_part(model, r * units / ranks, (r + 1) * units / ranks));
    EXPECT_EQ(combine_log_z_parts(parts).log_z, whole) << ranks << " parts";
  }
}

// L = 28 at D = 784 needs several chunks on any device (the chunk tables are bounded), so
// progress is reported more than once; no CPU reference at this size.
TEST_F(CudaLogZ, ProgressIsMonotoneAndCancellationThrows) {
  const Model model = random_model({"progress", 784, 28, 0.1, 0.1, 0, 401});
  Engine gpu(BackendKind::cuda);
  std::vector<double> fractions;
  LogZOptions options;
  options.progress = [&](double fraction) {
    fractions.push_back(fraction);
    return true;
  };
  const double log_z = gpu.log_z(model, options).log_z;
  EXPECT_TRUE(std::isfinite(log_z));
  ASSERT_GE(fractions.size(), 2u);
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);

  int calls = 0;
  options.progress = [&](double) { return ++calls < 2; };
  EXPECT_THROW(gpu.log_z(model, options), Cancelled);
  EXPECT_EQ(calls, 2);
  // The engine stays usable after a cancellation.
  EXPECT_EQ(gpu.log_z(model).log_z, log_z);
}

}  // namespace
}  // namespace rbm::test
