// tests/test_logz_parts.cpp — exact log Z in parts: the fixed tree of host/common/log_sum.hpp
// and Engine::log_z_part / combine_log_z_parts, which let threads, GPUs or MPI ranks enumerate
// ranges of one model's work units apart and still return log Z bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "host/common/log_sum.hpp"
#include "rbm/engine.hpp"
#include "rbm/error.hpp"
#include "tests/support/logz_models.hpp"

namespace rbm::test {
namespace {

using detail::LogSumPair;

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same_bits(const LogSumPair& a, const LogSumPair& b) {
  return same_bits(a.max, b.max) && same_bits(a.sum, b.sum);
}

std::vector<LogSumPair> random_leaves(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> max(-40, 40), sum(1, 5000);
  std::vector<LogSumPair> leaves(n);
  for (LogSumPair& leaf : leaves) leaf = {max(rng), sum(rng)};
  return leaves;
}

/// The definition: the perfect tree over 2^K ≥ n leaves, the missing ones empty.
LogSumPair padded_root(const std::vector<LogSumPair>& leaves,
                       std::uint64_t lo,
                       std::uint64_t size) {
  if (lo >= leaves.size()) return detail::empty_log_sum();
  if (size == 1) return leaves[lo];
  return detail::combine(padded_root(leaves, lo, size / 2),
                         padded_root(leaves, lo + size / 2, size / 2));
}

detail::TreeStack stack_of(const std::vector<LogSumPair>& leaves,
                           std::uint64_t begin,
                           std::uint64_t end) {
  detail::TreeStack stack;
  detail::clear(stack);
  for (std::uint64_t u = begin; u < end; ++u) detail::push(stack, {u, 0, leaves[u]});
  return stack;
}

// ---- The arithmetic ----------------------------------------------------------------------------
TEST(LogZTree, TreeExpIsWithinTwoUlpsOfLibraryExp) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> x(-708, 0), small(-1e-3, 0);
  std::vector<double> points{0.0, -0.0, -1e-300, -0.5 * M_LN2, -M_LN2, -1.5 * M_LN2, -707.9};
  for (int n = 0; n < 100000; ++n) points.push_back(x(rng));
  for (int n = 0; n < 1000; ++n) points.push_back(small(rng));
  for (double p : points) {
    const double expected = std::exp(p), got = detail::tree_exp(p);
    // exp is within 1 ulp of the truth (glibc); the polynomial's bound is about 1 ulp.
    ASSERT_LE(std::fabs(got - expected), 0x1.0p-51 * expected) << "x = " << p;
  }
  EXPECT_EQ(detail::tree_exp(0.0), 1.0);
  EXPECT_EQ(detail::tree_exp(-709.0), 0.0);  // below the cut-off: negligible in any merge
  EXPECT_EQ(detail::tree_exp(-INFINITY), 0.0);
}

TEST(LogZTree, CombineIsCommutativeBitwiseWithTheEmptyPairNeutral) {
  const std::vector<LogSumPair> pairs = random_leaves(2000, 2);
  for (std::size_t i = 0; i + 1 < pairs.size(); ++i) {
    ASSERT_TRUE(
        same_bits(detail::combine(pairs[i], pairs[i + 1]), detail::combine(pairs[i + 1], pairs[i])))
        << i;
    ASSERT_TRUE(same_bits(detail::combine(pairs[i], detail::empty_log_sum()), pairs[i]));
    ASSERT_TRUE(same_bits(detail::combine(detail::empty_log_sum(), pairs[i]), pairs[i]));
  }
  LogSumPair equal_max{3.0, 2.0};
  EXPECT_EQ(detail::combine(equal_max, equal_max).sum, 4.0);
}

TEST(LogZTree, PushingLeavesBuildsThePaddedPerfectTree) {
  for (std::size_t n : {1, 2, 3, 5, 8, 13, 64, 100, 1000, 1025}) {
    const std::vector<LogSumPair> leaves = random_leaves(n, n);
    std::uint64_t size = 1;
    while (size < n) size *= 2;
    const detail::TreeStack stack = stack_of(leaves, 0, n);
    EXPECT_TRUE(same_bits(detail::tree_total(stack), padded_root(leaves, 0, size))) << "n = " << n;
    EXPECT_LE(stack.size, 11) << "the nodes of [0, n) are the bits of n";
  }
}

TEST(LogZTree, RangesComputedApartMergeBitForBit) {
  const std::size_t n = 1000;
  const std::vector<LogSumPair> leaves = random_leaves(n, 3);
  const LogSumPair whole = detail::tree_total(stack_of(leaves, 0, n));
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 200; ++trial) {
    // 1..20 cuts (repeats give empty ranges), as ranks of any count would take.
    std::vector<std::uint64_t> cuts{0, n};
    const int n_cuts = 1 + static_cast<int>(rng() % 20);
    for (int c = 0; c < n_cuts; ++c) cuts.push_back(rng() % (n + 1));
    std::sort(cuts.begin(), cuts.end());
    detail::TreeStack merged;
    detail::clear(merged);
    for (std::size_t r = 0; r + 1 < cuts.size(); ++r) {
      const detail::TreeStack part = stack_of(leaves, cuts[r], cuts[r + 1]);
      ASSERT_LE(part.size, 2 * 10) << "at most two nodes per level";
      for (int k = 0; k < part.size; ++k) detail::push(merged, part.nodes[k]);
    }
    ASSERT_TRUE(same_bits(detail::tree_total(merged), whole)) << "trial " << trial;
  }
}

