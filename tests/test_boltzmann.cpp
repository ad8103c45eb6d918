// tests/test_boltzmann.cpp — the general Boltzmann machine against exact enumeration.
//
// Exact sums (log Z, log-likelihoods, the gradient) against the plain brute force of
// tests/support/bm_brute_force.hpp, the gradient also against finite differences of the
// log-likelihood; the restricted machine against the RBM's Engine::log_z; the Gibbs sampler
// against the exact distribution (χ², the chain's mixing checked exactly first); the sampled
// learning gradient against the exact one (z-tests with exact variances); simulated annealing
// against the exactly propagated distribution of the annealed chain, whose mass on the ground
// state (found by enumeration) is the point; and the trainer, files and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/bm_brute_force.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/chi_square.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/z_test.hpp"

namespace rbm::test {
namespace {

constexpr double kDoubleUnit = 0x1.0p-53;
// Family-wise false-alarm rate of each statistical test below: 1e-4 (Bonferroni over a test's
// components).
constexpr double kFalseAlarm = 1e-4;
// Chains used by statistical tests are within this total-variation distance of their target
// (checked exactly): a bias of ≤ 1e-6 in a mean or a bin probability, far below the tests'
// standard errors (≥ 1e-3) and Poisson noise.
constexpr double kMaxChainDistance = 1e-6;

/// A machine with every coupling on `graph` and every bias ~ N(0, scale²), rounded to float.
BoltzmannMachine random_machine(
    int n_visible, int n_hidden, CouplingGraph graph, double scale, std::uint64_t seed) {
  BoltzmannMachine m = BoltzmannMachine::zeros(n_visible, n_hidden, graph);
  std::mt19937_64 rng(seed);
  const int n = m.n_units;
  for (int i = 0; i < n; ++i) {
    m.bias[i] = static_cast<float>(scale * standard_normal(rng));
    for (int j = i + 1; j < n; ++j)
      if (m.coupled(i, j))
        m.couplings[i * n + j] = m.couplings[j * n + i] =
            static_cast<float>(scale * standard_normal(rng));
  }
  return m;
}

/// Rows drawn uniformly from a few distinct random patterns (so rows repeat).
Dataset repeating_rows(int n_visible, std::size_t n_rows, std::uint64_t seed) {
  const Dataset patterns = random_dataset(n_visible, 5, seed);
  std::mt19937_64 rng(seed + 1);
  Dataset data;
  data.n_visible = n_visible;
  data.n_samples = n_rows;
  for (std::size_t r = 0; r < n_rows; ++r) {
    const std::size_t p = rng() % patterns.n_samples;
    data.values.insert(data.values.end(), patterns.values.begin() + p * n_visible,
                       patterns.values.begin() + (p + 1) * n_visible);
  }
  data.name = "repeating";
  return data;
}

/// Σ|θ|: the magnitude every energy's rounding error scales with.
double parameter_magnitude(const BoltzmannMachine& m) {
  double sum = 0;
  for (float x : m.bias) sum += std::abs(x);
  for (float x : m.couplings) sum += 0.5 * std::abs(x);
  return sum;
}

/// Error bound of a float64 log-sum over `states` terms whose exponents are energies summed
/// from N² terms: each energy within N²·u·Σ|θ|, the sum of positive terms within states·u
/// relatively; 4× for the reference's own rounding and the final logs.
double log_sum_tolerance(const BoltzmannMachine& m, double states) {
  const double n = m.n_units;
  return 4 * kDoubleUnit * (states + n * n * parameter_magnitude(m));
}

struct Shape {
  int n_visible, n_hidden;
  CouplingGraph graph;
  double scale;
  std::uint64_t seed;
};
std::string describe(const Shape& s) {
  std::ostringstream out;
  out << "D=" << s.n_visible << " H=" << s.n_hidden << " " << to_string(s.graph)
      << " scale=" << s.scale << " seed=" << s.seed;
  return out.str();
}
void PrintTo(const Shape& s, std::ostream* out) {
  *out << describe(s);
}

class ExactSums : public ::testing::TestWithParam<Shape> {};

// Shapes cover the enumeration's split: N ≤ 10 (one block), N > 10 (block + outer chunks), the
// clamped sums with H ≤ 10 and H > 10, every graph, and the fully visible machine.
INSTANTIATE_TEST_SUITE_P(Shapes,
                         ExactSums,
                         ::testing::Values(Shape{3, 3, CouplingGraph::full, 1.0, 1},
                                           Shape{4, 8, CouplingGraph::full, 0.7, 2},
                                           Shape{2, 13, CouplingGraph::full, 0.5, 3},
                                           Shape{6, 10, CouplingGraph::restricted, 1.0, 4},
                                           Shape{5, 6, CouplingGraph::semi_restricted, 1.0, 5},
                                           Shape{9, 0, CouplingGraph::full, 1.0, 6},
                                           Shape{3, 4, CouplingGraph::full, 4.0, 7}),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                           return "case" + std::to_string(info.index);
                         });

TEST_P(ExactSums, LogZAndLogLikelihoodsMatchBruteForce) {
  const Shape s = GetParam();
  const BoltzmannMachine m = random_machine(s.n_visible, s.n_hidden, s.graph, s.scale, s.seed);
  const bm::Machine ref(m);
  const double states = std::ldexp(1.0, m.n_units);
  EXPECT_NEAR(bm_log_z(m), bm::log_z(ref), log_sum_tolerance(m, states));
  const Dataset data = repeating_rows(s.n_visible, 40, s.seed);
  const std::vector<double> ll = bm_log_likelihoods(m, data);
  ASSERT_EQ(ll.size(), data.n_samples);
  const double lz = bm::log_z(ref);
  for (std::size_t r = 0; r < data.n_samples; ++r)
    EXPECT_NEAR(ll[r], bm::clamped_log_sum(ref, bm::row_index(data, r)) - lz,
                2 * log_sum_tolerance(m, states))
        << "row " << r;
  EXPECT_NEAR(bm_mean_log_likelihood(m, data), bm::mean_log_likelihood(ref, data),
              2 * log_sum_tolerance(m, states));
}

TEST_P(ExactSums, GradientMatchesBruteForceMoments) {
  const Shape s = GetParam();
  const BoltzmannMachine m = random_machine(s.n_visible, s.n_hidden, s.graph, s.scale, s.seed);
  const bm::Machine ref(m);
  const Dataset data = repeating_rows(s.n_visible, 8, s.seed);
  const BmGradient g = bm_exact_gradient(m, data);
  const std::vector<double> positive = bm::data_moments(ref, data);
  const std::vector<double> negative = bm::moments(ref, bm::distribution(ref));
  // Moments are ≤ 1: each probability carries the log-sum's error relatively, twice (two sums).
  const double tol = 4 * log_sum_tolerance(m, std::ldexp(1.0, m.n_units));
  const int n = m.n_units;
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(g.bias[i], positive[i * n + i] - negative[i * n + i], tol) << "bias " << i;
    for (int j = 0; j < n; ++j) {
      const double want = m.coupled(i, j) ? positive[i * n + j] - negative[i * n + j] : 0.0;
      EXPECT_NEAR(g.couplings[i * n + j], want, tol) << "coupling " << i << "," << j;
    }
  }
}

