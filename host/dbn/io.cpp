// host/dbn/io.cpp — a deep belief net in one safetensors file: each layer laid out as a model
// (host/io/model_tensors.hpp) under the prefix `l<k>.`, its recipe as JSON metadata.
#include <new>
#include <nlohmann/json.hpp>

#include "host/check.hpp"
#include "host/io/model_tensors.hpp"
#include "host/json_fields.hpp"
#include "rbm/dbn.hpp"
#include "rbm/version.hpp"

namespace rbm {
namespace {

constexpr const char* kFormat = "rbm-dbn";

std::string prefix(std::size_t k) {
  return "l" + std::to_string(k) + ".";
}

std::string recipe_json(const DbnLayerRecipe& recipe) {
  return nlohmann::json{{"n_hidden", recipe.n_hidden},
                        {"input", recipe.input.to_string()},
                        {"init_from_below", recipe.init_from_below},
                        {"config", nlohmann::json::parse(to_json(recipe.config))}}
      .dump();
}

DbnLayerRecipe recipe_from_json(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  DbnLayerRecipe recipe;
  recipe.n_hidden = detail::json_integer<int>(j.at("n_hidden"), "DBN recipe", "n_hidden");
  recipe.input = DbnInput::parse(j.at("input").get<std::string>());
  recipe.init_from_below = j.value("init_from_below", false);
  recipe.config = train_config_from_json(j.at("config").dump());
  return recipe;
}

std::string metadata(const detail::TensorFile& file,
                     const std::string& path,
                     const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) RBM_THROW(IoError, "'", path, "': DBN metadata lacks '", key, "'");
  return it->second;
}

std::size_t layer_count(const detail::TensorFile& file, const std::string& path) {
  const std::string text = metadata(file, path, "n_layers");
  try {
    std::size_t used = 0;
    const unsigned long count = std::stoul(text, &used);
    if (used == text.size() && count >= 1 && count <= file.tensors.size()) return count;
  } catch (const std::exception&) {
  }
  RBM_THROW(IoError, "'", path, "': metadata n_layers = '", text,
            "' is not a layer count this file can hold");
}

}  // namespace

void save_dbn(const std::string& path, const DeepBeliefNet& net) {
  net.validate();
  detail::TensorFile file;
  file.metadata = {{"format", kFormat},
                   {"rbm_version", version()},
                   {"n_layers", std::to_string(net.layers.size())},
                   {"provenance", net.provenance.empty() ? "{}" : net.provenance}};
  for (std::size_t k = 0; k < net.layers.size(); ++k) {
    detail::add_model_tensors(file, prefix(k), net.layers[k]);
    if (!net.recipes.empty()) file.metadata[prefix(k) + "recipe"] = recipe_json(net.recipes[k]);
  }
  detail::write_tensor_file(path, "DBN file", file);
}

DeepBeliefNet load_dbn(const std::string& path) {
  try {
    const detail::TensorFile file = detail::read_tensor_file(path);
    const auto format = file.metadata.find("format");
    if (format == file.metadata.end() || format->second != kFormat)
      RBM_THROW(IoError, "'", path, "' is not a DBN file (format '",
                format == file.metadata.end() ? "" : format->second, "', expected '", kFormat,
                "')");
    DeepBeliefNet net;
    const std::size_t n_layers = layer_count(file, path);
    for (std::size_t k = 0; k < n_layers; ++k) {
      Model layer = detail::model_from_tensors(file, path, prefix(k));
      layer.visible_type = parse_unit_type(metadata(file, path, prefix(k) + "visible_type"));
      layer.hidden_type = parse_unit_type(metadata(file, path, prefix(k) + "hidden_type"));
      net.layers.push_back(std::move(layer));
      if (file.metadata.count(prefix(k) + "recipe"))
        net.recipes.push_back(recipe_from_json(file.metadata.at(prefix(k) + "recipe")));
    }
    const auto provenance = file.metadata.find("provenance");
    net.provenance = provenance == file.metadata.end() ? "{}" : provenance->second;
    net.validate();
    for (Model& layer : net.layers) layer.provenance = net.provenance;
    return net;
  } catch (const InvalidArgument& e) {
    RBM_THROW(IoError, "'", path, "': invalid DBN: ", e.what());
  } catch (const nlohmann::json::exception& e) {
    RBM_THROW(IoError, "'", path, "': a DBN layer recipe is not valid JSON: ", e.what());
  } catch (const std::bad_alloc&) {
    RBM_THROW(OutOfMemory, "'", path, "': out of host memory loading the DBN");
  }
}

}  // namespace rbm
