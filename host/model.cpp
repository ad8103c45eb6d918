// host/model.cpp — Model helpers: construction, validation, the transposed view.
#include "rbm/model.hpp"

#include <cmath>

#include "host/check.hpp"
#include "rbm/version.hpp"

namespace rbm {

const char* version() {
  return RBM_VERSION;
}

const char* to_string(UnitType type) {
  switch (type) {
    case UnitType::bernoulli:
      return "bernoulli";
    case UnitType::spin:
      return "spin";
    case UnitType::potts:
      return "potts";
    case UnitType::potts_off:
      return "potts-off";
  }
  return "unknown";
}

UnitType parse_unit_type(const std::string& text) {
  if (text == "bernoulli") return UnitType::bernoulli;
  if (text == "spin") return UnitType::spin;
  if (text == "potts") return UnitType::potts;
  if (text == "potts-off") return UnitType::potts_off;
  RBM_THROW(InvalidArgument, "unknown unit type '", text,
            "' (expected bernoulli, spin, potts or potts-off)");
}

Model Model::zeros(int n_visible, int n_hidden) {
  RBM_EXPECTS(n_visible > 0 && n_hidden > 0, "model shape must be positive, got D=", n_visible,
              " L=", n_hidden);
  Model model;
  model.n_visible = n_visible;
  model.n_hidden = n_hidden;
  model.weights.assign(static_cast<std::size_t>(n_visible) * n_hidden, 0.0f);
  model.visible_bias.assign(n_visible, 0.0f);
  model.hidden_bias.assign(n_hidden, 0.0f);
  return model;
}

namespace {
void expect_finite(const std::vector<float>& values, const char* name) {
  for (std::size_t k = 0; k < values.size(); ++k)
    RBM_EXPECTS(std::isfinite(values[k]), "model parameter ", name, "[", k, "] is ", values[k],
                " (parameters must be finite)");
}
}  // namespace

void Model::validate() const {
  RBM_EXPECTS(n_visible > 0 && n_hidden > 0, "model shape must be positive, got D=", n_visible,
              " L=", n_hidden);
  const std::size_t expected = static_cast<std::size_t>(n_visible) * n_hidden;
  RBM_EXPECTS(weights.size() == expected, "weights has ", weights.size(),
              " values, expected D*L = ", n_visible, "*", n_hidden, " = ", expected);
  RBM_EXPECTS(visible_bias.size() == static_cast<std::size_t>(n_visible), "visible_bias has ",
              visible_bias.size(), " values, expected D = ", n_visible);
  RBM_EXPECTS(hidden_bias.size() == static_cast<std::size_t>(n_hidden), "hidden_bias has ",
              hidden_bias.size(), " values, expected L = ", n_hidden);
  RBM_EXPECTS(visible_type == UnitType::bernoulli || visible_type == UnitType::spin,
              "visible units must be bernoulli or spin, got ", to_string(visible_type),
              " (one-hot units are supported in the hidden layer only)");
  RBM_EXPECTS(hidden_type <= UnitType::potts_off, "unknown hidden unit type ",
              static_cast<int>(hidden_type));
  expect_finite(weights, "weights");
  expect_finite(visible_bias, "visible_bias");
  expect_finite(hidden_bias, "hidden_bias");
}

Model transposed(const Model& model) {
  Model result = model;
  std::swap(result.n_visible, result.n_hidden);
  std::swap(result.visible_type, result.hidden_type);
  std::swap(result.visible_bias, result.hidden_bias);
  for (int i = 0; i < model.n_visible; ++i)
    for (int j = 0; j < model.n_hidden; ++j)
      result.weights[static_cast<std::size_t>(j) * model.n_visible + i] = model.weight(i, j);
  return result;
}

}  // namespace rbm
