// cuda/logz.cu — exact log Z on the GPU: a parallel reduction over all 2^L hidden states in
// split-product form (math in host/common/logz_math.hpp, shared with the CPU emulation tests).
//
// Pipeline per model (all on one stream, one workspace allocation):
//   suffix_table_kernel   Y'_up, Y'_down, fy for every (unit i, suffix q)      [D][Q], once
//   per chunk of prefix tiles (64 prefixes each):
//     prefix_tile_kernel  per (tile, unit): plan (flip σ, scale 2^-k, slow), X' for the 64
//                         prefixes, the extraction schedule per k-tile, linear offsets
//     split_product_kernel  one block = 64 prefixes × 128 suffixes, one thread = 4 × 8 states;
//                         the inner loop is prod *= fma(X', Y', 2^-k): one FMA + one FMUL per
//                         pair; per-block (max, Σexp) partial in float64, fixed tree order
//     chunk_reduce_kernel merges the chunk's partials in index order into the running total
//   Progress/cancellation between chunks (one chunk stays queued so the GPU never idles).
//
// Throughput reasoning (H200: 132 SMs × 128 FP32 lanes × 1.98 GHz = 3.35e13 FP32 instr/s; two
// per pair gives the 1.7e13 pairs/s floor). Per unit and thread: 32 FMA + 32 FMUL on the 4×8
// register tile against 3 × LDS.128 (x for 4 prefixes — a warp broadcast — and y for 8
// suffixes) + 1/4 LDS.128 (the 2^-k of 4 units). In the sm_90 SASS (nvcc 13.0) a plain 32-unit
// k-tile is 2148 instructions of which 2047 FP32 (95%); staging (7 cp.async per thread, 32-bit
// offsets) and the loop add ~100, the epilogue ~3%: ~88% of issue slots are FP32 at D = 784,
// i.e. ~1.45e13 pairs/s if issue-bound, before extractions (2 integer instructions per state,
// see logz_math.hpp for how often) and chunk boundaries (~1-2%). A block stages 24.6 KB per
// k-tile from L2 (0.09 B/pair, ~1.2 TB/s at 1.3e13 pairs/s); the Y' tables (~10 MB) stay in L2.
// 128 registers × 256 threads, 54 KB shared: 2 blocks (16 warps) per SM.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include "cuda/device_buffer.cuh"
#include "cuda/logz.cuh"
#include "host/common/logz_math.hpp"