TEST(BoltzmannGradient, IsTheDerivativeOfTheLogLikelihood) {
  // Central differences of the brute-force mean log-likelihood in float64. The truncation error
  // is h²/6·|f'''|, and f''' is a difference of third cumulants of {0,1} statistics, each at
  // most 1/(6√3) < 0.1, so |f'''| < 0.2; rounding adds ~u·|f|/h. With h = 1e-4 both are below
  // 1e-9; the tolerance 1e-8 is 10 times that.
  const BoltzmannMachine m = random_machine(3, 3, CouplingGraph::full, 1.0, 11);
  const Dataset data = repeating_rows(3, 10, 11);
  const BmGradient g = bm_exact_gradient(m, data);
  const double h = 1e-4, tol = 1e-8;
  const int n = m.n_units;
  for (int i = 0; i < n; ++i) {
    bm::Machine up(m), down(m);
    up.b[i] += h;
    down.b[i] -= h;
    const double derivative =
        (bm::mean_log_likelihood(up, data) - bm::mean_log_likelihood(down, data)) / (2 * h);
    EXPECT_NEAR(g.bias[i], derivative, tol) << "bias " << i;
    for (int j = i + 1; j < n; ++j) {
      bm::Machine wu(m), wd(m);
      for (auto [a, b] : {std::pair{i, j}, std::pair{j, i}}) {
        wu.w[a * n + b] += h;
        wd.w[a * n + b] -= h;
      }
      const double dw =
          (bm::mean_log_likelihood(wu, data) - bm::mean_log_likelihood(wd, data)) / (2 * h);
      EXPECT_NEAR(g.couplings[i * n + j], dw, tol) << "coupling " << i << "," << j;
      EXPECT_EQ(g.couplings[i * n + j], g.couplings[j * n + i]);
    }
  }
}

