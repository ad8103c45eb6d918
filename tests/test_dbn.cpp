// tests/test_dbn.cpp — deep belief nets against exact enumeration.
//
// A tiny two-layer net is enumerated in float64 here (the top RBM's marginal of h from
// tests/support/brute_force.hpp, the first RBM's conditionals): its exact log-likelihood
// log Σ_h p(h) p(v|h), the exact variational bound and the bound's per-row variance. The
// library's bound (enumerated and sampled), its standard error, generation (χ² against the
// net's exact p(v)), up-pass features, greedy training (a one-layer net is its RBM, bit for
// bit; each layer trains on its documented input) and files are checked against them.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "host/common/philox.hpp"
#include "rbm/rbm.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/chi_square.hpp"
#include "tests/support/device.hpp"
#include "tests/support/same_model.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/z_test.hpp"

namespace rbm::test {
namespace {

// Family-wise false-alarm rate of each statistical test: 1e-4.
constexpr double kFalseAlarm = 1e-4;
constexpr double kFloatUnit = 0x1.0p-24;
// Arithmetic done in double after float32 fields (softplus, sums): relative 1e-12 is far above it.
constexpr double kDoubleRel = 1e-12;

/// γ_n = n·u/(1 − n·u): a float32 dot product of n terms errs by at most γ_n·Σ|terms| (Higham
/// §3.1).
double gamma_float(int n) {
  return n * kFloatUnit / (1 - n * kFloatUnit);
}

DeepBeliefNet random_net(const std::vector<int>& sizes, double scale, std::uint64_t seed) {
  DeepBeliefNet net;
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k)
    net.layers.push_back(make_random_model(sizes[k], sizes[k + 1], scale, seed + k));
  return net;
}

/// What enumeration says about a two-layer net for one visible row.
struct ExactRow {
  double log_likelihood = 0;  ///< log Σ_h p(h) p(v|h)
  double bound = 0;           ///< Σ_h q(h|v)[log p(h) + log p(v|h)] + H(q)
  double variance = 0;        ///< Var_q of log p(h) + log p(v|h)
  double fourth_moment = 0;   ///< E_q of its fourth central power
  double float_error = 0;     ///< bound on the library's float32 error in any of the terms
};

/// Σ|terms| of the float32 fields of an RBM's free energy of `v` (its hidden fields and bᵀv).
double free_energy_magnitude(const Params& p, const std::vector<double>& v) {
  double sum = 0;
  for (int i = 0; i < p.n_visible; ++i) sum += std::abs(p.visible_bias[i] * v[i]);
  for (int j = 0; j < p.n_hidden; ++j) {
    sum += std::abs(p.hidden_bias[j]);
    for (int i = 0; i < p.n_visible; ++i) sum += std::abs(v[i] * p.w(i, j));
  }
  return sum;
}

ExactRow exact_row(const DeepBeliefNet& net, const std::vector<double>& v) {
  const Params first(net.layers[0]), top(net.layers[1]);
  const Params first_t(transposed(net.layers[0]));
  const double log_z_top = log_z_enumerate_visible(top);
  const std::vector<double> q = hidden_probabilities(first, v);
  std::vector<double> terms, weights;
  double entropy = 0, float_error = 0;
  for (double p : q)
    entropy -= (p > 0 ? p * std::log(p) : 0) + (p < 1 ? (1 - p) * std::log1p(-p) : 0);
  for (std::uint64_t hs = 0; hs < first.hidden_states(); ++hs) {
    const std::vector<double> h = first.hidden_state(hs);
    const double log_p_h = -free_energy(top, h) - log_z_top;
    double log_p_v_h = 0;
    const std::vector<double> field = visible_field(first, h);
    for (int i = 0; i < first.n_visible; ++i) log_p_v_h += v[i] * field[i] - softplus(field[i]);
    double log_q = 0;
    for (int j = 0; j < first.n_hidden; ++j) log_q += h[j] ? std::log(q[j]) : std::log1p(-q[j]);
    terms.push_back(log_p_h + log_p_v_h);
    weights.push_back(std::exp(log_q));
    // The library's F_T(h) and F_2(h) come from float32 fields (γ over the longest dot).
    const int longest = std::max({first.n_visible, first.n_hidden, top.n_hidden}) + 2;
    float_error = std::max(float_error, gamma_float(longest) * (free_energy_magnitude(first_t, h) +
                                                                free_energy_magnitude(top, h)));
  }
  ExactRow row;
  row.log_likelihood = log_sum_exp(terms);
  double mean = 0;
  for (std::size_t s = 0; s < terms.size(); ++s) mean += weights[s] * terms[s];
  for (std::size_t s = 0; s < terms.size(); ++s) {
    row.variance += weights[s] * std::pow(terms[s] - mean, 2);
    row.fourth_moment += weights[s] * std::pow(terms[s] - mean, 4);
  }
  row.bound = mean + entropy;
  row.float_error = float_error + kDoubleRel * (1 + std::abs(row.bound));
  return row;
}

std::vector<ExactRow> exact_rows(const DeepBeliefNet& net, const Dataset& data) {
  std::vector<ExactRow> rows;
  for (std::size_t n = 0; n < data.n_samples; ++n) rows.push_back(exact_row(net, row(data, n)));
  return rows;
}

double mean_of(const std::vector<ExactRow>& rows, double ExactRow::*field) {
  double sum = 0;
  for (const ExactRow& r : rows) sum += r.*field;
  return sum / static_cast<double>(rows.size());
}

double max_float_error(const std::vector<ExactRow>& rows) {
  double worst = 0;
  for (const ExactRow& r : rows) worst = std::max(worst, r.float_error);
  return worst;
}

/// The tests that run RBM layers through the Engine, on every backend (CUDA skips without a
/// device): the same references and tolerances hold, since both backends compute float32 fields
/// and float64 sums.
class DbnOnBackend : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (GetParam() == BackendKind::cuda) RBM_NEED_CUDA_DEVICE();
  }
  /// Exact log Z's accuracy: float64 enumeration on the CPU (relative 1e-10, as in
  /// tests/test_exact.cpp); the CUDA split-product kernel within relative 1e-5 (as in
  /// tests/test_logz_split.cpp).
  double log_z_tolerance(double log_z) const {
    return (GetParam() == BackendKind::cuda ? 1e-5 : 1e-10) * std::max(1.0, std::abs(log_z));
  }
};
INSTANTIATE_TEST_SUITE_P(Backends,
                         DbnOnBackend,
                         ::testing::Values(BackendKind::cpu, BackendKind::cuda),
                         [](const ::testing::TestParamInfo<BackendKind>& info) {
                           return std::string(to_string(info.param));
                         });

