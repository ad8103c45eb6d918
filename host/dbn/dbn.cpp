// host/dbn/dbn.cpp — deep belief nets: greedy layer-wise training, generation (Gibbs in the top
// RBM, then the downward pass) and up-pass features, every RBM through rbm::Engine.
#include "rbm/dbn.hpp"

#include "host/check.hpp"
#include "host/common/philox.hpp"
#include "host/common/units.hpp"

namespace rbm {
namespace {

using detail::random_uniform;
using detail::RandomStream;

bool binary_units(UnitType type) {
  return type == UnitType::bernoulli || type == UnitType::spin;
}

/// Bits drawn from p(on) [rows][width]: 1 when u < p, u = random_uniform(seed, sample, substream,
/// r·width + i).
std::vector<std::uint8_t> draw_bits(const std::vector<float>& p_on,
                                    std::uint64_t seed,
                                    std::uint32_t substream) {
  std::vector<std::uint8_t> bits(p_on.size());
  for (std::size_t e = 0; e < p_on.size(); ++e)
    bits[e] = random_uniform(seed, RandomStream::sample, substream, e) < p_on[e];
  return bits;
}

/// Bits as the values of units of `type` (spin: 2x − 1), as Engine::visible_probabilities reads
/// them.
std::vector<float> unit_values(const std::vector<std::uint8_t>& bits, UnitType type) {
  std::vector<float> values(bits.size());
  for (std::size_t e = 0; e < bits.size(); ++e) values[e] = detail::units::from_bit(type, bits[e]);
  return values;
}

Dataset bits_dataset(std::vector<std::uint8_t> bits, int width, const std::string& name) {
  Dataset data;
  data.n_visible = width;
  data.n_samples = bits.size() / width;
  data.values = std::move(bits);
  data.name = name;
  return data;
}

/// The layer below transposed: the start of a layer trained from tied weights.
Model tied_start(const Model& below, const DbnLayerRecipe& recipe, std::size_t k) {
  RBM_EXPECTS(recipe.n_hidden == below.n_visible && recipe.config.hidden_type == below.visible_type,
              "train_dbn: layer ", k, " starts from the layer below transposed, so it needs ",
              below.n_visible, " ", to_string(below.visible_type), " hidden units; its recipe has ",
              recipe.n_hidden, " ", to_string(recipe.config.hidden_type));
  Model start = transposed(below);
  start.provenance.clear();
  return start;
}

}  // namespace

DbnInput DbnInput::parse(const std::string& text) {
  DbnInput input;
  if (text == "rounded") {
    input.kind = Kind::rounded;
    return input;
  }
  if (text == "samples") return input;
  const std::string prefix = "samples:";
  if (text.rfind(prefix, 0) == 0) {
    try {
      std::size_t used = 0;
      const int count = std::stoi(text.substr(prefix.size()), &used);
      if (used == text.size() - prefix.size() && count >= 1) {
        input.samples_per_row = count;
        return input;
      }
    } catch (const std::exception&) {
    }
  }
  RBM_THROW(InvalidArgument, "DBN layer input '", text,
            "' is not 'samples', 'samples:R' (R >= 1 draws per row) or 'rounded'");
}

std::string DbnInput::to_string() const {
  if (kind == Kind::rounded) return "rounded";
  return samples_per_row == 1 ? "samples" : "samples:" + std::to_string(samples_per_row);
}

void DeepBeliefNet::validate() const {
  RBM_EXPECTS(!layers.empty(), "a deep belief net needs at least one layer");
  RBM_EXPECTS(recipes.empty() || recipes.size() == layers.size(), "a deep belief net of ",
              layers.size(), " layers has ", recipes.size(),
              " recipes (give none or one per layer)");
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const Model& layer = layers[k];
    layer.validate();
    RBM_EXPECTS(binary_units(layer.hidden_type), "DBN layer ", k, " has ",
                to_string(layer.hidden_type),
                " hidden units; DBN layers have bernoulli or spin hidden units");
    if (k == 0) continue;
    const Model& below = layers[k - 1];
    RBM_EXPECTS(layer.n_visible == below.n_hidden && layer.visible_type == below.hidden_type,
                "DBN layer ", k, " has ", layer.n_visible, " ", to_string(layer.visible_type),
                " visible units but layer ", k - 1, " has ", below.n_hidden, " ",
                to_string(below.hidden_type), " hidden units; they must be the same units");
  }
}

Dataset dbn_layer_input(Engine& engine,
                        const Model& below_layer,
                        const Dataset& below,
                        int layer,
                        const DbnInput& input,
                        std::uint64_t seed) {
  RBM_EXPECTS(layer >= 1, "dbn_layer_input: layer must be >= 1, got ", layer);
  RBM_EXPECTS(input.samples_per_row >= 1, "dbn_layer_input: samples_per_row must be >= 1, got ",
              input.samples_per_row);
  const std::vector<float> p_on = engine.hidden_probabilities(below_layer, engine.upload(below));
  const int L = below_layer.n_hidden;
  const std::string name = "dbn-layer-" + std::to_string(layer) + "-input";
  if (input.kind == DbnInput::Kind::rounded) {
    std::vector<std::uint8_t> bits(p_on.size());
    for (std::size_t e = 0; e < p_on.size(); ++e) bits[e] = p_on[e] > 0.5f;
    Dataset data = bits_dataset(std::move(bits), L, name);
    data.labels = below.labels;
    return data;
  }
  const std::size_t R = input.samples_per_row;
  std::vector<float> repeated;  // row n·R + t is row n's probabilities
  repeated.reserve(p_on.size() * R);
  for (std::size_t n = 0; n < below.n_samples; ++n)
    for (std::size_t t = 0; t < R; ++t)
      repeated.insert(repeated.end(), p_on.begin() + n * L, p_on.begin() + (n + 1) * L);
  Dataset data = bits_dataset(draw_bits(repeated, seed, kDbnUpSubstream + layer), L, name);
  for (std::int32_t label : below.labels) data.labels.insert(data.labels.end(), R, label);
  return data;
}

