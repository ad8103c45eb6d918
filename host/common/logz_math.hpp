// host/common/logz_math.hpp — the arithmetic of exact log Z in split-product form, shared by the
// CUDA kernels (cuda/logz.cu) and by CPU tests that run the very same functions on small models.
//
// Plain C++ (no CUDA headers): every function is RBM_HD, so nvcc compiles it for the device and
// g++ for the host. This is how the algorithm is tested on machines without a GPU.
//
// The sum, over every state of the smaller layer so that log Z is exact rather than estimated:
//   log Z = log Σ_h exp(cᵀh) Π_i (1 + exp(f_i(h))),   f_i(h) = b_i + W_i·h,
// enumerating the smaller layer (the caller transposes the model so that it is the hidden one).
// The L hidden bits split into S low "suffix" bits q and P = L - S high "prefix" bits p, so the
// field splits too: f_i = fx_i(p) + fy_i(q) with fx = b_i + W_i,prefix·p, fy = W_i,suffix·q.
// With X = e^fx, Y = e^fy per prefix and per suffix, one (state, unit) pair costs one FMA and one
// multiply into a float running product: prod *= fma(X, Y, 1). Three things keep this exact:
//
// 1. Range of the factors. Prefixes come in tiles of 64; for each (tile, unit i) the field range
//    over the tile's states is known, and the unit is planned (plan_unit): with σ = ±1
//    ("flip") and g = σ f,   1 + e^f = [σ = -1 ? e^f : 1] · 2^k · factor',
//    factor' = 2^-k (1 + e^g),
//    and the kernel multiplies factor' = X'·Y' + 2^-k with X' = e^{σ fx + σ t - k ln2},
//    Y' = e^{σ (fy - t)}. σ picks the side on which the factor varies least (a unit whose field
//    is large and positive becomes 1 + e^{-|f|}); k centres log2 factor' on 0; t centres the
//    suffix table. The flipped e^f is linear in h, so it folds into the hidden bias
//    (c'_j = c_j + Σ_{i flipped} W_ij) and a constant — no per-pair cost at all.
//    Where X' or Y' would leave float range (overflow, or an underflow that matters), the unit
//    is "slow" for that tile: the kernel stages the raw fields and adds softplus(fx + fy).
// 2. Range of the running product. Each planned factor' lies in [2^lo2, 2^hi2]. A per-tile
//    schedule (schedule_ktile), built from these bounds, says where to move the product's binary
//    exponent into an integer (extract_exponent: two integer instructions per state), so that
//    the product provably stays a normal float. At D = 784 this extracts never (weights of
//    scale 0.01), every ~250 units (0.1), once per 32-unit k-tile (1: ~3% of the instructions)
//    and every ~5 units (5: ~20%) — the width of a unit's factor over a tile is inherent.
// 3. Summation. Each state's log term is formed in float64; states reduce to (max, Σexp) pairs
//    that combine in float64 in a fixed order (combine), so results are bit-identical run to run.
//
// Spin (±1) units later: 2cosh(f) = e^{-f}(1 + e^{2f}) is the same product form with doubled
// fields and a linear offset (the flip machinery above), so only the field functions change.
#pragma once
#include <math.h>

#include <cstdint>
#include <cstring>
#include <limits>

#include "host/common/hd.hpp"
#include "host/common/numeric.hpp"  // softplus

// Loop pragmas for the device pass only (the host compiler of an nvcc build would warn).
#if defined(__CUDA_ARCH__)
#define RBM_LOGZ_UNROLL _Pragma("unroll")
#define RBM_LOGZ_NO_UNROLL _Pragma("unroll 1")
#else
#define RBM_LOGZ_UNROLL
#define RBM_LOGZ_NO_UNROLL
#endif