TEST_P(DbnOnBackend, EnumeratedBoundAndLikelihoodMatchBruteForce) {
  const DeepBeliefNet net = random_net({6, 5, 4}, 1.0, 3);
  const Dataset data = all_visible_states(6);
  const std::vector<ExactRow> rows = exact_rows(net, data);
  Engine engine(GetParam());
  DbnBoundOptions options;
  options.exact_expectation = true;
  const DbnBound bound = dbn_log_likelihood_bound(engine, net, data, options);
  const double log_z_top = log_z_enumerate_visible(Params(net.layers[1]));
  const double log_z_first = log_z_enumerate_visible(Params(net.layers[0]));
  const double tol = max_float_error(rows) + log_z_tolerance(log_z_top);
  EXPECT_NEAR(bound.bound, mean_of(rows, &ExactRow::bound), tol);
  EXPECT_NEAR(bound.exact_log_likelihood, mean_of(rows, &ExactRow::log_likelihood), tol);
  EXPECT_NEAR(bound.log_z_top, log_z_top, log_z_tolerance(log_z_top));
  // The first RBM's free energies from float32 fields: γ_{D+2}·Σ|terms| < 5e-7·30 here.
  EXPECT_NEAR(bound.first_layer_log_likelihood, mean_log_likelihood(net.layers[0], data),
              1.5e-5 + log_z_tolerance(log_z_first));
  EXPECT_EQ(bound.standard_error, 0.0);
  // The bound is a bound (Jensen), row by row in the reference and on average in the library.
  for (const ExactRow& r : rows) EXPECT_LE(r.bound, r.log_likelihood + 1e-12);
  EXPECT_LE(bound.bound, bound.exact_log_likelihood + 2 * tol);
  // The net's p(v) sums to one over all visible states.
  double total = 0;
  for (const ExactRow& r : rows) total += std::exp(r.log_likelihood);
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST_P(DbnOnBackend, BoundEstimatorAgreesWithExactBoundWithinItsStandardError) {
  // S samples per row: the estimate is normal around the exact bound with standard error
  // √(Σ_n Var_n / S)/N (Var_n exact here); the library's own standard error estimates it from
  // Σ_n s_n², whose variance is Σ_n (μ4,n/S − σ⁴_n (S−3)/(S(S−1))) (the sample variance's).
  const DeepBeliefNet net = random_net({6, 5, 4}, 1.0, 7);
  const Dataset data = random_dataset(6, 30, 7);
  const std::vector<ExactRow> rows = exact_rows(net, data);
  Engine engine(GetParam());
  DbnBoundOptions options;
  options.samples = 4000;
  options.seed = 5;
  const DbnBound bound = dbn_log_likelihood_bound(engine, net, data, options);
  const double S = options.samples, N = static_cast<double>(data.n_samples);
  double variance_sum = 0, spread_of_variance_sum = 0;
  for (const ExactRow& r : rows) {
    variance_sum += r.variance;
    spread_of_variance_sum +=
        r.fourth_moment / S - r.variance * r.variance * (S - 3) / (S * (S - 1));
  }
  const double exact_se = std::sqrt(variance_sum / S) / N;
  const double z = two_sided_normal_quantile(kFalseAlarm / 2);  // two tests below
  EXPECT_EQ(bound.samples_per_row, options.samples);
  EXPECT_NEAR(bound.bound, mean_of(rows, &ExactRow::bound), z * exact_se + max_float_error(rows));
  const double estimated_variance_sum = std::pow(bound.standard_error * N, 2) * S;
  EXPECT_NEAR(estimated_variance_sum, variance_sum, z * std::sqrt(spread_of_variance_sum))
      << "standard error " << bound.standard_error << ", exact " << exact_se;
  // The same seed gives the same estimate.
  EXPECT_EQ(dbn_log_likelihood_bound(engine, net, data, options).bound, bound.bound);
}

TEST_P(DbnOnBackend, AisStandsInForAnUnaffordableTopLogZ) {
  // With the exact limit below the top RBM's 2^5 states, log Z₂ comes from AIS: within z(1e-4)
  // of its standard error (plus its Jensen bias, about half its variance) of the exact value,
  // and the bound moves by the same amount.
  const DeepBeliefNet net = random_net({6, 5, 6}, 1.0, 19);
  const Dataset data = all_visible_states(6);
  Engine engine(GetParam());
  DbnBoundOptions options;
  options.exact_expectation = true;
  const DbnBound exact = dbn_log_likelihood_bound(engine, net, data, options);
  EXPECT_EQ(exact.log_z_top_method, LikelihoodMethod::exact);
  options.log_z.max_log2_states = 4;
  options.ais.n_betas = 2000;
  options.ais.n_chains = 400;
  const DbnBound ais = dbn_log_likelihood_bound(engine, net, data, options);
  ASSERT_EQ(ais.log_z_top_method, LikelihoodMethod::ais);
  const double se = ais.log_z_top_standard_error;
  ASSERT_GT(se, 0.0);
  const double tol =
      two_sided_normal_quantile(kFalseAlarm) * se + se * se + log_z_tolerance(exact.log_z_top);
  EXPECT_NEAR(ais.log_z_top, exact.log_z_top, tol);
  EXPECT_NEAR(ais.bound, exact.bound, tol + 1e-9);
  EXPECT_EQ(ais.standard_error, se);  // the expectation was summed: only log Z₂ is estimated
  // The first RBM (6×5) is now beyond the exact limit too: no value rather than a guess.
  EXPECT_TRUE(std::isnan(ais.first_layer_log_likelihood));
}

TEST(DbnBound, RefusesWhatItCannotDoClearly) {
  Engine engine(BackendKind::cpu);
  const Dataset data = random_dataset(6, 5, 1);
  EXPECT_THROW(dbn_log_likelihood_bound(engine, random_net({6, 3, 3, 2}, 1.0, 1), data),
               InvalidArgument);
  DbnBoundOptions options;
  options.log_z.max_log2_states = 4;  // the top RBM 5×6 has 2^5 states: exact only when asked
  options.top_log_z = LikelihoodMethod::exact;
  try {
    dbn_log_likelihood_bound(engine, random_net({6, 5, 6}, 1.0, 1), data, options);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("2^5"), std::string::npos) << e.what();
  }
  options = {};
  options.samples = 1;
  EXPECT_THROW(dbn_log_likelihood_bound(engine, random_net({6, 5, 4}, 1.0, 1), data, options),
               InvalidArgument);
}

