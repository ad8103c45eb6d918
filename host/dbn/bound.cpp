// host/dbn/bound.cpp — the variational lower bound on a two-layer DBN's log-likelihood
// (Hinton, Osindero & Teh 2006, eq. 8; Salakhutdinov & Murray 2008, eq. 12):
//   log p(v) ≥ Σ_h q(h|v) [log p(h) + log p(v|h)] + H(q(·|v)).
// With E₁(v,h) = −bᵀv − cᵀh − vᵀWh the first RBM's energy and F_T(h) = −log Σ_v e^{−E₁(v,h)}
// the free energy of its transpose (h visible), log p(v|h) = −E₁(v,h) + F_T(h), so with the
// posterior field a(v) = c + Wᵀv and the top RBM's free energy F₂:
//   log p(h) + log p(v|h) = bᵀv + a(v)ᵀh + F_T(h) − F₂(h) − log Z₂.
// The two free energies, the costly part (one per sample of h), run on the Engine; a(v) and
// the factorial posterior are computed once per row in float64.
#include <cmath>
#include <numeric>

#include "host/check.hpp"
#include "host/common/numeric.hpp"
#include "host/common/philox.hpp"
#include "host/common/units.hpp"
#include "rbm/dataset.hpp"
#include "rbm/dbn.hpp"