namespace rbm::detail::logz {

// ---- Geometry (the kernel's tiling; the CPU emulation uses the same numbers) ----------------
inline constexpr int kMaxEnumeratedBits = 48;  ///< L limit: bounded tables, 64-bit indices
inline constexpr int kMaxSuffixBits = 10;  ///< Q = 1024 suffixes: X's D exps per prefix cost < 1%
inline constexpr int kTilePrefixBits = 6;  ///< 64 prefixes per tile (the block's BM)
inline constexpr int kTilePrefixes = 1 << kTilePrefixBits;
inline constexpr int kTileSuffixes = 128;  ///< suffixes per block (BN)
inline constexpr int kKTileUnits = 32;     ///< visible units per staged k-tile (BK)
inline constexpr int kGroupUnits = 4;      ///< schedule granularity inside a k-tile
inline constexpr int kKTileGroups = kKTileUnits / kGroupUnits;
inline constexpr int kThreadPrefixes = 4;  ///< TM: a thread's states are 4 prefixes ...
inline constexpr int kThreadSuffixes = 8;  ///< ... × 8 suffixes (TN): 32 running products
inline constexpr int kThreads =
    (kTilePrefixes / kThreadPrefixes) * (kTileSuffixes / kThreadSuffixes);
static_assert(kThreads == 256, "the kernel's thread layout assumes 16 x 16 threads");

// ---- Range guards ----------------------------------------------------------------------------
// float: FLT_MAX ≈ e^88.72 = 2^128, smallest normal FLT_MIN ≈ e^-87.34 = 2^-126.
inline constexpr double kLn2 = 0.69314718055994530942;
inline constexpr double kLog2e = 1.44269504088896340736;
inline constexpr double kMaxLogY = 80;  ///< |log Y'| ≤ 80: the suffix tables stay normal
inline constexpr double kMaxLogX = 86;  ///< log X' ≤ 86 (< 88.7), and ≥ -86 unless negligible
inline constexpr double kNegligibleLog = 18;   ///< e^-18 < 2^-25: cannot change 1 + e^g in float
inline constexpr int kMaxScaleExponent = 100;  ///< |k| ≤ 100: 2^-k is a normal float
inline constexpr double kMaxUnitLog2 = 100;    ///< one factor' within [2^-100, 2^100]
inline constexpr float kBoundMargin = 0.01f;   ///< log2 slack for float rounding of X', Y', fma
/// The running product is kept in [2^kProductLow, 2^kProductHigh] between extractions; after an
/// extraction it lies in [1, 2), i.e. log2 in [0, 1]. Normal floats span [2^-126, 2^128).
inline constexpr float kProductLow = -122.0f;
inline constexpr float kProductHigh = 125.0f;

// ---- Bits and the running product ------------------------------------------------------------
RBM_HD std::uint32_t float_bits(float value) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(value);
#else
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
#endif
}

RBM_HD float bits_float(std::uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
#endif
}

inline constexpr std::uint32_t kOneBits = 0x3f800000u;  ///< the bits of 1.0f

/// Moves the binary exponent of a positive normal `prod` into `exponent_sum` (biased: the caller
/// subtracts 127 per extraction) and leaves the mantissa in [1, 2). Exact. `one_bits` is
/// kOneBits; the kernel passes it as a run-time value so that ptxas keeps it in a register and
/// emits two integer instructions per state (LEA.HI shift-add, one LOP3) instead of three (a
/// LOP3 takes only one 32-bit immediate).
RBM_HD void extract_exponent(float& prod, int& exponent_sum, std::uint32_t one_bits = kOneBits) {
  const std::uint32_t bits = float_bits(prod);
  exponent_sum += static_cast<int>(bits >> 23);
  prod = bits_float((bits & 0x007fffffu) | one_bits);
}

/// The fast pair: one FMA and one multiply, no special function.
RBM_HD float fast_step(float prod, float x, float y, float one) {
  return prod * fmaf(x, y, one);
}

