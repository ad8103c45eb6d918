// tests/test_logz_split.cpp — the GPU's exact log Z algorithm, run on the CPU.
//
// host/common/logz_math.hpp holds every piece of arithmetic the CUDA kernels (cuda/logz.cu)
// execute: the suffix tables, the per-(tile, unit) plan with its range guard, X' values, the
// extraction schedule, the k-tile walk (run_ktile), the per-state term and the (max, Σexp)
// combination. Here a scalar emulation drives those same functions in the kernels' order — tiles of
// 64 prefixes, 128-suffix blocks of 16×16 threads with 4×8 states each, fixed reduction trees,
// chunks — and is compared with the float64 CPU backend (Engine(cpu).log_z). Without a GPU this
// is how the algorithm is checked; tests/test_cuda_logz.cpp compares the device itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "host/common/logz_math.hpp"
#include "rbm/engine.hpp"
#include "rbm/model.hpp"
#include "tests/support/logz_models.hpp"

namespace rbm::test {
namespace {

namespace lz = ::rbm::detail::logz;

// Accuracy of the split product against float64 enumeration. Per state the product takes D
// float32 factors; each costs ≤ 3 roundings (X' and Y' from expf of a rounded argument, the FMA,
// the multiply): relative ~3·2^-24·(1 + |arg|) per factor, |arg| the exp argument. The roundings
// are independent, so a state's log term is off by ~√(3D)·2^-24·(1 + |arg|) ≈ 3e-6·(1 + |arg|)
// at D = 784 (the worst case, linear in D, is ~1e-4 but needs every rounding to go one way),
// and log Z, a weighted mean of terms, inherits no more. |arg| grows with the weights, and so
// does |log Z| (it is at least the largest field sum), which is why the bound is relative:
// 1e-5·max(1, |log Z|) — the library's stated accuracy — leaves a margin of ≥ 3 at unit fields.
constexpr double kLogZRel = 1e-5;

double tolerance(double log_z) {
  return kLogZRel * std::max(1.0, std::fabs(log_z));
}

// ---- The emulation ---------------------------------------------------------------------------
struct EmulationStats {
  std::uint64_t slow_units = 0;     // (tile, unit) pairs on the guarded softplus path
  std::uint64_t flipped_units = 0;  // (tile, unit) pairs with σ = -1
  std::uint64_t split_ktiles = 0;   // k-tiles decided per group
  std::uint64_t extractions = 0;    // summed over tiles (per state of one thread)
};

struct Emulation {
  double log_z = 0;
  lz::LogSumPair total{};
  EmulationStats stats;
};

/// One state's walk through the k-tiles: the scalar twin of the kernel's ThreadTile.
struct StateOps {
  const float* x;       // x_values of the tile, [Dpad][64], at this state's prefix column
  const float* tables;  // [3][Dpad][Qpad], at this state's suffix column
  const float* ones;    // [Dpad]
  std::size_t table_stride, row;
  int unit0 = 0;       // first unit of the current k-tile
  lz::KTilePlan plan;  // the current k-tile's: which suffix table each unit reads
  float prod = 1;
  int exponent = 0;
  int extractions = 0;

