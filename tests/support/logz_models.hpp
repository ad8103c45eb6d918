// tests/support/logz_models.hpp — random models for the log Z tests (CPU emulation and GPU):
// weights and biases drawn at a given scale, with a description for failure messages.
#pragma once
#include <cstdint>
#include <ostream>
#include <random>
#include <sstream>
#include <string>

#include "rbm/model.hpp"

namespace rbm::test {

struct Inputs {
  const char* name;
  int n_visible;
  int n_hidden;
  double weight_scale;  // W ~ N(0, scale²)
  double bias_scale;    // b, c ~ N(bias_mean, bias_scale²)
  double bias_mean;
  std::uint64_t seed;
};

inline std::string describe(const Inputs& in) {
  std::ostringstream out;
  out << in.name << ": D=" << in.n_visible << " L=" << in.n_hidden << " W~N(0," << in.weight_scale
      << "²) b,c~N(" << in.bias_mean << "," << in.bias_scale << "²) seed=" << in.seed;
  return out.str();
}

/// How gtest prints an Inputs parameter (test listings, failures): its description, not bytes.
inline void PrintTo(const Inputs& in, std::ostream* out) {
  *out << describe(in);
}

inline Model random_model(const Inputs& in) {
  Model model = Model::zeros(in.n_visible, in.n_hidden);
  std::mt19937_64 rng(in.seed);
  std::normal_distribution<double> weight(0.0, in.weight_scale);
  std::normal_distribution<double> bias(in.bias_mean, in.bias_scale);
  for (float& w : model.weights) w = static_cast<float>(weight(rng));
  for (float& b : model.visible_bias) b = static_cast<float>(bias(rng));
  for (float& c : model.hidden_bias) c = static_cast<float>(bias(rng));
  return model;
}

}  // namespace rbm::test
