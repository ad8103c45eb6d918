// tests/test_conditional.cpp — the machine used conditionally: clamped sampling (inpainting),
// labels as visible units (with_label_units), exact label posteriors and clamped-Gibbs label
// activations, against enumeration. Sampled quantities are compared with χ² tests or binomial
// z-scores (|z| ≤ 4.5: false-alarm rate 7e-6 each) after a burn-in whose exact distance from
// stationarity is checked first.
#include <gtest/gtest.h>

#include <cmath>

#include "rbm/rbm.hpp"
#include "tests/support/backends.hpp"
#include "tests/support/brute_force.hpp"
#include "tests/support/chi_square.hpp"

namespace rbm::test {
namespace {

constexpr double kMaxZ = 4.5;
constexpr double kMaxBurnInDistance = 1e-6;

class ClampedSampling : public OnEveryBackend {};
RBM_ON_EVERY_BACKEND(ClampedSampling);
class LabelPosteriors : public OnEveryBackend {};
RBM_ON_EVERY_BACKEND(LabelPosteriors);

/// The Gibbs chain with the units in `clamped` held: its kernel over the free units' states
/// (free unit f is bit f of the index) is the full kernel summed over the clamped units'
/// destinations, started from states whose clamped units are `values`.
struct ClampedChain {
  std::vector<double> kernel, stationary;
};
ClampedChain clamped_chain(const Model& model,
                           const std::vector<int>& clamped,
                           const std::vector<int>& values) {
  const int D = model.n_visible;
  std::vector<int> free_units;
  for (int i = 0; i < D; ++i)
    if (std::find(clamped.begin(), clamped.end(), i) == clamped.end()) free_units.push_back(i);
  const std::size_t n_free = std::size_t{1} << free_units.size();
  auto full_state = [&](std::size_t f, const std::vector<int>& clamped_values) {
    std::size_t s = 0;
    for (std::size_t k = 0; k < free_units.size(); ++k) s |= ((f >> k) & 1) << free_units[k];
    for (std::size_t k = 0; k < clamped.size(); ++k)
      s |= static_cast<std::size_t>(clamped_values[k]) << clamped[k];
    return s;
  };
  auto free_part = [&](std::size_t s) {
    std::size_t f = 0;
    for (std::size_t k = 0; k < free_units.size(); ++k) f |= ((s >> free_units[k]) & 1) << k;
    return f;
  };
  const std::vector<double> t = gibbs_transition(model);
  const std::vector<double> p = visible_distribution(model);
  const std::size_t n = p.size();
  ClampedChain chain;
  chain.kernel.assign(n_free * n_free, 0.0);
  chain.stationary.assign(n_free, 0.0);
  double total = 0;
  for (std::size_t a = 0; a < n_free; ++a) {
    const std::size_t from = full_state(a, values);
    for (std::size_t to = 0; to < n; ++to)
      chain.kernel[a * n_free + free_part(to)] += t[from * n + to];
    chain.stationary[a] = p[from];
    total += p[from];
  }
  for (double& x : chain.stationary) x /= total;
  return chain;
}

TEST_P(ClampedSampling, MatchesTheExactConditionalAndKeepsClampedUnits) {
  const Model model = make_random_model(6, 4, 1.0, 31);
  const std::vector<int> clamped = {1, 4}, values = {1, 0};
  const ClampedChain exact = clamped_chain(model, clamped, values);
  constexpr int kBurnIn = 60;
  ASSERT_LE(worst_distance_after(exact.kernel, exact.stationary, kBurnIn), kMaxBurnInDistance);
  SampleOptions options;
  options.n_chains = 30000;
  options.burn_in = kBurnIn;
  options.seed = 5;
  options.init.n_visible = 6;
  options.init.n_samples = options.n_chains;
  for (int c = 0; c < options.n_chains; ++c)
    for (int i = 0; i < 6; ++i)  // clamped units at their values, free units varied
      options.init.values.push_back(i == 1 ? 1 : i == 4 ? 0 : (c >> i) & 1);
  options.clamped = {0, 1, 0, 0, 1, 0};
  Engine engine(backend());
  const Dataset samples = engine.sample(model, options);
  std::vector<std::size_t> counts(exact.stationary.size(), 0);
  for (std::size_t n = 0; n < samples.n_samples; ++n) {
    ASSERT_EQ(samples.at(n, 1), 1);
    ASSERT_EQ(samples.at(n, 4), 0);
    std::size_t f = 0, k = 0;
    for (int i = 0; i < 6; ++i)
      if (i != 1 && i != 4) f |= static_cast<std::size_t>(samples.at(n, i)) << k++;
    ++counts[f];
  }
  const GoodnessOfFit fit = chi_square_test(exact.stationary, counts, samples.n_samples);
  EXPECT_LE(fit.statistic, fit.threshold) << fit.report;
}

TEST_P(ClampedSampling, EachChainKeepsItsOwnMask) {
  // Inpainting: chain c clamps unit c only; the clamped unit keeps its starting value in every
  // kept sample while the others move.
  const Model model = make_random_model(5, 3, 1.0, 32);
  SampleOptions options;
  options.n_chains = 5;
  options.burn_in = 3;
  options.thinning = 2;
  options.samples_per_chain = 50;
  options.init.n_visible = 5;
  options.init.n_samples = 5;
  options.init.values.assign(25, 1);
  options.clamped.assign(25, 0);
  for (int c = 0; c < 5; ++c) options.clamped[c * 5 + c] = 1;
  Engine engine(backend());
  const Dataset samples = engine.sample(model, options);
  for (int c = 0; c < 5; ++c) {
    int changes = 0;
    for (int j = 0; j < 50; ++j)
      for (int i = 0; i < 5; ++i) {
        const std::uint8_t bit = samples.at(c * 50 + j, i);
        if (i == c) EXPECT_EQ(bit, 1) << "chain " << c << " sample " << j;
        changes += bit == 0;
      }
    EXPECT_GT(changes, 0) << "chain " << c << " never moved its free units";
  }
}

TEST_P(ClampedSampling, RefusesMasksThatDoNotFit) {
  const Model model = make_random_model(4, 3, 1.0, 33);
  Engine engine(backend());
  SampleOptions options;
  options.n_chains = 2;
  options.clamped = {1, 0, 0, 0};
  EXPECT_THROW(engine.sample(model, options), InvalidArgument);  // no init to clamp to
  options.init.n_visible = 4;
  options.init.n_samples = 2;
  options.init.values.assign(8, 0);
  options.clamped = {1, 0, 0};
  EXPECT_THROW(engine.sample(model, options), InvalidArgument);
  options.clamped = {1, 0, 2, 0};
  EXPECT_THROW(engine.sample(model, options), InvalidArgument);
  options.clamped = {1, 0, 0, 0};
  EXPECT_NO_THROW(engine.sample(model, options));
}

TEST(LabelUnits, AppendOneHotCodesAfterThePixels) {
  Dataset data;
  data.n_visible = 2;
  data.n_samples = 3;
  data.values = {1, 0, 0, 1, 1, 1};
  data.labels = {7, 9, 8};
  data.name = "tiny";
  const Dataset joined = with_label_units(data, {7, 8, 9});
  EXPECT_EQ(joined.n_visible, 5);
  EXPECT_EQ(joined.values,
            (std::vector<std::uint8_t>{1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0}));
  EXPECT_EQ(joined.labels, data.labels);
  EXPECT_THROW(with_label_units(data, {7, 8}), InvalidArgument);        // 9 is not a class
  EXPECT_THROW(with_label_units(data, {7, 8, 9, 8}), InvalidArgument);  // 8 twice
  data.labels.clear();
  EXPECT_THROW(with_label_units(data, {7, 8, 9}), InvalidArgument);
}

/// p(y | x) for every label-unit state y (bit k of the index is label unit k) of a model whose
/// visible units are the pixels x followed by K label units.
std::vector<double> label_state_posterior(const Model& model, const std::vector<double>& x, int K) {
  std::vector<double> log_p(std::size_t{1} << K);
  for (std::size_t y = 0; y < log_p.size(); ++y) {
    std::vector<double> v = x;
    for (int k = 0; k < K; ++k) v.push_back(static_cast<double>((y >> k) & 1));
    log_p[y] = -free_energy(model, v);
  }
  const double total = log_sum_exp(log_p);
  for (double& l : log_p) l = std::exp(l - total);
  return log_p;
}

TEST_P(LabelPosteriors, PosteriorsAreTheSoftmaxOfTheCompletionsFreeEnergies) {
  const Model model = make_random_model(4 + 3, 5, 1.5, 34);
  Dataset pixels;
  pixels.n_visible = 4;
  pixels.n_samples = 16;
  for (int s = 0; s < 16; ++s)
    for (int i = 0; i < 4; ++i) pixels.values.push_back((s >> i) & 1);
  Engine engine(backend());
  const std::vector<double> posteriors = engine.label_posteriors(model, pixels, {3, 5, 8});
  ASSERT_EQ(posteriors.size(), 16u * 3);
  for (int s = 0; s < 16; ++s) {
    const std::vector<double> all = label_state_posterior(model, row(pixels, s), 3);
    // Among the one-hot completions only: states 1, 2, 4.
    const double one_hot = all[1] + all[2] + all[4];
    EXPECT_NEAR(posteriors[s * 3 + 0], all[1] / one_hot, 1e-5) << "row " << s;
    EXPECT_NEAR(posteriors[s * 3 + 1], all[2] / one_hot, 1e-5) << "row " << s;
    EXPECT_NEAR(posteriors[s * 3 + 2], all[4] / one_hot, 1e-5) << "row " << s;
  }
  EXPECT_THROW(engine.label_posteriors(model, pixels, {3, 5}), InvalidArgument);
}

TEST_P(LabelPosteriors, ClampedGibbsActivationsAreTheLabelUnitsConditionalMeans) {
  // Pixels clamped, label units free (Bernoulli, so not necessarily one-hot): after burn-in each
  // chain's label units are an exact sample of p(y | x); their means over 8000 independent chains
  // per pixel row estimate E[y_k | x] with binomial errors.
  const Model model = make_random_model(3 + 3, 4, 1.0, 35);
  const std::vector<int> clamped = {0, 1, 2};
  constexpr int kRows = 2, kChains = 8000, kBurnIn = 40;
  const int pixel_rows[kRows][3] = {{1, 0, 1}, {0, 1, 1}};
  Dataset pixels;
  pixels.n_visible = 3;
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kChains; ++c) {
      pixels.values.insert(pixels.values.end(), pixel_rows[r], pixel_rows[r] + 3);
      ++pixels.n_samples;
    }
  for (int r = 0; r < kRows; ++r) {
    const ClampedChain exact =
        clamped_chain(model, clamped, {pixel_rows[r][0], pixel_rows[r][1], pixel_rows[r][2]});
    ASSERT_LE(worst_distance_after(exact.kernel, exact.stationary, kBurnIn), kMaxBurnInDistance);
  }
  SampleOptions options;
  options.burn_in = kBurnIn;
  options.seed = 3;
  Engine engine(backend());
  const std::vector<double> activations =
      engine.label_activations(model, pixels, {0, 1, 2}, options);
  ASSERT_EQ(activations.size(), pixels.n_samples * 3);
  for (int r = 0; r < kRows; ++r) {
    const std::vector<double> p = label_state_posterior(
        model, {double(pixel_rows[r][0]), double(pixel_rows[r][1]), double(pixel_rows[r][2])}, 3);
    for (int k = 0; k < 3; ++k) {
      double expected = 0, observed = 0;
      for (std::size_t y = 0; y < p.size(); ++y) expected += ((y >> k) & 1) * p[y];
      for (int c = 0; c < kChains; ++c) observed += activations[(r * kChains + c) * 3 + k];
      observed /= kChains;
      const double error = std::sqrt(expected * (1 - expected) / kChains);
      EXPECT_LE(std::abs(observed - expected), kMaxZ * error)
          << "row " << r << " label unit " << k << ": observed " << observed << ", exact "
          << expected;
    }
  }
}

}  // namespace
}  // namespace rbm::test