// The GPU's way to fill a range: the maximal nodes (node_level), each folded by perfect_fold.
TEST(LogZTree, MaximalNodesFoldedWholeEqualLeavesPushedOneByOne) {
  const std::vector<LogSumPair> leaves = random_leaves(777, 5);
  for (auto [begin, end] : {std::pair<std::uint64_t, std::uint64_t>{0, 777}, {5, 6}, {3, 700}}) {
    const detail::TreeStack expected = stack_of(leaves, begin, end);
    detail::TreeStack got;
    detail::clear(got);
    for (std::uint64_t pos = begin; pos < end;) {
      const int level = detail::node_level(pos, end);
      std::vector<LogSumPair> values(leaves.begin() + pos,
                                     leaves.begin() + pos + (std::uint64_t{1} << level));
      detail::push(got, {pos >> level, level, detail::perfect_fold(values.data(), values.size())});
      pos += std::uint64_t{1} << level;
    }
    ASSERT_EQ(got.size, expected.size);
    for (int k = 0; k < got.size; ++k) {
      EXPECT_EQ(got.nodes[k].index, expected.nodes[k].index);
      EXPECT_EQ(got.nodes[k].level, expected.nodes[k].level);
      EXPECT_TRUE(same_bits(got.nodes[k].value, expected.nodes[k].value));
    }
  }
}

// ---- The Engine's parts ------------------------------------------------------------------------
struct PartCase {
  Inputs inputs;
  UnitType visible = UnitType::bernoulli, hidden = UnitType::bernoulli;
};

void PrintTo(const PartCase& c, std::ostream* out) {
  *out << describe(c.inputs) << " " << to_string(c.visible) << "/" << to_string(c.hidden);
}

Model part_model(const PartCase& c) {
  Model model = random_model(c.inputs);
  model.visible_type = c.visible;
  model.hidden_type = c.hidden;
  return model;
}

/// Parts as `ranks` MPI ranks take them: rank r gets units [r·U/N, (r+1)·U/N).
std::vector<LogZPart> split_parts(Engine& engine, const Model& model, std::uint64_t ranks) {
  const std::uint64_t units = engine.log_z_units(model);
  std::vector<LogZPart> parts;
  for (std::uint64_t r = 0; r < ranks; ++r)
    parts.push_back(engine.log_z_part(model, r * units / ranks, (r + 1) * units / ranks));
  return parts;
}

class LogZParts : public ::testing::TestWithParam<PartCase> {};

TEST_P(LogZParts, AnySplitCombinesToLogZBitForBit) {
  const Model model = part_model(GetParam());
  Engine engine(BackendKind::cpu);
  const LogZResult whole = engine.log_z(model);
  const std::uint64_t units = engine.log_z_units(model);
  for (std::uint64_t ranks :
       {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{7}, units + 2}) {
    const LogZResult combined = combine_log_z_parts(split_parts(engine, model, ranks));
    EXPECT_TRUE(same_bits(combined.log_z, whole.log_z))
        << ranks << " parts of " << units << " units: " << combined.log_z << " vs " << whole.log_z;
    EXPECT_EQ(combined.enumerated_hidden, whole.enumerated_hidden);
    EXPECT_EQ(combined.log2_states, whole.log2_states);
    EXPECT_EQ(combined.pairs, whole.pairs);
  }
  // Another thread count computes every unit itself the same way.
  EngineOptions one_thread;
  one_thread.cpu_threads = 1;
  Engine single(BackendKind::cpu, one_thread);
  EXPECT_TRUE(same_bits(combine_log_z_parts(split_parts(single, model, 3)).log_z, whole.log_z));
}

const PartCase kPartCases[] = {
    {{"mnist_l20", 784, 20, 0.1, 0.1, 0, 1}},        // 64 units
    {{"l17", 100, 17, 0.5, 0.5, 0, 2}},              // 8 units
    {{"l13_one_unit", 50, 13, 1.0, 1.0, 0, 3}},      // fewer prefixes than one chunk
    {{"l23", 40, 23, 0.3, 0.3, 0, 4}},               // 512 units
    {{"l21_large", 30, 21, 3.0, 2.0, 0, 5}},         // 128 units, large fields
    {{"visible_smaller", 18, 200, 0.2, 0.2, 0, 6}},  // the visible layer is enumerated
    {{"spin", 60, 16, 0.3, 0.3, 0, 7}, UnitType::spin, UnitType::spin},
    {{"potts", 30, 12, 0.5, 0.5, 0, 8}, UnitType::bernoulli, UnitType::potts},
};

