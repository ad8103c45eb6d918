// host/io/safetensors.cpp — model files: each model's tensors and unit types (laid out as
// host/io/model_tensors.hpp says, prefixed `m0.`, `m1.`, ... when a file holds several models)
// and metadata naming the format, the library version and each model's provenance.
#include <climits>
#include <new>
#include <string>

#include "host/check.hpp"
#include "host/io/model_tensors.hpp"
#include "rbm/io.hpp"
#include "rbm/version.hpp"

namespace rbm {
namespace {

using detail::NamedTensor;
using detail::TensorFile;

std::string prefix_of(std::size_t m, std::size_t n_models) {
  return n_models == 1 ? std::string() : "m" + std::to_string(m) + ".";
}

std::size_t model_count(const TensorFile& file, const std::string& path) {
  const auto it = file.metadata.find("n_models");
  if (it == file.metadata.end()) return 1;
  try {
    std::size_t used = 0;
    const unsigned long count = std::stoul(it->second, &used);
    if (used == it->second.size() && count >= 1 && count <= file.tensors.size()) return count;
  } catch (const std::exception&) {
  }
  RBM_THROW(IoError, "'", path, "': metadata n_models = '", it->second,
            "' is not a model count this file can hold");
}

std::string metadata_or(const TensorFile& file, const std::string& key, const char* fallback) {
  const auto it = file.metadata.find(key);
  return it == file.metadata.end() ? fallback : it->second;
}

/// The models of a file already read; `path` for messages.
std::vector<Model> load_models_from(const TensorFile& file, const std::string& path) {
  const std::size_t n_models = model_count(file, path);
  std::vector<Model> models;
  for (std::size_t m = 0; m < n_models; ++m) {
    const std::string p = prefix_of(m, n_models);
    Model model = detail::model_from_tensors(file, path, p);
    model.provenance = metadata_or(file, p + "provenance", "{}");
    try {
      model.visible_type = parse_unit_type(metadata_or(file, p + "visible_type", "bernoulli"));
      model.hidden_type = parse_unit_type(metadata_or(file, p + "hidden_type", "bernoulli"));
      model.validate();
    } catch (const InvalidArgument& e) {
      RBM_THROW(IoError, "'", path, "': invalid model", n_models > 1 ? " " + p : "", ": ",
                e.what());
    }
    models.push_back(std::move(model));
  }
  return models;
}

}  // namespace

namespace detail {

void add_model_tensors(TensorFile& file, const std::string& prefix, const Model& model) {
  file.metadata[prefix + "visible_type"] = to_string(model.visible_type);
  file.metadata[prefix + "hidden_type"] = to_string(model.hidden_type);
  file.tensors.push_back({prefix + "weights", {model.n_visible, model.n_hidden}, model.weights});
  file.tensors.push_back({prefix + "visible_bias", {model.n_visible}, model.visible_bias});
  file.tensors.push_back({prefix + "hidden_bias", {model.n_hidden}, model.hidden_bias});
}

Model model_from_tensors(const TensorFile& file,
                         const std::string& path,
                         const std::string& prefix) {
  const NamedTensor& w = file.get(path, prefix + "weights", 2);
  if (w.shape[0] > INT_MAX || w.shape[1] > INT_MAX)
    RBM_THROW(IoError, "'", path, "': tensor '", prefix, "weights' has shape [", w.shape[0], ", ",
              w.shape[1], "], more units than a model can have");
  Model model;
  model.n_visible = static_cast<int>(w.shape[0]);
  model.n_hidden = static_cast<int>(w.shape[1]);
  model.weights = w.values;
  model.visible_bias = file.get(path, prefix + "visible_bias", 1).values;
  model.hidden_bias = file.get(path, prefix + "hidden_bias", 1).values;
  return model;
}

}  // namespace detail

void save_models(const std::string& path, const std::vector<Model>& models) {
  RBM_EXPECTS(!models.empty(), "save_models: no models to save to '", path, "'");
  TensorFile file;
  file.metadata = {
      {"format", "rbm"}, {"rbm_version", version()}, {"n_models", std::to_string(models.size())}};
  for (std::size_t m = 0; m < models.size(); ++m) {
    const Model& model = models[m];
    model.validate();
    const std::string p = prefix_of(m, models.size());
    detail::add_model_tensors(file, p, model);
    file.metadata[p + "provenance"] = model.provenance.empty() ? "{}" : model.provenance;
  }
  detail::write_tensor_file(path, "model file", file);
}

void save_model(const std::string& path, const Model& model) {
  save_models(path, {model});
}

std::vector<Model> load_models(const std::string& path) {
  try {
    return load_models_from(detail::read_tensor_file(path), path);
  } catch (const std::bad_alloc&) {
    RBM_THROW(OutOfMemory, "'", path, "': out of host memory loading the models");
  }
}

Model load_model(const std::string& path) {
  auto models = load_models(path);
  if (models.size() != 1)
    RBM_THROW(IoError, "'", path, "' holds ", models.size(), " models; use load_models");
  return std::move(models.front());
}

void save_tensors(const std::string& path,
                  const std::vector<Tensor>& tensors,
                  const std::map<std::string, std::string>& metadata) {
  TensorFile file;
  file.metadata = metadata;
  for (const Tensor& t : tensors) {
    std::size_t count = 1;
    for (std::int64_t extent : t.shape) {
      RBM_EXPECTS(extent >= 0, "save_tensors: tensor '", t.name, "' has a negative extent");
      count *= static_cast<std::size_t>(extent);
    }
    RBM_EXPECTS(count == t.values.size(), "save_tensors: tensor '", t.name, "' has ",
                t.values.size(), " values for its shape's ", count);
    RBM_EXPECTS(file.find(t.name) == nullptr, "save_tensors: two tensors are named '", t.name, "'");
    file.tensors.push_back({t.name, t.shape, t.values});
  }
  detail::write_tensor_file(path, "tensors", file);
}

}  // namespace rbm
