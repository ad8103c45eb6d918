// tests/fuzz/fuzz_csv.cpp — CSV files in the scikit-learn digits layout, plain and gzip.
//
// Input: two bytes of options, then the file. First byte: bit 0 gzips the file, bit 1 says
// the rows carry no label, bits 2-3 pick the scale (file maximum, 16, 255, 1), bits 4-7 an
// image height H (0 = square images inferred from the row width); the second byte is then the
// image width minus one.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "rbm/dataset.hpp"
#include "rbm/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t options = rbm_fuzz::take_byte(data, size);
  const std::uint8_t width = rbm_fuzz::take_byte(data, size);
  std::string text(reinterpret_cast<const char*>(data), size);
  if (options & 1) text = rbm_fuzz::gzip(text);
  const std::string path = rbm_fuzz::write_file("data.csv", text);
  rbm::CsvOptions csv;
  csv.has_label = (options & 2) == 0;
  constexpr float scales[4] = {0.0f, 16.0f, 255.0f, 1.0f};
  csv.scale = scales[(options >> 2) & 3];
  csv.image_height = options >> 4;
  csv.image_width = csv.image_height > 0 ? width + 1 : 0;
  try {
    const rbm::GrayImages images = rbm::load_csv(path, csv);
    // What load_dataset does next must hold on anything the loader accepts.
    const rbm::Dataset binary = rbm::binarize(images, 0.5f);
    binary.validate();
    if (images.n_images <= 256) rbm::resize_bilinear(images, 3, 5);
    if (!images.labels.empty()) rbm::select_labels(images, {0, 7});
  } catch (const rbm::Error&) {
  }
  return 0;
}