namespace rbm::cuda {
namespace {

namespace lz = ::rbm::detail::logz;
using lz::kKTileUnits;
using lz::kThreads;
using lz::KTilePlan;
using lz::kTilePrefixes;
using lz::kTileSuffixes;
using lz::LogSumPair;

constexpr std::size_t kChunkBytes = std::size_t{128} << 20;  // per-chunk tables (X' dominates)
constexpr std::uint64_t kMaxTilesPerChunk = 1 << 16;
constexpr std::size_t kGroupBytes = std::size_t{512} << 20;  // workspace of models sharing launches
constexpr int kPrepRoundUnits = 512;  // units planned per round of prefix_tile_kernel (smem)

int ceil_div(std::size_t n, int d) {
  return static_cast<int>((n + d - 1) / d);
}

// ---- cp.async (sm_80+): 16-byte global → shared copies that bypass registers -----------------
__device__ __forceinline__ void cp_async16(void* shared, const void* global) {
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(address), "l"(global));
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int Pending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

// ---- Suffix tables ---------------------------------------------------------------------------
// Every model's tables: [M][3][Dpad][Qpad] (up, down, raw field), entries_per_model = Dpad·Qpad.
__global__ void suffix_table_kernel(const float* weights,
                                    int n_visible,
                                    int n_hidden,
                                    int suffix_bits,
                                    int n_suffixes,
                                    int padded_suffixes,
                                    std::size_t entries_per_model,
                                    int n_models,
                                    float* y_tables) {
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= entries_per_model * n_models) return;
  const lz::TableEntry t = lz::table_entry(e, entries_per_model, padded_suffixes);
  const float* model_weights =
      weights + static_cast<std::size_t>(t.model) * n_visible * static_cast<std::size_t>(n_hidden);
  float* tables = y_tables + static_cast<std::size_t>(t.model) * 3 * entries_per_model;
  lz::SuffixEntry entry{0, 0, 0};  // padding: unit i ≥ D has X' = 0; suffix q ≥ Q is masked
  if (t.unit < n_visible && t.suffix < n_suffixes)
    entry = lz::suffix_entry(model_weights + static_cast<std::size_t>(t.unit) * n_hidden,
                             suffix_bits, static_cast<std::uint32_t>(t.suffix));
  tables[t.local] = entry.up;
  tables[entries_per_model + t.local] = entry.down;
  tables[2 * entries_per_model + t.local] = entry.field;
}

// ---- Per-tile preparation --------------------------------------------------------------------
struct PrepArgs {
  const float* weights;       // [M][D][L]
  const float* visible_bias;  // [M][D]
  const float* hidden_bias;   // [M][L]
  int n_visible, n_hidden, suffix_bits, tile_bits, tile_valid_prefixes, padded_visible, n_ktiles;
  std::uint64_t first_tile;       // the first launch tile's tile within its model
  std::uint64_t tiles_per_model;  // launch tiles per model (lz::launch_tile)
  float* x_values;                // [tile][Dpad][64]
  float* ones;                    // [tile][Dpad]
  std::uint8_t* flipped;          // [tile][Dpad]
  KTilePlan* plans;               // [tile][n_ktiles]
  double* prefix_offsets;         // [tile][64]
  double* suffix_bias;            // [tile][kMaxSuffixBits]: c'_j, j < S
};

// One block per tile. Units are planned in rounds of kPrepRoundUnits (shared memory); thread 0
// walks the schedule sequentially (it is greedy), everything else is parallel over units or
// (unit, prefix) pairs. Cost per prefix ≈ D·(field + exp): under 1% of its Q·D pairs.
__global__ void __launch_bounds__(kThreads) prefix_tile_kernel(const PrepArgs a) {
  __shared__ lz::UnitPlan plans[kPrepRoundUnits];
  __shared__ double bases[kPrepRoundUnits];
  __shared__ double partial[(lz::kMaxEnumeratedBits + 1) * lz::kFlipParts];
  __shared__ double c_prime[lz::kMaxEnumeratedBits + 1];
  __shared__ int k_sum;

  const int tid = threadIdx.x;
  const std::size_t local_tile = blockIdx.x;  // the launch tile: indexes the chunk's arrays
  const lz::LaunchTile where = lz::launch_tile(local_tile, a.tiles_per_model, a.first_tile);
  const std::uint64_t tile = where.tile;
  const std::size_t model = static_cast<std::size_t>(where.model);
  const float* weights = a.weights + model * a.n_visible * static_cast<std::size_t>(a.n_hidden);
  const float* visible_bias = a.visible_bias + model * a.n_visible;
  const float* hidden_bias = a.hidden_bias + model * a.n_hidden;
  float* x_tile = a.x_values + local_tile * a.padded_visible * kTilePrefixes;
  float* one_tile = a.ones + local_tile * a.padded_visible;
  std::uint8_t* flip_tile = a.flipped + local_tile * a.padded_visible;
  KTilePlan* plan_tile = a.plans + local_tile * a.n_ktiles;
  if (tid == 0) k_sum = 0;
  int my_k_sum = 0;
  lz::ScheduleState schedule;  // meaningful in thread 0 only

  for (int round = 0; round < a.padded_visible; round += kPrepRoundUnits) {
    const int round_units = min(kPrepRoundUnits, a.padded_visible - round);
    for (int u = tid; u < round_units; u += kThreads) {
      const int i = round + u;
      lz::UnitPlan plan = lz::identity_plan();
      double base = 0;
      if (i < a.n_visible) {
        const float* w_row = weights + static_cast<std::size_t>(i) * a.n_hidden;
        base =
            lz::prefix_base(w_row, visible_bias[i], a.n_hidden, a.suffix_bits, a.tile_bits, tile);
        double x_lo, x_hi, y_lo, y_hi;
        lz::prefix_range(w_row, a.suffix_bits, a.tile_bits, base, x_lo, x_hi);
        lz::suffix_range(w_row, a.suffix_bits, y_lo, y_hi);
        plan = lz::plan_unit(x_lo, x_hi, y_lo, y_hi);
      }
      plans[u] = plan;
      bases[u] = base;
      one_tile[i] = plan.one;
      flip_tile[i] = plan.flip ? 1 : 0;
      my_k_sum += plan.k;
    }
    __syncthreads();
    // X' for (unit, prefix): consecutive threads write consecutive prefixes (coalesced).
    for (int e = tid; e < round_units * kTilePrefixes; e += kThreads) {
      const int u = e / kTilePrefixes, v = e % kTilePrefixes;
      const int i = round + u;
      float value = 0;
      if (i < a.n_visible && v < a.tile_valid_prefixes) {
        const float* w_row = weights + static_cast<std::size_t>(i) * a.n_hidden;
        value =
            lz::x_value(plans[u], bases[u], lz::prefix_vary(w_row, a.suffix_bits, a.tile_bits, v));
      }
      x_tile[static_cast<std::size_t>(i) * kTilePrefixes + v] = value;
    }
    if (tid == 0) {
      for (int u0 = 0; u0 < round_units; u0 += kKTileUnits) {
        float lo2[kKTileUnits], hi2[kKTileUnits];
        bool slow[kKTileUnits], flip[kKTileUnits];
        for (int u = 0; u < kKTileUnits; ++u) {
          const lz::UnitPlan& plan = plans[u0 + u];
          lo2[u] = plan.lo2;
          hi2[u] = plan.hi2;
          slow[u] = plan.slow;
          flip[u] = plan.flip;
        }
        const int n_real = min(kKTileUnits, a.n_visible - (round + u0));
        plan_tile[(round + u0) / kKTileUnits] =
            lz::schedule_ktile(schedule, lo2, hi2, slow, flip, n_real);
      }
    }
    __syncthreads();
  }

  // Linear offsets: c'_j = c_j + Σ_{flipped} W_ij, constant = Σk·ln2 + Σ_{flipped} b_i.
  atomicAdd(&k_sum, my_k_sum);  // integers: exact in any order
  const int n_columns = a.n_hidden + 1;
  for (int task = tid; task < n_columns * lz::kFlipParts; task += kThreads)
    partial[task] = lz::flip_partial_sum(weights, visible_bias, flip_tile, a.n_visible, a.n_hidden,
                                         task / lz::kFlipParts, task % lz::kFlipParts);
  __syncthreads();
  if (tid < n_columns) {
    double sum = 0;
    for (int part = 0; part < lz::kFlipParts; ++part) sum += partial[tid * lz::kFlipParts + part];
    c_prime[tid] = tid < a.n_hidden ? hidden_bias[tid] + sum : sum;
  }
  __syncthreads();
  if (tid < kTilePrefixes) {
    double offset = 0;
    if (tid < a.tile_valid_prefixes) {
      const double constant = static_cast<double>(k_sum) * lz::kLn2 + c_prime[a.n_hidden];
      offset = lz::prefix_offset(constant, c_prime, a.n_hidden, a.suffix_bits,
                                 (tile << a.tile_bits) | static_cast<std::uint64_t>(tid));
    }
    a.prefix_offsets[local_tile * kTilePrefixes + tid] = offset;
  }
  if (tid < a.suffix_bits) a.suffix_bias[local_tile * lz::kMaxSuffixBits + tid] = c_prime[tid];
}

// ---- The split-product kernel ----------------------------------------------------------------
struct MainArgs {
  const float* x_values;
  const float* ones;
  const KTilePlan* plans;
  const double* prefix_offsets;
  const double* suffix_bias;
  const float* y_tables;          // [M][3][Dpad][Qpad]: up, down, raw field (lz::SuffixEntry order)
  std::uint32_t y_table_stride;   // Dpad·Qpad (< 2^31, checked on the host)
  std::uint64_t tiles_per_model;  // launch tiles per model (lz::launch_tile)
  LogSumPair* partials;           // [tile][suffix tile]
  std::uint32_t one_bits;         // lz::kOneBits
  int n_ktiles, padded_visible, padded_suffixes, n_suffix_tiles, n_suffixes, suffix_bits,
      tile_valid_prefixes;
};

// Out of line: the slow pair is rare and long (softplus); inlining 32 copies would bloat the
// hot loop's instruction cache footprint.
struct SlowResult {
  float prod;
  int exponent;
};
__device__ __noinline__ SlowResult slow_pair(float prod, int exponent, float fx, float fy) {
  lz::slow_step(prod, exponent, fx, fy);
  return SlowResult{prod, exponent};
}

// A thread's 4 prefixes × 8 suffixes. Shared-memory layout of one k-tile stage:
//   xs[u][64]  X' of unit u for the tile's 64 prefixes: thread row ty reads xs[u][4ty..4ty+3]
//              (one LDS.128, the same address for 16 lanes: a broadcast);
//   ys[u][128] Y' for the block's 128 suffixes: thread column tx reads [4tx..] and [64+4tx..]
//              (two LDS.128; a quarter-warp covers 128 contiguous bytes: no bank conflicts);
//   os[u]      2^-k of unit u (one LDS.128 per 4 units, broadcast).
// Each loaded value feeds 8 (x) or 4 (y) FMAs: register blocking keeps shared bandwidth at
// ~30% of its peak while the FP32 pipe stays busy.
struct ThreadTile {
  float prod[lz::kThreadPrefixes][lz::kThreadSuffixes];
  int exponent[lz::kThreadPrefixes][lz::kThreadSuffixes];
  int extractions;
  std::uint32_t one_bits;  // lz::kOneBits, opaque to the compiler (see extract_exponent)
  const float* xs;         // this stage's xs + 4·ty
  const float* ys;         // this stage's ys + 4·tx
  const float* os;