TEST(BoltzmannExact, RestrictedMachineIsTheRbm) {
  // The same parameters as an RBM: Engine::log_z (float64 enumeration, relative 1e-10 as in
  // tests/test_exact.cpp) and its exact log-likelihood agree with the machine's.
  Engine engine(BackendKind::cpu);
  for (std::uint64_t seed : {1, 2, 3}) {
    const Model model = make_random_model(7, 5, 1.0, seed);
    const BoltzmannMachine m = boltzmann_from_rbm(model);
    const double want = engine.log_z(model).log_z;
    EXPECT_NEAR(bm_log_z(m), want, 1e-10 * std::max(1.0, std::abs(want))) << "seed " << seed;
    const Dataset data = random_dataset(7, 30, seed);
    const double ll = engine.mean_log_likelihood(model, engine.upload(data), want);
    // The Engine's free energies come from float32 fields: γ_{D+2}·Σ|terms| per row (see
    // tests/test_exact.cpp); D = 7 and Σ|terms| < 60 here give < 3e-5.
    EXPECT_NEAR(bm_mean_log_likelihood(m, data), ll, 3e-5) << "seed " << seed;
    const Model back = rbm_from_boltzmann(m);
    EXPECT_EQ(back.weights, model.weights);
    EXPECT_EQ(back.visible_bias, model.visible_bias);
    EXPECT_EQ(back.hidden_bias, model.hidden_bias);
  }
  const BoltzmannMachine full = random_machine(3, 2, CouplingGraph::full, 1.0, 4);
  EXPECT_THROW(rbm_from_boltzmann(full), InvalidArgument);
}

TEST(BoltzmannExact, RefusesTooManyUnitsClearly) {
  const BoltzmannMachine m = BoltzmannMachine::zeros(10, 20, CouplingGraph::restricted);
  try {
    bm_log_z(m);
    FAIL() << "enumerated 2^30 states";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("2^30"), std::string::npos) << e.what();
  }
  BmExactOptions options;
  options.max_units = kBmMaxExactUnits + 1;
  EXPECT_THROW(bm_log_z(m, options), InvalidArgument);
}

TEST(BoltzmannExact, SumsDoNotDependOnThreads) {
  const BoltzmannMachine m = random_machine(4, 12, CouplingGraph::full, 0.5, 9);
  const Dataset data = repeating_rows(4, 6, 9);
  BmExactOptions one, three;
  one.threads = 1;
  three.threads = 3;
  EXPECT_EQ(bm_log_z(m, one), bm_log_z(m, three));
  EXPECT_EQ(bm_log_likelihoods(m, data, one), bm_log_likelihoods(m, data, three));
  EXPECT_EQ(bm_exact_gradient(m, data, one).couplings, bm_exact_gradient(m, data, three).couplings);
}

// ---- sampling ---------------------------------------------------------------------------------

std::uint64_t state_index(const BmSamples& samples, std::size_t r) {
  std::uint64_t s = 0;
  for (int i = 0; i < samples.n_units; ++i)
    s |= std::uint64_t{samples.states[r * samples.n_units + i]} << i;
  return s;
}

std::vector<std::size_t> state_histogram(const BmSamples& samples) {
  std::vector<std::size_t> counts(std::size_t{1} << samples.n_units, 0);
  for (std::size_t r = 0; r < samples.n_samples(); ++r) ++counts[state_index(samples, r)];
  return counts;
}

struct SamplerCase {
  CouplingGraph graph;
  double scale;
  double temperature;
  int burn_in, thinning, samples_per_chain, chains;
  std::uint64_t seed;
  BmSweep sweep = BmSweep::colour_classes;
};
void PrintTo(const SamplerCase& c, std::ostream* out) {
  *out << to_string(c.graph) << " scale=" << c.scale << " T=" << c.temperature
       << " burn_in=" << c.burn_in << " thinning=" << c.thinning << " x" << c.samples_per_chain
       << " chains=" << c.chains << " sweep=" << to_string(c.sweep);
}

class BoltzmannSampler : public ::testing::TestWithParam<SamplerCase> {};

INSTANTIATE_TEST_SUITE_P(
    Cases,
    BoltzmannSampler,
    ::testing::Values(SamplerCase{CouplingGraph::full, 1.0, 1.0, 100, 1, 1, 40000, 1},
                      SamplerCase{CouplingGraph::full, 1.0, 2.0, 100, 1, 1, 40000, 2},
                      SamplerCase{CouplingGraph::restricted, 1.0, 1.0, 100, 1, 1, 40000, 3},
                      SamplerCase{CouplingGraph::semi_restricted, 0.8, 1.0, 100, 20, 100, 400, 4},
                      SamplerCase{CouplingGraph::full, 1.0, 1.0, 100, 1, 1, 40000, 5,
                                  BmSweep::sequential}),
    [](const ::testing::TestParamInfo<SamplerCase>& info) {
      return "case" + std::to_string(info.index);
    });