// ---- generation ---------------------------------------------------------------------------------

TEST_P(DbnOnBackend, GeneratesTheNetsDistribution) {
  // p(v) = Σ_h p_top(h) p(v | h): the top RBM's chains (their mixing checked exactly) and one
  // downward draw must produce it (χ² at false-alarm rate 1e-4).
  const DeepBeliefNet net = random_net({5, 4, 3}, 1.0, 11);
  const Params first(net.layers[0]);
  const std::vector<double> top_marginal = visible_distribution(net.layers[1]);
  std::vector<double> p(std::size_t{1} << 5, 0.0);
  for (std::uint64_t hs = 0; hs < top_marginal.size(); ++hs) {
    const std::vector<double> v_given_h = visible_state_distribution(first, first.hidden_state(hs));
    for (std::size_t vs = 0; vs < p.size(); ++vs) p[vs] += top_marginal[hs] * v_given_h[vs];
  }
  DbnSampleOptions options;
  options.top.n_chains = 40000;
  options.top.burn_in = 60;
  options.top.seed = 3;
  ASSERT_LE(worst_distance_after(gibbs_transition(net.layers[1]),
                                 visible_distribution(net.layers[1]), options.top.burn_in),
            1e-6)
      << "burn-in too short for this top RBM: the test, not the sampler, is wrong";
  Engine engine(GetParam());
  const DbnSamples samples = dbn_sample(engine, net, options);
  ASSERT_EQ(samples.visible.n_samples, 40000u);
  ASSERT_EQ(samples.visible_means.size(), 40000u * 5);
  std::vector<std::size_t> counts(p.size(), 0);
  for (std::size_t n = 0; n < samples.visible.n_samples; ++n)
    ++counts[row_state(samples.visible, n)];
  const GoodnessOfFit fit = chi_square_test(p, counts, samples.visible.n_samples);
  EXPECT_LE(fit.statistic, fit.threshold) << fit.report;
  // The means are p(v | h) of the last downward step: in [0,1], and the samples drawn from them.
  for (float m : samples.visible_means) ASSERT_TRUE(m >= 0.0f && m <= 1.0f);
}

