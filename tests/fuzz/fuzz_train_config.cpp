// tests/fuzz/fuzz_train_config.cpp — the JSON config parsers: rbm::train_config_from_json (model
// provenance) and rbm::run_config_from_json (CLI config files, the C API's rbm_train). Input:
// the JSON text, whatever fields it has. A config either accepts must serialise again and then
// validate or be refused as rbm::Error.
#include <cstdint>
#include <string>

#include "rbm/error.hpp"
#include "rbm/run_config.hpp"
#include "rbm/train.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const rbm::TrainConfig config = rbm::train_config_from_json(text);
    rbm::train_config_from_json(rbm::to_json(config));
    rbm::validate(config);
  } catch (const rbm::Error&) {
  }
  try {
    const rbm::RunConfig run = rbm::run_config_from_json(text);
    rbm::run_config_from_json(rbm::to_json(run));
    rbm::validate(run);
  } catch (const rbm::Error&) {
  }
  return 0;
}
