// cuda/context.cu — RAII wrappers, the lazily created stream/cuBLAS handle, and the row-major
// strided-batched GEMM wrappers (the transpose trick is explained in context.cuh).
#include <cstdlib>
#include <cstring>

#include "cuda/context.cuh"
#include "host/check.hpp"

namespace rbm::cuda {

// ---- Stream / CublasHandle / GraphExec -------------------------------------------------------
Stream Stream::create() {
  cudaStream_t stream = nullptr;
  // Non-blocking: never serialised against the legacy default stream of other code.
  RBM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return Stream(stream, true);
}
Stream::~Stream() {
  if (owned_ && stream_) RBM_CUDA_CHECK_NOTHROW(cudaStreamDestroy(stream_));
}
Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (owned_ && stream_) RBM_CUDA_CHECK_NOTHROW(cudaStreamDestroy(stream_));
    stream_ = std::exchange(other.stream_, nullptr);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

CublasHandle CublasHandle::create() {
  CublasHandle handle;
  RBM_CUBLAS_CHECK(cublasCreate(&handle.handle_));
  return handle;
}
CublasHandle::~CublasHandle() {
  if (handle_) cublasDestroy(handle_);  // cannot usefully fail; never throw from here
}
CublasHandle& CublasHandle::operator=(CublasHandle&& other) noexcept {
  if (this != &other) {
    if (handle_) cublasDestroy(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

GraphExec::~GraphExec() {
  if (exec_) RBM_CUDA_CHECK_NOTHROW(cudaGraphExecDestroy(exec_));
}
GraphExec& GraphExec::operator=(GraphExec&& other) noexcept {
  if (this != &other) {
    if (exec_) RBM_CUDA_CHECK_NOTHROW(cudaGraphExecDestroy(exec_));
    exec_ = std::exchange(other.exec_, nullptr);
  }
  return *this;
}
void GraphExec::launch(cudaStream_t stream) const {
  RBM_CUDA_CHECK(cudaGraphLaunch(exec_, stream));
}

bool graphs_enabled() {
#ifdef RBM_CUDA_SYNC_CHECKS
  return false;  // the per-launch synchronization of that mode cannot be captured
#endif
  static const bool enabled = [] {
    const char* value = std::getenv("RBM_CUDA_GRAPHS");
    return value == nullptr || std::strcmp(value, "0") != 0;
  }();
  return enabled;
}

// ---- Context ---------------------------------------------------------------------------------
Context::Context(const EngineOptions& options)
    : device_(options.cuda_device), borrowed_(static_cast<cudaStream_t>(options.cuda_stream)) {
  int count = 0;
  RBM_CUDA_CHECK(cudaGetDeviceCount(&count));
  RBM_EXPECTS(device_ >= 0 && device_ < count, "cuda_device ", device_, " does not exist (", count,
              " CUDA device(s) present)");
  cudaDeviceProp props{};
  RBM_CUDA_CHECK(cudaGetDeviceProperties(&props, device_));
  device_name_ = props.name;
}

void Context::activate() const {
  RBM_CUDA_CHECK(cudaSetDevice(device_));
}

cudaStream_t Context::stream() {
  if (!stream_.get()) stream_ = borrowed_ ? Stream::borrow(borrowed_) : Stream::create();
  return stream_.get();
}

cublasHandle_t Context::cublas() {
  if (!cublas_.get()) {
    // cuBLAS recommends 32 MiB of workspace on Hopper. Given explicitly (after the stream:
    // cublasSetStream resets it), GEMMs never allocate, which graph capture requires.
    constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;
    CublasHandle handle = CublasHandle::create();
    RBM_CUBLAS_CHECK(cublasSetStream(handle.get(), stream()));
    cublas_workspace_.resize(kWorkspaceBytes);
    RBM_CUBLAS_CHECK(cublasSetWorkspace(handle.get(), cublas_workspace_.data(), kWorkspaceBytes));
    RBM_CUBLAS_CHECK(cublasSetPointerMode(handle.get(), CUBLAS_POINTER_MODE_HOST));
    cublas_ = std::move(handle);
  }
  return cublas_.get();
}

void Context::synchronize(const char* what) {
  const cudaError_t status = cudaStreamSynchronize(stream());
  if (status != cudaSuccess) throw_cuda_error(status, what, __FILE__, __LINE__);
}

// ---- GEMMs -----------------------------------------------------------------------------------
namespace {

/// Column-major C(m×n) = alpha·op(A)·op(B) + beta·C for `batch` problems at the given strides.
void gemm_cm(Context& ctx,
             cublasOperation_t op_a,
             cublasOperation_t op_b,
             int m,
             int n,
             int k,
             float alpha,
             Operand a,
             int lda,
             long long stride_a,
             Operand b,
             int ldb,
             long long stride_b,
             float beta,
             float* c,
             int ldc,
             long long stride_c,
             int batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  RBM_EXPECTS(a.type == b.type, "GEMM operands of different types");
  // Float inputs: FP32 unless TF32 was asked for explicitly (TrainConfig::math); bfloat16 inputs
  // accumulate in FP32.
  const cublasComputeType_t compute = a.type == CUDA_R_32F && ctx.math() == GemmMath::tf32
                                          ? CUBLAS_COMPUTE_32F_FAST_TF32
                                          : CUBLAS_COMPUTE_32F;
  RBM_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      ctx.cublas(), op_a, op_b, m, n, k, &alpha, a.data, a.type, lda, stride_a, b.data, b.type, ldb,
      stride_b, &beta, c, CUDA_R_32F, ldc, stride_c, batch, compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void gemm_xw(
    Context& ctx, int rows, int n, int k, Operand x, Operand w, float* y, Strides s, int batch) {
  // Column-major: Yᵀ(n×rows) = Wᵀ(n×k) · Xᵀ(k×rows); W is column-major n×k with ld n.
  gemm_cm(ctx, CUBLAS_OP_N, CUBLAS_OP_N, n, rows, k, 1.0f, w, n, s.b, x, k, s.a, 0.0f, y, n, s.c,
          batch);
}

void gemm_xwt(
    Context& ctx, int rows, int n, int k, Operand x, Operand w, float* y, Strides s, int batch) {
  // Column-major: Yᵀ(n×rows) = W(n×k) · Xᵀ(k×rows); row-major W[n][k] is column-major k×n
  // with ld k, hence op T.
  gemm_cm(ctx, CUBLAS_OP_T, CUBLAS_OP_N, n, rows, k, 1.0f, w, k, s.b, x, k, s.a, 0.0f, y, n, s.c,
          batch);
}

void gemm_atb(Context& ctx,
              int m,
              int n,
              int k,
              float alpha,
              Operand a,
              Operand b,
              float beta,
              float* g,
              Strides s,
              int batch) {
  // Column-major: Gᵀ(n×m) = Bᵀ(n×k) · A(k×m); row-major A[k][m] is column-major m×k with
  // ld m, hence op T; row-major B[k][n] is column-major n×k with ld n.
  gemm_cm(ctx, CUBLAS_OP_N, CUBLAS_OP_T, n, m, k, alpha, b, n, s.b, a, m, s.a, beta, g, n, s.c,
          batch);
}

void gemv(Context& ctx,
          bool transpose,
          int m,
          int n,
          const float* a,
          const float* x,
          float* y,
          Strides s,
          int batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  // Row-major A[m][n] is column-major Aᵀ (n×m, ld n): A·x is op T on it, Aᵀ·x op N.
  const float one = 1.0f, zero = 0.0f;
  RBM_CUBLAS_CHECK(cublasSgemvStridedBatched(ctx.cublas(), transpose ? CUBLAS_OP_N : CUBLAS_OP_T, n,
                                             m, &one, a, n, s.a, x, 1, s.b, &zero, y, 1, s.c,
                                             batch));
}

}  // namespace rbm::cuda
