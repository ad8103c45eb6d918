// cuda/upload.cu — a dataset uploaded from CUDA device memory (Engine::upload(DataView)): the
// caller's array (uint8, int32, int64, float32 or float64 data bits) is converted on the device
// into the backend's compact uint8 form and its column means are counted there, so the data
// never passes through host memory.
#include <algorithm>
#include <limits>
#include <vector>

#include "cuda/operations.cuh"
#include "host/data/data_view.hpp"

namespace rbm::cuda {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 4096;             // grid-stride loops beyond this
constexpr std::size_t kRowsPerCountBlock = 1024;  // rows one thread counts in column_ones
constexpr unsigned long long kNoBadValue = std::numeric_limits<unsigned long long>::max();

unsigned ceil_div(std::size_t n, std::size_t d) {
  return static_cast<unsigned>((n + d - 1) / d);
}

/// out[e] = in[e] for values that are exactly 0 or 1; *first_bad = the smallest index of any
/// other value (NaN included). Integer atomicMin: the result does not depend on the schedule.
template <typename T>
__global__ void convert_bits_kernel(const T* __restrict__ in,
                                    std::size_t count,
                                    std::uint8_t* __restrict__ out,
                                    unsigned long long* first_bad) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += stride) {
    const T value = in[e];
    const bool one = value == T(1);
    out[e] = one ? 1 : 0;
    if (!one && !(value == T(0))) atomicMin(first_bad, static_cast<unsigned long long>(e));
  }
}

/// ones[i] += the number of ones in column i over this block's rows (integer sums: exact and
/// independent of the order).
__global__ void column_ones_kernel(const std::uint8_t* __restrict__ bits,
                                   std::size_t n_rows,
                                   int n_cols,
                                   unsigned long long* ones) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n_cols) return;
  const std::size_t begin = static_cast<std::size_t>(blockIdx.y) * kRowsPerCountBlock;
  const std::size_t end = begin + kRowsPerCountBlock < n_rows ? begin + kRowsPerCountBlock : n_rows;
  unsigned long long count = 0;
  for (std::size_t n = begin; n < end; ++n) count += bits[n * n_cols + i];
  atomicAdd(ones + i, count);
}

template <typename T>
void launch_convert(const DataView& view,
                    CudaData& out,
                    unsigned long long* first_bad,
                    cudaStream_t stream) {
  const std::size_t count = out.values.size();
  const unsigned blocks = std::min(kMaxBlocks, ceil_div(count, kThreads));
  convert_bits_kernel<T><<<blocks, kThreads, 0, stream>>>(static_cast<const T*>(view.data), count,
                                                          out.values.data(), first_bad);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

/// Reads the element at `index` of the caller's array, for the error message.
template <typename T>
double element_at(const DataView& view, std::size_t index) {
  T value{};
  RBM_CUDA_CHECK(cudaMemcpy(&value, static_cast<const T*>(view.data) + index, sizeof(T),
                            cudaMemcpyDeviceToHost));
  return static_cast<double>(value);
}

double element_at(const DataView& view, std::size_t index) {
  switch (view.type) {
    case ElementType::uint8:
      return element_at<std::uint8_t>(view, index);
    case ElementType::int32:
      return element_at<std::int32_t>(view, index);
    case ElementType::int64:
      return element_at<std::int64_t>(view, index);
    case ElementType::float32:
      return element_at<float>(view, index);
    case ElementType::float64:
      return element_at<double>(view, index);
  }
  return 0;
}

/// Throws InvalidArgument unless view.data is device (or managed) memory of the engine's device.
void check_device_pointer(const Context& ctx, const DataView& view) {
  RBM_EXPECTS(view.cuda_device == ctx.device(), detail::view_label(view),
              " is on cuda:", view.cuda_device, " but this engine runs on cuda:", ctx.device());
  cudaPointerAttributes attributes{};
  const cudaError_t status = cudaPointerGetAttributes(&attributes, view.data);
  if (status != cudaSuccess) cudaGetLastError();
  const bool on_device = status == cudaSuccess && (attributes.type == cudaMemoryTypeDevice ||
                                                   attributes.type == cudaMemoryTypeManaged);
  RBM_EXPECTS(on_device && attributes.device == view.cuda_device, detail::view_label(view),
              ": pointer ", view.data, " is not CUDA device memory of cuda:", view.cuda_device);
}

}  // namespace

std::shared_ptr<const detail::ResidentData> upload_device(Context& ctx, const DataView& view) {
  check_device_pointer(ctx, view);
  // The array's producer (PyTorch, CuPy, ...) may still be writing it on a stream of its own;
  // whichever stream that is, the device's queued work is done after this.
  RBM_CUDA_CHECK(cudaDeviceSynchronize());
  cudaStream_t stream = ctx.stream();
  auto resident = std::make_shared<CudaData>();
  resident->n_samples = view.n_samples;
  resident->n_visible = view.n_visible;
  resident->device = ctx.device();
  resident->values.resize(view.n_samples * static_cast<std::size_t>(view.n_visible));

  DeviceBuffer<unsigned long long> first_bad(1), ones(view.n_visible);
  RBM_CUDA_CHECK(cudaMemcpyAsync(first_bad.data(), &kNoBadValue, sizeof(kNoBadValue),
                                 cudaMemcpyHostToDevice, stream));
  RBM_CUDA_CHECK(cudaMemsetAsync(ones.data(), 0, ones.size() * sizeof(unsigned long long), stream));
  switch (view.type) {
    case ElementType::uint8:
      launch_convert<std::uint8_t>(view, *resident, first_bad.data(), stream);
      break;
    case ElementType::int32:
      launch_convert<std::int32_t>(view, *resident, first_bad.data(), stream);
      break;
    case ElementType::int64:
      launch_convert<std::int64_t>(view, *resident, first_bad.data(), stream);
      break;
    case ElementType::float32:
      launch_convert<float>(view, *resident, first_bad.data(), stream);
      break;
    case ElementType::float64:
      launch_convert<double>(view, *resident, first_bad.data(), stream);
      break;
  }
  const dim3 grid(ceil_div(view.n_visible, kThreads), ceil_div(view.n_samples, kRowsPerCountBlock));
  RBM_EXPECTS(grid.y <= 65535, detail::view_label(view), ": ", view.n_samples,
              " rows are more than the CUDA upload counts (", 65535 * kRowsPerCountBlock, ")");
  column_ones_kernel<<<grid, kThreads, 0, stream>>>(resident->values.data(), view.n_samples,
                                                    view.n_visible, ones.data());
  RBM_CUDA_CHECK_LAUNCH(stream);

  unsigned long long bad = kNoBadValue;
  std::vector<unsigned long long> host_ones(view.n_visible);
  RBM_CUDA_CHECK(
      cudaMemcpyAsync(&bad, first_bad.data(), sizeof(bad), cudaMemcpyDeviceToHost, stream));
  ones.copy_to_host(host_ones.data(), stream);
  ctx.synchronize("upload");
  if (bad != kNoBadValue)
    RBM_THROW(InvalidArgument, detail::view_label(view), ": value ", element_at(view, bad),
              " at sample ", bad / view.n_visible, ", unit ", bad % view.n_visible,
              " is not 0 or 1 (data bits; threshold grey levels first, e.g. x > 0.5)");
  resident->bit_means.resize(view.n_visible);
  for (int i = 0; i < view.n_visible; ++i)
    resident->bit_means[i] =
        static_cast<double>(host_ones[i]) / static_cast<double>(view.n_samples);
  return resident;
}

}  // namespace rbm::cuda