  float y(int i, int u) const {
    // Unit u is staged row u of the k-tile: row r0 + 8m with r0 = u % 8, m = u / 8.
    const int table = (lz::staged_tables(plan, u % 8) >> (8 * (u / 8))) & 3u;
    return tables[table * table_stride + static_cast<std::size_t>(i) * row];
  }
  void extract() {
    lz::extract_exponent(prod, exponent);
    ++extractions;
  }
  void fast(int u) {
    const int i = unit0 + u;
    prod =
        lz::fast_step(prod, x[static_cast<std::size_t>(i) * lz::kTilePrefixes], y(i, u), ones[i]);
  }
  void fast4(int u0) {
    for (int u = u0; u < u0 + 4; ++u) fast(u);
  }
  void slow(int u) {
    const int i = unit0 + u;
    lz::slow_step(prod, exponent, x[static_cast<std::size_t>(i) * lz::kTilePrefixes], y(i, u));
  }
};

/// The reduction the kernels use: strided per thread, then a fixed tree over 256 threads.
lz::LogSumPair tree_reduce(const std::vector<lz::LogSumPair>& items) {
  std::vector<lz::LogSumPair> lanes(lz::kThreads, lz::empty_log_sum());
  for (std::size_t i = 0; i < items.size(); ++i)
    lanes[i % lz::kThreads] = lz::combine(lanes[i % lz::kThreads], items[i]);
  for (int stride = lz::kThreads / 2; stride > 0; stride /= 2)
    for (int t = 0; t < stride; ++t) lanes[t] = lz::combine(lanes[t], lanes[t + stride]);
  return lanes[0];
}

/// suffix_table_kernel over every model's entries: [M][3][Dpad][Qpad], entry by entry through
/// the launch's index map (lz::table_entry).
std::vector<float> emulate_tables(const std::vector<const Model*>& models,
                                  const lz::SplitGeometry& g) {
  const std::size_t entries = static_cast<std::size_t>(g.padded_visible) * g.padded_suffixes;
  std::vector<float> tables(models.size() * 3 * entries, 0.0f);
  for (std::size_t e = 0; e < models.size() * entries; ++e) {
    const lz::TableEntry t = lz::table_entry(e, entries, g.padded_suffixes);
    if (t.unit >= g.n_visible || t.suffix >= g.n_suffixes) continue;
    const Model& m = *models[t.model];
    const lz::SuffixEntry entry =
        lz::suffix_entry(m.weights.data() + static_cast<std::size_t>(t.unit) * g.n_hidden,
                         g.suffix_bits, static_cast<std::uint32_t>(t.suffix));
    float* model_tables = tables.data() + static_cast<std::size_t>(t.model) * 3 * entries;
    model_tables[t.local] = entry.up;
    model_tables[entries + t.local] = entry.down;
    model_tables[2 * entries + t.local] = entry.field;
  }
  return tables;
}

/// One launch sequence of cuda/logz.cu (prefix_tile_kernel, split_product_kernel,
/// chunk_reduce_kernel) on the CPU: tiles [first_tile, first_tile + tiles_per_model) of every
/// model, the models sharing each launch through its index maps (lz::launch_tile,
/// lz::launch_block). Returns each model's merged partials.
std::vector<lz::LogSumPair> emulate_chunk(const std::vector<const Model*>& models,
                                          const lz::SplitGeometry& g,
                                          const std::vector<float>& tables,
                                          std::uint64_t first_tile,
                                          std::uint64_t tiles_per_model,
                                          EmulationStats& stats) {
  const int D = g.n_visible, L = g.n_hidden, S = g.suffix_bits, V = g.tile_bits;
  const std::size_t dpad = g.padded_visible, qpad = g.padded_suffixes;
  const std::size_t table_stride = dpad * qpad;
  const std::uint64_t launch_tiles = tiles_per_model * models.size();

  // prefix_tile_kernel: one block per launch tile; the chunk's arrays are per launch tile.
  std::vector<float> x(launch_tiles * dpad * lz::kTilePrefixes), ones(launch_tiles * dpad);
  std::vector<lz::KTilePlan> ktiles(launch_tiles * g.n_ktiles);
  std::vector<double> constants(launch_tiles);
  std::vector<std::vector<double>> c_primes(launch_tiles);
  std::vector<lz::UnitPlan> plans(dpad);
  std::vector<std::uint8_t> flipped(dpad);
  for (std::uint64_t lt = 0; lt < launch_tiles; ++lt) {
    const lz::LaunchTile where = lz::launch_tile(lt, tiles_per_model, first_tile);
    const Model& m = *models[where.model];
    auto w_row = [&](int i) { return m.weights.data() + static_cast<std::size_t>(i) * L; };
    int k_sum = 0;
    for (std::size_t i = 0; i < dpad; ++i) {
      lz::UnitPlan plan = lz::identity_plan();
      double base = 0;
      const int ii = static_cast<int>(i);
      if (ii < D) {
        base = lz::prefix_base(w_row(ii), m.visible_bias[i], L, S, V, where.tile);
        double x_lo, x_hi, y_lo, y_hi;
        lz::prefix_range(w_row(ii), S, V, base, x_lo, x_hi);
        lz::suffix_range(w_row(ii), S, y_lo, y_hi);
        plan = lz::plan_unit(x_lo, x_hi, y_lo, y_hi);
      }
      plans[i] = plan;
      ones[lt * dpad + i] = plan.one;
      flipped[i] = plan.flip ? 1 : 0;
      k_sum += plan.k;
      stats.slow_units += plan.slow;
      stats.flipped_units += plan.flip;
      for (int v = 0; v < lz::kTilePrefixes; ++v)
        x[(lt * dpad + i) * lz::kTilePrefixes + v] =
            ii < D && v < g.tile_valid_prefixes
                ? lz::x_value(plan, base, lz::prefix_vary(w_row(ii), S, V, v))
                : 0.0f;
    }
    lz::ScheduleState schedule;
    for (int kt = 0; kt < g.n_ktiles; ++kt) {
      float lo2[lz::kKTileUnits], hi2[lz::kKTileUnits];
      bool slow[lz::kKTileUnits], flip[lz::kKTileUnits];
      for (int u = 0; u < lz::kKTileUnits; ++u) {
        const lz::UnitPlan& plan = plans[kt * lz::kKTileUnits + u];
        lo2[u] = plan.lo2;
        hi2[u] = plan.hi2;
        slow[u] = plan.slow;
        flip[u] = plan.flip;
      }
      lz::KTilePlan& ktile = ktiles[lt * g.n_ktiles + kt];
      ktile = lz::schedule_ktile(schedule, lo2, hi2, slow, flip,
                                 std::min(lz::kKTileUnits, D - kt * lz::kKTileUnits));
      stats.split_ktiles += (ktile.control & 3u) == lz::kModeSplit;
    }
    std::vector<double>& c_prime = c_primes[lt];
    c_prime.resize(L + 1);
    for (int j = 0; j <= L; ++j) {
      double sum = 0;
      for (int part = 0; part < lz::kFlipParts; ++part)
        sum += lz::flip_partial_sum(m.weights.data(), m.visible_bias.data(), flipped.data(), D, L,
                                    j, part);
      c_prime[j] = j < L ? m.hidden_bias[j] + sum : sum;
    }
    constants[lt] = static_cast<double>(k_sum) * lz::kLn2 + c_prime[L];
  }

  // split_product_kernel: one block per (launch tile, 128 suffixes).
  std::vector<lz::LogSumPair> partials(launch_tiles * g.n_suffix_tiles);
  for (std::uint64_t block = 0; block < partials.size(); ++block) {
    const lz::LaunchBlock lb = lz::launch_block(block, g.n_suffix_tiles);
    const lz::LaunchTile where = lz::launch_tile(lb.tile, tiles_per_model, first_tile);
    const float* model_tables =
        tables.data() + static_cast<std::size_t>(where.model) * 3 * table_stride;
    const int q0 = lb.suffix_tile * lz::kTileSuffixes;
    std::vector<lz::LogSumPair> lanes(lz::kThreads);
    for (int tid = 0; tid < lz::kThreads; ++tid) {
      const int tx = tid % 16, ty = tid / 16;
      double terms[lz::kThreadPrefixes * lz::kThreadSuffixes];
      for (int a = 0; a < lz::kThreadPrefixes; ++a)
        for (int b = 0; b < lz::kThreadSuffixes; ++b) {
          const int v = ty * lz::kThreadPrefixes + a;
          const int column = lz::thread_suffix(tx, b);
          double& term = terms[a * lz::kThreadSuffixes + b];
          term = -std::numeric_limits<double>::infinity();
          if (v >= g.tile_valid_prefixes || q0 + column >= g.n_suffixes) continue;
          StateOps ops{x.data() + lb.tile * dpad * lz::kTilePrefixes + v,
                       model_tables + q0 + column, ones.data() + lb.tile * dpad, table_stride,
                       qpad};
          for (int kt = 0; kt < g.n_ktiles; ++kt) {
            ops.unit0 = kt * lz::kKTileUnits;
            ops.plan = ktiles[lb.tile * g.n_ktiles + kt];
            lz::run_ktile(ops.plan, ops);
          }
          const std::uint64_t prefix = (where.tile << V) | static_cast<std::uint64_t>(v);
          const std::vector<double>& c_prime = c_primes[lb.tile];
          const double offset =
              lz::prefix_offset(constants[lb.tile], c_prime.data(), L, S, prefix) +
              lz::suffix_offset(c_prime.data(), S, static_cast<std::uint32_t>(q0 + column));
          term = lz::state_term(offset, ops.exponent, ops.extractions, ops.prod);
          if (tid == 0 && a == 0 && b == 0) stats.extractions += ops.extractions;
        }
      lanes[tid] = lz::log_sum_terms(terms);
    }
    for (int stride = lz::kThreads / 2; stride > 0; stride /= 2)
      for (int t = 0; t < stride; ++t) lanes[t] = lz::combine(lanes[t], lanes[t + stride]);
    partials[block] = lanes[0];
  }

  // chunk_reduce_kernel: block m merges model m's partials.
  const std::size_t per_model = tiles_per_model * g.n_suffix_tiles;
  std::vector<lz::LogSumPair> merged;
  for (std::size_t m = 0; m < models.size(); ++m)
    merged.push_back(tree_reduce(std::vector<lz::LogSumPair>(
        partials.begin() + m * per_model, partials.begin() + (m + 1) * per_model)));
  return merged;
}

Emulation finish(const lz::LogSumPair& total, const EmulationStats& stats) {
  Emulation out;
  out.total = total;
  out.log_z = lz::log_sum_value(total);
  out.stats = stats;
  return out;
}

/// Runs the GPU pipeline of cuda/logz.cu on the CPU for one model, `tiles_per_chunk` prefix
/// tiles at a time (the chunked path of large models).
Emulation emulate(const Model& original, std::uint64_t tiles_per_chunk = 2) {
  const Model m = original.n_hidden <= original.n_visible ? original : transposed(original);
  const lz::SplitGeometry g = lz::make_split_geometry(m.n_visible, m.n_hidden);
  const std::vector<const Model*> models{&m};
  const std::vector<float> tables = emulate_tables(models, g);
  EmulationStats stats;
  lz::LogSumPair total = lz::empty_log_sum();
  for (std::uint64_t first = 0; first < g.n_prefix_tiles; first += tiles_per_chunk) {
    const std::uint64_t count = std::min(tiles_per_chunk, g.n_prefix_tiles - first);
    total = lz::combine(total, emulate_chunk(models, g, tables, first, count, stats).front());
  }
  return finish(total, stats);
}

/// The path of models whose enumeration is one chunk: all of them share every launch.
std::vector<Emulation> emulate_together(const std::vector<Model>& originals) {
  std::vector<Model> oriented;
  for (const Model& m : originals)
    oriented.push_back(m.n_hidden <= m.n_visible ? m : transposed(m));
  std::vector<const Model*> models;
  for (const Model& m : oriented) models.push_back(&m);
  const lz::SplitGeometry g = lz::make_split_geometry(oriented[0].n_visible, oriented[0].n_hidden);
  const std::vector<float> tables = emulate_tables(models, g);
  EmulationStats stats;
  std::vector<Emulation> out;
  for (const lz::LogSumPair& total : emulate_chunk(models, g, tables, 0, g.n_prefix_tiles, stats))
    out.push_back(finish(lz::combine(lz::empty_log_sum(), total), stats));
  return out;
}

double cpu_log_z(const Model& model) {
  Engine engine(BackendKind::cpu);
  return engine.log_z(model).log_z;
}

class LogZSplitModels : public ::testing::TestWithParam<Inputs> {};

// Several models in one launch: each model's result is bit for bit its own launch's (the
// index maps route every tile, block and table entry to its model), and matches the CPU.
TEST(LogZSplitLaunch, ModelsSharingALaunchEqualTheirOwnLaunches) {
  const Inputs shapes[] = {{"tile", 20, 16, 0.5, 0.5, 0, 61},   // one tile, 8 suffix tiles
                           {"tiles", 30, 18, 1.0, 1.0, 0, 62},  // 4 tiles
                           {"transposed", 12, 40, 0.5, 0.5, 0, 63}};
  for (const Inputs& shape : shapes) {
    std::vector<Model> models;
    for (std::uint64_t k = 0; k < 3; ++k) {
      Inputs in = shape;
      in.seed += 100 * k;
      in.weight_scale *= 1 + k;  // different plans, flips and schedules per model
      models.push_back(random_model(in));
    }
    const std::vector<Emulation> together = emulate_together(models);
    ASSERT_EQ(together.size(), models.size());
    for (std::size_t k = 0; k < models.size(); ++k) {
      const Emulation alone = emulate_together({models[k]}).front();
      EXPECT_EQ(together[k].total.max, alone.total.max) << describe(shape) << " model " << k;
      EXPECT_EQ(together[k].total.sum, alone.total.sum) << describe(shape) << " model " << k;
      const double reference = cpu_log_z(models[k]);
      EXPECT_NEAR(together[k].log_z, reference, tolerance(reference))
          << describe(shape) << " model " << k;
    }
  }
}

TEST_P(LogZSplitModels, EmulationMatchesCpuFloat64) {
  const Inputs in = GetParam();
  const Model model = random_model(in);
  const double reference = cpu_log_z(model);
  const Emulation emulated = emulate(model);
  EXPECT_NEAR(emulated.log_z, reference, tolerance(reference))
      << describe(in) << "\n  slow units " << emulated.stats.slow_units << ", flipped "
      << emulated.stats.flipped_units << ", split k-tiles " << emulated.stats.split_ktiles
      << ", extractions (one state per tile) " << emulated.stats.extractions;
}

const Inputs kCases[] = {
    // MNIST-sized visible layer, the hidden layer enumerated (S = min(L, 10): one tile).
    {"mnist_tiny", 784, 4, 0.01, 0.01, 0, 11},
    {"mnist_small", 784, 8, 0.1, 0.1, 0, 12},
    {"mnist_unit", 784, 12, 1.0, 1.0, 0, 13},
    {"mnist_large", 784, 10, 5.0, 1.0, 0, 14},
    // 64 prefixes × 1024 suffixes: a full tile.
    {"tile_001", 20, 16, 0.01, 0.01, 0, 21},
    {"tile_01", 20, 16, 0.1, 0.1, 0, 22},
    {"tile_1", 20, 16, 1.0, 1.0, 0, 23},
    {"tile_5", 20, 16, 5.0, 5.0, 0, 24},
    // Several tiles (P = 8: 4 tiles, 2 chunks of ≤ 2) and D not a multiple of the k-tile.
    {"tiles_1", 30, 18, 1.0, 1.0, 0, 31},
    {"tiles_3", 37, 18, 3.0, 2.0, 0, 32},
    // D < L: the visible layer is enumerated through transposed().
    {"transposed", 12, 300, 0.5, 0.5, 0, 41},
    // Large biases: fields far outside float exp range, forcing flips and the guard.
    {"biases_pos", 64, 14, 2.0, 10.0, 60, 51},
    {"biases_neg", 64, 14, 2.0, 10.0, -60, 52},
    {"huge_weights", 40, 12, 25.0, 5.0, 0, 53},
};

INSTANTIATE_TEST_SUITE_P(LogZSplit,
                         LogZSplitModels,
                         ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Inputs>& info) {
                           return std::string(info.param.name);
                         });

// ---- The guard -------------------------------------------------------------------------------
TEST(LogZSplitGuard, LargeFieldsTakeTheFlipOrTheSlowPathAndStayExact) {
  // Biases of ±60..80 put e^{b_i} beyond float range (e^88.7); weights of scale 25 make single
  // units span hundreds of nats inside one tile, which no scaling can fit: those must be slow.
  const Inputs positive{"biases_pos", 64, 14, 2.0, 10.0, 60, 51};
  const Inputs huge{"huge_weights", 40, 12, 25.0, 5.0, 0, 53};
  const Emulation flipped = emulate(random_model(positive));
  EXPECT_GT(flipped.stats.flipped_units, 0u) << describe(positive);
  const Emulation slow = emulate(random_model(huge));
  EXPECT_GT(slow.stats.slow_units, 0u) << describe(huge);
  EXPECT_GT(slow.stats.split_ktiles, 0u) << describe(huge);
  for (const Inputs& in : {positive, huge}) {
    const double reference = cpu_log_z(random_model(in));
    const double emulated = emulate(random_model(in)).log_z;
    EXPECT_TRUE(std::isfinite(emulated)) << describe(in);
    EXPECT_NEAR(emulated, reference, tolerance(reference)) << describe(in);
  }
}

TEST(LogZSplitGuard, PlanChoosesFlipScaleOrSlow) {
  // Fields all large and positive: flipping turns 1 + e^f into e^f(1 + e^-f), a tiny factor.
  const lz::UnitPlan positive = lz::plan_unit(80, 120, -5, 5);
  EXPECT_FALSE(positive.slow);
  EXPECT_TRUE(positive.flip);
  EXPECT_LT(positive.hi2 - positive.lo2, 1.0f);
  // Fields all very negative: factors are 1 to float precision; X' may underflow harmlessly.
  const lz::UnitPlan negative = lz::plan_unit(-300, -200, -5, 5);
  EXPECT_FALSE(negative.slow);
  EXPECT_FALSE(negative.flip);
  // Straddling zero by ±40: the factor spans ~58 bits; k centres it.
  const lz::UnitPlan straddle = lz::plan_unit(-40, 40, -1, 1);
  EXPECT_FALSE(straddle.slow);
  EXPECT_NE(straddle.k, 0);
  EXPECT_NEAR(straddle.lo2, -straddle.hi2, 1.1f);
  // A unit spanning ±200 nats in one tile, or a suffix table wider than float: slow.
  EXPECT_TRUE(lz::plan_unit(-200, 200, -1, 1).slow);
  EXPECT_TRUE(lz::plan_unit(-1, 1, -200, 200).slow);
}

// For fast plans, every field in the planned ranges (endpoints and a grid) must give finite X'
// and Y', a factor' within [2^lo2, 2^hi2], and log(factor') + k ln2 (+ f if flipped) equal to
// softplus(f) up to float rounding, whatever the split of f between prefix and suffix.
TEST(LogZSplitGuard, FastPlansStayInFloatRange) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> centre(-150, 150), width(0, 120), y_width(0, 100),
      y_centre(-20, 20);
  int fast = 0, slow = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const double x_lo = centre(rng), x_hi = x_lo + width(rng);
    const double y_mid = y_centre(rng), y_half = 0.5 * y_width(rng);
    const double y_lo = y_mid - y_half, y_hi = y_mid + y_half;
    const lz::UnitPlan plan = lz::plan_unit(x_lo, x_hi, y_lo, y_hi);
    if (plan.slow) {
      ++slow;
      continue;
    }
    ++fast;
    const double t = 0.5 * (y_lo + y_hi);
    for (int a = 0; a <= 8; ++a)
      for (int b = 0; b <= 8; ++b) {
        const double fx = x_lo + (x_hi - x_lo) * a / 8, fy = y_lo + (y_hi - y_lo) * b / 8;
        const float X = lz::x_value(plan, fx, 0.0f);
        const float centred = static_cast<float>(fy - t);
        const float Y = std::exp(plan.flip ? -centred : centred);
        ASSERT_TRUE(std::isfinite(X) && std::isfinite(Y) && Y > 0) << fx << " " << fy;
        const float factor = std::fma(X, Y, plan.one);
        ASSERT_TRUE(std::isnormal(factor)) << fx << " " << fy;
        const double log2_factor = std::log2(static_cast<double>(factor));
        EXPECT_GE(log2_factor, plan.lo2) << fx << " " << fy;
        EXPECT_LE(log2_factor, plan.hi2) << fx << " " << fy;
        const double f = fx + fy;
        const double got =
            std::log(static_cast<double>(factor)) + plan.k * lz::kLn2 + (plan.flip ? f : 0);
        // X' and Y' are expf of float arguments of size |fx| + |t| + |k| ln2 and |fy - t|: each
        // rounding of an argument moves the factor by up to 2^-24 times it (plus ~3 ulps).
        const double argument = std::fabs(fx) + std::fabs(fy) + 2 * std::fabs(t) + std::abs(plan.k);
        EXPECT_NEAR(got, rbm::detail::softplus(f), 1.2e-7 * (4 + argument)) << fx << " " << fy;
      }
  }
  EXPECT_GT(fast, 1000);
  EXPECT_GT(slow, 10);
}

