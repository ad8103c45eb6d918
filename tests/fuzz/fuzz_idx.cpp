// tests/fuzz/fuzz_idx.cpp — MNIST IDX images and labels, plain and gzip.
//
// Input: one byte of options, two bytes (little-endian) saying where the images end, then the
// images file and the labels file. Options: bit 0 gzips the images, bit 1 the labels, bit 2
// loads the labels too, bit 3 cuts the compressed images stream short (at the position the
// next option byte gives), so truncated gzip members are covered as well.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "rbm/dataset.hpp"
#include "rbm/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t options = rbm_fuzz::take_byte(data, size);
  const std::uint8_t cut = rbm_fuzz::take_byte(data, size);
  std::size_t split = rbm_fuzz::take_byte(data, size);
  split |= std::size_t{rbm_fuzz::take_byte(data, size)} << 8;
  split = size == 0 ? 0 : split % (size + 1);
  const std::string raw(reinterpret_cast<const char*>(data), size);
  std::string images = raw.substr(0, split), labels = raw.substr(split);
  if (options & 1) {
    images = rbm_fuzz::gzip(images);
    if (options & 8) images.resize(images.size() * cut / 256);
  }
  if (options & 2) labels = rbm_fuzz::gzip(labels);
  const std::string images_path = rbm_fuzz::write_file("images", images);
  const std::string labels_path =
      (options & 4) ? rbm_fuzz::write_file("labels", labels) : std::string();
  try {
    const rbm::GrayImages loaded = rbm::load_mnist_idx(images_path, labels_path);
    // What load_dataset does next must hold on anything the loader accepts.
    const rbm::Dataset binary = rbm::binarize(loaded, 0.5f);
    binary.validate();
    if (!loaded.labels.empty()) rbm::select_labels(loaded, {0, 7});
  } catch (const rbm::Error&) {
  }
  return 0;
}
