// cuda/context.cuh — the CUDA backend's resources: one device, one stream (owned or borrowed),
// one cuBLAS handle bound to it, CUDA graphs, and the row-major GEMM wrappers every kernel
// pipeline uses. The only place that knows which device the backend runs on.
//
// Everything is created lazily (the first stream()/cublas() call), so that constructing an
// Engine touches nothing but the device query, and destroyed in reverse order by RAII wrappers
// that are move-only, as in faiss's GpuResources and raft's lazily created cublas_resource.
#pragma once
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <string>
#include <utility>

#include "cuda/check.cuh"
#include "cuda/device_buffer.cuh"
#include "rbm/engine.hpp"

namespace rbm::cuda {

/// A CUDA stream: owned (created non-blocking here, destroyed here) or borrowed (a caller's,
/// never destroyed).
class Stream {
 public:
  Stream() = default;
  static Stream create();
  static Stream borrow(cudaStream_t stream) { return Stream(stream, false); }
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& other) noexcept
      : stream_(std::exchange(other.stream_, nullptr)),
        owned_(std::exchange(other.owned_, false)) {}
  Stream& operator=(Stream&& other) noexcept;
  cudaStream_t get() const { return stream_; }

 private:
  Stream(cudaStream_t stream, bool owned) : stream_(stream), owned_(owned) {}
  cudaStream_t stream_ = nullptr;
  bool owned_ = false;
};