TEST_P(BoltzmannSampler, MatchesExactDistribution) {
  const SamplerCase c = GetParam();
  BoltzmannMachine m = random_machine(3, 3, c.graph, c.scale, 20 + c.seed);
  std::vector<int> order = bm::documented_sweep_order(m);
  if (c.sweep == BmSweep::sequential) {
    // Without the coupling 0–2 the colour classes start {0, 2}: index order is another order.
    m.mask[0 * 6 + 2] = m.mask[2 * 6 + 0] = 0;
    m.couplings[0 * 6 + 2] = m.couplings[2 * 6 + 0] = 0.0f;
    ASSERT_NE(bm::documented_sweep_order(m), (std::vector<int>{0, 1, 2, 3, 4, 5}));
    order = {0, 1, 2, 3, 4, 5};
  }
  const bm::Machine ref(m);
  ASSERT_LE(bm::worst_free_distance_after(ref, order, c.temperature, c.burn_in), kMaxChainDistance)
      << "burn-in too short for this machine: the test, not the sampler, is wrong";
  if (c.samples_per_chain > 1) {
    // Thinned samples of one chain are dependent through this distance; at ≤ 1e-3 the variance
    // inflation of the counts (≈ 1 + 2e-3) is negligible for the χ² test.
    ASSERT_LE(bm::worst_free_distance_after(ref, order, c.temperature, c.thinning), 1e-3);
  }
  BmSampleOptions options;
  options.n_chains = c.chains;
  options.burn_in = c.burn_in;
  options.thinning = c.thinning;
  options.samples_per_chain = c.samples_per_chain;
  options.temperature = c.temperature;
  options.seed = c.seed;
  options.sweep = c.sweep;
  const BmSamples samples = bm_sample(m, options);
  ASSERT_EQ(samples.n_samples(), static_cast<std::size_t>(c.chains) * c.samples_per_chain);
  for (std::size_t r = 0; r < samples.n_samples(); ++r)
    ASSERT_NEAR(samples.energies[r], bm::energy(ref, state_index(samples, r)), 1e-12);
  const GoodnessOfFit fit = chi_square_test(bm::distribution(ref, c.temperature),
                                            state_histogram(samples), samples.n_samples());
  EXPECT_LE(fit.statistic, fit.threshold) << fit.report;
}

TEST(BoltzmannSampler, ColourClassesOfTheDocumentedOrder) {
  // Restricted: one class of visible units, one of hidden units, so a sweep is block Gibbs.
  EXPECT_EQ(bm::documented_sweep_order(BoltzmannMachine::zeros(3, 2, CouplingGraph::restricted)),
            (std::vector<int>{0, 1, 2, 3, 4}));
  // Semi-restricted: the coupled visible units one class each, the hidden units one class.
  EXPECT_EQ(
      bm::documented_sweep_order(BoltzmannMachine::zeros(3, 2, CouplingGraph::semi_restricted)),
      (std::vector<int>{0, 1, 2, 3, 4}));
  // A full graph of four units without the coupling 0–2: units 0 and 2 share a class.
  BoltzmannMachine m = BoltzmannMachine::zeros(4, 0);
  m.mask[0 * 4 + 2] = m.mask[2 * 4 + 0] = 0;
  EXPECT_EQ(bm::documented_sweep_order(m), (std::vector<int>{0, 2, 1, 3}));
  // The library sweeps in that order: at T = 1e-3 every update is deterministic (s_k = 1 iff
  // f_k > 0). Unit 2 follows unit 1 (w_12 = 2, b_2 = −1), unit 1 turns on (b_1 = 1). In index
  // order one sweep from all-off turns 1 on and then 2; in the documented order 2 comes first
  // and stays off.
  m.couplings[1 * 4 + 2] = m.couplings[2 * 4 + 1] = 2.0f;
  m.bias = {0.0f, 1.0f, -1.0f, 0.0f};
  BmSampleOptions options;
  options.n_chains = 1;
  options.burn_in = 0;
  options.temperature = 1e-3;
  options.init = {0, 0, 0, 0};
  EXPECT_EQ(bm_sample(m, options).states, (std::vector<std::uint8_t>{0, 1, 0, 0}));
  options.sweep = BmSweep::sequential;
  EXPECT_EQ(bm_sample(m, options).states, (std::vector<std::uint8_t>{0, 1, 1, 0}));
  EXPECT_EQ(parse_bm_sweep(to_string(BmSweep::sequential)), BmSweep::sequential);
  EXPECT_EQ(parse_bm_sweep(to_string(BmSweep::colour_classes)), BmSweep::colour_classes);
  EXPECT_THROW(parse_bm_sweep("random"), InvalidArgument);
}