  __device__ __forceinline__ void extract() {
#pragma unroll
    for (int a = 0; a < lz::kThreadPrefixes; ++a)
#pragma unroll
      for (int b = 0; b < lz::kThreadSuffixes; ++b)
        lz::extract_exponent(prod[a][b], exponent[a][b], one_bits);
    ++extractions;
  }

  __device__ __forceinline__ void load(int u, float (&xv)[4], float (&yv)[8]) const {
    const float4 x = *reinterpret_cast<const float4*>(xs + u * kTilePrefixes);
    const float4 y0 = *reinterpret_cast<const float4*>(ys + u * kTileSuffixes);
    const float4 y1 = *reinterpret_cast<const float4*>(ys + u * kTileSuffixes + kTileSuffixes / 2);
    xv[0] = x.x, xv[1] = x.y, xv[2] = x.z, xv[3] = x.w;
    yv[0] = y0.x, yv[1] = y0.y, yv[2] = y0.z, yv[3] = y0.w;
    yv[4] = y1.x, yv[5] = y1.y, yv[6] = y1.z, yv[7] = y1.w;
  }

  __device__ __forceinline__ void step(int u, float one) {
    float xv[4], yv[8];
    load(u, xv, yv);
#pragma unroll
    for (int a = 0; a < lz::kThreadPrefixes; ++a)
#pragma unroll
      for (int b = 0; b < lz::kThreadSuffixes; ++b)
        prod[a][b] = lz::fast_step(prod[a][b], xv[a], yv[b], one);
  }

  __device__ __forceinline__ void fast4(int u0) {
    const float4 one = *reinterpret_cast<const float4*>(os + u0);
    step(u0, one.x);
    step(u0 + 1, one.y);
    step(u0 + 2, one.z);
    step(u0 + 3, one.w);
  }

  __device__ __forceinline__ void fast(int u) {
    step(u, os[u]);
  }