namespace rbm {
namespace {

namespace units = detail::units;

/// Samples of h per Engine call (bounds the memory of the sampled-h dataset).
constexpr std::size_t kSampleRowsPerCall = std::size_t{1} << 16;

/// log Z₂ of the top RBM: exact when affordable (or asked), else AIS from the base-rate model of
/// the first layer's mean posterior p_on (fractions on) over `n_rows` rows.
struct TopLogZ {
  double log_z = 0, standard_error = 0;
  LikelihoodMethod method = LikelihoodMethod::exact;
};
TopLogZ top_log_z(Engine& engine,
                  const Model& top,
                  const DbnBoundOptions& options,
                  const std::vector<double>& p_on,
                  std::size_t n_rows) {
  const bool exact =
      options.top_log_z == LikelihoodMethod::exact ||
      (options.top_log_z == LikelihoodMethod::auto_ && engine.can_enumerate(top, options.log_z));
  if (exact) return {engine.log_z(top, options.log_z).log_z, 0.0, LikelihoodMethod::exact};
  AisOptions ais = options.ais;
  if (ais.base_visible_bias.empty())
    ais.base_visible_bias = base_rate_bias(p_on, n_rows, top.visible_type);
  const AisResult result = engine.ais_log_z(top, ais);
  return {result.log_z, result.standard_error, LikelihoodMethod::ais};
}

/// What the bound needs of one data row besides h: bᵀv, the posterior field a(v) and log
/// partition Σ_j A(a_j) of q(h|v) (so log q(h|v) = aᵀh − Σ_j A(a_j)), and the entropy H(q).
struct RowTerms {
  double visible_term = 0;
  std::vector<double> field;
  double log_partition = 0;
  double entropy = 0;
};

RowTerms row_terms(const Model& first, const Dataset& data, std::size_t n) {
  RowTerms t;
  t.field.assign(first.hidden_bias.begin(), first.hidden_bias.end());
  for (int i = 0; i < first.n_visible; ++i) {
    const double v = units::from_bit(first.visible_type, data.at(n, i));
    t.visible_term += first.visible_bias[i] * v;
    for (int j = 0; j < first.n_hidden; ++j) t.field[j] += v * first.weight(i, j);
  }
  for (double a : t.field) {
    const double log_partition = units::log_partition_term(first.hidden_type, a);
    // H = A(a) − a·E[h]: E[h] = σ(a) for {0,1} units, tanh(a) for spins.
    const double mean =
        first.hidden_type == UnitType::spin ? std::tanh(a) : 1.0 / (1.0 + std::exp(-a));
    t.log_partition += log_partition;
    t.entropy += log_partition - a * mean;
  }
  return t;
}

/// p(h_j on | v) in float64 from the posterior field.
double on_probability(UnitType type, double a) {
  return 1.0 / (1.0 + std::exp(type == UnitType::spin ? -2.0 * a : -a));
}

Dataset bits_dataset(std::vector<std::uint8_t> bits, int width) {
  Dataset data;
  data.n_visible = width;
  data.n_samples = bits.size() / width;
  data.values = std::move(bits);
  data.name = "dbn-bound-hidden";
  return data;
}

/// F_T(h) − F₂(h) for every row of `h` (one Engine call each).
std::vector<double> free_energy_difference(Engine& engine,
                                           const DeepBeliefNet& net,
                                           const Dataset& h) {
  const DataHandle handle = engine.upload(h);
  std::vector<double> difference = engine.free_energy(transposed(net.layers[0]), handle);
  const std::vector<double> top = engine.free_energy(net.layers[1], handle);
  for (std::size_t r = 0; r < difference.size(); ++r) difference[r] -= top[r];
  return difference;
}

double dot_units(const std::vector<double>& field, const std::uint8_t* bits, UnitType type) {
  double sum = 0;
  for (std::size_t j = 0; j < field.size(); ++j) sum += field[j] * units::from_bit(type, bits[j]);
  return sum;
}

/// Σ_h q(h|v) T(v,h) and log Σ_h e^{T(v,h)} for every row, summing all 2^L states of h.
void enumerate_hidden(Engine& engine,
                      const DeepBeliefNet& net,
                      const Dataset& data,
                      const std::vector<RowTerms>& rows,
                      double log_z_top,
                      std::vector<double>& expectation,
                      std::vector<double>& log_likelihood) {
  const Model& first = net.layers[0];
  const int L = first.n_hidden;
  RBM_EXPECTS(L <= kDbnMaxExactHidden, "the DBN bound's exact expectation sums 2^", L,
              " hidden states; the limit is 2^", kDbnMaxExactHidden, " (sample instead)");
  const std::size_t states = std::size_t{1} << L;
  std::vector<std::uint8_t> bits(states * L);
  for (std::size_t s = 0; s < states; ++s)
    for (int j = 0; j < L; ++j) bits[s * L + j] = (s >> j) & 1u;
  const std::vector<double> difference = free_energy_difference(engine, net, bits_dataset(bits, L));
  expectation.assign(data.n_samples, 0.0);
  log_likelihood.assign(data.n_samples, 0.0);
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const RowTerms& t = rows[n];
    double sum = 0, log_total = -INFINITY;
    for (std::size_t s = 0; s < states; ++s) {
      const double ah = dot_units(t.field, &bits[s * L], first.hidden_type);
      const double term = t.visible_term + ah + difference[s] - log_z_top;
      sum += std::exp(ah - t.log_partition) * term;
      log_total = detail::log_add_exp(log_total, term);
    }
    expectation[n] = sum;
    log_likelihood[n] = log_total;
  }
}

/// Mean and variance (n − 1) over `samples` draws h ~ q(h|v) of T(v,h), for every row.
void sample_hidden(Engine& engine,
                   const DeepBeliefNet& net,
                   const Dataset& data,
                   const std::vector<RowTerms>& rows,
                   double log_z_top,
                   const DbnBoundOptions& options,
                   std::vector<double>& mean,
                   std::vector<double>& variance) {
  const Model& first = net.layers[0];
  const std::size_t L = first.n_hidden, S = options.samples;
  const std::size_t rows_per_call = std::max<std::size_t>(1, kSampleRowsPerCall / S);
  mean.assign(data.n_samples, 0.0);
  variance.assign(data.n_samples, 0.0);
  for (std::size_t n0 = 0; n0 < data.n_samples; n0 += rows_per_call) {
    const std::size_t n1 = std::min(data.n_samples, n0 + rows_per_call);
    std::vector<std::uint8_t> bits((n1 - n0) * S * L);
    for (std::size_t n = n0; n < n1; ++n)
      for (std::size_t t = 0; t < S; ++t)
        for (std::size_t j = 0; j < L; ++j) {
          const std::uint64_t index = (n * S + t) * L + j;
          const float u = detail::random_uniform(options.seed, detail::RandomStream::sample,
                                                 kDbnBoundSubstream, index);
          bits[((n - n0) * S + t) * L + j] =
              u < on_probability(first.hidden_type, rows[n].field[j]);
        }
    const std::vector<double> difference =
        free_energy_difference(engine, net, bits_dataset(bits, L));
    for (std::size_t n = n0; n < n1; ++n) {
      std::vector<double> terms(S);
      for (std::size_t t = 0; t < S; ++t) {
        const std::size_t r = (n - n0) * S + t;
        terms[t] = rows[n].visible_term +
                   dot_units(rows[n].field, &bits[r * L], first.hidden_type) + difference[r] -
                   log_z_top;
      }
      const double m = std::accumulate(terms.begin(), terms.end(), 0.0) / static_cast<double>(S);
      double squares = 0;
      for (double x : terms) squares += (x - m) * (x - m);
      mean[n] = m;
      variance[n] = squares / static_cast<double>(S - 1);
    }
  }
}

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

}  // namespace