TEST(BoltzmannSampler, SameSeedSameSamplesAnyThreadCount) {
  const BoltzmannMachine m = random_machine(4, 3, CouplingGraph::full, 1.0, 5);
  BmSampleOptions options;
  options.n_chains = 50;
  options.burn_in = 30;
  options.samples_per_chain = 3;
  options.thinning = 2;
  options.temperature = Schedule::exponential(4.0, 0.5);
  options.threads = 1;
  const BmSamples a = bm_sample(m, options);
  options.threads = 3;
  const BmSamples b = bm_sample(m, options);
  EXPECT_EQ(a.states, b.states);
  options.seed = 2;
  EXPECT_NE(bm_sample(m, options).states, a.states);
}

TEST(BoltzmannSampler, InitialStatesAreUsedAndOptionsChecked) {
  // Two strongly coupled units never leave their start in one sweep.
  BoltzmannMachine m = BoltzmannMachine::zeros(2, 0);
  m.couplings = {0, 40, 40, 0};
  m.bias = {-20, -20};
  BmSampleOptions options;
  options.n_chains = 2;
  options.burn_in = 1;
  options.init = {1, 1, 0, 0};
  EXPECT_EQ(bm_sample(m, options).states, (std::vector<std::uint8_t>{1, 1, 0, 0}));
  options.init = {1, 2, 0, 0};
  EXPECT_THROW(bm_sample(m, options), InvalidArgument);
  options.init.clear();
  options.temperature = Schedule::linear(1.0, -1.0);
  options.burn_in = 10;
  EXPECT_THROW(bm_sample(m, options), InvalidArgument);
}

// ---- simulated annealing ------------------------------------------------------------------------

/// The exact distribution of an annealed chain's state after `sweeps` sweeps at temperatures
/// schedule.at(t, sweeps): the uniform start pushed through every sweep's single-site kernels.
std::vector<double> annealed_distribution(const bm::Machine& ref,
                                          const std::vector<int>& order,
                                          const Schedule& temperature,
                                          int sweeps) {
  std::vector<double> p(std::size_t{1} << ref.n, 1.0 / std::ldexp(1.0, ref.n));
  for (int t = 0; t < sweeps; ++t) bm::sweep(ref, order, temperature.at(t, sweeps), p);
  return p;
}

/// A ±J spin glass on the complete graph of n spins σ = 2s − 1, H = −Σ J_ij σ_i σ_j, as a
/// {0,1} machine: w_ij = 4 J_ij, b_i = −2 Σ_j J_ij (the energies differ by a constant).
BoltzmannMachine spin_glass(int n, std::uint64_t seed) {
  BoltzmannMachine m = BoltzmannMachine::zeros(n, 0);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const float coupling = (rng() >> 63) ? 1.0f : -1.0f;
      m.couplings[i * n + j] = m.couplings[j * n + i] = 4 * coupling;
      m.bias[i] -= 2 * coupling;
      m.bias[j] -= 2 * coupling;
    }
  return m;
}
/// The ground states of spin_glass(8, 3) (bit i = unit i on), found once by enumeration: two
/// pairs σ, −σ (the complement), the frustration leaving two different best compromises.
const std::vector<std::uint64_t> kSpinGlassGroundStates = {96, 96 ^ 0xFF, 99, 99 ^ 0xFF};

