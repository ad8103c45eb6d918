// cuda/check.cuh — error checks for CUDA, cuBLAS and cuRAND calls, throwing rbm exceptions.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>

#include <cstdio>

#include "host/check.hpp"

namespace rbm::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t status,
                                          const char* what,
                                          const char* file,
                                          int line) {
  cudaGetLastError();  // clear the sticky error so the context stays usable where it can
  if (status == cudaErrorMemoryAllocation)
    RBM_THROW(OutOfMemory, "CUDA out of memory in ", what, " (", file, ":", line, ")");
  RBM_THROW(CudaError, "CUDA error '", cudaGetErrorString(status), "' in ", what, " (", file, ":",
            line, ")");
}

}  // namespace rbm::cuda

#define RBM_CUDA_CHECK(call)                                                 \
  do {                                                                       \
    const cudaError_t rbm_status_ = (call);                                  \
    if (rbm_status_ != cudaSuccess)                                          \
      ::rbm::cuda::throw_cuda_error(rbm_status_, #call, __FILE__, __LINE__); \
  } while (0)

/// After every kernel launch: peeks in release builds, synchronizes with RBM_CUDA_SYNC_CHECKS.
#ifdef RBM_CUDA_SYNC_CHECKS
#define RBM_CUDA_CHECK_LAUNCH(stream) RBM_CUDA_CHECK(cudaStreamSynchronize(stream))
#else
#define RBM_CUDA_CHECK_LAUNCH(stream) RBM_CUDA_CHECK(cudaPeekAtLastError())
#endif

#define RBM_CUBLAS_CHECK(call)                                                                   \
  do {                                                                                           \
    const cublasStatus_t rbm_status_ = (call);                                                   \
    if (rbm_status_ == CUBLAS_STATUS_ALLOC_FAILED)                                               \
      RBM_THROW(::rbm::OutOfMemory, "cuBLAS could not allocate device memory in ", #call, " (",  \
                __FILE__, ":", __LINE__, ")");                                                   \
    if (rbm_status_ != CUBLAS_STATUS_SUCCESS)                                                    \
      RBM_THROW(::rbm::CudaError, "cuBLAS error ", static_cast<int>(rbm_status_), " in ", #call, \
                " (", __FILE__, ":", __LINE__, ")");                                             \
  } while (0)

#define RBM_CURAND_CHECK(call)                                                                   \
  do {                                                                                           \
    const curandStatus_t rbm_status_ = (call);                                                   \
    if (rbm_status_ != CURAND_STATUS_SUCCESS)                                                    \
      RBM_THROW(::rbm::CudaError, "cuRAND error ", static_cast<int>(rbm_status_), " in ", #call, \
                " (", __FILE__, ":", __LINE__, ")");                                             \
  } while (0)

/// For destructors only: report, never throw.
#define RBM_CUDA_CHECK_NOTHROW(call)                                                        \
  do {                                                                                      \
    const cudaError_t rbm_status_ = (call);                                                 \
    if (rbm_status_ != cudaSuccess && rbm_status_ != cudaErrorCudartUnloading)              \
      std::fprintf(stderr, "rbm: %s failed: %s\n", #call, cudaGetErrorString(rbm_status_)); \
  } while (0)
