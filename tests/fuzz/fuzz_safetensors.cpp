// tests/fuzz/fuzz_safetensors.cpp — model files through rbm::load_models: the safetensors
// container (header JSON, offsets, dtypes, data) and the model layer on top (metadata,
// n_models, prefixes, shapes, unit types, finiteness). Input: the file.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_common.hpp"
#include "rbm/error.hpp"
#include "rbm/io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = rbm_fuzz::write_file(
      "model.safetensors", std::string(reinterpret_cast<const char*>(data), size));
  try {
    for (const rbm::Model& model : rbm::load_models(path)) {
      // Anything load_models returns is a valid model (it promises to validate).
      model.validate();
    }
  } catch (const rbm::Error&) {
  }
  return 0;
}
