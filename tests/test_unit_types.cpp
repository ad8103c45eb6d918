// tests/test_unit_types.cpp — every unit-type combination (visible Bernoulli or spin; hidden
// Bernoulli, spin, Potts or Potts with an off state) through the Engine against exhaustive
// enumeration (tests/support/brute_force.hpp): exact log Z, free energies, mean log-likelihood,
// conditionals and reconstruction error.
//
// Tolerances: log Z is a float64 computation of the same float parameters as the reference, so
// they agree to a few ulps of the terms summed (1e-10 relative is ~10^5 ulps of slack for
// ≤ 2^20 terms, yet a wrong sign or a missing term is off by ≥ 1e-3). Free energies take the
// hidden fields from a float32 GEMM: field j is off by ≤ γ_{D+1}·(Σ_i |v_i W_ij| + |c_j|), and
// every hidden layer's log-partition is 1-Lipschitz in each field (softplus' ≤ 1, |tanh| ≤ 1,
// softmax weights sum to 1), so F is off by at most the sum of those bounds. Conditionals are
// float32: one σ or softmax of such a field, |Δp| ≤ (1/4 or 1/2)·|Δfield| + a few ulps, below
// kProbabilityTol for these models.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"

namespace rbm::test {
namespace {

constexpr double kRelativeTol = 1e-10;
constexpr double kProbabilityTol = 2e-6;

double gamma_float(int n) {
  const double u = 0x1.0p-24;
  return n * u / (1 - n * u);
}

/// The bound on |F_library(v) − F(v)| derived above, plus float64 slack.
double free_energy_tolerance(const Model& m, const std::vector<double>& v, double reference) {
  double total = 0;
  for (int j = 0; j < m.n_hidden; ++j) {
    double magnitude = std::fabs(m.hidden_bias[j]);
    for (int i = 0; i < m.n_visible; ++i) magnitude += std::fabs(v[i] * m.weight(i, j));
    total += gamma_float(m.n_visible + 1) * magnitude;
  }
  return total + kRelativeTol * std::max(1.0, std::fabs(reference));
}

struct Inputs {
  UnitType visible_type, hidden_type;
  int n_visible, n_hidden;
  double scale;
  std::uint64_t seed;
};

std::string describe(const Inputs& in) {
  return std::string(to_string(in.visible_type)) + "/" + to_string(in.hidden_type) +
         " D=" + std::to_string(in.n_visible) + " L=" + std::to_string(in.n_hidden) +
         " scale=" + std::to_string(in.scale) + " seed=" + std::to_string(in.seed);
}
void PrintTo(const Inputs& in, std::ostream* out) {
  *out << describe(in);
}

class UnitTypes : public ::testing::TestWithParam<Inputs> {
 protected:
  Model model() const {
    const Inputs& in = GetParam();
    return make_random_model(in.n_visible, in.n_hidden, in.scale, in.seed, in.visible_type,
                             in.hidden_type);
  }
};

TEST_P(UnitTypes, ExactLogZMatchesEnumeration) {
  const Model m = model();
  const double expected = GetParam().n_visible + GetParam().n_hidden <= 20
                              ? log_z_joint(m)
                              : log_z_enumerate_visible(m);
  Engine engine(BackendKind::cpu);
  const LogZResult got = engine.log_z(m);
  EXPECT_NEAR(got.log_z, expected, kRelativeTol * std::max(1.0, std::fabs(expected)));
  const bool one_hot = m.hidden_type == UnitType::potts || m.hidden_type == UnitType::potts_off;
  const double states = one_hot ? m.n_hidden + (m.hidden_type == UnitType::potts_off ? 1 : 0)
                                : std::ldexp(1.0, std::min(m.n_visible, m.n_hidden));
  EXPECT_EQ(got.states, states);
  EXPECT_DOUBLE_EQ(got.log2_states, std::log2(states));
}

TEST_P(UnitTypes, FreeEnergyAndLikelihoodMatchEnumeration) {
  const Model m = model();
  const Dataset data = random_dataset(m.n_visible, 40, GetParam().seed + 1);
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  const std::vector<double> energies = engine.free_energy(m, handle);
  ASSERT_EQ(energies.size(), data.n_samples);
  double mean_tolerance = 0;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> v = visible_row(m.visible_type, data, n);
    const double expected = free_energy(m, v);
    const double tolerance = free_energy_tolerance(m, v, expected);
    EXPECT_NEAR(energies[n], expected, tolerance) << "row " << n;
    mean_tolerance += tolerance / static_cast<double>(data.n_samples);
  }
  const double log_z = engine.log_z(m).log_z;
  const double expected_ll = mean_log_likelihood(m, data);
  EXPECT_NEAR(engine.mean_log_likelihood(m, handle, log_z), expected_ll,
              mean_tolerance + kRelativeTol * std::max(1.0, std::fabs(expected_ll)));
}

TEST_P(UnitTypes, ConditionalsAndReconstructionMatchEnumeration) {
  const Model m = model();
  const Dataset data = random_dataset(m.n_visible, 25, GetParam().seed + 2);
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  const std::vector<float> hidden = engine.hidden_probabilities(m, handle);
  std::vector<float> given_hidden;
  double squared_error = 0;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> v = visible_row(m.visible_type, data, n);
    const std::vector<double> p = hidden_probabilities(m, v);
    for (int j = 0; j < m.n_hidden; ++j)
      EXPECT_NEAR(hidden[n * m.n_hidden + j], p[j], kProbabilityTol) << "row " << n << " h" << j;
    const std::vector<double> mean_h = hidden_means(m, v);
    given_hidden.insert(given_hidden.end(), mean_h.begin(), mean_h.end());
    const std::vector<double> recon = visible_means(m, mean_h);
    for (int i = 0; i < m.n_visible; ++i) squared_error += std::pow(v[i] - recon[i], 2);
  }
  // p(v on | h) for given hidden values (here the means E[h | v]).
  const std::vector<float> visible = engine.visible_probabilities(m, given_hidden);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> h(given_hidden.begin() + n * m.n_hidden,
                                given_hidden.begin() + (n + 1) * m.n_hidden);
    const std::vector<double> p = visible_probabilities(m, h);
    for (int i = 0; i < m.n_visible; ++i)
      EXPECT_NEAR(visible[n * m.n_visible + i], p[i], kProbabilityTol) << "row " << n << " v" << i;
  }
  const double expected = squared_error / (static_cast<double>(data.n_samples) * m.n_visible);
  // Squared errors of values within 2 of each other, each mean off by ≤ 2·kProbabilityTol.
  EXPECT_NEAR(engine.reconstruction_error(m, handle), expected, 8 * kProbabilityTol);
}

