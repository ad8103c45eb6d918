// host/bm/sampling.cpp — free-running Gibbs chains of a Boltzmann machine with a temperature
// schedule (simulated annealing), and the sampled learning gradient with chains of any length.
#include <algorithm>
#include <cmath>

#include "host/bm/bm_math.hpp"
#include "host/check.hpp"

namespace rbm {
namespace {

using detail::RandomStream;
using detail::bm::Params;
using detail::bm::SweepUniforms;

void expect_bits(const std::vector<std::uint8_t>& bits, const char* what) {
  for (std::size_t e = 0; e < bits.size(); ++e)
    RBM_EXPECTS(bits[e] <= 1, what, " [", e, "] is ", static_cast<int>(bits[e]),
                "; states are bits 0/1");
}

/// T at sweep t: the schedule over the burn-in, its last burn-in value afterwards.
double temperature_at(const BmSampleOptions& o, int sweep) {
  if (o.burn_in == 0) return o.temperature.at(0, 1);
  return o.temperature.at(std::min(sweep, o.burn_in - 1), o.burn_in);
}

void validate(const BoltzmannMachine& machine, const BmSampleOptions& o) {
  machine.validate();
  RBM_EXPECTS(o.n_chains >= 1, "bm_sample: n_chains must be >= 1, got ", o.n_chains);
  RBM_EXPECTS(o.burn_in >= 0, "bm_sample: burn_in must be >= 0, got ", o.burn_in);
  RBM_EXPECTS(o.thinning >= 1, "bm_sample: thinning must be >= 1, got ", o.thinning);
  RBM_EXPECTS(o.samples_per_chain >= 1, "bm_sample: samples_per_chain must be >= 1, got ",
              o.samples_per_chain);
  const int span = std::max(o.burn_in, 1);
  const double low = o.temperature.min_over(span), high = o.temperature.max_over(span);
  RBM_EXPECTS(low > 0 && std::isfinite(high), "bm_sample: the temperature ",
              o.temperature.to_string(), " must stay positive and finite over the burn-in (from ",
              low, " to ", high, ")");
  if (!o.init.empty()) {
    RBM_EXPECTS(o.init.size() == static_cast<std::size_t>(o.n_chains) * machine.n_units,
                "bm_sample: init holds ", o.init.size(), " values, not n_chains x N = ", o.n_chains,
                " x ", machine.n_units);
    expect_bits(o.init, "bm_sample: init");
  }
}

}  // namespace

BmSamples bm_sample(const BoltzmannMachine& machine, const BmSampleOptions& options) {
  validate(machine, options);
  const Params p(machine);
  std::vector<int> order = detail::bm::sweep_order(machine);
  if (options.sweep == BmSweep::sequential) std::sort(order.begin(), order.end());
  const std::size_t n = machine.n_units, chains = options.n_chains;
  std::vector<std::uint8_t> states = options.init;
  if (states.empty()) {
    states.assign(chains * n, 0);
    detail::bm::uniform_start(states.data(), chains, machine.n_units, 0, options.seed, 0);
  }
  const int per_chain = options.samples_per_chain;
  const int sweeps = options.burn_in + per_chain * options.thinning;
  BmSamples out;
  out.n_units = machine.n_units;
  out.n_visible = machine.n_visible;
  out.states.resize(chains * per_chain * n);
  out.energies.resize(chains * per_chain);
  detail::ThreadPool pool(options.threads);
  pool.parallel_for(chains, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) {
      std::uint8_t* s = states.data() + c * n;
      for (int t = 0; t < sweeps; ++t) {
        const SweepUniforms u{options.seed, RandomStream::sample, 0,
                              (static_cast<std::uint64_t>(t) * chains + c) * n};
        detail::bm::gibbs_sweep(p, order, temperature_at(options, t), s, u);
        const int after = t + 1 - options.burn_in;
        if (after <= 0 || after % options.thinning != 0) continue;
        const std::size_t row = c * per_chain + (after / options.thinning - 1);
        std::copy(s, s + n, out.states.begin() + row * n);
        out.energies[row] = energy(machine, s);
      }
    }
  });
  return out;
}

BmGradient bm_sampled_gradient(const BoltzmannMachine& machine,
                               const Dataset& data,
                               const BmGradientOptions& options) {
  machine.validate();
  data.validate();
  RBM_EXPECTS(data.n_samples > 0 && data.n_visible == machine.n_visible,
              "bm_sampled_gradient: the machine has D=", machine.n_visible,
              " visible units; the dataset has ", data.n_visible, " columns and ", data.n_samples,
              " rows");
  RBM_EXPECTS(options.replicas >= 1 && options.free_chains >= 1 && options.clamped_sweeps >= 0 &&
                  options.free_sweeps >= 0,
              "bm_sampled_gradient: replicas and free_chains must be >= 1, sweeps >= 0");
  const Params p(machine);
  const int n = machine.n_units, D = machine.n_visible;
  detail::ThreadPool pool(options.threads);

  // Clamped phase: every row, `replicas` times, its hidden units sampled with v fixed.
  const std::size_t rows = data.n_samples * options.replicas;
  std::vector<std::uint8_t> clamped(rows * n);
  detail::bm::uniform_start(clamped.data(), rows, n, D, options.seed, 1);
  for (std::size_t r = 0; r < rows; ++r)
    std::copy_n(data.values.begin() + (r / options.replicas) * D, D, clamped.begin() + r * n);
  detail::bm::run_chains(p, detail::bm::sweep_order(machine, D), clamped.data(), rows,
                         options.clamped_sweeps, {options.seed, RandomStream::gibbs, 1, 0}, pool);

  // Free phase.
  const std::size_t chains = options.free_chains;
  std::vector<std::uint8_t> free(chains * n);
  detail::bm::uniform_start(free.data(), chains, n, 0, options.seed, 2);
  detail::bm::run_chains(p, detail::bm::sweep_order(machine), free.data(), chains,
                         options.free_sweeps, {options.seed, RandomStream::gibbs, 0, 0}, pool);

  std::vector<double> clamped_sums(static_cast<std::size_t>(n) * n, 0.0), free_sums = clamped_sums;
  for (std::size_t r = 0; r < rows; ++r)
    detail::bm::add_products(&clamped[r * n], n, clamped_sums.data());
  for (std::size_t c = 0; c < chains; ++c)
    detail::bm::add_products(&free[c * n], n, free_sums.data());
  return detail::bm::gradient_from_moments(
      machine, detail::bm::mean_products(clamped_sums, n, static_cast<double>(rows)),
      detail::bm::mean_products(free_sums, n, static_cast<double>(chains)));
}

}  // namespace rbm
