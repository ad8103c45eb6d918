// host/common/philox.hpp — counter-based random numbers shared by the CPU and CUDA backends.
//
// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC'11), the generator cuRAND calls PHILOX4_32_10. One header compiled for host and device
// means both backends draw the *same* uniforms from (seed, stream, index), whatever the launch
// geometry, so CPU and GPU runs of one seed can be compared sample for sample.
#pragma once
#include <math.h>

#include <cstdint>

#include "host/common/hd.hpp"

namespace rbm::detail {

/// Independent streams of one seed, one per purpose.
enum class RandomStream : std::uint32_t {
  init = 1,
  shuffle = 2,
  gibbs = 3,
  sample = 4,
  anneal = 5,          ///< annealed importance sampling
  temper = 6,          ///< parallel tempering
  anneal_reverse = 7,  ///< reverse annealing (from data rows)
};

struct Philox4 {
  std::uint32_t v[4];
};

RBM_HD std::uint32_t mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t* hi) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  *hi = static_cast<std::uint32_t>(product >> 32);
  return static_cast<std::uint32_t>(product);
}

/// The 10-round Philox4x32 bijection of `counter` under `key`.
RBM_HD Philox4 philox4x32_10(Philox4 counter, std::uint32_t key0, std::uint32_t key1) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, hi1;
    const std::uint32_t lo0 = mulhilo32(kMul0, counter.v[0], &hi0);
    const std::uint32_t lo1 = mulhilo32(kMul1, counter.v[2], &hi1);
    counter = Philox4{{hi1 ^ counter.v[1] ^ key0, lo1, hi0 ^ counter.v[3] ^ key1, lo0}};
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  return counter;
}

/// 32 random bits → float uniform in (0, 1], as cuRAND's curand_uniform maps them.
RBM_HD float uniform_from_bits(std::uint32_t bits) {
  return static_cast<float>(bits) * 2.3283064365386963e-10f + 1.1641532182693481e-10f;
}

/// Four uniforms number 4*block .. 4*block+3 of stream (seed, stream, substream).
RBM_HD Philox4 random_block(std::uint64_t seed,
                            RandomStream stream,
                            std::uint32_t substream,
                            std::uint64_t block) {
  const Philox4 counter{{static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                         static_cast<std::uint32_t>(stream), substream}};
  return philox4x32_10(counter, static_cast<std::uint32_t>(seed),
                       static_cast<std::uint32_t>(seed >> 32));
}

/// Uniform number `index` of stream (seed, stream, substream).
RBM_HD float random_uniform(std::uint64_t seed,
                            RandomStream stream,
                            std::uint32_t substream,
                            std::uint64_t index) {
  return uniform_from_bits(random_block(seed, stream, substream, index >> 2).v[index & 3]);
}

/// Standard normal number `index` of stream (seed, stream, substream), in float64: Box–Muller
/// on the uniforms 2·index and 2·index + 1, √(−2 log u1)·cos(2π u2).
RBM_HD double random_normal(std::uint64_t seed,
                            RandomStream stream,
                            std::uint32_t substream,
                            std::uint64_t index) {
  constexpr double kTwoPi = 6.283185307179586;  // 2π rounded to double, as 2.0 * M_PI
  const double u1 = random_uniform(seed, stream, substream, 2 * index);
  const double u2 = random_uniform(seed, stream, substream, 2 * index + 1);
  return sqrt(-2.0 * log(u1)) * cos(kTwoPi * u2);
}

}  // namespace rbm::detail