DeepBeliefNet train_dbn(Engine& engine,
                        const Dataset& data,
                        const std::vector<DbnLayerRecipe>& recipes,
                        const DbnTrainOptions& options) {
  RBM_EXPECTS(!recipes.empty(), "train_dbn: no layers given");
  DeepBeliefNet net;
  Dataset input = data;
  for (std::size_t k = 0; k < recipes.size(); ++k) {
    DbnLayerRecipe recipe = recipes[k];
    RBM_EXPECTS(recipe.n_hidden >= 1, "train_dbn: layer ", k, " needs >= 1 hidden units, got ",
                recipe.n_hidden);
    RBM_EXPECTS(binary_units(recipe.config.hidden_type), "train_dbn: layer ", k, " has ",
                to_string(recipe.config.hidden_type),
                " hidden units; DBN layers have bernoulli or spin hidden units");
    if (k > 0) {
      recipe.config.visible_type = net.layers.back().hidden_type;
      input = dbn_layer_input(engine, net.layers.back(), input, static_cast<int>(k), recipe.input,
                              recipe.config.seed);
    }
    const Model initial = k > 0 && recipe.init_from_below
                              ? tied_start(net.layers.back(), recipe, k)
                              : init_model(input, recipe.n_hidden, recipe.config);
    const TrainOptions train_options =
        options.layer_options ? options.layer_options(static_cast<int>(k)) : TrainOptions{};
    Model trained =
        engine.train({initial}, {recipe.config}, engine.upload(input), train_options).front();
    net.layers.push_back(std::move(trained));
    net.recipes.push_back(recipe);
    if (options.on_layer) options.on_layer(static_cast<int>(k), net.layers.back(), input);
  }
  net.validate();
  return net;
}

DbnSamples dbn_sample(Engine& engine, const DeepBeliefNet& net, const DbnSampleOptions& options) {
  net.validate();
  const int n_layers =
      options.n_layers == 0 ? static_cast<int>(net.layers.size()) : options.n_layers;
  RBM_EXPECTS(n_layers >= 1 && n_layers <= static_cast<int>(net.layers.size()),
              "dbn_sample: n_layers ", options.n_layers, " is not between 1 and the net's ",
              net.layers.size(), " layers");
  const Dataset top = engine.sample(net.layers[n_layers - 1], options.top);
  DbnSamples out;
  if (n_layers == 1) {  // the RBM's own samples; the means one half-step on: p(v | h ~ p(h | v))
    const Model& rbm = net.layers.front();
    const std::vector<float> p_h = engine.hidden_probabilities(rbm, engine.upload(top));
    const std::vector<std::uint8_t> h = draw_bits(p_h, options.top.seed, kDbnUpSubstream + 1);
    out.visible = top;
    out.visible_means = engine.visible_probabilities(rbm, unit_values(h, rbm.hidden_type));
    return out;
  }
  std::vector<std::uint8_t> bits = top.values;  // the top RBM's visible units = h_{n_layers−1}
  for (int k = n_layers - 2; k >= 0; --k) {
    const Model& layer = net.layers[k];
    const std::vector<float> p_on =
        engine.visible_probabilities(layer, unit_values(bits, layer.hidden_type));
    bits = draw_bits(p_on, options.top.seed, kDbnDownSubstream + k);
    if (k == 0) out.visible_means = p_on;
  }
  out.visible = bits_dataset(std::move(bits), net.layers.front().n_visible, "dbn-samples");
  return out;
}

std::vector<float> dbn_transform(Engine& engine,
                                 const DeepBeliefNet& net,
                                 const Dataset& data,
                                 int layer,
                                 bool sample,
                                 std::uint64_t seed) {
  net.validate();
  data.validate();
  RBM_EXPECTS(layer >= 1 && layer <= static_cast<int>(net.layers.size()), "dbn_transform: layer ",
              layer, " is not between 1 and the net's ", net.layers.size(), " layers");
  RBM_EXPECTS(data.n_visible == net.layers.front().n_visible,
              "dbn_transform: the net has D=", net.layers.front().n_visible,
              " visible units but the dataset has ", data.n_visible, " columns");
  std::vector<float> x = unit_values(data.values, net.layers.front().visible_type);
  for (int k = 0; k < layer; ++k) {
    const Model& rbm = net.layers[k];
    // p(h | x) of this RBM is p(v | h) of its transpose, which takes real-valued inputs.
    std::vector<float> p_on = engine.visible_probabilities(transposed(rbm), x);
    if (sample) {
      const std::vector<std::uint8_t> bits = draw_bits(p_on, seed, kDbnUpSubstream + k + 1);
      if (k == layer - 1) return std::vector<float>(bits.begin(), bits.end());
      x = unit_values(bits, rbm.hidden_type);
    } else {
      if (k == layer - 1) return p_on;
      for (float& p : p_on) p = detail::units::mean_from_probability(rbm.hidden_type, p);
      x = std::move(p_on);
    }
  }
  return x;  // not reached: layer >= 1
}

}  // namespace rbm