std::vector<Inputs> all_combinations() {
  std::vector<Inputs> out;
  std::uint64_t seed = 1;
  for (UnitType v : {UnitType::bernoulli, UnitType::spin})
    for (UnitType h : {UnitType::bernoulli, UnitType::spin, UnitType::potts, UnitType::potts_off}) {
      out.push_back({v, h, 6, 4, 1.0, seed++});  // enumerate the hidden layer
      out.push_back({v, h, 3, 7, 0.5, seed++});  // D < L: the visible layer is enumerated
      out.push_back({v, h, 9, 9, 2.0, seed++});  // larger weights
    }
  // Larger layers than the joint enumeration allows: log Z by enumerating the visible layer.
  out.push_back({UnitType::spin, UnitType::spin, 14, 24, 0.3, 100});
  out.push_back(
      {UnitType::bernoulli, UnitType::potts, 10, 55, 1.0, 101});  // the MNIST 7/8/9 study's L = 55
  out.push_back({UnitType::spin, UnitType::potts_off, 12, 200, 0.5, 102});
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllCombinations,
                         UnitTypes,
                         ::testing::ValuesIn(all_combinations()),
                         [](const ::testing::TestParamInfo<Inputs>& info) {
                           std::string name = std::string(to_string(info.param.visible_type)) +
                                              "_" + to_string(info.param.hidden_type) + "_D" +
                                              std::to_string(info.param.n_visible) + "_L" +
                                              std::to_string(info.param.n_hidden);
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// The Potts state count is what log Z reports, and no enumeration limit applies to it.
TEST(UnitTypesLimits, PottsLogZNeedsNoEnumeration) {
  const Model m = make_random_model(784, 500, 0.01, 7, UnitType::bernoulli, UnitType::potts_off);
  Engine engine(BackendKind::cpu);
  LogZOptions options;
  options.max_log2_states = 8;  // far below 2^500: irrelevant for a one-hot layer
  const LogZResult r = engine.log_z(m, options);
  EXPECT_EQ(r.states, 501);
  EXPECT_TRUE(std::isfinite(r.log_z));
}

TEST(UnitTypesLimits, OneHotVisibleLayersAreRejected) {
  Model m = Model::zeros(4, 3);
  m.visible_type = UnitType::potts;
  Engine engine(BackendKind::cpu);
  try {
    engine.log_z(m);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("hidden layer only"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rbm::test