/// The guarded pair: fx, fy are raw fields. Multiplies prod by 2^frac and adds the integer part
/// of log2(1 + e^{fx+fy}) to exponent_sum, so prod grows by less than a factor 2 (bounds [0, 1]).
RBM_HD void slow_step(float& prod, int& exponent_sum, float fx, float fy) {
  const float bits = softplus(fx + fy) * static_cast<float>(kLog2e);
  const float whole = floorf(bits);
  prod *= exp2f(bits - whole);
  exponent_sum += static_cast<int>(whole);
}

// ---- Fields ----------------------------------------------------------------------------------
// `w_row` is W_i,· (L floats: row i of the enumerated model's [D][L] weights). Hidden bit j < S
// is suffix bit j; bit j ≥ S is prefix bit j - S. All sums run over ascending j in float64.

/// fy_i(q) = Σ_{j<S} q_j W_ij.
RBM_HD double suffix_field(const float* w_row, int suffix_bits, std::uint32_t q) {
  double field = 0;
  for (int j = 0; j < suffix_bits; ++j)
    if ((q >> j) & 1u) field += w_row[j];
  return field;
}

/// The range of fy_i over all 2^S suffixes (attained: the bits are independent).
RBM_HD void suffix_range(const float* w_row, int suffix_bits, double& lo, double& hi) {
  lo = 0;
  hi = 0;
  for (int j = 0; j < suffix_bits; ++j) {
    if (w_row[j] < 0)
      lo += w_row[j];
    else
      hi += w_row[j];
  }
}

/// One entry of the suffix tables, centred by t = mid-range so that both tables stay in range.
struct SuffixEntry {
  float up;     ///< Y' for σ = +1: e^{fy - t}
  float down;   ///< Y' for σ = -1: e^{t - fy}
  float field;  ///< fy itself, for slow units
};

RBM_HD SuffixEntry suffix_entry(const float* w_row, int suffix_bits, std::uint32_t q) {
  double lo, hi;
  suffix_range(w_row, suffix_bits, lo, hi);
  const double centred = suffix_field(w_row, suffix_bits, q) - 0.5 * (lo + hi);
  // Out-of-range entries (|centred| > kMaxLogY) make the unit slow everywhere; clamp so the
  // table holds no infinities that could leak into a fast path by mistake.
  const double clamped =
      centred > kMaxLogY ? kMaxLogY : (centred < -kMaxLogY ? -kMaxLogY : centred);
  SuffixEntry entry;
  entry.up = expf(static_cast<float>(clamped));
  entry.down = expf(static_cast<float>(-clamped));
  entry.field = static_cast<float>(suffix_field(w_row, suffix_bits, q));
  return entry;
}

/// The part of fx_i shared by a tile: b_i + Σ over the tile's fixed prefix bits (j ≥ S + V).
/// `tile` is the tile index: prefix p = tile·2^V + v, v < 2^V the tile's varying low bits.
RBM_HD double prefix_base(const float* w_row,
                          float visible_bias,
                          int n_hidden,
                          int suffix_bits,
                          int tile_bits,
                          std::uint64_t tile) {
  double base = visible_bias;
  for (int j = suffix_bits + tile_bits; j < n_hidden; ++j)
    if ((tile >> (j - suffix_bits - tile_bits)) & 1u) base += w_row[j];
  return base;
}

/// The varying part of fx_i for local prefix v: Σ_{b<V} v_b W_{i,S+b}, in float (ascending b).
RBM_HD float prefix_vary(const float* w_row, int suffix_bits, int tile_bits, int v) {
  float vary = 0;
  for (int b = 0; b < tile_bits; ++b)
    if ((v >> b) & 1) vary += w_row[suffix_bits + b];
  return vary;
}

RBM_HD void prefix_range(
    const float* w_row, int suffix_bits, int tile_bits, double base, double& lo, double& hi) {
  lo = base;
  hi = base;
  for (int b = 0; b < tile_bits; ++b) {
    const double w = w_row[suffix_bits + b];
    if (w < 0)
      lo += w;
    else
      hi += w;
  }
}

