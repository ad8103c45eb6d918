// cuda/shuffle.cu — the epochs' row orders: Philox keys sorted by CUB (see shuffle.cuh).
#include <cub/device/device_radix_sort.cuh>
#include <limits>

#include "cuda/launch.cuh"
#include "cuda/shuffle.cuh"
#include "host/common/philox.hpp"

namespace rbm::cuda {
namespace {

using detail::random_block;
using detail::RandomStream;

__global__ void shuffle_keys_kernel(const std::uint64_t* seeds,
                                    std::uint32_t epoch,
                                    std::size_t n_samples,
                                    std::uint32_t* keys,
                                    std::uint32_t* rows) {
  const std::size_t n = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (n >= n_samples) return;
  const int m = blockIdx.y;
  keys[m * n_samples + n] = random_block(seeds[m], RandomStream::shuffle, epoch, n).v[0];
  rows[m * n_samples + n] = static_cast<std::uint32_t>(n);
}

}  // namespace

// ---- Shuffler --------------------------------------------------------------------------------
Shuffler::Shuffler(std::size_t n_samples, int n_models)
    : n_samples_(n_samples), n_models_(n_models) {
  RBM_EXPECTS(n_samples <= static_cast<std::size_t>(std::numeric_limits<int>::max()),
              "the CUDA backend shuffles at most 2^31-1 rows per dataset, got ", n_samples);
  const std::size_t total = n_samples * n_models;
  keys_.resize(total);
  sorted_keys_.resize(total);
  rows_.resize(total);
  std::size_t temp_bytes = 0;
  RBM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_.data(),
                                                 sorted_keys_.data(), rows_.data(), rows_.data(),
                                                 static_cast<int>(n_samples)));
  temp_.resize(std::max<std::size_t>(temp_bytes, 1));
}

void Shuffler::run(const std::uint64_t* seeds,
                   std::uint32_t epoch,
                   std::uint32_t* perm,
                   cudaStream_t stream) {
  shuffle_keys_kernel<<<model_grid(ceil_div(n_samples_, kThreads), n_models_), kThreads, 0,
                        stream>>>(seeds, epoch, n_samples_, keys_.data(), rows_.data());
  RBM_CUDA_CHECK_LAUNCH(stream);
  // One sort per model (M calls per epoch, negligible next to the epoch's steps).
  for (int m = 0; m < n_models_; ++m) {
    const std::size_t offset = static_cast<std::size_t>(m) * n_samples_;
    std::size_t temp_bytes = temp_.size();
    RBM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        temp_.data(), temp_bytes, keys_.data() + offset, sorted_keys_.data() + offset,
        rows_.data() + offset, perm + offset, static_cast<int>(n_samples_), 0, 32, stream));
  }
}

}  // namespace rbm::cuda