TEST(BoltzmannAnnealing, ReachesTheGroundStateAsTheExactChainSays) {
  // An antiferromagnetic triangle (every pair wants not both on, every unit wants on: no state
  // satisfies all three couplings; ground states: exactly one unit on) and a ±J spin glass on 8
  // spins (frustrated; its four ground states known, see kSpinGlassGroundStates). The annealed
  // chain's exact final distribution puts almost all its mass on the ground states, and the
  // sampler's chains must follow it: the count at the ground state by a binomial z-test, the whole
  // final distribution by χ².
  BoltzmannMachine triangle = BoltzmannMachine::zeros(3, 0);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != j) triangle.couplings[i * 3 + j] = -2.0f;
  triangle.bias = {1.0f, 1.0f, 1.0f};
  const Schedule annealing = Schedule::exponential(8.0, 0.05);
  constexpr int kSweeps = 400, kChains = 4000;
  struct Case {
    const char* name;
    BoltzmannMachine machine;
    std::vector<std::uint64_t> ground_states;  ///< known; bit i of a state is unit i
  };
  for (const auto& [name, machine, ground_states] :
       {Case{"triangle", triangle, {0b001, 0b010, 0b100}},
        Case{"spin glass", spin_glass(8, 3), kSpinGlassGroundStates}}) {
    SCOPED_TRACE(name);
    const bm::Machine ref(machine);
    std::vector<double> energies(std::size_t{1} << ref.n);
    for (std::uint64_t s = 0; s < energies.size(); ++s) energies[s] = bm::energy(ref, s);
    const double ground = *std::min_element(energies.begin(), energies.end());
    std::vector<std::uint64_t> minima;
    for (std::uint64_t s = 0; s < energies.size(); ++s)
      if (energies[s] == ground) minima.push_back(s);
    std::vector<std::uint64_t> known = ground_states;
    std::sort(known.begin(), known.end());
    ASSERT_EQ(minima, known) << "the ground states of the energy";
    const std::vector<double> exact =
        annealed_distribution(ref, bm::documented_sweep_order(machine), annealing, kSweeps);
    double ground_mass = 0;
    for (std::uint64_t s = 0; s < energies.size(); ++s)
      if (energies[s] == ground) ground_mass += exact[s];
    EXPECT_GT(ground_mass, 0.99) << "the annealing schedule itself (exact, no sampling)";

    BmSampleOptions options;
    options.n_chains = kChains;
    options.burn_in = kSweeps;  // sweep t at temperature.at(t, kSweeps), as the exact chain
    options.thinning = 1;
    options.temperature = annealing;
    options.seed = 7;
    // The kept sample is one sweep past the burn-in, at the schedule's last value: the exact
    // chain takes that sweep too.
    std::vector<double> kept = exact;
    bm::sweep(ref, bm::documented_sweep_order(machine), annealing.at(kSweeps - 1, kSweeps), kept);
    double kept_ground = 0;
    for (std::uint64_t s = 0; s < energies.size(); ++s)
      if (energies[s] == ground) kept_ground += kept[s];
    const BmSamples samples = bm_sample(machine, options);
    std::size_t at_ground = 0;
    for (double e : samples.energies) at_ground += std::abs(e - ground) < 1e-9;
    const double z = two_sided_normal_quantile(kFalseAlarm);
    EXPECT_NEAR(static_cast<double>(at_ground), kChains * kept_ground,
                z * std::sqrt(kChains * kept_ground * (1 - kept_ground)) + 1)
        << "chains at the ground state: " << at_ground << " of " << kChains;
    const GoodnessOfFit fit = chi_square_test(kept, state_histogram(samples), samples.n_samples());
    EXPECT_LE(fit.statistic, fit.threshold) << fit.report;
  }
}

// ---- learning ---------------------------------------------------------------------------------

TEST(BoltzmannLearning, SampledGradientMatchesExactGradient) {
  // Long chains (their mixing checked exactly) and many of them: each component of the estimate
  // is a difference of two independent means of {0,1} statistics whose exact variances are
  // known, so each is tested at z(1e-4 / components) standard errors.
  const BoltzmannMachine m = random_machine(3, 3, CouplingGraph::full, 0.8, 31);
  const bm::Machine ref(m);
  const Dataset data = repeating_rows(3, 6, 31);
  BmGradientOptions options;
  options.replicas = 4000;
  options.clamped_sweeps = 40;
  options.free_chains = 40000;
  options.free_sweeps = 60;
  ASSERT_LE(bm::worst_clamped_distance_after(ref, bm::documented_sweep_order(m, m.n_visible),
                                             options.clamped_sweeps),
            kMaxChainDistance);
  ASSERT_LE(
      bm::worst_free_distance_after(ref, bm::documented_sweep_order(m), 1.0, options.free_sweeps),
      kMaxChainDistance);
  const BmGradient estimate = bm_sampled_gradient(m, data, options);
  const BmGradient exact = bm_exact_gradient(m, data);
  const int n = m.n_units;
  const double z = two_sided_normal_quantile(kFalseAlarm / (n * (n + 1) / 2.0));
  const std::vector<double> free_mean = bm::moments(ref, bm::distribution(ref));
  for (int i = 0; i < n; ++i)
    for (int j = i; j < n; ++j) {
      if (i != j && !m.coupled(i, j)) continue;
      // The clamped mean averages rows·replicas independent states: Σ_rows replicas·p(1 − p)
      // over (rows·replicas)².
      double clamped_variance = 0;
      for (std::size_t r = 0; r < data.n_samples; ++r) {
        const double p = bm::clamped_moments(ref, bm::row_index(data, r))[i * n + j];
        clamped_variance += options.replicas * p * (1 - p);
      }
      clamped_variance /= std::pow(static_cast<double>(data.n_samples) * options.replicas, 2);
      const double p = free_mean[i * n + j];
      const double se = std::sqrt(clamped_variance + p * (1 - p) / options.free_chains);
      const double got = i == j ? estimate.bias[i] : estimate.couplings[i * n + j];
      const double want = i == j ? exact.bias[i] : exact.couplings[i * n + j];
      EXPECT_NEAR(got, want, z * se + 2 * kMaxChainDistance) << "component " << i << "," << j;
    }
}