// ---- The running product ---------------------------------------------------------------------
TEST(LogZSplitProduct, ExtractionIsExact) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> exponent(-120, 120);
  for (int n = 0; n < 1000; ++n) {
    const float value = std::exp2(exponent(rng));
    float prod = value;
    int sum = 0;
    lz::extract_exponent(prod, sum);
    EXPECT_GE(prod, 1.0f);
    EXPECT_LT(prod, 2.0f);
    EXPECT_EQ(std::ldexp(prod, sum - 127), value);
  }
}

/// Tracks the log2 interval of the running product through run_ktile.
struct IntervalOps {
  const float* lo2;
  const float* hi2;
  double lo = 0, hi = 1;
  double min_seen = 0, max_seen = 1;
  int steps = 0, extractions = 0;
  void note() {
    min_seen = std::min(min_seen, lo);
    max_seen = std::max(max_seen, hi);
  }
  void extract() {
    lo = 0;
    hi = 1;
    ++extractions;
  }
  void fast(int u) {
    lo += lo2[u];
    hi += hi2[u];
    ++steps;
    note();
  }
  void fast4(int u0) {
    for (int u = u0; u < u0 + 4; ++u) fast(u);
  }
  void slow(int) {
    hi += 1;  // slow_step multiplies by [1, 2)
    ++steps;
    note();
  }
};