// ---- Per (tile, unit) plan -------------------------------------------------------------------
struct UnitPlan {
  double shift = 0;  ///< X' = exp(σ·fx + shift), shift = σ·t - k·ln2
  float one = 1;     ///< 2^-k, the "1" of the FMA
  float lo2 = 0;     ///< log2 factor' ≥ lo2 (slow: the slow step's [0, 1])
  float hi2 = 0;     ///< log2 factor' ≤ hi2
  int k = 0;
  bool flip = false;  ///< σ = -1: read Y' from the "down" table; e^f moves into c' and a constant
  bool slow = false;  ///< softplus per pair on raw fields
};

/// The plan of a padded unit (i ≥ D): X' = 0, one = 1, so every factor is exactly 1.
RBM_HD UnitPlan identity_plan() {
  return UnitPlan{};
}

/// Plans unit i for one tile from fx ∈ [x_lo, x_hi] (over the tile's prefixes) and
/// fy ∈ [y_lo, y_hi] (over all suffixes). See the file comment for the algebra; the checks:
///  - Y' = e^{±(fy - t)} within e^{±kMaxLogY} (normal floats);
///  - X' ≤ e^kMaxLogX; X' below e^-kMaxLogX (denormal or 0) only where its pair is negligible:
///    e^g = X'Y'·2^k ≤ e^{-kMaxLogX + wy/2 + k ln2} ≤ e^-kNegligibleLog;
///  - |k| ≤ kMaxScaleExponent and factor' within 2^±kMaxUnitLog2, so one factor always fits
///    after an extraction.
/// Any failure makes the unit slow for this tile.
RBM_HD UnitPlan plan_unit(double x_lo, double x_hi, double y_lo, double y_hi) {
  const double t = 0.5 * (y_lo + y_hi);
  const double half_width_y = 0.5 * (y_hi - y_lo);
  const double g_lo = x_lo + y_lo, g_hi = x_hi + y_hi;
  // log factor over the tile for each σ; pick the narrower (ties: no flip).
  const double up_lo = softplus(g_lo), up_hi = softplus(g_hi);
  const double down_lo = softplus(-g_hi), down_hi = softplus(-g_lo);
  UnitPlan plan;
  plan.flip = (down_hi - down_lo) < (up_hi - up_lo);
  const double lo2 = (plan.flip ? down_lo : up_lo) * kLog2e;
  const double hi2 = (plan.flip ? down_hi : up_hi) * kLog2e;
  const double mid = 0.5 * (lo2 + hi2);
  const bool k_ok = mid < kMaxScaleExponent && mid > -kMaxScaleExponent;
  plan.k = k_ok ? static_cast<int>(floor(mid + 0.5)) : 0;
  const double sigma = plan.flip ? -1.0 : 1.0;
  const double k_ln2 = plan.k * kLn2;
  const double log_x_lo = (plan.flip ? -x_hi - t : x_lo + t) - k_ln2;
  const double log_x_hi = (plan.flip ? -x_lo - t : x_hi + t) - k_ln2;
  const bool fast = k_ok && half_width_y <= kMaxLogY && hi2 - plan.k <= kMaxUnitLog2 &&
                    lo2 - plan.k >= -kMaxUnitLog2 && log_x_hi <= kMaxLogX &&
                    (log_x_lo >= -kMaxLogX || -kMaxLogX + half_width_y + k_ln2 <= -kNegligibleLog);
  if (!fast) {
    UnitPlan slow;
    slow.slow = true;
    slow.lo2 = 0;
    slow.hi2 = 1;
    return slow;
  }
  plan.shift = sigma * t - k_ln2;
  plan.one = ldexpf(1.0f, -plan.k);
  plan.lo2 = static_cast<float>(lo2 - plan.k) - kBoundMargin;
  plan.hi2 = static_cast<float>(hi2 - plan.k) + kBoundMargin;
  return plan;
}