TEST(BoltzmannLearning, OneStepMovesAlongTheGradient) {
  // One SGD step over the whole data set (one batch) with long sweeps and many free chains: the
  // change of every parameter is lr times an estimate of the exact gradient. Its standard error
  // is at most that of {0,1} means with p(1 − p) ≤ 1/4: one fresh clamped state per row (2000)
  // and 20000 chains.
  const BoltzmannMachine m = random_machine(3, 2, CouplingGraph::full, 0.8, 41);
  const Dataset data = repeating_rows(3, 2000, 41);
  BmTrainConfig config;
  config.train.epochs = 1;
  config.train.batch_size = static_cast<double>(data.n_samples);
  config.train.optimizer = Optimizer::sgd;
  config.train.learning_rate = 0.5;
  config.train.persistent = true;
  config.train.n_chains = 20000;
  config.train.cd_steps = 60;
  config.clamped_sweeps = 40;
  config.persistent_clamped = false;
  const bm::Machine ref(m);
  ASSERT_LE(bm::worst_free_distance_after(ref, bm::documented_sweep_order(m), 1.0, 60),
            kMaxChainDistance);
  ASSERT_LE(bm::worst_clamped_distance_after(ref, bm::documented_sweep_order(m, 3), 40),
            kMaxChainDistance);
  const BoltzmannMachine after = train_boltzmann(m, config, data);
  const BmGradient exact = bm_exact_gradient(m, data);
  const int n = m.n_units;
  const double se = std::sqrt(0.25 / 2000 + 0.25 / 20000);
  const double z = two_sided_normal_quantile(kFalseAlarm / (n * (n + 1) / 2.0));
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR((after.bias[i] - m.bias[i]) / 0.5, exact.bias[i], z * se) << "bias " << i;
    for (int j = i + 1; j < n; ++j) {
      EXPECT_NEAR((after.coupling(i, j) - m.coupling(i, j)) / 0.5, exact.couplings[i * n + j],
                  z * se)
          << "coupling " << i << "," << j;
      EXPECT_EQ(after.coupling(i, j), after.coupling(j, i));
    }
  }
}

TEST(BoltzmannLearning, LearnsBarsAndStripesAndRepeats) {
  // bars-and-stripes 2×2 (6 patterns; the optimum is log(1/6) = −1.79, uniform over 2^4 is
  // −2.77): a full machine with two hidden units trained by PCD and Adam gets most of the way.
  const Dataset data = make_bars_and_stripes(2);
  BmTrainConfig config;
  config.train.epochs = 600;
  config.train.batch_size = 6.0;
  config.train.optimizer = Optimizer::adam;
  config.train.learning_rate = 0.02;
  config.train.persistent = true;
  config.train.n_chains = 50;
  config.train.seed = 3;
  const BoltzmannMachine start =
      init_boltzmann(data, 2, coupling_mask(CouplingGraph::full, 4, 2), config.train);
  const double before = bm_mean_log_likelihood(start, data);
  BmTrainOptions options;
  options.threads = 1;
  const BoltzmannMachine trained = train_boltzmann(start, config, data, options);
  EXPECT_GT(bm_mean_log_likelihood(trained, data), -2.1) << "before training " << before;
  options.threads = 2;
  const BoltzmannMachine again = train_boltzmann(start, config, data, options);
  EXPECT_EQ(again.couplings, trained.couplings) << "training depends on the thread count";
  EXPECT_EQ(again.bias, trained.bias);
}

