// rbm/io.hpp — model files in the safetensors format.
//
// Layout (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
// N bytes of JSON, raw little-endian tensor data. Tensors: `weights` [D,L], `visible_bias` [D],
// `hidden_bias` [L], written as F32. `__metadata__` holds `format`="rbm", unit types, the library
// version and the provenance JSON. Several models in one file use prefixes `m0.`, `m1.`, ...
//
// Reading accepts F32, F64, F16 and BF16 tensors and converts them to float32 (numpy saves
// float64 by default); this happens in the generic tensor-file reader, so every tensor file the
// library reads gets it. F64 values beyond float32's range become ±inf and, like NaN, are then
// rejected by Model::validate. Other dtypes (integers, F8, ...) are an IoError.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rbm/export.hpp"
#include "rbm/model.hpp"

namespace rbm {

/// Writes atomically: to a temporary `path.tmp.<pid>.<n>` (unique per call, so threads may save
/// to the same path at once), fsync, rename over `path`, fsync the directory. Readers see the
/// old file or the new one, never a mixture; concurrent saves leave one of them complete.
RBM_EXPORT void save_model(const std::string& path, const Model& model);
RBM_EXPORT void save_models(const std::string& path, const std::vector<Model>& models);
/// Throws IoError naming the file and the problem (truncated, bad JSON, unsupported dtype,
/// shape that does not fit the data, non-string metadata, invalid or non-finite parameters);
/// every exception leaving these calls derives from rbm::Error.
RBM_EXPORT Model load_model(const std::string& path);
RBM_EXPORT std::vector<Model> load_models(const std::string& path);

/// A named float32 array (row-major), e.g. hidden-unit features for another model.
struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  ///< product(shape) entries
};
/// Writes tensors and string metadata as one safetensors file, atomically as save_model does
/// (readable by Python's safetensors.numpy.load_file). Throws InvalidArgument when a tensor's
/// values do not match its shape or two share a name.
RBM_EXPORT void save_tensors(const std::string& path,
                             const std::vector<Tensor>& tensors,
                             const std::map<std::string, std::string>& metadata = {});

/// Writes `text` as the whole of file `path`, atomically as save_model does (for tables, JSON
/// lines, CSV). Throws IoError naming `path` when it fails; `what` (e.g. "search table")
/// describes the file in messages about writing it.
RBM_EXPORT void save_text(const std::string& path,
                          const std::string& text,
                          const std::string& what = "text file");

}  // namespace rbm