// The schedule must keep the worst-case product a normal float (2^-126 .. 2^128) for any unit
// bounds plan_unit can produce, and must not extract when nothing is needed.
TEST(LogZSplitProduct, ScheduleKeepsTheProductNormal) {
  std::mt19937_64 rng(5);
  for (double spread : {0.01, 1.0, 10.0, 40.0, 99.0}) {
    std::uniform_real_distribution<double> half(0, spread);
    std::bernoulli_distribution slow_unit(spread > 50 ? 0.1 : 0.0);
    lz::ScheduleState state;
    IntervalOps ops{nullptr, nullptr};
    const int n_ktiles = 200;
    for (int kt = 0; kt < n_ktiles; ++kt) {
      float lo2[lz::kKTileUnits], hi2[lz::kKTileUnits];
      bool slow[lz::kKTileUnits], flip[lz::kKTileUnits] = {};
      for (int u = 0; u < lz::kKTileUnits; ++u) {
        const double h = half(rng), shift = (rng() % 3) * 0.3 - 0.3;
        slow[u] = slow_unit(rng);
        lo2[u] = slow[u] ? 0.0f : static_cast<float>(-h + shift);
        hi2[u] = slow[u] ? 1.0f : static_cast<float>(h + shift);
      }
      const int n_real = kt + 1 == n_ktiles ? 13 : lz::kKTileUnits;
      const lz::KTilePlan plan = lz::schedule_ktile(state, lo2, hi2, slow, flip, n_real);
      ops.lo2 = lo2;
      ops.hi2 = hi2;
      lz::run_ktile(plan, ops);
    }
    EXPECT_GE(ops.min_seen, -126) << "spread " << spread;
    EXPECT_LT(ops.max_seen, 128) << "spread " << spread;
    // Every real unit was applied once (the last k-tile's padding groups are skipped).
    EXPECT_GE(ops.steps, (n_ktiles - 1) * lz::kKTileUnits + 13) << "spread " << spread;
    if (spread < 0.1) {
      EXPECT_LE(ops.extractions, 1) << "tiny bounds need (almost) no extraction";
    }
  }
}

