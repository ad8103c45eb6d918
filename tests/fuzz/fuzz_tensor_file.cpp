// tests/fuzz/fuzz_tensor_file.cpp — the generic safetensors reader under model files and
// checkpoints (rbm::detail::read_tensor_file; linked statically, so the hidden symbol is
// reachable). Input: the file. Whatever it returns must be self-consistent.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_common.hpp"
#include "host/io/tensor_file.hpp"
#include "rbm/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = rbm_fuzz::write_file(
      "tensors.safetensors", std::string(reinterpret_cast<const char*>(data), size));
  try {
    const rbm::detail::TensorFile file = rbm::detail::read_tensor_file(path);
    std::size_t total = 0;
    for (const rbm::detail::NamedTensor& tensor : file.tensors) {
      std::size_t count = 1;
      for (std::int64_t extent : tensor.shape) {
        if (extent <= 0) std::abort();
        count *= static_cast<std::size_t>(extent);
      }
      if (count != tensor.values.size()) std::abort();
      total += count;
    }
    // Every element takes at least 2 bytes of the file (F16/BF16), tensors do not overlap.
    if (2 * total > size) std::abort();
  } catch (const rbm::Error&) {
  }
  return 0;
}
