// cuda/shuffle.cuh — the epochs' row orders on the device (the contract's permutation).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/device_buffer.cuh"

namespace rbm::cuda {

/// The epochs' row orders: perm[m][·] = n = 0..N−1 sorted by (key, n) with
/// key = random_block(seeds[m], shuffle, epoch, n).v[0] (CUB radix sort of Philox keys; stable,
/// so ties keep ascending n). Owns its key and scratch buffers.
class Shuffler {
 public:
  Shuffler(std::size_t n_samples, int n_models);
  /// perm is [M][N], device.
  void run(const std::uint64_t* seeds,
           std::uint32_t epoch,
           std::uint32_t* perm,
           cudaStream_t stream);

 private:
  std::size_t n_samples_;
  int n_models_;
  DeviceBuffer<std::uint32_t> keys_, sorted_keys_, rows_;
  DeviceBuffer<unsigned char> temp_;
};

}  // namespace rbm::cuda
