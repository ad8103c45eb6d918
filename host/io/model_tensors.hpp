// host/io/model_tensors.hpp — how a Model is laid out in a tensor file: tensors `weights` [D,L],
// `visible_bias` [D], `hidden_bias` [L] and metadata `visible_type`, `hidden_type`, each name
// under a prefix (`m0.`, ...). Shared by model files and checkpoints.
#pragma once
#include <string>

#include "host/io/tensor_file.hpp"
#include "rbm/model.hpp"

namespace rbm::detail {

/// Adds `model`'s three tensors and its unit types to `file`, each name prefixed by `prefix`.
void add_model_tensors(TensorFile& file, const std::string& prefix, const Model& model);

/// The shape and parameters stored under `prefix` (IoError naming `path` when a tensor is missing,
/// of the wrong rank or larger than a Model can be). Unit types and provenance are left to the
/// caller, which knows whether its format requires them; the result is not validated.
Model model_from_tensors(const TensorFile& file,
                         const std::string& path,
                         const std::string& prefix);

}  // namespace rbm::detail