// ---- features
// -------------------------------------------------------------------------------------

TEST_P(DbnOnBackend, MeanFieldUpPassMatchesTheFormula) {
  const DeepBeliefNet net = random_net({6, 5, 4}, 1.0, 13);
  const Dataset data = random_dataset(6, 20, 13);
  Engine engine(GetParam());
  const std::vector<float> first = dbn_transform(engine, net, data, 1);
  const std::vector<float> second = dbn_transform(engine, net, data, 2);
  ASSERT_EQ(first.size(), 20u * 5);
  ASSERT_EQ(second.size(), 20u * 4);
  const std::vector<float> engine_first =
      engine.hidden_probabilities(net.layers[0], engine.upload(data));
  // σ is 1/4-Lipschitz: a float32 field within γ_{n+2}·Σ|terms| gives a probability within a
  // quarter of that, plus the float logistic's 8 ulps. The second layer's field also carries the
  // first layer's errors e_j, times |W_jk|.
  const Params p1(net.layers[0]), p2(net.layers[1]);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const std::vector<double> v = row(data, n);
    const std::vector<double> h1 = hidden_probabilities(p1, v);
    const std::vector<double> h2 = hidden_probabilities(p2, h1);
    std::vector<double> first_tol(5);
    for (int j = 0; j < 5; ++j) {
      double magnitude = std::abs(p1.hidden_bias[j]);
      for (int i = 0; i < 6; ++i) magnitude += std::abs(v[i] * p1.w(i, j));
      first_tol[j] = 0.25 * gamma_float(6 + 2) * magnitude + 8 * kFloatUnit;
      EXPECT_NEAR(first[n * 5 + j], h1[j], first_tol[j]);
      EXPECT_NEAR(first[n * 5 + j], engine_first[n * 5 + j], 2 * first_tol[j]);
    }
    for (int k = 0; k < 4; ++k) {
      double magnitude = std::abs(p2.hidden_bias[k]), carried = 0;
      for (int j = 0; j < 5; ++j) {
        magnitude += std::abs(h1[j] * p2.w(j, k));
        carried += std::abs(p2.w(j, k)) * first_tol[j];
      }
      EXPECT_NEAR(second[n * 4 + k], h2[k],
                  0.25 * (gamma_float(5 + 2) * magnitude + carried) + 8 * kFloatUnit);
    }
  }
  const std::vector<float> sampled = dbn_transform(engine, net, data, 2, true, 9);
  for (float x : sampled) ASSERT_TRUE(x == 0.0f || x == 1.0f);
  EXPECT_EQ(dbn_transform(engine, net, data, 2, true, 9), sampled);
  EXPECT_THROW(dbn_transform(engine, net, data, 3), InvalidArgument);
}

