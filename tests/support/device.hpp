// tests/support/device.hpp — fixture for tests that need a CUDA device: they skip, saying why,
// on machines without one (CI) and in CPU-only builds.
#pragma once
#include <gtest/gtest.h>

#include "rbm/engine.hpp"

namespace rbm::test {

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda_available())
      GTEST_SKIP() << "no CUDA device (or built without CUDA): GPU test skipped";
  }
};

/// For TEST_P suites that need a device.
template <typename Param>
class CudaTestWithParam : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    if (!cuda_available())
      GTEST_SKIP() << "no CUDA device (or built without CUDA): GPU test skipped";
  }
};

}  // namespace rbm::test
