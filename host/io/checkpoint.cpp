// host/io/checkpoint.cpp — TrainingCheckpoint ⇄ safetensors (layout in rbm/checkpoint.hpp).
#include "rbm/checkpoint.hpp"

#include <cmath>
#include <string>

#include "host/check.hpp"
#include "host/io/model_tensors.hpp"
#include "host/trainer.hpp"
#include "rbm/version.hpp"

namespace rbm {
namespace {

using detail::NamedTensor;
using detail::TensorFile;

constexpr const char* kFormat = "rbm-checkpoint";

std::string prefix(std::size_t m) {
  return "m" + std::to_string(m) + ".";
}

void add(TensorFile& file,
         const std::string& name,
         std::vector<std::int64_t> shape,
         const std::vector<float>& values) {
  if (!values.empty()) file.tensors.push_back({name, std::move(shape), values});
}

const std::string& metadata(const TensorFile& file,
                            const std::string& path,
                            const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end())
    RBM_THROW(IoError, "'", path, "': checkpoint metadata lacks '", key, "'");
  return it->second;
}

std::uint64_t number(const TensorFile& file, const std::string& path, const std::string& key) {
  const std::string& text = metadata(file, path, key);
  try {
    std::size_t used = 0;
    const unsigned long long value = std::stoull(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  RBM_THROW(IoError, "'", path, "': checkpoint metadata '", key, "' = '", text, "' is not a count");
}

/// The tensor's values if present (empty otherwise), all finite.
std::vector<float> optional_values(const TensorFile& file,
                                   const std::string& path,
                                   const std::string& name) {
  const NamedTensor* tensor = file.find(name);
  if (!tensor) return {};
  for (float x : tensor->values)
    if (!std::isfinite(x)) RBM_THROW(IoError, "'", path, "': tensor '", name, "' holds ", x);
  return tensor->values;
}

}  // namespace

void save_checkpoint(const std::string& path, const TrainingCheckpoint& c) {
  detail::validate(c);
  TensorFile file;
  file.metadata = {{"format", kFormat},
                   {"rbm_version", version()},
                   {"n_models", std::to_string(c.models.size())},
                   {"epochs_done", std::to_string(c.epochs_done)},
                   {"note", c.note}};
  for (std::size_t m = 0; m < c.models.size(); ++m) {
    const Model& model = c.models[m];
    model.validate();
    const TrainingCheckpoint::ModelState& s = c.states[m];
    const std::string p = prefix(m);
    const std::int64_t D = model.n_visible, L = model.n_hidden, P = D * L + D + L;
    detail::add_model_tensors(file, p, model);
    file.metadata[p + "config"] = to_json(c.configs[m]);
    file.metadata[p + "provenance"] = model.provenance;
    file.metadata[p + "rng_offset"] = std::to_string(s.rng_offset);
    file.metadata[p + "steps"] = std::to_string(s.steps);
    add(file, p + "optimizer", {static_cast<std::int64_t>(s.optimizer.size()) / P, P}, s.optimizer);
    const auto width = static_cast<std::int64_t>(detail::chain_width(model, c.configs[m]));
    add(file, p + "chains", {static_cast<std::int64_t>(s.chains.size()) / width, width}, s.chains);
    add(file, p + "sparsity", {L}, s.sparsity);
    add(file, p + "visible_offsets", {D}, s.visible_offsets);
    add(file, p + "hidden_offsets", {L}, s.hidden_offsets);
  }
  detail::write_tensor_file(path, "checkpoint", file);
}

TrainingCheckpoint load_checkpoint(const std::string& path) {
  const TensorFile file = detail::read_tensor_file(path);
  if (metadata(file, path, "format") != kFormat)
    RBM_THROW(IoError, "'", path, "' is not an rbm checkpoint (format '",
              metadata(file, path, "format"), "')");
  TrainingCheckpoint c;
  const std::uint64_t n_models = number(file, path, "n_models");
  if (n_models == 0 || n_models > file.tensors.size())
    RBM_THROW(IoError, "'", path, "': n_models = ", n_models, " does not fit the file");
  c.epochs_done = static_cast<int>(number(file, path, "epochs_done"));
  const auto note = file.metadata.find("note");
  if (note != file.metadata.end()) c.note = note->second;
  try {
    for (std::size_t m = 0; m < n_models; ++m) {
      const std::string p = prefix(m);
      Model model = detail::model_from_tensors(file, path, p);
      model.visible_type = parse_unit_type(metadata(file, path, p + "visible_type"));
      model.hidden_type = parse_unit_type(metadata(file, path, p + "hidden_type"));
      model.provenance = metadata(file, path, p + "provenance");
      model.validate();
      TrainingCheckpoint::ModelState s;
      s.optimizer = optional_values(file, path, p + "optimizer");
      s.chains = optional_values(file, path, p + "chains");
      s.sparsity = optional_values(file, path, p + "sparsity");
      s.visible_offsets = optional_values(file, path, p + "visible_offsets");
      s.hidden_offsets = optional_values(file, path, p + "hidden_offsets");
      s.rng_offset = number(file, path, p + "rng_offset");
      s.steps = number(file, path, p + "steps");
      TrainConfig config = train_config_from_json(metadata(file, path, p + "config"));
      validate(config);
      c.models.push_back(std::move(model));
      c.states.push_back(std::move(s));
      c.configs.push_back(config);
    }
    detail::validate(c);
  } catch (const InvalidArgument& e) {
    RBM_THROW(IoError, "'", path, "': inconsistent checkpoint: ", e.what());
  }
  return c;
}

}  // namespace rbm
