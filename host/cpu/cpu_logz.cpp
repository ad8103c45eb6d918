// host/cpu/cpu_logz.cpp — exact log Z on the CPU, the float64 reference for every other path.
//
// Enumerates the hidden layer of a model already reduced to {0,1} units and oriented so that
// the hidden layer is the smaller one (EnumerationModel, built by the Engine), the raw sum
//   log Z' = log Σ_h exp(cᵀh) Π_i (1 + exp(b_i + W_i·h)).
// The L hidden bits split into a prefix (high bits) and a suffix (low bits). With
//   x_i(p) = exp(b_i + W_i,prefix·p)  and  y_i(q) = exp(W_i,suffix·q),
// each (state, visible unit) pair costs one FMA and one multiply, 1 + x·y, into a running
// product whose binary exponent is moved into an integer every few factors (the split form:
// no softplus per pair). A prefix whose fields could leave double range takes the slow path,
// softplus per pair. Each prefix's 2^s states reduce to (max, Σexp) in float64; chunks of
// prefixes are combined in a fixed order, so the result does not depend on the thread count.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "host/check.hpp"
#include "host/common/numeric.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_math.hpp"

namespace rbm::detail {
namespace {

// Fields with |log x|, |log y| ≤ kFastRange keep x·y within [e^-2k, e^2k] ⊂ double range.
constexpr double kFastRange = 300.0;
constexpr int kMaxSuffixBits = 8;           // 256 suffix states: the inner vector loop's length
constexpr std::size_t kChunkPrefixes = 64;  // prefixes per deterministic partial result
constexpr int kPrefixBatch = 8;             // prefixes sharing one pass over the suffix table

/// A log-sum-exp accumulator: value = log(sum) + max.
struct LogSum {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;
  void add(double term) {
    if (term <= max) {
      sum += std::exp(term - max);
    } else {
      sum = sum * std::exp(max - term) + 1.0;
      max = term;
    }
  }
  void merge(const LogSum& other) {
    if (other.sum == 0) return;
    if (other.max <= max) {
      sum += other.sum * std::exp(other.max - max);
    } else {
      sum = sum * std::exp(max - other.max) + other.sum;
      max = other.max;
    }
  }
  double value() const { return max + std::log(sum); }
};

/// Per-model tables shared by all prefixes.
struct SuffixTables {
  int n_visible = 0, n_suffix_states = 0;
  std::vector<double> y;        ///< [D][Q]: exp(W_i,suffix·q), transposed for the inner loop
  std::vector<double> log_y;    ///< [D][Q]
  std::vector<double> c_dot_q;  ///< [Q]
  bool in_fast_range = true;    ///< all |log y| ≤ kFastRange
  double max_log_y = 0;         ///< max(0, max log y): bounds log(1 + x·y) between exponent moves
};

/// Running products over i for all Q suffix states of `n_prefixes` prefixes at once (fast
/// path): each row y[i][·] is loaded once and used for every prefix of the batch, which keeps
/// the pass in L1/L2 instead of streaming the whole table per prefix. Every `group` factors the
/// binary exponent is moved into `exponent` (prod ≥ 1 always, as every factor is ≥ 1).
RBM_HOT_CLONES
void product_pass(const double* x,
                  const double* y,
                  int n_visible,
                  int n_states,
                  int n_prefixes,
                  int group,
                  double* prod,
                  std::int64_t* exponent) {
  const int width = n_prefixes * n_states;
  for (int i = 0; i < n_visible; ++i) {
    const double* yi = y + static_cast<std::size_t>(i) * n_states;
    for (int g = 0; g < n_prefixes; ++g) {
      const double xi = x[static_cast<std::size_t>(g) * n_visible + i];
      double* pg = prod + static_cast<std::size_t>(g) * n_states;
      for (int q = 0; q < n_states; ++q) pg[q] *= std::fma(xi, yi[q], 1.0);
    }
    if ((i + 1) % group == 0 || i + 1 == n_visible) {
      for (int e = 0; e < width; ++e) {
        std::uint64_t bits;
        std::memcpy(&bits, &prod[e], sizeof bits);
        exponent[e] += static_cast<std::int64_t>((bits >> 52) & 0x7ff) - 1023;
        bits = (bits & 0x000fffffffffffffull) | (std::uint64_t{1023} << 52);
        std::memcpy(&prod[e], &bits, sizeof bits);
      }
    }
  }
}

double weight(const EnumerationModel<double>& m, int i, int j) {
  return m.weights[static_cast<std::size_t>(i) * m.n_hidden + j];
}

/// b + W_prefix·p into log_x, and c_prefix·p.
double prefix_fields(const EnumerationModel<double>& m,
                     int n_suffix_bits,
                     std::uint64_t p,
                     double* log_x) {
  const int D = m.n_visible;
  double c_dot_p = 0;
  for (int i = 0; i < D; ++i) log_x[i] = m.visible_bias[i];
  for (int j = n_suffix_bits; j < m.n_hidden; ++j) {
    if (!((p >> (j - n_suffix_bits)) & 1)) continue;
    c_dot_p += m.hidden_bias[j];
    for (int i = 0; i < D; ++i) log_x[i] += weight(m, i, j);
  }
  return c_dot_p;
}

/// Scratch of one worker thread.
struct PrefixScratch {
  std::vector<double> log_x, x, prod, c_dot_p;
  std::vector<std::int64_t> exponent;
  std::vector<char> fast;
  PrefixScratch(int n_visible, int n_states)
      : log_x(static_cast<std::size_t>(kPrefixBatch) * n_visible),
        x(log_x.size()),
        prod(static_cast<std::size_t>(kPrefixBatch) * n_states),
        c_dot_p(kPrefixBatch),
        exponent(prod.size()),
        fast(kPrefixBatch) {}
};

/// The (max, Σexp) of all states of prefixes [first, first + count), count ≤ kPrefixBatch,
/// accumulated in prefix order.
LogSum prefix_batch_terms(const EnumerationModel<double>& m,
                          int n_suffix_bits,
                          std::uint64_t first,
                          int count,
                          const SuffixTables& t,
                          PrefixScratch& s) {
  const int D = m.n_visible, Q = t.n_suffix_states;
  double max_log_factor = std::log(2.0);
  int n_fast = 0;
  for (int g = 0; g < count; ++g) {
    double* log_x = s.log_x.data() + static_cast<std::size_t>(g) * D;
    s.c_dot_p[g] = prefix_fields(m, n_suffix_bits, first + g, log_x);
    double max_abs = 0;
    for (int i = 0; i < D; ++i) max_abs = std::max(max_abs, std::fabs(log_x[i]));
    s.fast[g] = t.in_fast_range && max_abs <= kFastRange;
    if (!s.fast[g]) continue;
    // Fast prefixes are packed to the front of x/prod, in prefix order.
    double* x = s.x.data() + static_cast<std::size_t>(n_fast++) * D;
    for (int i = 0; i < D; ++i) {
      x[i] = std::exp(log_x[i]);
      max_log_factor = std::max(max_log_factor, log_x[i] + t.max_log_y + std::log(2.0));
    }
  }
  if (n_fast > 0) {
    const int group = std::clamp(static_cast<int>(700.0 / max_log_factor), 1, 64);
    std::fill_n(s.prod.begin(), static_cast<std::size_t>(n_fast) * Q, 1.0);
    std::fill_n(s.exponent.begin(), static_cast<std::size_t>(n_fast) * Q, 0);
    product_pass(s.x.data(), t.y.data(), D, Q, n_fast, group, s.prod.data(), s.exponent.data());
  }
  LogSum terms;
  for (int g = 0, packed = 0; g < count; ++g) {
    if (s.fast[g]) {
      const double* prod = s.prod.data() + static_cast<std::size_t>(packed) * Q;
      const std::int64_t* exponent = s.exponent.data() + static_cast<std::size_t>(packed) * Q;
      ++packed;
      for (int q = 0; q < Q; ++q)
        terms.add(std::log(prod[q]) + static_cast<double>(exponent[q]) * M_LN2 + s.c_dot_p[g] +
                  t.c_dot_q[q]);
    } else {  // slow path: softplus per pair, exact for any field
      const double* log_x = s.log_x.data() + static_cast<std::size_t>(g) * D;
      for (int q = 0; q < Q; ++q) {
        double term = s.c_dot_p[g] + t.c_dot_q[q];
        for (int i = 0; i < D; ++i)
          term += softplus(log_x[i] + t.log_y[static_cast<std::size_t>(i) * Q + q]);
        terms.add(term);
      }
    }
  }
  return terms;
}

}  // namespace

LogZResult cpu_exact_log_z(const EnumerationModel<double>& m,
                           const LogZOptions& options,
                           ThreadPool& pool) {
  const auto start = std::chrono::steady_clock::now();
  const int D = m.n_visible, L = m.n_hidden;
  const int n_suffix_bits = std::min(L, kMaxSuffixBits);
  const int Q = 1 << n_suffix_bits;
  const std::uint64_t n_prefixes = std::uint64_t{1} << (L - n_suffix_bits);

  SuffixTables tables;
  tables.n_visible = D;
  tables.n_suffix_states = Q;
  tables.y.resize(static_cast<std::size_t>(D) * Q);
  tables.log_y.resize(tables.y.size());
  tables.c_dot_q.assign(Q, 0.0);
  for (int q = 0; q < Q; ++q) {
    for (int j = 0; j < n_suffix_bits; ++j)
      if ((q >> j) & 1) tables.c_dot_q[q] += m.hidden_bias[j];
    for (int i = 0; i < D; ++i) {
      double field = 0;
      for (int j = 0; j < n_suffix_bits; ++j)
        if ((q >> j) & 1) field += weight(m, i, j);
      tables.log_y[static_cast<std::size_t>(i) * Q + q] = field;
      tables.y[static_cast<std::size_t>(i) * Q + q] = std::exp(field);
      tables.in_fast_range = tables.in_fast_range && std::fabs(field) <= kFastRange;
      tables.max_log_y = std::max(tables.max_log_y, field);
    }
  }

  // Prefixes in chunks: each chunk's partial sum is computed by one thread, in prefix order,
  // and chunks are merged in chunk order; progress and cancellation between rounds.
  const std::uint64_t n_chunks = (n_prefixes + kChunkPrefixes - 1) / kChunkPrefixes;
  const std::uint64_t chunks_per_round = std::max<std::uint64_t>(pool.size() * 16, 1);
  LogSum total;
  std::vector<LogSum> partial;
  for (std::uint64_t round_begin = 0; round_begin < n_chunks; round_begin += chunks_per_round) {
    const std::uint64_t round_size = std::min(chunks_per_round, n_chunks - round_begin);
    partial.assign(round_size, LogSum{});
    pool.parallel_for(round_size, [&](std::size_t b, std::size_t e) {
      PrefixScratch scratch(D, Q);
      for (std::size_t c = b; c < e; ++c) {
        const std::uint64_t first = (round_begin + c) * kChunkPrefixes;
        const std::uint64_t last = std::min(first + kChunkPrefixes, n_prefixes);
        for (std::uint64_t p = first; p < last; p += kPrefixBatch) {
          const int count = static_cast<int>(std::min<std::uint64_t>(kPrefixBatch, last - p));
          partial[c].merge(prefix_batch_terms(m, n_suffix_bits, p, count, tables, scratch));
        }
      }
    });
    for (const LogSum& s : partial) total.merge(s);
    if (options.progress &&
        !options.progress(static_cast<double>(round_begin + round_size) / n_chunks))
      RBM_THROW(Cancelled, "exact log Z cancelled after ", round_begin + round_size, " of ",
                n_chunks, " chunks");
  }

  LogZResult result;
  result.log_z = total.value();
  result.log2_states = L;
  result.states = std::ldexp(1.0, L);
  result.pairs = std::ldexp(static_cast<double>(D), L);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

LogZRate calibrate_cpu_log_z_rate(ThreadPool& pool) {
  // A fixed model of small weights (the fast path, as trained models take): 2^kStates states of
  // kUnits units, enough chunks to occupy every thread of a large machine for a few ms.
  constexpr int kUnits = 256, kStates = 20;
  EnumerationModel<double> model;
  model.n_visible = kUnits;
  model.n_hidden = kStates;
  model.weights.resize(static_cast<std::size_t>(kUnits) * kStates);
  for (std::size_t k = 0; k < model.weights.size(); ++k)
    model.weights[k] = 0.01 * std::sin(static_cast<double>(k));
  model.visible_bias.assign(kUnits, -0.1);
  model.hidden_bias.assign(kStates, 0.0);
  const LogZResult run = cpu_exact_log_z(model, LogZOptions{}, pool);
  LogZRate rate;
  rate.pairs_per_second = run.pairs_per_second();
  rate.source = "calibrated here: 2^" + std::to_string(kStates) + " states x " +
                std::to_string(kUnits) + " units on " + std::to_string(pool.size()) + " threads";
  return rate;
}

}  // namespace rbm::detail
