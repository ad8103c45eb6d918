// tests/support/device.hpp — fixture for tests that need a CUDA device: they skip, saying why,
// on machines without one (CI) and in CPU-only builds. With RBM_REQUIRE_GPU=1 (set by
// bench/run_all.sh on the GPU machine) a missing device fails them instead, so that a driver
// too old for the toolkit cannot turn a GPU run into a green row of skips.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "rbm/engine.hpp"

namespace rbm::test {

inline bool gpu_required() {
  const char* value = std::getenv("RBM_REQUIRE_GPU");
  return value != nullptr && std::strcmp(value, "0") != 0;
}

// A macro, not a function: GTEST_SKIP and FAIL return from the SetUp they are written in.
#define RBM_NEED_CUDA_DEVICE()                                                                \
  do {                                                                                        \
    if (!::rbm::cuda_available()) {                                                           \
      if (::rbm::test::gpu_required())                                                        \
        FAIL() << "RBM_REQUIRE_GPU is set but no usable CUDA device was found (driver older " \
                  "than the toolkit? built without CUDA?)";                                   \
      GTEST_SKIP() << "no CUDA device (or built without CUDA): GPU test skipped";             \
    }                                                                                         \
  } while (0)

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override { RBM_NEED_CUDA_DEVICE(); }
};

/// For TEST_P suites that need a device.
template <typename Param>
class CudaTestWithParam : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override { RBM_NEED_CUDA_DEVICE(); }
};

}  // namespace rbm::test
