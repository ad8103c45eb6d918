// host/common/log_sum.hpp — how exact log Z's partial sums combine: (max, Σexp) pairs, merged
// in one fixed binary tree over the enumeration's work units, so that the result does not
// depend on who computed which units (threads, chunks, devices, MPI ranks).
//
// The pair (max, sum) stands for log(sum) + max. Merging two pairs rounds, and rounding is not
// associative, so the order of merges is fixed once: the units 0 .. n-1 of an enumeration (the
// CPU's chunks of prefixes, the GPU's prefix tiles) are the leaves of a binary tree in which
// node (index, level) covers units [index·2^level, (index + 1)·2^level) and holds
// combine(left child, right child). A contiguous range of units [a, b) is summarised by the
// maximal nodes it fills (at most two per level): pushing leaves or nodes in ascending order
// onto a TreeStack merges siblings as soon as both are there and leaves exactly those nodes.
// The nodes of adjacent ranges, pushed in order onto one stack, give the nodes of their union,
// bit for bit as if one process had pushed every leaf; the value of [0, n) is the stack folded
// from its right end (tree_total), i.e. the root of the tree padded with empty leaves.
//
// combine() is written with +, ×, fma and exact scaling only (its exp is a polynomial, see
// tree_exp): library exp differs in the last bit between the host and the device, and a node
// must come out the same whether a GPU kernel or a host merged it.
#pragma once
#include <math.h>

#include <cstdint>
#include <limits>

#include "host/common/hd.hpp"

namespace rbm::detail {

/// value = max + log(sum); the empty pair is (-inf, 0). A non-empty pair has sum ≥ 1 (its
/// largest term contributes e^0).
struct LogSumPair {
  double max;
  double sum;
};

RBM_HD LogSumPair empty_log_sum() {
  return LogSumPair{-std::numeric_limits<double>::infinity(), 0.0};
}

/// e^x for x ≤ 0 from +, ×, fma and ldexp only, so that every IEEE machine rounds it alike.
/// Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, then the Taylor series of e^r to r^13/13!
/// (truncation < 5e-18 relative); about 1 ulp in all. Arguments below -708 give 0: a merged
/// sum is ≥ 1, so a term e^-708 times any count of states below 2^64 changes nothing.
RBM_HD double tree_exp(double x) {
  if (!(x > -708.0)) return 0.0;
  constexpr double kLog2e = 0x1.71547652b82fep+0;
  constexpr double kLn2Hi = 0x1.62e42fefa39efp-1;  // ln 2 = kLn2Hi + kLn2Lo
  constexpr double kLn2Lo = 0x1.abc9e3b39803fp-56;
  const double k = rint(x * kLog2e);
  double r = fma(-k, kLn2Hi, x);
  r = fma(-k, kLn2Lo, r);
  double p = 0x1.6124613a86d09p-33;  // 1/13!, then Horner down to 1/0!
  p = fma(p, r, 0x1.1eed8eff8d898p-29);
  p = fma(p, r, 0x1.ae64567f544e4p-26);
  p = fma(p, r, 0x1.27e4fb7789f5cp-22);
  p = fma(p, r, 0x1.71de3a556c734p-19);
  p = fma(p, r, 0x1.a01a01a01a01ap-16);
  p = fma(p, r, 0x1.a01a01a01a01ap-13);
  p = fma(p, r, 0x1.6c16c16c16c17p-10);
  p = fma(p, r, 0x1.1111111111111p-7);
  p = fma(p, r, 0x1.5555555555555p-5);
  p = fma(p, r, 0x1.5555555555555p-3);
  p = fma(p, r, 0.5);
  p = fma(p, r, 1.0);
  p = fma(p, r, 1.0);
  return ldexp(p, static_cast<int>(k));  // k ≥ -1021: a normal double, exact
}

/// Merges two pairs in float64: bitwise commutative, not associative (hence the fixed tree).
RBM_HD LogSumPair combine(const LogSumPair& a, const LogSumPair& b) {
  if (b.sum == 0) return a;
  if (a.sum == 0) return b;
  if (a.max >= b.max) return LogSumPair{a.max, fma(b.sum, tree_exp(b.max - a.max), a.sum)};
  return LogSumPair{b.max, fma(a.sum, tree_exp(a.max - b.max), b.sum)};
}

/// max + log(sum), on the host only (where log is the same for every caller).
inline double log_sum_value(const LogSumPair& s) {
  return s.max + log(s.sum);
}

// ---- The tree -------------------------------------------------------------------------------
/// Node (index, level): units [index·2^level, (index + 1)·2^level).
struct TreeNode {
  std::uint64_t index;
  int level;
  LogSumPair value;
};

/// A range [a, b) of 64-bit unit indices fills at most two nodes per level.
inline constexpr int kMaxTreeNodes = 128;

/// The maximal nodes of the units pushed so far, in ascending order.
struct TreeStack {
  int size;
  TreeNode nodes[kMaxTreeNodes];
};

RBM_HD void clear(TreeStack& stack) {
  stack.size = 0;
}

/// Appends `node` (the next units in ascending order), merging it with its left sibling while
/// that is on top of the stack.
RBM_HD void push(TreeStack& stack, TreeNode node) {
  while (stack.size > 0 && (node.index & 1u) && stack.nodes[stack.size - 1].level == node.level &&
         stack.nodes[stack.size - 1].index + 1 == node.index) {
    node = TreeNode{node.index >> 1, node.level + 1,
                    combine(stack.nodes[stack.size - 1].value, node.value)};
    --stack.size;
  }
  stack.nodes[stack.size++] = node;
}

/// The stack's nodes folded from the right: for the nodes of [0, n), the root of the tree.
RBM_HD LogSumPair tree_total(const TreeStack& stack) {
  LogSumPair total = empty_log_sum();
  for (int i = stack.size - 1; i >= 0; --i) total = combine(stack.nodes[i].value, total);
  return total;
}

/// The level of the largest node that starts at unit `pos` and ends at or before `end` > pos.
RBM_HD int node_level(std::uint64_t pos, std::uint64_t end) {
  int level = 0;
  while (level < 62 && ((pos >> level) & 1u) == 0 && end - pos >= (std::uint64_t{2} << level))
    ++level;
  return level;
}

/// Folds `count` (a power of two) consecutive values of one aligned node in place by the
/// node's own subtree (pairs, then pairs of pairs, ...); returns the node's value.
RBM_HD LogSumPair perfect_fold(LogSumPair* values, std::uint64_t count) {
  for (std::uint64_t stride = 1; stride < count; stride *= 2)
    for (std::uint64_t i = 0; i < count; i += 2 * stride)
      values[i] = combine(values[i], values[i + stride]);
  return values[0];
}

}  // namespace rbm::detail