/// The staged prefix value of unit i for local prefix v: X' (fast) or the raw field fx (slow).
RBM_HD float x_value(const UnitPlan& plan, double base, float vary) {
  if (plan.slow) return static_cast<float>(base) + vary;
  const float centred = static_cast<float>((plan.flip ? -base : base) + plan.shift);
  return expf(plan.flip ? centred - vary : centred + vary);
}

// ---- The extraction schedule -----------------------------------------------------------------
enum : std::uint32_t {
  kModePlain = 0,         ///< no extraction in this k-tile / group
  kModeExtractFirst = 1,  ///< extract once, then the plain body
  kModeSplit = 2,         ///< tile: decided per group;  group: per unit (kModeGeneral)
  kModeSkip = 3,          ///< group only: all four units are padding (i ≥ D)
};
inline constexpr std::uint32_t kModeGeneral = kModeSplit;

/// What the kernel does in one k-tile of 32 units (16 bytes: one vector load).
struct alignas(16) KTilePlan {
  std::uint32_t control = 0;       ///< bits 0-1: tile mode; bits 2+2g, 3+2g: group g's mode
  std::uint32_t extract_mask = 0;  ///< general groups: extract before unit u (bit u)
  std::uint32_t slow_mask = 0;     ///< unit u takes slow_step on raw fields
  std::uint32_t flip_mask = 0;     ///< unit u reads the "down" suffix table
};

/// Which suffix table (0 up, 1 down, 2 raw field) the kernel stages for the k-tile rows r0,
/// r0 + 8, r0 + 16, r0 + 24: two bits per row, row r0 + 8m at bits 8m and 8m + 1. Shared with
/// the CPU emulation so that the tests check the kernel's own mapping.
RBM_HD std::uint32_t staged_tables(const KTilePlan& plan, int r0) {
  constexpr std::uint32_t kEveryEighth = 0x01010101u;
  return ((plan.flip_mask >> r0) & kEveryEighth) | (((plan.slow_mask >> r0) & kEveryEighth) << 1);
}

/// log2 bounds of the running product since the last extraction.
struct ScheduleState {
  float lo = 0;
  float hi = 1;
};

RBM_HD bool schedule_fits(const ScheduleState& s, float lo, float hi) {
  return s.lo + lo >= kProductLow && s.hi + hi <= kProductHigh;
}