/// A cuBLAS handle (move-only).
class CublasHandle {
 public:
  CublasHandle() = default;
  static CublasHandle create();
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  CublasHandle(CublasHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CublasHandle& operator=(CublasHandle&& other) noexcept;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

/// An instantiated CUDA graph (move-only). Empty when capture was not possible.
class GraphExec {
 public:
  GraphExec() = default;
  explicit GraphExec(cudaGraphExec_t exec) : exec_(exec) {}
  ~GraphExec();
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  GraphExec(GraphExec&& other) noexcept : exec_(std::exchange(other.exec_, nullptr)) {}
  GraphExec& operator=(GraphExec&& other) noexcept;
  explicit operator bool() const { return exec_ != nullptr; }
  void launch(cudaStream_t stream) const;

 private:
  cudaGraphExec_t exec_ = nullptr;
};

/// Captures what `record` enqueues on `stream` into a graph. Returns an empty GraphExec when the
/// stream cannot be captured (e.g. a borrowed legacy stream) or graphs are disabled by the
/// environment (RBM_CUDA_GRAPHS=0); the caller then runs `record` directly. An exception thrown
/// by `record` ends the capture first, so the stream stays usable.
template <typename Record>
GraphExec capture_graph(cudaStream_t stream, Record&& record);

/// Per-Engine CUDA resources. Not thread-safe (an Engine is used by one thread at a time).
class Context {
 public:
  /// Checks that options.cuda_device exists; creates no stream or handle yet.
  explicit Context(const EngineOptions& options);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const { return device_; }
  const std::string& device_name() const { return device_name_; }
  /// Makes the context's device current on the calling thread (every backend call starts here).
  void activate() const;
  cudaStream_t stream();
  /// The cuBLAS handle, bound to stream(), with a fixed workspace so that GEMMs can be captured
  /// into graphs without allocating.
  cublasHandle_t cublas();
  /// Waits for the stream; a failure names `what` (the operation that was running).
  void synchronize(const char* what);

  /// The arithmetic of float GEMMs: FP32 unless a GemmMathScope asks for TF32 tensor cores
  /// (CUBLAS_COMPUTE_32F_FAST_TF32). bf16 is carried by the operands (Operand), not by the mode.
  GemmMath math() const { return math_; }

 private:
  friend class GemmMathScope;
  int device_ = 0;
  std::string device_name_;
  cudaStream_t borrowed_ = nullptr;
  GemmMath math_ = GemmMath::fp32;
  // Declaration order = reverse destruction order: the handle goes before its workspace and
  // both before the stream they are bound to.
  Stream stream_;
  DeviceBuffer<unsigned char> cublas_workspace_;
  CublasHandle cublas_;
};

/// Sets a context's GEMM arithmetic for a scope and restores the one before when the scope ends,
/// also when an exception leaves it: the one place the mode changes, so no call after a failed
/// epoch inherits TF32.
class GemmMathScope {
 public:
  GemmMathScope(Context& ctx, GemmMath math) : ctx_(ctx), previous_(ctx.math_) { ctx.math_ = math; }
  ~GemmMathScope() { ctx_.math_ = previous_; }
  GemmMathScope(const GemmMathScope&) = delete;
  GemmMathScope& operator=(const GemmMathScope&) = delete;

 private:
  Context& ctx_;
  GemmMath previous_;
};

// ---- Row-major GEMMs, strided-batched over M models -------------------------------------------
// cuBLAS is column-major. A row-major [R][C] matrix with leading dimension C is, byte for byte,
// the column-major C×R matrix (its transpose), so a row-major product Y = A·B is computed as the
// column-major Yᵀ = Bᵀ·Aᵀ: swap the operands and the m/n sizes, keep every leading dimension.
// Each wrapper states its row-major shapes; `batch` models are laid out at the given element
// strides (stride 0 = the same operand for every model). With batch = 1 the strides are unused.

/// Element strides between consecutive models' operands: a = the first operand (X or A),
/// b = the second (W or B), c = the result.
struct Strides {
  long long a = 0, b = 0, c = 0;
};

/// A GEMM input in device memory: float, or a bfloat16 copy. Both inputs of one GEMM have the
/// same type; bfloat16 inputs accumulate in float32 (CUBLAS_COMPUTE_32F), the result is float.
struct Operand {
  Operand(const float* data) : data(data), type(CUDA_R_32F) {}  // NOLINT: implicit on purpose
  Operand(const __nv_bfloat16* data) : data(data), type(CUDA_R_16BF) {}  // NOLINT
  const void* data;
  cudaDataType_t type;
};

/// Y[rows][n] = X[rows][k] · W[k][n]            (e.g. hidden fields V·W, W row-major [D][L])
void gemm_xw(Context& ctx,
             int rows,
             int n,
             int k,
             Operand x,
             Operand w,
             float* y,
             Strides strides,
             int batch);
/// Y[rows][n] = X[rows][k] · W[n][k]ᵀ           (e.g. visible fields H·Wᵀ, W row-major [D][L])
void gemm_xwt(Context& ctx,
              int rows,
              int n,
              int k,
              Operand x,
              Operand w,
              float* y,
              Strides strides,
              int batch);
/// G[m][n] = alpha · A[k][m]ᵀ · B[k][n] + beta · G   (e.g. the gradient V0ᵀ·P0 / B)
void gemm_atb(Context& ctx,
              int m,
              int n,
              int k,
              float alpha,
              Operand a,
              Operand b,
              float beta,
              float* g,
              Strides strides,
              int batch);

/// y[m] = op(A)·x for row-major A [m][n] per model (op = transpose when the flag is set), at the
/// given element strides (a = A, b = x, c = y).
void gemv(Context& ctx,
          bool transpose,
          int m,
          int n,
          const float* a,
          const float* x,
          float* y,
          Strides strides,
          int batch);

// ---- capture_graph ---------------------------------------------------------------------------
bool graphs_enabled();

template <typename Record>
GraphExec capture_graph(cudaStream_t stream, Record&& record) {
  if (!graphs_enabled()) return {};
  // ThreadLocal: other threads of the program may keep calling CUDA while we capture.
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    cudaGetLastError();
    return {};
  }
  try {
    record();
  } catch (...) {
    cudaGraph_t partial = nullptr;
    cudaStreamEndCapture(stream, &partial);
    if (partial) cudaGraphDestroy(partial);
    cudaGetLastError();
    throw;
  }
  cudaGraph_t graph = nullptr;
  if (cudaStreamEndCapture(stream, &graph) != cudaSuccess) {  // invalidated: run eagerly instead
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    return {};
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t status = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return {};
  }
  return GraphExec(exec);
}

}  // namespace rbm::cuda