  __device__ __forceinline__ void slow(int u) {
    float xv[4], yv[8];
    load(u, xv, yv);
#pragma unroll
    for (int a = 0; a < lz::kThreadPrefixes; ++a)
#pragma unroll
      for (int b = 0; b < lz::kThreadSuffixes; ++b) {
        const SlowResult r = slow_pair(prod[a][b], exponent[a][b], xv[a], yv[b]);
        prod[a][b] = r.prod;
        exponent[a][b] = r.exponent;
      }
  }
};

// Shared memory of split_product_kernel (dynamic: two stages exceed the 48 KB static limit).
struct MainShared {
  float xs[2][kKTileUnits * kTilePrefixes];
  float ys[2][kKTileUnits * kTileSuffixes];
  float os[2][kKTileUnits];
  double prefix_offsets[kTilePrefixes];
  double suffix_offsets[kTileSuffixes];
  LogSumPair reduce[kThreads];
};
constexpr std::size_t kMainSharedBytes = sizeof(MainShared);

__global__ void __launch_bounds__(kThreads, 2) split_product_kernel(const MainArgs a) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  MainShared& sh = *reinterpret_cast<MainShared*>(shared_bytes);

  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  const lz::LaunchBlock block = lz::launch_block(blockIdx.x, a.n_suffix_tiles);
  const int suffix_tile = block.suffix_tile;
  const std::size_t tile = block.tile;  // the launch tile: indexes the chunk's arrays
  const std::size_t model =
      static_cast<std::size_t>(lz::launch_tile(tile, a.tiles_per_model, 0).model);
  const float* y_tables = a.y_tables + model * 3 * static_cast<std::size_t>(a.y_table_stride);
  const int q0 = suffix_tile * kTileSuffixes;
  const float* x_tile = a.x_values + tile * a.padded_visible * kTilePrefixes;
  const float* one_tile = a.ones + tile * a.padded_visible;
  const KTilePlan* plan_tile = a.plans + tile * a.n_ktiles;

  // The linear part of every state's term: prefix share from the prep kernel, suffix share
  // summed here (read after the main loop; its barriers order these writes).
  if (tid < kTilePrefixes) sh.prefix_offsets[tid] = a.prefix_offsets[tile * kTilePrefixes + tid];
  if (tid < kTileSuffixes)
    sh.suffix_offsets[tid] = lz::suffix_offset(a.suffix_bias + tile * lz::kMaxSuffixBits,
                                               a.suffix_bits, static_cast<std::uint32_t>(q0 + tid));

  // Stage k-tile kt into buffer `buf`: 512 + 1024 + 8 16-byte copies, 6-7 per thread. Row r of
  // the Y' stage comes from the table the unit's plan names (0 up, 1 down, 2 raw field); the
  // offsets are 32-bit and the two-bit table choice of this thread's rows r = tid/32 + 8m is
  // extracted once per k-tile, so staging costs ~30 instructions per 2048 FP32 ones.
  const std::uint32_t y_row = static_cast<std::uint32_t>(a.padded_suffixes);
  const std::uint32_t y_thread = (tid / 32) * y_row + q0 + (tid % 32) * 4;
  const float* x_thread = x_tile + tid * 4;
  auto stage = [&](int buf, int kt, const KTilePlan& plan) {
    const float* x_src = x_thread + kt * (kKTileUnits * kTilePrefixes);
    cp_async16(&sh.xs[buf][tid * 4], x_src);
    cp_async16(&sh.xs[buf][kThreads * 4 + tid * 4], x_src + kThreads * 4);
    const std::uint32_t choice = lz::staged_tables(plan, tid / 32);
    const std::uint32_t y_k = static_cast<std::uint32_t>(kt) * kKTileUnits * y_row + y_thread;
#pragma unroll
    for (int m = 0; m < 4; ++m) {
      const std::uint32_t table = (choice >> (8 * m)) & 3u;
      cp_async16(&sh.ys[buf][m * kThreads * 4 + tid * 4],
                 y_tables + (y_k + 8 * m * y_row + table * a.y_table_stride));
    }
    if (tid < kKTileUnits / 4)
      cp_async16(&sh.os[buf][tid * 4], one_tile + kt * kKTileUnits + tid * 4);
  };

  ThreadTile t;
#pragma unroll
  for (int i = 0; i < lz::kThreadPrefixes; ++i)
#pragma unroll
    for (int j = 0; j < lz::kThreadSuffixes; ++j) {
      t.prod[i][j] = 1.0f;
      t.exponent[i][j] = 0;
    }
  t.extractions = 0;
  t.one_bits = a.one_bits;

  // Plans run two k-tiles ahead of use so that their global loads never stall the stage.
  KTilePlan current = plan_tile[0];
  KTilePlan next = a.n_ktiles > 1 ? plan_tile[1] : KTilePlan{};
  stage(0, 0, current);
  cp_async_commit();
  for (int kt = 0; kt < a.n_ktiles; ++kt) {
    const KTilePlan after = kt + 2 < a.n_ktiles ? plan_tile[kt + 2] : KTilePlan{};
    if (kt + 1 < a.n_ktiles) {
      stage((kt + 1) & 1, kt + 1, next);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    t.xs = sh.xs[kt & 1] + ty * lz::kThreadPrefixes;
    t.ys = sh.ys[kt & 1] + tx * 4;
    t.os = sh.os[kt & 1];
    lz::run_ktile(current, t);
    __syncthreads();  // the buffer is overwritten by the next iteration's stage
    current = next;
    next = after;
  }

  // Each state's log term in float64 (padding states: -inf), reduced per thread, then per block
  // in a fixed tree.
  double terms[lz::kThreadPrefixes * lz::kThreadSuffixes];
#pragma unroll
  for (int i = 0; i < lz::kThreadPrefixes; ++i) {
    const int v = ty * lz::kThreadPrefixes + i;
#pragma unroll
    for (int j = 0; j < lz::kThreadSuffixes; ++j) {
      const int column = lz::thread_suffix(tx, j);
      const bool valid = v < a.tile_valid_prefixes && q0 + column < a.n_suffixes;
      terms[i * lz::kThreadSuffixes + j] =
          valid ? lz::state_term(sh.prefix_offsets[v] + sh.suffix_offsets[column], t.exponent[i][j],
                                 t.extractions, t.prod[i][j])
                : -std::numeric_limits<double>::infinity();
    }
  }
  sh.reduce[tid] = lz::log_sum_terms(terms);
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (tid < stride) sh.reduce[tid] = lz::combine(sh.reduce[tid], sh.reduce[tid + stride]);
    __syncthreads();
  }
  if (tid == 0) a.partials[blockIdx.x] = sh.reduce[0];
}

