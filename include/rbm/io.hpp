// rbm/io.hpp — model files in the safetensors format.
//
// Layout (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
// N bytes of JSON, raw little-endian tensor data. Tensors: `weights` [D,L], `visible_bias` [D],
// `hidden_bias` [L], all F32. `__metadata__` holds `format`="rbm", unit types, the library
// version and the provenance JSON. Several models in one file use prefixes `m0.`, `m1.`, ...
#pragma once
#include <string>
#include <vector>

#include "rbm/export.hpp"
#include "rbm/model.hpp"

namespace rbm {

/// Writes atomically: to `path.tmp.<pid>` first, then renamed over `path`.
RBM_EXPORT void save_model(const std::string& path, const Model& model);
RBM_EXPORT void save_models(const std::string& path, const std::vector<Model>& models);
/// Throws IoError naming the file and the problem (truncated, bad JSON, wrong dtype/shape).
RBM_EXPORT Model load_model(const std::string& path);
RBM_EXPORT std::vector<Model> load_models(const std::string& path);

}  // namespace rbm