/// Greedy: extract as late as the bounds allow. lo2/hi2/slow/flip: the k-tile's 32 units, of
/// which the first `n_real` are real (the rest pad D up to whole k-tiles: whole padding groups
/// are skipped). Every unit fits on its own after an extraction (plan_unit: |bounds| ≤ 100).
RBM_HD KTilePlan schedule_ktile(ScheduleState& state,
                                const float* lo2,
                                const float* hi2,
                                const bool* slow,
                                const bool* flip,
                                int n_real) {
  KTilePlan plan;
  float group_lo[kKTileGroups], group_hi[kKTileGroups];
  bool group_slow[kKTileGroups];
  float tile_lo = 0, tile_hi = 0;
  for (int g = 0; g < kKTileGroups; ++g) {
    group_lo[g] = 0;
    group_hi[g] = 0;
    group_slow[g] = false;
    for (int u = kGroupUnits * g; u < kGroupUnits * (g + 1); ++u) {
      group_lo[g] += lo2[u];
      group_hi[g] += hi2[u];
      group_slow[g] = group_slow[g] || slow[u];
      if (slow[u])  // a slow unit reads raw fields, so it is never also flipped
        plan.slow_mask |= 1u << u;
      else if (flip[u])
        plan.flip_mask |= 1u << u;
    }
    tile_lo += group_lo[g];
    tile_hi += group_hi[g];
  }
  const ScheduleState fresh{};
  const bool whole = n_real >= kKTileUnits;
  if (whole && plan.slow_mask == 0 && schedule_fits(state, tile_lo, tile_hi)) {
    plan.control = kModePlain;
    state.lo += tile_lo;
    state.hi += tile_hi;
    return plan;
  }
  if (whole && plan.slow_mask == 0 && schedule_fits(fresh, tile_lo, tile_hi)) {
    plan.control = kModeExtractFirst;
    state.lo = fresh.lo + tile_lo;
    state.hi = fresh.hi + tile_hi;
    return plan;
  }
  plan.control = kModeSplit;
  for (int g = 0; g < kKTileGroups; ++g) {
    std::uint32_t mode;
    if (kGroupUnits * g >= n_real) {
      mode = kModeSkip;
    } else if (!group_slow[g] && schedule_fits(state, group_lo[g], group_hi[g])) {
      mode = kModePlain;
      state.lo += group_lo[g];
      state.hi += group_hi[g];
    } else if (!group_slow[g] && schedule_fits(fresh, group_lo[g], group_hi[g])) {
      mode = kModeExtractFirst;
      state.lo = fresh.lo + group_lo[g];
      state.hi = fresh.hi + group_hi[g];
    } else {
      mode = kModeGeneral;
      for (int u = kGroupUnits * g; u < kGroupUnits * (g + 1); ++u) {
        if (!schedule_fits(state, lo2[u], hi2[u])) {
          plan.extract_mask |= 1u << u;
          state = fresh;
        }
        state.lo += lo2[u];
        state.hi += hi2[u];
      }
    }
    plan.control |= mode << (2 + 2 * g);
  }
  return plan;
}

/// Runs one k-tile on a set of states. Ops provides extract() (all states), fast4(u0) (units
/// u0..u0+3, fast), fast(u) and slow(u). The kernel's Ops works on a thread's 4×8 register tile,
/// the CPU tests' Ops on a single state: both execute the same sequence per state.
template <class Ops>
RBM_HD void run_ktile(const KTilePlan& plan, Ops& ops) {
  const std::uint32_t mode = plan.control & 3u;
  if (mode != kModeSplit) {
    if (mode == kModeExtractFirst) ops.extract();
    RBM_LOGZ_UNROLL
    for (int g = 0; g < kKTileGroups; ++g) ops.fast4(kGroupUnits * g);
    return;
  }
  RBM_LOGZ_NO_UNROLL
  for (int g = 0; g < kKTileGroups; ++g) {
    const std::uint32_t group_mode = (plan.control >> (2 + 2 * g)) & 3u;
    if (group_mode == kModeSkip) continue;
    if (group_mode != kModeGeneral) {
      if (group_mode == kModeExtractFirst) ops.extract();
      ops.fast4(kGroupUnits * g);
      continue;
    }
    RBM_LOGZ_NO_UNROLL
    for (int u = kGroupUnits * g; u < kGroupUnits * (g + 1); ++u) {
      if ((plan.extract_mask >> u) & 1u) ops.extract();
      if ((plan.slow_mask >> u) & 1u)
        ops.slow(u);
      else
        ops.fast(u);
    }
  }
}

// ---- Offsets: the linear part of each state's log term -----------------------------------------
/// Number of interleaved partial sums in flip_partial_sum (fixed: the order defines the bits).
inline constexpr int kFlipParts = 8;

/// Partial sum of column `j` (j < L: W_ij; j == L: b_i) over flipped units i ≡ part (mod
/// kFlipParts), ascending i. flipped[i] says whether unit i is flipped in this tile.
RBM_HD double flip_partial_sum(const float* weights,
                               const float* visible_bias,
                               const std::uint8_t* flipped,
                               int n_visible,
                               int n_hidden,
                               int j,
                               int part) {
  double sum = 0;
  for (int i = part; i < n_visible; i += kFlipParts)
    if (flipped[i])
      sum += j < n_hidden ? weights[static_cast<std::size_t>(i) * n_hidden + j] : visible_bias[i];
  return sum;
}

