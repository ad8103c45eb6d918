// tests/fuzz/fuzz_spec.cpp — dataset spec strings through rbm::load_dataset. Input: the spec.
//
// The process works in an empty temporary directory, so file specs (csv:x, mnist:.) fail with
// IoError, and specs with a '/' are skipped so that no real file (/dev/zero, data sets) is
// reached. Specs may legitimately ask for big generated data (glyphs:1000000 is 2 GB,
// bas:16:resize=99x99 5 GB); every number is therefore kept below 100 and bas below 11, which
// still reaches every option and code path.
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_common.hpp"
#include "rbm/dataset.hpp"
#include "rbm/error.hpp"

namespace {

bool too_big(const std::string& spec) {
  std::size_t digits = 0;
  for (char c : spec) {
    digits = std::isdigit(static_cast<unsigned char>(c)) ? digits + 1 : 0;
    if (digits > 2) return true;
  }
  return spec.rfind("bas:", 0) == 0 && spec.size() > 5 && std::isdigit(spec[5]) &&
         std::atoi(spec.c_str() + 4) > 10;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (::chdir(rbm_fuzz::temp_dir().c_str()) != 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string spec(reinterpret_cast<const char*>(data), size);
  if (spec.size() > 128 || spec.find('/') != std::string::npos || too_big(spec)) return 0;
  try {
    rbm::load_dataset(spec).validate();
  } catch (const rbm::Error&) {
  }
  return 0;
}
