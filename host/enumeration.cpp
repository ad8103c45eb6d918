// host/enumeration.cpp — the reductions of exact log Z that do not depend on the device.
#include "host/enumeration.hpp"

#include <chrono>
#include <cmath>

#include "host/check.hpp"
#include "host/common/units.hpp"

namespace rbm::detail {
namespace {

/// a and d of a unit with values a + d·x.
struct Affine {
  double a, d;
};
Affine affine(UnitType type) {
  return type == UnitType::spin ? Affine{-1.0, 2.0} : Affine{0.0, 1.0};
}

}  // namespace

ReducedModel reduce_for_enumeration(const Model& model) {
  const int D = model.n_visible, L = model.n_hidden;
  const Affine v = affine(model.visible_type), h = affine(model.hidden_type);
  std::vector<double> row_sums(D, 0.0), column_sums(L, 0.0);
  double total = 0;
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < L; ++j) {
      const double w = model.weight(i, j);
      row_sums[i] += w;
      column_sums[j] += w;
      total += w;
    }
  ReducedModel reduced;
  EnumerationModel<double>& e = reduced.layers;
  e.n_visible = D;
  e.n_hidden = L;
  e.weights.resize(model.weights.size());
  for (std::size_t k = 0; k < e.weights.size(); ++k) e.weights[k] = v.d * h.d * model.weights[k];
  e.visible_bias.resize(D);
  e.hidden_bias.resize(L);
  reduced.log_offset = v.a * h.a * total;
  for (int i = 0; i < D; ++i) {
    e.visible_bias[i] = v.d * (model.visible_bias[i] + h.a * row_sums[i]);
    reduced.log_offset += v.a * model.visible_bias[i];
  }
  for (int j = 0; j < L; ++j) {
    e.hidden_bias[j] = h.d * (model.hidden_bias[j] + v.a * column_sums[j]);
    reduced.log_offset += h.a * model.hidden_bias[j];
  }
  if (L <= D) return reduced;
  // Enumerate the visible layer instead: swap the roles, transposing W.
  EnumerationModel<double> t;
  t.n_visible = L;
  t.n_hidden = D;
  t.weights.resize(e.weights.size());
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < L; ++j)
      t.weights[static_cast<std::size_t>(j) * D + i] =
          e.weights[static_cast<std::size_t>(i) * L + j];
  t.visible_bias = std::move(e.hidden_bias);
  t.hidden_bias = std::move(e.visible_bias);
  reduced.layers = std::move(t);
  reduced.enumerated_hidden = false;
  return reduced;
}

EnumerationModel<float> rounded_to_float(const EnumerationModel<double>& layers) {
  const auto rounded = [](const std::vector<double>& values) {
    return std::vector<float>(values.begin(), values.end());
  };
  EnumerationModel<float> f;
  f.n_visible = layers.n_visible;
  f.n_hidden = layers.n_hidden;
  f.weights = rounded(layers.weights);
  f.visible_bias = rounded(layers.visible_bias);
  f.hidden_bias = rounded(layers.hidden_bias);
  return f;
}