/// Σ_{j=S}^{L-1} p_j c'_j on top of `constant` (ascending j): the prefix's share of a state's
/// linear part. c_prime holds c'_j = c_j + Σ_{i flipped} W_ij for all L bits.
RBM_HD double prefix_offset(
    double constant, const double* c_prime, int n_hidden, int suffix_bits, std::uint64_t prefix) {
  double offset = constant;
  for (int j = suffix_bits; j < n_hidden; ++j)
    if ((prefix >> (j - suffix_bits)) & 1u) offset += c_prime[j];
  return offset;
}

/// Σ_{j<S} q_j c'_j (ascending j): the suffix's share.
RBM_HD double suffix_offset(const double* c_prime_suffix, int suffix_bits, std::uint32_t q) {
  double offset = 0;
  for (int j = 0; j < suffix_bits; ++j)
    if ((q >> j) & 1u) offset += c_prime_suffix[j];
  return offset;
}

/// log of one state's term: offset (its share of cᵀh, the flips and Σk·ln2) plus
/// ln2·(exponent + log2 prod). `extractions` is the number of extract_exponent calls (bias 127).
RBM_HD double state_term(double offset, int exponent_sum, int extractions, float prod) {
  const double exponent = static_cast<double>(exponent_sum) - 127.0 * extractions;
  return offset + kLn2 * (exponent + static_cast<double>(log2f(prod)));
}

// ---- Exact combination of (max, Σexp) pairs ----------------------------------------------------
/// value = max + log(sum); the empty pair is (-inf, 0).
struct LogSumPair {
  double max;
  double sum;
};

RBM_HD LogSumPair empty_log_sum() {
  return LogSumPair{-std::numeric_limits<double>::infinity(), 0.0};
}

/// Reduces a thread's terms (-inf marks a padding state): the max, then Σ exp(term - max) with a
/// float exp per term (relative error ~1e-7, far below the product's own) summed in float64.
template <int N>
RBM_HD LogSumPair log_sum_terms(const double (&terms)[N]) {
  double max = -std::numeric_limits<double>::infinity();
  RBM_LOGZ_UNROLL
  for (int n = 0; n < N; ++n) max = terms[n] > max ? terms[n] : max;
  if (!(max > -std::numeric_limits<double>::infinity())) return empty_log_sum();
  LogSumPair s{max, 0.0};
  RBM_LOGZ_UNROLL
  for (int n = 0; n < N; ++n)
    s.sum += static_cast<double>(expf(static_cast<float>(terms[n] - max)));
  return s;
}

/// Merges two pairs in float64. Bitwise commutative (so a fixed tree gives one answer whatever
/// finishes first); not associative, which is why every reduction runs in a fixed order.
RBM_HD LogSumPair combine(const LogSumPair& a, const LogSumPair& b) {
  if (b.sum == 0) return a;
  if (a.sum == 0) return b;
  if (a.max >= b.max) return LogSumPair{a.max, a.sum + b.sum * exp(b.max - a.max)};
  return LogSumPair{b.max, b.sum + a.sum * exp(a.max - b.max)};
}

RBM_HD double log_sum_value(const LogSumPair& s) {
  return s.max + log(s.sum);
}

// ---- Geometry --------------------------------------------------------------------------------
struct SplitGeometry {
  int n_visible = 0;            ///< D of the enumerated model (the other layer)
  int n_hidden = 0;             ///< L, the enumerated layer
  int suffix_bits = 0;          ///< S
  int prefix_bits = 0;          ///< P = L - S
  int tile_bits = 0;            ///< V = min(6, P): varying prefix bits inside a tile
  int tile_valid_prefixes = 1;  ///< 2^V (the rest of a 64-row tile is padding)
  int padded_visible = 0;       ///< D rounded up to whole k-tiles
  int n_ktiles = 0;
  int n_suffixes = 1;                   ///< Q = 2^S
  int padded_suffixes = kTileSuffixes;  ///< Q rounded up to 128
  int n_suffix_tiles = 1;
  std::uint64_t n_prefix_tiles = 1;  ///< 2^(P - V)
};