// Block m merges model m's partials of a chunk, [m][n_partials], in index order (strided per
// thread, then a fixed tree) into totals[m].
__global__ void __launch_bounds__(kThreads) chunk_reduce_kernel(const LogSumPair* model_partials,
                                                                std::size_t n_partials,
                                                                LogSumPair* totals) {
  __shared__ LogSumPair reduce[kThreads];
  const int tid = threadIdx.x;
  const LogSumPair* partials = model_partials + blockIdx.x * n_partials;
  LogSumPair* total = totals + blockIdx.x;
  LogSumPair sum = lz::empty_log_sum();
  for (std::size_t i = tid; i < n_partials; i += kThreads) sum = lz::combine(sum, partials[i]);
  reduce[tid] = sum;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (tid < stride) reduce[tid] = lz::combine(reduce[tid], reduce[tid + stride]);
    __syncthreads();
  }
  if (tid == 0) *total = lz::combine(*total, reduce[0]);
}

// ---- Host side -------------------------------------------------------------------------------
// A call's fixed cost is kept to its launches: the backend keeps the workspace, pinned staging,
// the events and the occupancy query between calls (LogZResources); a call's inputs go up in
// one asynchronous copy from pinned memory; models whose enumeration is one chunk share every
// launch; and such a group waits once (a stream synchronisation, not a sleeping event).

/// Carves one allocation into aligned regions.
class Carver {
 public:
  template <typename T>
  std::size_t add(std::size_t count) {
    const std::size_t offset = (bytes_ + 255) / 256 * 256;
    bytes_ = offset + count * sizeof(T);
    return offset;
  }
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t bytes_ = 0;
};

/// Byte offsets of one launch sequence's workspace: `n_models` models' inputs (first, so that
/// they go up in one copy: [0, inputs_bytes)) and tables, and the arrays of `launch_tiles` tiles.
struct Workspace {
  std::size_t weights, visible_bias, hidden_bias, totals, inputs_bytes;
  std::size_t tables, x, ones, flipped, plans, prefix_offsets, suffix_bias, partials, bytes;
};

Workspace carve_workspace(const lz::SplitGeometry& g,
                          std::size_t n_models,
                          std::uint64_t launch_tiles) {
  const std::size_t D = g.n_visible, L = g.n_hidden, dpad = g.padded_visible;
  const std::size_t table = dpad * g.padded_suffixes;
  Carver carve;
  Workspace w{};
  w.weights = carve.add<float>(std::max<std::size_t>(n_models * D * L, 1));
  w.visible_bias = carve.add<float>(n_models * D);
  w.hidden_bias = carve.add<float>(std::max<std::size_t>(n_models * L, 1));
  w.totals = carve.add<LogSumPair>(n_models);
  w.inputs_bytes = carve.bytes();
  w.tables = carve.add<float>(n_models * 3 * table);
  w.x = carve.add<float>(launch_tiles * dpad * kTilePrefixes);
  w.ones = carve.add<float>(launch_tiles * dpad);
  w.flipped = carve.add<std::uint8_t>(launch_tiles * dpad);
  w.plans = carve.add<KTilePlan>(launch_tiles * g.n_ktiles);
  w.prefix_offsets = carve.add<double>(launch_tiles * kTilePrefixes);
  w.suffix_bias = carve.add<double>(launch_tiles * lz::kMaxSuffixBits);
  w.partials = carve.add<LogSumPair>(launch_tiles * g.n_suffix_tiles);
  w.bytes = carve.bytes();
  return w;
}

/// The kernels' arguments over a workspace at `base`.
struct Bound {
  PrepArgs prep;
  MainArgs main;
  float* tables;
  LogSumPair* totals;
};

