// host/bm/io.cpp — Boltzmann machine files: safetensors with tensors `couplings` [N,N], `bias`
// [N], `mask` [N,N] and metadata `format` = "rbm-bm", `n_visible`, `rbm_version`, `provenance`.
#include <climits>
#include <new>

#include "host/check.hpp"
#include "host/io/tensor_file.hpp"
#include "rbm/boltzmann.hpp"
#include "rbm/version.hpp"

namespace rbm {
namespace {

constexpr const char* kFormat = "rbm-bm";

int n_visible_of(const detail::TensorFile& file, const std::string& path, std::int64_t n_units) {
  const auto it = file.metadata.find("n_visible");
  if (it == file.metadata.end())
    RBM_THROW(IoError, "'", path, "': Boltzmann machine metadata lacks 'n_visible'");
  try {
    std::size_t used = 0;
    const long value = std::stol(it->second, &used);
    if (used == it->second.size() && value >= 0 && value <= n_units) return static_cast<int>(value);
  } catch (const std::exception&) {
  }
  RBM_THROW(IoError, "'", path, "': metadata n_visible = '", it->second,
            "' is not a count of at most N = ", n_units, " units");
}

}  // namespace

void save_boltzmann(const std::string& path, const BoltzmannMachine& machine) {
  machine.validate();
  const std::int64_t n = machine.n_units;
  detail::TensorFile file;
  file.metadata = {{"format", kFormat},
                   {"rbm_version", version()},
                   {"n_visible", std::to_string(machine.n_visible)},
                   {"provenance", machine.provenance.empty() ? "{}" : machine.provenance}};
  file.tensors.push_back({"couplings", {n, n}, machine.couplings});
  file.tensors.push_back({"bias", {n}, machine.bias});
  file.tensors.push_back(
      {"mask", {n, n}, std::vector<float>(machine.mask.begin(), machine.mask.end())});
  detail::write_tensor_file(path, "Boltzmann machine file", file);
}

BoltzmannMachine load_boltzmann(const std::string& path) {
  try {
    const detail::TensorFile file = detail::read_tensor_file(path);
    const auto format = file.metadata.find("format");
    if (format == file.metadata.end() || format->second != kFormat)
      RBM_THROW(IoError, "'", path, "' is not a Boltzmann machine file (format '",
                format == file.metadata.end() ? "" : format->second, "', expected '", kFormat,
                "')");
    const detail::NamedTensor& couplings = file.get(path, "couplings", 2);
    const std::int64_t n = couplings.shape[0];
    if (couplings.shape[1] != n || n < 1 || n > INT_MAX)
      RBM_THROW(IoError, "'", path, "': couplings have shape [", couplings.shape[0], ", ",
                couplings.shape[1], "], not [N, N]");
    BoltzmannMachine m;
    m.n_units = static_cast<int>(n);
    m.n_visible = n_visible_of(file, path, n);
    m.couplings = couplings.values;
    m.bias = file.get(path, "bias", 1).values;
    if (const detail::NamedTensor* mask = file.find("mask")) {
      for (float x : mask->values)
        if (x != 0.0f && x != 1.0f)
          RBM_THROW(IoError, "'", path, "': the mask holds ", x, ", not 0/1");
      m.mask.assign(mask->values.begin(), mask->values.end());
    } else {
      m.mask = coupling_mask(CouplingGraph::full, m.n_visible, m.n_units - m.n_visible);
    }
    const auto provenance = file.metadata.find("provenance");
    m.provenance = provenance == file.metadata.end() ? "{}" : provenance->second;
    m.validate();
    return m;
  } catch (const InvalidArgument& e) {
    RBM_THROW(IoError, "'", path, "': invalid Boltzmann machine: ", e.what());
  } catch (const std::bad_alloc&) {
    RBM_THROW(OutOfMemory, "'", path, "': out of host memory loading the Boltzmann machine");
  }
}

}  // namespace rbm