inline SplitGeometry make_split_geometry(int n_visible, int n_hidden) {
  SplitGeometry g;
  g.n_visible = n_visible;
  g.n_hidden = n_hidden;
  g.suffix_bits = n_hidden < kMaxSuffixBits ? n_hidden : kMaxSuffixBits;
  g.prefix_bits = n_hidden - g.suffix_bits;
  g.tile_bits = g.prefix_bits < kTilePrefixBits ? g.prefix_bits : kTilePrefixBits;
  g.tile_valid_prefixes = 1 << g.tile_bits;
  g.n_ktiles = (n_visible + kKTileUnits - 1) / kKTileUnits;
  g.padded_visible = g.n_ktiles * kKTileUnits;
  g.n_suffixes = 1 << g.suffix_bits;
  g.padded_suffixes = (g.n_suffixes + kTileSuffixes - 1) / kTileSuffixes * kTileSuffixes;
  g.n_suffix_tiles = g.padded_suffixes / kTileSuffixes;
  g.n_prefix_tiles = std::uint64_t{1} << (g.prefix_bits - g.tile_bits);
  return g;
}

// ---- Several models per launch ---------------------------------------------------------------
// Models of one shape whose enumeration fits in one chunk share every launch: their per-model
// arrays lie one after another (model m at m × the array's size per model), and a launch's
// prefix tiles are model-major, suffix tiles fastest. One model over several chunks is the same
// launch with one model, starting at the chunk's first tile.

/// Prefix tile `launch_tile` of a launch whose models have `tiles_per_model` tiles each.
struct LaunchTile {
  int model;           ///< the model of the launch it belongs to
  std::uint64_t tile;  ///< its prefix tile within that model's enumeration
};
RBM_HD LaunchTile launch_tile(std::uint64_t launch_tile,
                              std::uint64_t tiles_per_model,
                              std::uint64_t first_tile) {
  return LaunchTile{static_cast<int>(launch_tile / tiles_per_model),
                    first_tile + launch_tile % tiles_per_model};
}

/// Block `block` of the split-product launch: its launch tile and suffix tile.
struct LaunchBlock {
  std::uint64_t tile;  ///< launch tile (see launch_tile)
  int suffix_tile;
};
RBM_HD LaunchBlock launch_block(std::uint64_t block, int n_suffix_tiles) {
  return LaunchBlock{block / static_cast<std::uint64_t>(n_suffix_tiles),
                     static_cast<int>(block % static_cast<std::uint64_t>(n_suffix_tiles))};
}

/// Entry `e` of the suffix-table launch over every model's [Dpad][Qpad] entries.
struct TableEntry {
  int model;
  int unit;           ///< i (≥ D: padding)
  int suffix;         ///< q (≥ Q: padding)
  std::size_t local;  ///< i·Qpad + q, the entry within the model's tables
};
RBM_HD TableEntry table_entry(std::size_t e, std::size_t entries_per_model, int padded_suffixes) {
  const std::size_t local = e % entries_per_model;
  return TableEntry{static_cast<int>(e / entries_per_model),
                    static_cast<int>(local / padded_suffixes),
                    static_cast<int>(local % padded_suffixes), local};
}

/// Local slot → suffix column of a block: thread column tx owns suffixes tx·4 + {0..3} and
/// 64 + tx·4 + {0..3}, so that a quarter-warp's 16-byte shared loads cover 128 contiguous bytes.
RBM_HD int thread_suffix(int tx, int b) {
  return (b < 4 ? 0 : kTileSuffixes / 2) + tx * 4 + (b & 3);
}

}  // namespace rbm::detail::logz
