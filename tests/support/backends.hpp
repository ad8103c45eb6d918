// tests/support/backends.hpp — tests that run on every backend: the CPU always, CUDA where a
// device is present (the CUDA instances skip themselves otherwise, see device.hpp). A suite
// derives its fixture from OnEveryBackend (or OnEveryBackendWith<Param>), builds its engines
// with backend(), and is instantiated with RBM_ON_EVERY_BACKEND (or Combine with kEveryBackend).
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "rbm/engine.hpp"
#include "tests/support/device.hpp"

namespace rbm::test {

inline const auto kEveryBackend = ::testing::Values(BackendKind::cpu, BackendKind::cuda);

inline std::string backend_name(BackendKind kind) {
  return kind == BackendKind::cuda ? "cuda" : "cpu";
}

class OnEveryBackend : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (GetParam() == BackendKind::cuda) RBM_NEED_CUDA_DEVICE();
  }
  BackendKind backend() const { return GetParam(); }
};

/// For suites with a parameter of their own: the parameter is (Param, backend).
template <typename Param>
class OnEveryBackendWith : public ::testing::TestWithParam<std::tuple<Param, BackendKind>> {
 protected:
  void SetUp() override {
    if (backend() == BackendKind::cuda) RBM_NEED_CUDA_DEVICE();
  }
  const Param& param() const { return std::get<0>(this->GetParam()); }
  BackendKind backend() const { return std::get<1>(this->GetParam()); }
};

#define RBM_ON_EVERY_BACKEND(Suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::rbm::test::kEveryBackend,                \
                           [](const ::testing::TestParamInfo<::rbm::BackendKind>& i) { \
                             return ::rbm::test::backend_name(i.param);                \
                           })

}  // namespace rbm::test
