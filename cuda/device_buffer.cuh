// cuda/device_buffer.cuh — the one owner of cudaMalloc/cudaFree: a move-only typed buffer
// with stream-ordered host copies; and its pinned host counterpart (cudaMallocHost).
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

#include "cuda/check.cuh"

namespace rbm::cuda {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { resize(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  /// Reallocates (contents lost) unless the size is unchanged. Throws OutOfMemory with bytes.
  void resize(std::size_t count) {
    if (count == size_) return;
    release();
    if (count == 0) return;
    const cudaError_t status = cudaMalloc(&data_, count * sizeof(T));
    if (status != cudaSuccess) {
      data_ = nullptr;
      cudaGetLastError();
      if (status == cudaErrorMemoryAllocation)
        RBM_THROW(OutOfMemory, "CUDA out of memory allocating ", count * sizeof(T), " bytes");
      throw_cuda_error(status, "cudaMalloc", __FILE__, __LINE__);
    }
    size_ = count;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }

  void copy_from_host(const T* host, std::size_t count, cudaStream_t stream) {
    resize(count);
    if (count)
      RBM_CUDA_CHECK(
          cudaMemcpyAsync(data_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
  }
  void copy_from_host(const std::vector<T>& host, cudaStream_t stream) {
    copy_from_host(host.data(), host.size(), stream);
  }
  /// Stream-ordered; the caller synchronizes before reading `host`.
  void copy_to_host(T* host, cudaStream_t stream) const {
    if (size_)
      RBM_CUDA_CHECK(
          cudaMemcpyAsync(host, data_, size_ * sizeof(T), cudaMemcpyDeviceToHost, stream));
  }

 private:
  void release() noexcept {
    if (data_) RBM_CUDA_CHECK_NOTHROW(cudaFree(data_));
    data_ = nullptr;
    size_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Pinned (page-locked) host memory, so that asynchronous copies from and to it are truly
/// asynchronous (a pageable buffer is staged by the driver first). Move-only; grows only.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  /// At least `count` elements (contents lost when it grows). The caller makes sure no copy
  /// from or to the old memory is pending. Throws OutOfMemory with the bytes.
  void reserve(std::size_t count) {
    if (count <= size_) return;
    release();
    const cudaError_t status = cudaMallocHost(&data_, count * sizeof(T));
    if (status != cudaSuccess) {
      data_ = nullptr;
      cudaGetLastError();
      if (status == cudaErrorMemoryAllocation)
        RBM_THROW(OutOfMemory, "out of pinned host memory allocating ", count * sizeof(T),
                  " bytes");
      throw_cuda_error(status, "cudaMallocHost", __FILE__, __LINE__);
    }
    size_ = count;
  }
  T* data() { return data_; }
  std::size_t size() const { return size_; }

 private:
  void release() noexcept {
    if (data_) RBM_CUDA_CHECK_NOTHROW(cudaFreeHost(data_));
    data_ = nullptr;
    size_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace rbm::cuda