TEST(BoltzmannLearning, RestrictedInitIsTheRbmInit) {
  const Dataset data = make_bars_and_stripes(3);
  TrainConfig config;
  config.seed = 5;
  const Model rbm = init_model(data, 4, config);
  const BoltzmannMachine m =
      init_boltzmann(data, 4, coupling_mask(CouplingGraph::restricted, 9, 4), config);
  const Model back = rbm_from_boltzmann(m);
  EXPECT_EQ(back.weights, rbm.weights);
  EXPECT_EQ(back.visible_bias, rbm.visible_bias);
  const BoltzmannMachine full =
      init_boltzmann(data, 4, coupling_mask(CouplingGraph::full, 9, 4), config);
  EXPECT_NE(full.coupling(0, 1), 0.0f);  // within-layer couplings drawn too
  EXPECT_EQ(full.coupling(0, 9), rbm.weight(0, 0));
}

TEST(BoltzmannLearning, RefusesRbmOnlyOptionsAndDivergesClearly) {
  const Dataset data = make_bars_and_stripes(2);
  BmTrainConfig config;
  config.train.batch_size = 6.0;
  const BoltzmannMachine m =
      init_boltzmann(data, 1, coupling_mask(CouplingGraph::full, 4, 1), config.train);
  const std::vector<std::function<void(BmTrainConfig&)>> changes = {
      [](BmTrainConfig& c) { c.train.centering = true; },
      [](BmTrainConfig& c) { c.train.sparsity_cost = 0.1f; },
      [](BmTrainConfig& c) { c.train.hidden_type = UnitType::spin; },
      [](BmTrainConfig& c) { c.clamped_sweeps = 0; },
      [](BmTrainConfig& c) { c.train.batch_size = 7.0; }};
  for (const auto& change : changes) {
    BmTrainConfig bad = config;
    change(bad);
    EXPECT_THROW(train_boltzmann(m, bad, data), InvalidArgument);
  }
  BmTrainConfig wild = config;
  wild.train.learning_rate = 1e6;
  wild.train.max_abs_parameter = 100;
  EXPECT_THROW(train_boltzmann(m, wild, data), Diverged);
  EXPECT_EQ(to_json(bm_train_config_from_json(to_json(config))), to_json(config));
  EXPECT_THROW(bm_train_config_from_json(R"({"clamped_sweep": 3})"), InvalidArgument);
}

// ---- machines and files
// ---------------------------------------------------------------------------

TEST(BoltzmannMachineValue, ValidateNamesTheProblem) {
  const BoltzmannMachine m = random_machine(2, 2, CouplingGraph::full, 1.0, 1);
  EXPECT_NO_THROW(m.validate());
  BoltzmannMachine asymmetric = m;
  asymmetric.couplings[1] += 1.0f;
  EXPECT_THROW(asymmetric.validate(), InvalidArgument);
  BoltzmannMachine self_loop = m;
  self_loop.couplings[0] = 1.0f;
  EXPECT_THROW(self_loop.validate(), InvalidArgument);
  BoltzmannMachine off_mask = random_machine(2, 2, CouplingGraph::restricted, 1.0, 1);
  off_mask.couplings[1] = off_mask.couplings[4] = 1.0f;  // units 0 and 1 are both visible
  EXPECT_THROW(off_mask.validate(), InvalidArgument);
  BoltzmannMachine nan = m;
  nan.bias[2] = NAN;
  EXPECT_THROW(nan.validate(), InvalidArgument);
  EXPECT_THROW(parse_coupling_graph("bipartite"), InvalidArgument);
  EXPECT_EQ(parse_coupling_graph("rbm"), CouplingGraph::restricted);
}

TEST(BoltzmannFiles, SaveLoadRoundTripAndErrors) {
  const TempDir temp("rbm_bm");
  BoltzmannMachine m = random_machine(3, 2, CouplingGraph::semi_restricted, 1.0, 8);
  m.provenance = R"({"note":"test"})";
  const std::string path = temp.file("m.safetensors");
  save_boltzmann(path, m);
  const BoltzmannMachine back = load_boltzmann(path);
  EXPECT_EQ(back.n_visible, m.n_visible);
  EXPECT_EQ(back.couplings, m.couplings);
  EXPECT_EQ(back.bias, m.bias);
  EXPECT_EQ(back.mask, m.mask);
  EXPECT_EQ(back.provenance, m.provenance);
  // An RBM model file is not a Boltzmann machine file, and a missing file is an IoError.
  save_model(temp.file("rbm.safetensors"), make_random_model(3, 2, 1.0, 1));
  EXPECT_THROW(load_boltzmann(temp.file("rbm.safetensors")), IoError);
  EXPECT_THROW(load_boltzmann(temp.file("missing.safetensors")), IoError);
}

}  // namespace
}  // namespace rbm::test