Bound bind(const Workspace& w, unsigned char* base, const lz::SplitGeometry& g) {
  const auto at = [base](std::size_t offset) { return base + offset; };
  Bound b{};
  b.tables = reinterpret_cast<float*>(at(w.tables));
  b.totals = reinterpret_cast<LogSumPair*>(at(w.totals));
  PrepArgs& prep = b.prep;
  prep.weights = reinterpret_cast<const float*>(at(w.weights));
  prep.visible_bias = reinterpret_cast<const float*>(at(w.visible_bias));
  prep.hidden_bias = reinterpret_cast<const float*>(at(w.hidden_bias));
  prep.n_visible = g.n_visible;
  prep.n_hidden = g.n_hidden;
  prep.suffix_bits = g.suffix_bits;
  prep.tile_bits = g.tile_bits;
  prep.tile_valid_prefixes = g.tile_valid_prefixes;
  prep.padded_visible = g.padded_visible;
  prep.n_ktiles = g.n_ktiles;
  prep.x_values = reinterpret_cast<float*>(at(w.x));
  prep.ones = reinterpret_cast<float*>(at(w.ones));
  prep.flipped = reinterpret_cast<std::uint8_t*>(at(w.flipped));
  prep.plans = reinterpret_cast<KTilePlan*>(at(w.plans));
  prep.prefix_offsets = reinterpret_cast<double*>(at(w.prefix_offsets));
  prep.suffix_bias = reinterpret_cast<double*>(at(w.suffix_bias));
  MainArgs& main = b.main;
  main.x_values = prep.x_values;
  main.ones = prep.ones;
  main.plans = prep.plans;
  main.prefix_offsets = prep.prefix_offsets;
  main.suffix_bias = prep.suffix_bias;
  main.y_tables = b.tables;
  main.y_table_stride =
      static_cast<std::uint32_t>(static_cast<std::size_t>(g.padded_visible) * g.padded_suffixes);
  main.partials = reinterpret_cast<LogSumPair*>(at(w.partials));
  main.one_bits = lz::kOneBits;
  main.n_ktiles = g.n_ktiles;
  main.padded_visible = g.padded_visible;
  main.padded_suffixes = g.padded_suffixes;
  main.n_suffix_tiles = g.n_suffix_tiles;
  main.n_suffixes = g.n_suffixes;
  main.suffix_bits = g.suffix_bits;
  main.tile_valid_prefixes = g.tile_valid_prefixes;
  return b;
}

/// Writes the inputs of models [first, first + count) (and empty totals) into `image`, laid out
/// as the workspace's inputs region.
void stage_inputs(const Workspace& w,
                  const std::vector<detail::EnumerationModel<float>>& models,
                  std::size_t first,
                  std::size_t count,
                  unsigned char* image) {
  for (std::size_t k = 0; k < count; ++k) {
    const detail::EnumerationModel<float>& m = models[first + k];
    const auto put = [&](std::size_t offset, const std::vector<float>& values) {
      if (!values.empty())
        std::memcpy(image + offset + k * values.size() * sizeof(float), values.data(),
                    values.size() * sizeof(float));
    };
    put(w.weights, m.weights);
    put(w.visible_bias, m.visible_bias);
    put(w.hidden_bias, m.hidden_bias);
    reinterpret_cast<LogSumPair*>(image + w.totals)[k] = lz::empty_log_sum();
  }
}