// ---- training
// -------------------------------------------------------------------------------------

DbnLayerRecipe recipe(int n_hidden,
                      int epochs,
                      std::uint64_t seed,
                      const std::string& input = "samples") {
  DbnLayerRecipe r;
  r.n_hidden = n_hidden;
  r.config.epochs = epochs;
  r.config.batch_size = 7.0;
  r.config.learning_rate = 0.05;
  r.config.seed = seed;
  r.input = DbnInput::parse(input);
  return r;
}

TEST_P(DbnOnBackend, OneLayerNetIsItsRbm) {
  const Dataset data = make_bars_and_stripes(3);
  Engine engine(GetParam());
  const DbnLayerRecipe only = recipe(8, 50, 3);
  const DeepBeliefNet net = train_dbn(engine, data, {only});
  ASSERT_EQ(net.layers.size(), 1u);
  const Model rbm =
      engine.train(init_model(data, 8, only.config), only.config, engine.upload(data));
  EXPECT_TRUE(same_bits(net.layers[0], rbm));
  DbnSampleOptions options;
  options.top.n_chains = 20;
  options.top.burn_in = 10;
  EXPECT_EQ(dbn_sample(engine, net, options).visible.values,
            engine.sample(rbm, options.top).values);
  DbnBoundOptions bound_options;
  const DbnBound bound = dbn_log_likelihood_bound(engine, net, data, bound_options);
  const DataHandle handle = engine.upload(data);
  EXPECT_EQ(bound.bound, engine.mean_log_likelihood(rbm, handle, engine.log_z(rbm).log_z));
  EXPECT_EQ(bound.first_layer_log_likelihood, bound.bound);
}

TEST(DbnTrain, EachLayerTrainsOnItsDocumentedInput) {
  const Dataset data = make_bars_and_stripes(3);
  Engine engine(BackendKind::cpu);
  for (const std::string input : {"samples:3", "rounded"}) {
    SCOPED_TRACE(input);
    const std::vector<DbnLayerRecipe> recipes = {recipe(8, 30, 1), recipe(6, 30, 2, input)};
    std::vector<Dataset> inputs;
    DbnTrainOptions options;
    options.on_layer = [&](int, const Model&, const Dataset& layer_input) {
      inputs.push_back(layer_input);
    };
    const DeepBeliefNet net = train_dbn(engine, data, recipes, options);
    ASSERT_EQ(net.layers.size(), 2u);
    ASSERT_EQ(inputs.size(), 2u);
    // Layer 1's data: the documented up-pass of the data through layer 0.
    const std::vector<float> p = engine.hidden_probabilities(net.layers[0], engine.upload(data));
    const Dataset& in = inputs[1];
    const std::size_t R = input == "rounded" ? 1 : 3;
    ASSERT_EQ(in.n_samples, data.n_samples * R);
    ASSERT_EQ(in.n_visible, 8);
    for (std::size_t r = 0; r < in.n_samples; ++r)
      for (int j = 0; j < 8; ++j) {
        const float p_on = p[(r / R) * 8 + j];
        const bool on =
            input == "rounded"
                ? p_on > 0.5f
                : detail::random_uniform(recipes[1].config.seed, detail::RandomStream::sample,
                                         kDbnUpSubstream + 1, r * 8 + j) < p_on;
        ASSERT_EQ(in.at(r, j), on) << "row " << r << " unit " << j;
      }
    // Layer 1 is exactly the RBM trained on that input.
    TrainConfig config = recipes[1].config;
    const Model layer1 = engine.train(init_model(in, 6, config), config, engine.upload(in));
    EXPECT_TRUE(same_bits(net.layers[1], layer1));
    EXPECT_EQ(net.recipes[1].input.to_string(), input == "rounded" ? "rounded" : "samples:3");
  }
}