DbnBound dbn_log_likelihood_bound(Engine& engine,
                                  const DeepBeliefNet& net,
                                  const Dataset& data,
                                  const DbnBoundOptions& options) {
  net.validate();
  data.validate();
  RBM_EXPECTS(net.layers.size() <= 2,
              "the DBN bound is implemented for one or two layers; this net has ",
              net.layers.size());
  const Model& first = net.layers[0];
  RBM_EXPECTS(data.n_samples > 0 && data.n_visible == first.n_visible,
              "the DBN bound: the net has D=", first.n_visible, " visible units; the dataset has ",
              data.n_visible, " columns and ", data.n_samples, " rows");
  RBM_EXPECTS(options.exact_expectation || options.samples >= 2,
              "the DBN bound needs >= 2 samples per row for its standard error, got ",
              options.samples);
  DbnBound result;
  result.first_layer_log_likelihood = NAN;
  result.exact_log_likelihood = NAN;
  const DataHandle handle = engine.upload(data);
  if (net.layers.size() == 1) {  // the net is its RBM: the bound is the exact log-likelihood
    const LogZResult log_z = engine.log_z(first, options.log_z);  // refused beyond the limits
    result.bound = result.exact_log_likelihood = result.first_layer_log_likelihood =
        engine.mean_log_likelihood(first, handle, log_z.log_z);
    result.log_z_top = log_z.log_z;
    return result;
  }
  if (engine.can_enumerate(first, options.log_z))
    result.first_layer_log_likelihood =
        engine.mean_log_likelihood(first, handle, engine.log_z(first, options.log_z).log_z);
  std::vector<RowTerms> rows(data.n_samples);
  for (std::size_t n = 0; n < data.n_samples; ++n) rows[n] = row_terms(first, data, n);
  std::vector<double> p_on(first.n_hidden, 0.0);
  for (const RowTerms& t : rows)
    for (int j = 0; j < first.n_hidden; ++j)
      p_on[j] +=
          on_probability(first.hidden_type, t.field[j]) / static_cast<double>(data.n_samples);
  const TopLogZ top = top_log_z(engine, net.layers[1], options, p_on, data.n_samples);
  const double log_z_top = top.log_z;
  result.log_z_top = top.log_z;
  result.log_z_top_method = top.method;
  result.log_z_top_standard_error = top.standard_error;
  double entropy = 0;
  for (const RowTerms& t : rows) entropy += t.entropy;
  entropy /= static_cast<double>(data.n_samples);
  std::vector<double> expectation, spread;
  if (options.exact_expectation) {
    std::vector<double> log_likelihood;
    enumerate_hidden(engine, net, data, rows, log_z_top, expectation, log_likelihood);
    result.exact_log_likelihood = mean_of(log_likelihood);
  } else {
    sample_hidden(engine, net, data, rows, log_z_top, options, expectation, spread);
    result.samples_per_row = options.samples;
    const double N = static_cast<double>(data.n_samples);
    result.standard_error =
        std::sqrt(std::accumulate(spread.begin(), spread.end(), 0.0) / options.samples) / N;
  }
  // −log Z₂ enters every term: its error adds to the sampling error's (independent).
  result.standard_error = std::hypot(result.standard_error, top.standard_error);
  result.bound = mean_of(expectation) + entropy;
  return result;
}

}  // namespace rbm
