// bench/sgemm_peak.cu — the FLOP floor for bench_train: cuBLAS SGEMM throughput, FP32 (and TF32
// with --tf32), on random inputs, on an 8192³ problem by default and on any --mnk M,N,K shapes
// given (column-major m, n, k; e.g. a CD step's field GEMM 500,100,784 and its gradient
// 500,784,100), whose times add up to the GEMM part of one step. One JSON line per shape and mode:
// task "sgemm", m, n, k, mode, seconds (best of --repeat), tflops, device, date.
//
//   sgemm_peak [--mnk 8192,8192,8192] [--mnk 100,500,784 ...] [--tf32] [--repeat 20]
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    std::fprintf(stderr, "sgemm_peak: %s: %s\n", what, cudaGetErrorString(status));
    std::exit(1);
  }
}
void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "sgemm_peak: %s: cuBLAS status %d\n", what, static_cast<int>(status));
    std::exit(1);
  }
}

struct Shape {
  int m, n, k;
};

/// Uniform values in [-1, 1) from a hash of the index: GEMM throughput on all-zero inputs is
/// flattering (less switching power, higher sustained clocks).
__global__ void fill_random(float* x, std::size_t n, unsigned seed) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    unsigned h = static_cast<unsigned>(i) * 2654435761u ^ seed;
    h ^= h >> 16;
    h *= 2246822519u;
    h ^= h >> 13;
    x[i] = static_cast<float>(h >> 8) * 0x1.0p-23f - 1.0f;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Shape> shapes;
  bool tf32 = false;
  int repeat = 20;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--tf32") {
      tf32 = true;
    } else if (arg == "--repeat" && a + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++a]));
    } else if (arg == "--mnk" && a + 1 < argc) {
      Shape s{};
      char c1 = 0, c2 = 0;
      std::istringstream in(argv[++a]);
      if (!(in >> s.m >> c1 >> s.n >> c2 >> s.k) || s.m <= 0 || s.n <= 0 || s.k <= 0) {
        std::cerr << "sgemm_peak: bad --mnk " << argv[a] << "\n";
        return 2;
      }
      shapes.push_back(s);
    } else {
      std::cerr << "usage: sgemm_peak [--mnk M,N,K]... [--tf32] [--repeat R]\n";
      return 2;
    }
  }
  if (shapes.empty()) shapes.push_back({8192, 8192, 8192});

  cudaDeviceProp props{};
  check(cudaGetDeviceProperties(&props, 0), "cudaGetDeviceProperties");
  cublasHandle_t handle = nullptr;
  check(cublasCreate(&handle), "cublasCreate");
  cudaEvent_t start = nullptr, stop = nullptr;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");

  std::vector<bool> modes{false};
  if (tf32) modes.push_back(true);
  for (const Shape& s : shapes) {
    float *a = nullptr, *b = nullptr, *c = nullptr;
    check(cudaMalloc(&a, sizeof(float) * s.m * static_cast<size_t>(s.k)), "cudaMalloc A");
    check(cudaMalloc(&b, sizeof(float) * s.k * static_cast<size_t>(s.n)), "cudaMalloc B");
    check(cudaMalloc(&c, sizeof(float) * s.m * static_cast<size_t>(s.n)), "cudaMalloc C");
    fill_random<<<1024, 256>>>(a, static_cast<std::size_t>(s.m) * s.k, 1u);
    fill_random<<<1024, 256>>>(b, static_cast<std::size_t>(s.k) * s.n, 2u);
    check(cudaGetLastError(), "fill_random");
    for (bool use_tf32 : modes) {
      const cublasComputeType_t compute =
          use_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
      const float alpha = 1, beta = 0;
      auto gemm = [&] {
        check(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, s.m, s.n, s.k, &alpha, a, CUDA_R_32F,
                           s.m, b, CUDA_R_32F, s.k, &beta, c, CUDA_R_32F, s.m, compute,
                           CUBLAS_GEMM_DEFAULT),
              "cublasGemmEx");
      };
      gemm();  // warm-up: heuristics, clocks
      check(cudaDeviceSynchronize(), "warm-up");
      // Small shapes are timed in batches of calls so that event resolution does not dominate.
      const double flops = 2.0 * s.m * s.n * s.k;
      const int calls = static_cast<int>(std::clamp(1e10 / flops, 1.0, 1000.0));
      float best_ms = 1e30f;
      for (int r = 0; r < repeat; ++r) {
        check(cudaEventRecord(start), "cudaEventRecord");
        for (int i = 0; i < calls; ++i) gemm();
        check(cudaEventRecord(stop), "cudaEventRecord");
        check(cudaEventSynchronize(stop), "cudaEventSynchronize");
        float ms = 0;
        check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
        best_ms = std::min(best_ms, ms / calls);
      }
      nlohmann::json line;
      line["task"] = "sgemm";
      line["m"] = s.m;
      line["n"] = s.n;
      line["k"] = s.k;
      line["mode"] = use_tf32 ? "tf32" : "fp32";
      line["seconds"] = best_ms * 1e-3;
      line["tflops"] = flops / (best_ms * 1e-3) * 1e-12;
      line["device"] = props.name;
      line["date"] = rbm::bench::utc_date();
      std::cout << line.dump() << std::endl;
    }
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
  }
  cublasDestroy(handle);
  return 0;
}
