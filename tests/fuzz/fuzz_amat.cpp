// tests/fuzz/fuzz_amat.cpp — binarized-MNIST .amat text files, plain and gzip.
//
// Input: one byte of options, then the file. Options: bit 0 gzips the file, bits 1-7 pick
// the image shape: 0 infers the width from the first row, k > 0 asks for k x 2 images.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "rbm/dataset.hpp"
#include "rbm/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t options = rbm_fuzz::take_byte(data, size);
  std::string text(reinterpret_cast<const char*>(data), size);
  if (options & 1) text = rbm_fuzz::gzip(text);
  const std::string path = rbm_fuzz::write_file("data.amat", text);
  const int height = options >> 1;
  try {
    const rbm::Dataset loaded = rbm::load_amat(path, height, height > 0 ? 2 : 0);
    loaded.validate();
    rbm::head(loaded, 3).validate();
  } catch (const rbm::Error&) {
  }
  return 0;
}