void enqueue_tables(const Bound& b, const lz::SplitGeometry& g, int n_models, cudaStream_t stream) {
  const std::size_t entries = static_cast<std::size_t>(g.padded_visible) * g.padded_suffixes;
  suffix_table_kernel<<<ceil_div(entries * n_models, kThreads), kThreads, 0, stream>>>(
      b.prep.weights, g.n_visible, g.n_hidden, g.suffix_bits, g.n_suffixes, g.padded_suffixes,
      entries, n_models, b.tables);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

/// Tiles [first_tile, first_tile + tiles_per_model) of each of `n_models` models, merged into
/// their totals.
void enqueue_chunk(Bound b,
                   const lz::SplitGeometry& g,
                   int n_models,
                   std::uint64_t first_tile,
                   std::uint64_t tiles_per_model,
                   cudaStream_t stream) {
  b.prep.first_tile = first_tile;
  b.prep.tiles_per_model = tiles_per_model;
  b.main.tiles_per_model = tiles_per_model;
  const std::uint64_t launch_tiles = tiles_per_model * static_cast<std::uint64_t>(n_models);
  prefix_tile_kernel<<<static_cast<unsigned>(launch_tiles), kThreads, 0, stream>>>(b.prep);
  RBM_CUDA_CHECK_LAUNCH(stream);
  const std::uint64_t n_blocks = launch_tiles * static_cast<std::uint64_t>(g.n_suffix_tiles);
  split_product_kernel<<<static_cast<unsigned>(n_blocks), kThreads, kMainSharedBytes, stream>>>(
      b.main);
  RBM_CUDA_CHECK_LAUNCH(stream);
  chunk_reduce_kernel<<<static_cast<unsigned>(n_models), kThreads, 0, stream>>>(
      b.main.partials, tiles_per_model * g.n_suffix_tiles, b.totals);
  RBM_CUDA_CHECK_LAUNCH(stream);
}

/// Waits for `stream` when an exception leaves the scope (a failed check, a throwing progress
/// callback), so that no queued kernel outlives the workspace it reads.
struct DrainOnThrow {
  cudaStream_t stream;
  int uncaught = std::uncaught_exceptions();
  ~DrainOnThrow() {
    if (std::uncaught_exceptions() > uncaught) cudaStreamSynchronize(stream);
  }
};

struct ChunkLayout {
  std::uint64_t tiles_per_chunk = 1;
  std::uint64_t n_chunks = 1;
};

ChunkLayout plan_chunks(const lz::SplitGeometry& g, int resident_blocks) {
  // Whole waves of the main kernel per chunk: the tail of each launch is then the only loss.
  const std::uint64_t slots = static_cast<std::uint64_t>(std::max(1, resident_blocks));
  const std::uint64_t tiles_per_wave = std::max<std::uint64_t>(1, slots / g.n_suffix_tiles);
  const std::size_t dpad = g.padded_visible;
  const std::size_t bytes_per_tile =
      dpad * kTilePrefixes * sizeof(float) + dpad * sizeof(float) + dpad +
      g.n_ktiles * sizeof(KTilePlan) + kTilePrefixes * sizeof(double) +
      lz::kMaxSuffixBits * sizeof(double) + g.n_suffix_tiles * sizeof(LogSumPair) + 6 * 256;
  const std::uint64_t fit = std::max<std::uint64_t>(1, kChunkBytes / bytes_per_tile);
  std::uint64_t tiles = fit >= tiles_per_wave ? fit / tiles_per_wave * tiles_per_wave : fit;
  tiles = std::min({tiles, kMaxTilesPerChunk, g.n_prefix_tiles});
  ChunkLayout layout;
  layout.tiles_per_chunk = tiles;
  layout.n_chunks = (g.n_prefix_tiles + tiles - 1) / tiles;
  return layout;
}

LogZResult result_of(const lz::SplitGeometry& g, const LogSumPair& total, double seconds) {
  LogZResult result;
  result.log_z = lz::log_sum_value(total);
  result.log2_states = g.n_hidden;
  result.states = std::ldexp(1.0, g.n_hidden);
  result.pairs = std::ldexp(static_cast<double>(g.n_visible), g.n_hidden);
  result.seconds = seconds;
  return result;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Models whose enumeration is one chunk: groups of models share every launch and wait once.
/// Each model's `seconds` is its group's wall time shared equally.
std::vector<LogZResult> enumerate_together(
    const std::vector<detail::EnumerationModel<float>>& models,
    const lz::SplitGeometry& g,
    const LogZOptions& options,
    cudaStream_t stream,
    LogZResources& resources) {
  const std::size_t M = models.size();
  const std::size_t per_model = carve_workspace(g, 1, g.n_prefix_tiles).bytes;
  const std::size_t group =
      std::clamp<std::size_t>(kGroupBytes / std::max<std::size_t>(per_model, 1), 1, M);
  const Workspace full = carve_workspace(g, group, group * g.n_prefix_tiles);
  if (resources.workspace.size() < full.bytes) resources.workspace.resize(full.bytes);
  // Pinned: the inputs of every group (their copies may still be pending when the next group is
  // staged), then the totals of all models.
  const std::size_t n_groups = (M + group - 1) / group;
  const std::size_t results_offset = (n_groups * full.inputs_bytes + 255) / 256 * 256;
  resources.staging.reserve(results_offset + M * sizeof(LogSumPair));
  auto* results_host = reinterpret_cast<LogSumPair*>(resources.staging.data() + results_offset);

  std::vector<LogZResult> results;
  for (std::size_t first = 0, k = 0; first < M; first += group, ++k) {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t count = std::min(group, M - first);
    const Workspace w = carve_workspace(g, count, count * g.n_prefix_tiles);
    unsigned char* image = resources.staging.data() + k * full.inputs_bytes;
    stage_inputs(w, models, first, count, image);
    const Bound b = bind(w, resources.workspace.data(), g);
    RBM_CUDA_CHECK(cudaMemcpyAsync(resources.workspace.data(), image, w.inputs_bytes,
                                   cudaMemcpyHostToDevice, stream));
    enqueue_tables(b, g, static_cast<int>(count), stream);
    enqueue_chunk(b, g, static_cast<int>(count), 0, g.n_prefix_tiles, stream);
    RBM_CUDA_CHECK(cudaMemcpyAsync(results_host + first, b.totals, count * sizeof(LogSumPair),
                                   cudaMemcpyDeviceToHost, stream));
    RBM_CUDA_CHECK(cudaStreamSynchronize(stream));
    const double seconds = seconds_since(start) / static_cast<double>(count);
    for (std::size_t m = first; m < first + count; ++m)
      results.push_back(result_of(g, results_host[m], seconds));
    const std::size_t done = first + count;
    if (options.progress && !options.progress(static_cast<double>(done) / M) && done < M)
      RBM_THROW(Cancelled, "exact log Z (CUDA) cancelled after ", done, " of ", M, " models (",
                g.n_visible, "x", g.n_hidden, ")");
  }
  return results;
}

/// One model over several chunks. One chunk stays queued behind the one the host waits for, so
/// that progress callbacks never leave the GPU idle; stream order makes the reuse of the chunk
/// tables safe. The host waits on sleeping events (hours at L ≥ 40).
LogZResult enumerate_in_chunks(const detail::EnumerationModel<float>& model,
                               std::size_t index,
                               std::size_t n_models,
                               const lz::SplitGeometry& g,
                               const ChunkLayout& chunks,
                               const LogZOptions& options,
                               cudaStream_t stream,
                               LogZResources& resources) {
  const auto start = std::chrono::steady_clock::now();
  const Workspace w = carve_workspace(g, 1, chunks.tiles_per_chunk);
  if (resources.workspace.size() < w.bytes) resources.workspace.resize(w.bytes);
  const std::size_t result_offset = (w.inputs_bytes + 255) / 256 * 256;
  resources.staging.reserve(result_offset + sizeof(LogSumPair));
  unsigned char* image = resources.staging.data();
  stage_inputs(w, {model}, 0, 1, image);
  const Bound b = bind(w, resources.workspace.data(), g);
  RBM_CUDA_CHECK(cudaMemcpyAsync(resources.workspace.data(), image, w.inputs_bytes,
                                 cudaMemcpyHostToDevice, stream));
  enqueue_tables(b, g, 1, stream);
  for (std::uint64_t c = 0; c < chunks.n_chunks; ++c) {
    const std::uint64_t first = c * chunks.tiles_per_chunk;
    enqueue_chunk(b, g, 1, first,
                  std::min<std::uint64_t>(chunks.tiles_per_chunk, g.n_prefix_tiles - first),
                  stream);
    RBM_CUDA_CHECK(cudaEventRecord(resources.event(c), stream));
    const bool last = c + 1 == chunks.n_chunks;
    if (c == 0 && !last) continue;
    const std::uint64_t done = last ? c + 1 : c;  // chunks finished once the wait returns
    RBM_CUDA_CHECK(cudaEventSynchronize(resources.event(last ? c : c - 1)));
    if (options.progress) {
      const double fraction =
          (static_cast<double>(index) + static_cast<double>(done) / chunks.n_chunks) / n_models;
      if (!options.progress(fraction)) {
        RBM_CUDA_CHECK(cudaStreamSynchronize(stream));
        RBM_THROW(Cancelled, "exact log Z (CUDA) cancelled after ", done, " of ", chunks.n_chunks,
                  " chunks of model ", index, " (", g.n_visible, "x", g.n_hidden, ")");
      }
    }
  }
  auto* total = reinterpret_cast<LogSumPair*>(resources.staging.data() + result_offset);
  RBM_CUDA_CHECK(
      cudaMemcpyAsync(total, b.totals, sizeof(LogSumPair), cudaMemcpyDeviceToHost, stream));
  RBM_CUDA_CHECK(cudaStreamSynchronize(stream));
  return result_of(g, *total, seconds_since(start));
}

}  // namespace

// ---- LogZResources -----------------------------------------------------------------------------
LogZResources::~LogZResources() {
  for (cudaEvent_t event : events_)
    if (event) RBM_CUDA_CHECK_NOTHROW(cudaEventDestroy(event));
}

cudaEvent_t LogZResources::event(std::uint64_t n) {
  // Blocking sync: the host sleeps while it waits for a chunk instead of spinning a core.
  constexpr unsigned kFlags = cudaEventDisableTiming | cudaEventBlockingSync;
  for (cudaEvent_t& event : events_)
    if (!event) RBM_CUDA_CHECK(cudaEventCreateWithFlags(&event, kFlags));
  return events_[n & 1];
}

int LogZResources::resident_blocks() {
  if (resident_blocks_ == 0) {
    int device = 0, sms = 1, per_sm = 1;
    RBM_CUDA_CHECK(cudaGetDevice(&device));
    RBM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    RBM_CUDA_CHECK(cudaFuncSetAttribute(split_product_kernel,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(kMainSharedBytes)));
    RBM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, split_product_kernel,
                                                                 kThreads, kMainSharedBytes));
    resident_blocks_ = std::max(1, sms * std::max(1, per_sm));
  }
  return resident_blocks_;
}