INSTANTIATE_TEST_SUITE_P(Cpu,
                         LogZParts,
                         ::testing::ValuesIn(kPartCases),
                         [](const ::testing::TestParamInfo<PartCase>& info) {
                           return std::string(info.param.inputs.name);
                         });

TEST(LogZPartsApi, UnitsDependOnTheShapeOnly) {
  Engine engine(BackendKind::cpu);
  EXPECT_EQ(engine.log_z_units(random_model({"a", 784, 20, 0.1, 0.1, 0, 1})), 64u);
  EXPECT_EQ(engine.log_z_units(random_model({"b", 784, 20, 2.0, 1.0, 0, 2})), 64u);
  EXPECT_EQ(engine.log_z_units(random_model({"c", 10, 5, 1.0, 1.0, 0, 3})), 1u);
  EXPECT_EQ(engine.log_z_units(random_model({"d", 16, 300, 1.0, 1.0, 0, 4})), 4u);  // visible
}

TEST(LogZPartsApi, PartsThatDoNotFitAreRefused) {
  const Model model = random_model({"l17", 100, 17, 0.5, 0.5, 0, 2});
  Engine engine(BackendKind::cpu);
  const std::vector<LogZPart> parts = split_parts(engine, model, 3);
  EXPECT_THROW(combine_log_z_parts({}), InvalidArgument);
  EXPECT_THROW(combine_log_z_parts({parts[0], parts[2]}), InvalidArgument);  // a gap
  EXPECT_THROW(combine_log_z_parts({parts[0], parts[1]}), InvalidArgument);  // not all units
  EXPECT_THROW(combine_log_z_parts({parts[1], parts[0], parts[2]}), InvalidArgument);
  std::vector<LogZPart> tampered = parts;
  tampered[1].nodes.pop_back();
  EXPECT_THROW(combine_log_z_parts(tampered), InvalidArgument);
  tampered = parts;
  tampered[2].units += 1;
  EXPECT_THROW(combine_log_z_parts(tampered), InvalidArgument);
  // Spin units give each model its own log_offset: a part of another model shows.
  Model spin = model, other = random_model({"other", 100, 17, 0.5, 0.5, 0, 9});
  spin.visible_type = spin.hidden_type = other.visible_type = other.hidden_type = UnitType::spin;
  tampered = split_parts(engine, spin, 3);
  tampered[1] = split_parts(engine, other, 3)[1];
  EXPECT_THROW(combine_log_z_parts(tampered), InvalidArgument);
  EXPECT_THROW(engine.log_z_part(model, 5, 4), InvalidArgument);
  EXPECT_THROW(engine.log_z_part(model, 0, 9), InvalidArgument);  // 8 units
}

// A part's time budget is for its share of the units (a rank's share under MPI): a budget a
// quarter of the whole enumeration's estimate refuses the whole and allows one unit of it.
TEST(LogZPartsApi, TheTimeBudgetAppliesToThePartsShare) {
  const Model model = random_model({"mnist_l30", 784, 30, 0.1, 0.1, 0, 1});
  Engine engine(BackendKind::cpu);
  const std::uint64_t units = engine.log_z_units(model);
  ASSERT_EQ(units, std::uint64_t{1} << 16);  // 2^22 prefixes in chunks of 64
  LogZOptions options;
  options.max_seconds = engine.log_z_estimate(model).seconds / 4;
  EXPECT_THROW(engine.log_z_part(model, 0, units, options), InvalidArgument);
  EXPECT_THROW(engine.log_z_part(model, 0, units / 2, options), InvalidArgument);
  const LogZPart one = engine.log_z_part(model, 7, 8, options);
  EXPECT_EQ(one.nodes.size(), 1u);
  // The units themselves are only a count: no time budget applies to them.
  options.max_seconds = 1e-9;
  EXPECT_EQ(engine.log_z_units(model, options), units);
  options.max_log2_states = 29;
  EXPECT_THROW(engine.log_z_units(model, options), InvalidArgument);
}

TEST(LogZPartsApi, ProgressCoversThePartAndCancellationThrows) {
  const Model model = random_model({"mnist_l20", 784, 20, 0.1, 0.1, 0, 1});
  EngineOptions one_thread;
  one_thread.cpu_threads = 1;  // 16 chunks per round: rounds at 16, 32 of the 32 units
  Engine engine(BackendKind::cpu, one_thread);
  std::vector<double> fractions;
  LogZOptions options;
  options.progress = [&](double fraction) {
    fractions.push_back(fraction);
    return true;
  };
  engine.log_z_part(model, 16, 48, options);
  EXPECT_EQ(fractions, (std::vector<double>{0.5, 1.0}));
  options.progress = [](double) { return false; };
  EXPECT_THROW(engine.log_z_part(model, 16, 48, options), Cancelled);
}

}  // namespace
}  // namespace rbm::test