TEST_P(DbnOnBackend, TiedStartKeepsTheFirstLayersLikelihood) {
  // A second layer that starts as the first transposed (and trains 0 epochs) models p(h) as the
  // first RBM's own marginal, and q(h|v) is then its exact posterior: the bound, the net's exact
  // log-likelihood and the first RBM's agree up to the float32 fields of the free energies
  // (γ_{D+2}·Σ|terms| with D = 9 and Σ|terms| < 100 here: below 1e-4).
  const Dataset data = make_bars_and_stripes(3);
  Engine engine(GetParam());
  DbnLayerRecipe top = recipe(9, 0, 2);
  top.init_from_below = true;
  const DeepBeliefNet net = train_dbn(engine, data, {recipe(6, 200, 1), top});
  EXPECT_TRUE(same_bits(net.layers[1], transposed(net.layers[0])));
  DbnBoundOptions options;
  options.exact_expectation = true;
  const DbnBound bound = dbn_log_likelihood_bound(engine, net, data, options);
  const double tol = 1e-4 + 2 * log_z_tolerance(bound.log_z_top);
  EXPECT_NEAR(bound.bound, bound.first_layer_log_likelihood, tol);
  EXPECT_NEAR(bound.exact_log_likelihood, bound.first_layer_log_likelihood, tol);
  DbnLayerRecipe wrong = top;
  wrong.n_hidden = 8;
  EXPECT_THROW(train_dbn(engine, data, {recipe(6, 1, 1), wrong}), InvalidArgument);
}

// ---- files and checks
// ------------------------------------------------------------------------------

TEST(DbnFiles, SaveLoadRoundTripAndErrors) {
  const TempDir temp("rbm_dbn");
  DeepBeliefNet net = random_net({6, 5, 4}, 1.0, 17);
  net.recipes = {recipe(5, 10, 1), recipe(4, 20, 2, "samples:2")};
  net.provenance = R"({"data":"test"})";
  const std::string path = temp.file("net.safetensors");
  save_dbn(path, net);
  const DeepBeliefNet back = load_dbn(path);
  ASSERT_EQ(back.layers.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_TRUE(same_bits(back.layers[k], net.layers[k])) << "layer " << k;
    EXPECT_EQ(to_json(back.recipes[k].config), to_json(net.recipes[k].config));
    EXPECT_EQ(back.recipes[k].input.to_string(), net.recipes[k].input.to_string());
    EXPECT_EQ(back.recipes[k].n_hidden, net.recipes[k].n_hidden);
  }
  EXPECT_EQ(back.provenance, net.provenance);
  save_model(temp.file("rbm.safetensors"), net.layers[0]);
  EXPECT_THROW(load_dbn(temp.file("rbm.safetensors")), IoError);
  EXPECT_THROW(load_dbn(temp.file("missing.safetensors")), IoError);
}

TEST(DbnValue, ValidateNamesMismatchedLayers) {
  DeepBeliefNet net = random_net({6, 5, 4}, 1.0, 1);
  EXPECT_NO_THROW(net.validate());
  DeepBeliefNet wrong_size = net;
  wrong_size.layers[1] = make_random_model(4, 4, 1.0, 2);
  EXPECT_THROW(wrong_size.validate(), InvalidArgument);
  DeepBeliefNet one_hot = net;
  one_hot.layers[1].hidden_type = UnitType::potts;
  EXPECT_THROW(one_hot.validate(), InvalidArgument);
  DeepBeliefNet spin_mismatch = net;
  spin_mismatch.layers[1].visible_type = UnitType::spin;
  EXPECT_THROW(spin_mismatch.validate(), InvalidArgument);
  EXPECT_THROW(DbnInput::parse("samples:0"), InvalidArgument);
  EXPECT_THROW(DbnInput::parse("probabilities"), InvalidArgument);
  EXPECT_EQ(DbnInput::parse("samples:4").samples_per_row, 4);
}

}  // namespace
}  // namespace rbm::test