LogZResult one_hot_log_z(const Model& model) {
  const auto start = std::chrono::steady_clock::now();
  const int D = model.n_visible, L = model.n_hidden;
  const bool with_off = model.hidden_type == UnitType::potts_off;
  std::vector<double> state_terms(L, 0.0);
  double off_term = 0;
  for (int i = 0; i < D; ++i) {
    const double b = model.visible_bias[i];
    off_term += units::log_partition_term(model.visible_type, b);
    for (int j = 0; j < L; ++j)
      state_terms[j] += units::log_partition_term(model.visible_type, b + model.weight(i, j));
  }
  for (int j = 0; j < L; ++j) state_terms[j] += model.hidden_bias[j];
  double log_z = units::one_hot_log_partition(state_terms.data(), L, false);
  if (with_off) log_z = log_add_exp(log_z, off_term);
  LogZResult result;
  result.log_z = log_z;
  result.enumerated_hidden = true;
  result.states = L + (with_off ? 1 : 0);
  result.log2_states = std::log2(result.states);
  result.pairs = result.states * D;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

LogZPart log_z_part(Backend& backend,
                    const Model& model,
                    std::uint64_t begin,
                    std::uint64_t end,
                    const LogZOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  LogZPart part;
  if (units::is_one_hot(model.hidden_type)) {
    part.units = 1;
    RBM_EXPECTS(begin <= end && end <= part.units, "exact log Z: units [", begin, ", ", end,
                ") are not within the 1 unit of a one-hot hidden layer");
    part.info = one_hot_log_z(model);
    if (begin < end) part.nodes.push_back(LogZNode{0, 0, part.info.log_z, 1.0});
    part.info.log_z = 0;
  } else {
    const ReducedModel reduced = reduce_for_enumeration(model);
    const EnumerationModel<double>& e = reduced.layers;
    part.units = backend.log_z_units(e.n_visible, e.n_hidden);
    RBM_EXPECTS(begin <= end && end <= part.units, "exact log Z: units [", begin, ", ", end,
                ") are not within the ", part.units, " units of a ", model.n_visible, "x",
                model.n_hidden, " model");
    TreeStack stack;
    clear(stack);
    if (backend.log_z_precision() == LogZPrecision::float64)
      backend.log_z_range(e, begin, end, options, stack);
    else
      backend.log_z_range(rounded_to_float(e), begin, end, options, stack);
    for (int n = 0; n < stack.size; ++n) {
      const TreeNode& node = stack.nodes[n];
      part.nodes.push_back(LogZNode{node.index, node.level, node.value.max, node.value.sum});
    }
    part.log_offset = reduced.log_offset;
    part.info.enumerated_hidden = reduced.enumerated_hidden;
    part.info.log2_states = e.n_hidden;
    part.info.states = std::ldexp(1.0, e.n_hidden);
    part.info.pairs = std::ldexp(static_cast<double>(e.n_visible), e.n_hidden);
  }
  part.begin = begin;
  part.end = end;
  part.info.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return part;
}

}  // namespace rbm::detail

namespace rbm {

LogZResult combine_log_z_parts(const std::vector<LogZPart>& parts) {
  RBM_EXPECTS(!parts.empty(), "combine_log_z_parts: no parts");
  const LogZPart& first = parts.front();
  detail::TreeStack stack;
  detail::clear(stack);
  std::uint64_t position = 0;  // the next unit expected
  double seconds = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const LogZPart& part = parts[p];
    RBM_EXPECTS(part.units == first.units && part.log_offset == first.log_offset &&
                    part.info.enumerated_hidden == first.info.enumerated_hidden &&
                    part.info.states == first.info.states && part.info.pairs == first.info.pairs,
                "combine_log_z_parts: part ", p, " (", part.units,
                " units) belongs to another enumeration than part 0 (", first.units, " units)");
    RBM_EXPECTS(part.begin == position && part.begin <= part.end && part.end <= part.units,
                "combine_log_z_parts: part ", p, " covers units [", part.begin, ", ", part.end,
                "); expected it to start at ", position, " of ", part.units);
    for (const LogZNode& node : part.nodes) {
      RBM_EXPECTS(node.level >= 0 && node.level < 63 && (node.index << node.level) == position &&
                      (node.index << node.level >> node.level) == node.index &&
                      part.end - position >= (std::uint64_t{1} << node.level),
                  "combine_log_z_parts: part ", p, " has a node (index ", node.index, ", level ",
                  node.level, ") that is not its next units from ", position);
      detail::push(stack, detail::TreeNode{node.index, node.level, {node.max, node.sum}});
      position += std::uint64_t{1} << node.level;
    }
    RBM_EXPECTS(position == part.end, "combine_log_z_parts: the nodes of part ", p,
                " cover units up to ", position, ", not its end ", part.end);
    seconds = std::max(seconds, part.info.seconds);
  }
  RBM_EXPECTS(position == first.units, "combine_log_z_parts: the parts cover units [0, ", position,
              ") of ", first.units);
  LogZResult result = first.info;
  result.log_z = detail::log_sum_value(detail::tree_total(stack)) + first.log_offset;
  result.seconds = seconds;
  return result;
}

}  // namespace rbm
