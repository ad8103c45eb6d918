// tests/fuzz/fuzz_train_config.cpp — the JSON train-config parser rbm::train_config_from_json
// (model provenance, CLI config files). Input: the JSON text, whatever fields the config has.
// A config it accepts must serialise again and then validate or be refused as rbm::Error.
#include <cstdint>
#include <string>

#include "rbm/error.hpp"
#include "rbm/train.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const rbm::TrainConfig config =
        rbm::train_config_from_json(std::string(reinterpret_cast<const char*>(data), size));
    rbm::train_config_from_json(rbm::to_json(config));
    rbm::validate(config);
  } catch (const rbm::Error&) {
  }
  return 0;
}
