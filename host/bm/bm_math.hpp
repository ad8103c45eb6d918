// host/bm/bm_math.hpp — what the Boltzmann machine's sampler, trainer and exact sums share:
// the parameters in float64, the sweep order (colour classes), one Gibbs sweep, the pair
// statistics of a state and the enumeration of states. CPU only (see rbm/boltzmann.hpp).
#pragma once
#include <cstdint>
#include <vector>

#include "host/common/parallel.hpp"
#include "host/common/philox.hpp"
#include "rbm/boltzmann.hpp"

namespace rbm::detail::bm {

/// A machine's parameters read exactly into float64.
struct Params {
  int n_units = 0, n_visible = 0;
  std::vector<double> couplings;  ///< [N][N]
  std::vector<double> bias;       ///< [N]

  explicit Params(const BoltzmannMachine& machine);
  const double* row(int i) const {
    return couplings.data() + static_cast<std::size_t>(i) * n_units;
  }
};

/// Units first_unit .. N−1 in sweep order: colour class by class of the greedy colouring of the
/// coupling mask (rbm/boltzmann.hpp), index order within a class.
std::vector<int> sweep_order(const BoltzmannMachine& machine, int first_unit = 0);

/// The uniforms of one chain's sweep: unit k draws random_uniform(seed, stream, substream, base +
/// k).
struct SweepUniforms {
  std::uint64_t seed = 0;
  RandomStream stream = RandomStream::gibbs;
  std::uint32_t substream = 0;
  std::uint64_t base = 0;
};

/// One Gibbs sweep over `order` at temperature T > 0, in place: s_k = 1 when u_k < σ(f_k / T).
void gibbs_sweep(const Params& params,
                 const std::vector<int>& order,
                 double temperature,
                 std::uint8_t* state,
                 const SweepUniforms& uniforms);

/// `sweeps` Gibbs sweeps over `order` at T = 1 on each of `count` chains (states [count][N]);
/// chain c's sweep t draws from uniforms.base + (t·count + c)·N + k. Chains run in parallel; the
/// result does not depend on the thread count.
void run_chains(const Params& params,
                const std::vector<int>& order,
                std::uint8_t* states,
                std::size_t count,
                int sweeps,
                const SweepUniforms& uniforms,
                ThreadPool& pool);

/// Units first_unit .. N−1 of `count` states [count][N] set to 1 with probability 1/2:
/// random_uniform(seed, RandomStream::init, substream, c·N + k) < 1/2.
void uniform_start(std::uint8_t* states,
                   std::size_t count,
                   int n_units,
                   int first_unit,
                   std::uint64_t seed,
                   std::uint32_t substream);

/// sums[i][j] += s_i s_j for i ≤ j (the diagonal gets s_i): a state's sufficient statistics.
void add_products(const std::uint8_t* state, int n_units, double* sums);

/// Sums of add_products over `rows` states, divided by `rows`, made symmetric: the mean
/// statistics ⟨s_i s_j⟩ (diagonal ⟨s_i⟩), [N][N].
std::vector<double> mean_products(const std::vector<double>& upper_sums, int n_units, double rows);

/// The gradient ⟨·⟩_positive − ⟨·⟩_negative from two mean_products, couplings kept on the mask.
BmGradient gradient_from_moments(const BoltzmannMachine& machine,
                                 const std::vector<double>& positive,
                                 const std::vector<double>& negative);

/// Throws InvalidArgument when 2^free_units states are more than options allow.
void require_enumerable(int free_units, const BmExactOptions& options, const char* what);

/// log Σ e^{−E(s)} over the states of units n_fixed .. N−1 with units 0 .. n_fixed−1 set to
/// `fixed` (n_fixed = 0: log Z; n_fixed = D: log of the unnormalised p(v)). With `moments`
/// non-null, also the conditional means ⟨s_i s_j⟩ (diagonal ⟨s_i⟩), [N][N] symmetric, in float64.
/// The sum is split into a fixed number of chunks combined in order, so the result does not
/// depend on the pool's thread count.
double enumerate(const Params& params,
                 const std::uint8_t* fixed,
                 int n_fixed,
                 std::vector<double>* moments,
                 ThreadPool& pool);

/// The distinct rows of a dataset with their counts (log-likelihoods and clamped statistics
/// are computed once per distinct row).
struct DistinctRows {
  std::vector<std::vector<std::uint8_t>> rows;
  std::vector<double> counts;
  std::vector<std::size_t> row_of_sample;  ///< index into rows for every sample
};
DistinctRows distinct_rows(const Dataset& data);

}  // namespace rbm::detail::bm