std::vector<LogZResult> exact_log_z(const std::vector<detail::EnumerationModel<float>>& models,
                                    const LogZOptions& options,
                                    cudaStream_t stream,
                                    LogZResources& resources) {
  RBM_EXPECTS(!models.empty(), "exact log Z: no models given");
  const detail::EnumerationModel<float>& first = models.front();
  for (const auto& model : models)
    RBM_EXPECTS(model.n_visible == first.n_visible && model.n_hidden == first.n_hidden,
                "exact log Z: the models of one call share one shape");
  RBM_EXPECTS(first.n_visible >= 1 && first.n_hidden >= 0,
              "exact log Z of an empty model: ", first.n_visible, "x", first.n_hidden);
  RBM_EXPECTS(first.n_hidden <= lz::kMaxEnumeratedBits,
              "exact log Z on the GPU enumerates at most 2^", lz::kMaxEnumeratedBits, " states; a ",
              first.n_visible, "x", first.n_hidden, " model needs 2^", first.n_hidden);
  const lz::SplitGeometry g = lz::make_split_geometry(first.n_visible, first.n_hidden);
  const std::size_t table = static_cast<std::size_t>(g.padded_visible) * g.padded_suffixes;
  RBM_EXPECTS(3 * table < (std::size_t{1} << 31), "exact log Z on the GPU: the suffix tables of a ",
              first.n_visible, "x", first.n_hidden, " model (", 3 * table,
              " floats) exceed the kernel's 32-bit offsets");
  const ChunkLayout chunks = plan_chunks(g, resources.resident_blocks());
  const DrainOnThrow drain{stream};
  if (chunks.n_chunks == 1) return enumerate_together(models, g, options, stream, resources);
  std::vector<LogZResult> results;
  for (std::size_t m = 0; m < models.size(); ++m)
    results.push_back(
        enumerate_in_chunks(models[m], m, models.size(), g, chunks, options, stream, resources));
  return results;
}

detail::LogZRate log_z_rate(int device) {
  // bench_logz on an H200 (132 SMs, 1980 MHz), 2026-12-04: 1.01e13-1.05e13 pairs/s at D = 784,
  // L = 28…36, and 1.065e13 over the 81 s of an L = 40 evaluation. The kernel is bound by FP32
  // issue (128 lanes per SM on sm_90), so other devices scale with SMs × clock.
  constexpr double kMeasuredRate = 1.05e13, kMeasuredSms = 132, kMeasuredKhz = 1980000;
  int sms = 0, khz = 0;
  RBM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  RBM_CUDA_CHECK(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device));
  detail::LogZRate rate;
  rate.pairs_per_second =
      kMeasuredRate * (sms * static_cast<double>(khz)) / (kMeasuredSms * kMeasuredKhz);
  rate.source = "1.05e13 pairs/s measured on an H200 at D = 784, scaled to " + std::to_string(sms) +
                " SMs at " + std::to_string(khz / 1000) + " MHz";
  return rate;
}

}  // namespace rbm::cuda