// ---- Combination -------------------------------------------------------------------------------
TEST(LogZSplitCombine, CommutativeBitwiseAndAccurate) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> max(-50, 50), sum(1, 1000);
  std::vector<lz::LogSumPair> pairs(5000);
  long double exact = 0;  // Σ sum·e^max in long double, scaled by e^-60
  for (auto& p : pairs) {
    p = {max(rng), sum(rng)};
    exact += static_cast<long double>(p.sum) * std::exp(static_cast<long double>(p.max) - 60);
  }
  for (std::size_t i = 0; i + 1 < pairs.size(); ++i) {
    const lz::LogSumPair ab = lz::combine(pairs[i], pairs[i + 1]);
    const lz::LogSumPair ba = lz::combine(pairs[i + 1], pairs[i]);
    ASSERT_EQ(std::memcmp(&ab, &ba, sizeof ab), 0) << i;
  }
  const lz::LogSumPair once = tree_reduce(pairs), twice = tree_reduce(pairs);
  EXPECT_EQ(std::memcmp(&once, &twice, sizeof once), 0);
  EXPECT_NEAR(lz::log_sum_value(once), static_cast<double>(std::log(exact) + 60), 1e-12);
  // The empty pair is neutral.
  const lz::LogSumPair left = lz::combine(lz::empty_log_sum(), pairs[0]);
  EXPECT_EQ(std::memcmp(&left, &pairs[0], sizeof left), 0);
}

TEST(LogZSplitCombine, EmulationIsDeterministicAndChunkingOnlyReordersRounding) {
  const Inputs in{"tiles_1", 30, 18, 1.0, 1.0, 0, 31};
  const Model model = random_model(in);
  const Emulation a = emulate(model, 2), b = emulate(model, 2), c = emulate(model, 1);
  EXPECT_EQ(std::memcmp(&a.total, &b.total, sizeof a.total), 0) << "repeat runs differ";
  EXPECT_NEAR(a.log_z, c.log_z, 1e-12 * std::fabs(a.log_z))
      << "chunking changed more than rounding";
}

}  // namespace
}  // namespace rbm::test
