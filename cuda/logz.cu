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
__global__ void suffix_table_kernel(const float* weights,
                                    int n_visible,
                                    int n_hidden,
                                    int suffix_bits,
                                    int n_suffixes,
                                    int padded_suffixes,
                                    std::size_t n_entries,
                                    float* y_tables) {
  const std::size_t e = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= n_entries) return;
  const int i = static_cast<int>(e / padded_suffixes);
  const int q = static_cast<int>(e % padded_suffixes);
  lz::SuffixEntry entry{0, 0, 0};  // padding: unit i ≥ D has X' = 0; suffix q ≥ Q is masked
  if (i < n_visible && q < n_suffixes)
    entry = lz::suffix_entry(weights + static_cast<std::size_t>(i) * n_hidden, suffix_bits,
                             static_cast<std::uint32_t>(q));
  y_tables[e] = entry.up;
  y_tables[n_entries + e] = entry.down;
  y_tables[2 * n_entries + e] = entry.field;
}

// ---- Per-tile preparation --------------------------------------------------------------------
struct PrepArgs {
  const float* weights;       // [D][L]
  const float* visible_bias;  // [D]
  const float* hidden_bias;   // [L]
  int n_visible, n_hidden, suffix_bits, tile_bits, tile_valid_prefixes, padded_visible, n_ktiles;
  std::uint64_t first_tile;  // global index of the chunk's tile 0
  float* x_values;           // [tile][Dpad][64]
  float* ones;               // [tile][Dpad]
  std::uint8_t* flipped;     // [tile][Dpad]
  KTilePlan* plans;          // [tile][n_ktiles]
  double* prefix_offsets;    // [tile][64]
  double* suffix_bias;       // [tile][kMaxSuffixBits]: c'_j, j < S
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
  const std::size_t local_tile = blockIdx.x;
  const std::uint64_t tile = a.first_tile + local_tile;
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
        const float* w_row = a.weights + static_cast<std::size_t>(i) * a.n_hidden;
        base =
            lz::prefix_base(w_row, a.visible_bias[i], a.n_hidden, a.suffix_bits, a.tile_bits, tile);
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
        const float* w_row = a.weights + static_cast<std::size_t>(i) * a.n_hidden;
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
    partial[task] = lz::flip_partial_sum(a.weights, a.visible_bias, flip_tile, a.n_visible,
                                         a.n_hidden, task / lz::kFlipParts, task % lz::kFlipParts);
  __syncthreads();
  if (tid < n_columns) {
    double sum = 0;
    for (int part = 0; part < lz::kFlipParts; ++part) sum += partial[tid * lz::kFlipParts + part];
    c_prime[tid] = tid < a.n_hidden ? a.hidden_bias[tid] + sum : sum;
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
  const float* y_tables;         // [3][Dpad][Qpad]: up, down, raw field (lz::SuffixEntry order)
  std::uint32_t y_table_stride;  // Dpad·Qpad (< 2^31, checked on the host)
  LogSumPair* partials;          // [tile][suffix tile]
  std::uint32_t one_bits;        // lz::kOneBits
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
  const int suffix_tile = static_cast<int>(blockIdx.x % a.n_suffix_tiles);
  const std::size_t tile = blockIdx.x / a.n_suffix_tiles;
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
                 a.y_tables + (y_k + 8 * m * y_row + table * a.y_table_stride));
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

// Merges a chunk's partials in index order (strided per thread, then a fixed tree) into `total`.
__global__ void __launch_bounds__(kThreads)
    chunk_reduce_kernel(const LogSumPair* partials, std::size_t n_partials, LogSumPair* total) {
  __shared__ LogSumPair reduce[kThreads];
  const int tid = threadIdx.x;
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
/// Carves one allocation into aligned regions (one cudaMalloc per call keeps small L fast).
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

template <typename T>
T* at(DeviceBuffer<unsigned char>& buffer, std::size_t offset) {
  return reinterpret_cast<T*>(buffer.data() + offset);
}

/// Event pair owner for the chunk pipeline (destroyed without throwing). The host waits on
/// these for the whole enumeration (hours at L ≥ 40): blocking sync sleeps instead of spinning
/// a core.
class EventPair {
 public:
  static constexpr unsigned kEventFlags = cudaEventDisableTiming | cudaEventBlockingSync;
  EventPair() {
    RBM_CUDA_CHECK(cudaEventCreateWithFlags(&events_[0], kEventFlags));
    const cudaError_t status = cudaEventCreateWithFlags(&events_[1], kEventFlags);
    if (status != cudaSuccess) {
      RBM_CUDA_CHECK_NOTHROW(cudaEventDestroy(events_[0]));
      throw_cuda_error(status, "cudaEventCreateWithFlags", __FILE__, __LINE__);
    }
  }
  ~EventPair() {
    RBM_CUDA_CHECK_NOTHROW(cudaEventDestroy(events_[0]));
    RBM_CUDA_CHECK_NOTHROW(cudaEventDestroy(events_[1]));
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
  cudaEvent_t operator[](std::uint64_t n) const { return events_[n & 1]; }

 private:
  cudaEvent_t events_[2] = {nullptr, nullptr};
};

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

ChunkLayout plan_chunks(const lz::SplitGeometry& g) {
  int device = 0, sms = 1, per_sm = 1;
  RBM_CUDA_CHECK(cudaGetDevice(&device));
  RBM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  RBM_CUDA_CHECK(cudaFuncSetAttribute(split_product_kernel,
                                      cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(kMainSharedBytes)));
  RBM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, split_product_kernel,
                                                               kThreads, kMainSharedBytes));
  // Whole waves of the main kernel per chunk: the tail of each launch is then the only loss.
  const std::uint64_t slots = static_cast<std::uint64_t>(std::max(1, sms * std::max(1, per_sm)));
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

}  // namespace

std::vector<LogZResult> exact_log_z(const std::vector<detail::EnumerationModel<float>>& models,
                                    const LogZOptions& options,
                                    cudaStream_t stream,
                                    DeviceBuffer<unsigned char>* caller_workspace) {
  std::vector<LogZResult> results;
  results.reserve(models.size());
  DeviceBuffer<unsigned char> own_workspace;
  DeviceBuffer<unsigned char>& workspace = caller_workspace ? *caller_workspace : own_workspace;
  const DrainOnThrow drain{stream};  // destroyed before own_workspace, which queued work reads
  const double n_models = static_cast<double>(models.size());

  for (std::size_t m = 0; m < models.size(); ++m) {
    const auto start = std::chrono::steady_clock::now();
    const detail::EnumerationModel<float>& model = models[m];
    RBM_EXPECTS(model.n_visible >= 1 && model.n_hidden >= 0,
                "exact log Z of an empty model: ", models[m].n_visible, "x", models[m].n_hidden);
    RBM_EXPECTS(model.n_hidden <= lz::kMaxEnumeratedBits,
                "exact log Z on the GPU enumerates at most 2^", lz::kMaxEnumeratedBits,
                " states; a ", models[m].n_visible, "x", models[m].n_hidden, " model needs 2^",
                model.n_hidden);
    const lz::SplitGeometry g = lz::make_split_geometry(model.n_visible, model.n_hidden);
    const ChunkLayout chunks = plan_chunks(g);
    const std::size_t D = g.n_visible, L = g.n_hidden, dpad = g.padded_visible;
    const std::size_t tiles = chunks.tiles_per_chunk;

    Carver carve;
    const std::size_t o_weights = carve.add<float>(std::max<std::size_t>(D * L, 1));
    const std::size_t o_vbias = carve.add<float>(D);
    const std::size_t o_hbias = carve.add<float>(std::max<std::size_t>(L, 1));
    const std::size_t table = dpad * g.padded_suffixes;
    RBM_EXPECTS(3 * table < (std::size_t{1} << 31),
                "exact log Z on the GPU: the suffix tables of a ", models[m].n_visible, "x",
                models[m].n_hidden, " model (", 3 * table,
                " floats) exceed the kernel's 32-bit offsets");
    const std::size_t o_tables = carve.add<float>(3 * table);
    const std::size_t o_total = carve.add<LogSumPair>(1);
    const std::size_t o_x = carve.add<float>(tiles * dpad * kTilePrefixes);
    const std::size_t o_ones = carve.add<float>(tiles * dpad);
    const std::size_t o_flip = carve.add<std::uint8_t>(tiles * dpad);
    const std::size_t o_plans = carve.add<KTilePlan>(tiles * g.n_ktiles);
    const std::size_t o_poff = carve.add<double>(tiles * kTilePrefixes);
    const std::size_t o_sbias = carve.add<double>(tiles * lz::kMaxSuffixBits);
    const std::size_t o_partials = carve.add<LogSumPair>(tiles * g.n_suffix_tiles);
    if (workspace.size() < carve.bytes()) workspace.resize(carve.bytes());

    const LogSumPair empty = lz::empty_log_sum();
    if (D * L)
      RBM_CUDA_CHECK(cudaMemcpyAsync(at<float>(workspace, o_weights), model.weights.data(),
                                     D * L * sizeof(float), cudaMemcpyHostToDevice, stream));
    if (D)
      RBM_CUDA_CHECK(cudaMemcpyAsync(at<float>(workspace, o_vbias), model.visible_bias.data(),
                                     D * sizeof(float), cudaMemcpyHostToDevice, stream));
    if (L)
      RBM_CUDA_CHECK(cudaMemcpyAsync(at<float>(workspace, o_hbias), model.hidden_bias.data(),
                                     L * sizeof(float), cudaMemcpyHostToDevice, stream));
    RBM_CUDA_CHECK(cudaMemcpyAsync(at<LogSumPair>(workspace, o_total), &empty, sizeof empty,
                                   cudaMemcpyHostToDevice, stream));

    suffix_table_kernel<<<ceil_div(table, kThreads), kThreads, 0, stream>>>(
        at<float>(workspace, o_weights), g.n_visible, g.n_hidden, g.suffix_bits, g.n_suffixes,
        g.padded_suffixes, table, at<float>(workspace, o_tables));
    RBM_CUDA_CHECK_LAUNCH(stream);

    PrepArgs prep{};
    prep.weights = at<float>(workspace, o_weights);
    prep.visible_bias = at<float>(workspace, o_vbias);
    prep.hidden_bias = at<float>(workspace, o_hbias);
    prep.n_visible = g.n_visible;
    prep.n_hidden = g.n_hidden;
    prep.suffix_bits = g.suffix_bits;
    prep.tile_bits = g.tile_bits;
    prep.tile_valid_prefixes = g.tile_valid_prefixes;
    prep.padded_visible = g.padded_visible;
    prep.n_ktiles = g.n_ktiles;
    prep.x_values = at<float>(workspace, o_x);
    prep.ones = at<float>(workspace, o_ones);
    prep.flipped = at<std::uint8_t>(workspace, o_flip);
    prep.plans = at<KTilePlan>(workspace, o_plans);
    prep.prefix_offsets = at<double>(workspace, o_poff);
    prep.suffix_bias = at<double>(workspace, o_sbias);

    MainArgs main_args{};
    main_args.x_values = prep.x_values;
    main_args.ones = prep.ones;
    main_args.plans = prep.plans;
    main_args.prefix_offsets = prep.prefix_offsets;
    main_args.suffix_bias = prep.suffix_bias;
    main_args.y_tables = at<float>(workspace, o_tables);
    main_args.y_table_stride = static_cast<std::uint32_t>(table);
    main_args.partials = at<LogSumPair>(workspace, o_partials);
    main_args.one_bits = lz::kOneBits;
    main_args.n_ktiles = g.n_ktiles;
    main_args.padded_visible = g.padded_visible;
    main_args.padded_suffixes = g.padded_suffixes;
    main_args.n_suffix_tiles = g.n_suffix_tiles;
    main_args.n_suffixes = g.n_suffixes;
    main_args.suffix_bits = g.suffix_bits;
    main_args.tile_valid_prefixes = g.tile_valid_prefixes;

    // One chunk stays queued behind the one the host waits for, so that progress callbacks
    // never leave the GPU idle; stream order makes the reuse of the chunk tables safe.
    const EventPair events;
    for (std::uint64_t c = 0; c < chunks.n_chunks; ++c) {
      const std::uint64_t first = c * tiles;
      const std::uint64_t n_tiles = std::min<std::uint64_t>(tiles, g.n_prefix_tiles - first);
      prep.first_tile = first;
      prefix_tile_kernel<<<static_cast<unsigned>(n_tiles), kThreads, 0, stream>>>(prep);
      RBM_CUDA_CHECK_LAUNCH(stream);
      const std::size_t n_blocks = n_tiles * g.n_suffix_tiles;
      split_product_kernel<<<static_cast<unsigned>(n_blocks), kThreads, kMainSharedBytes, stream>>>(
          main_args);
      RBM_CUDA_CHECK_LAUNCH(stream);
      chunk_reduce_kernel<<<1, kThreads, 0, stream>>>(main_args.partials, n_blocks,
                                                      at<LogSumPair>(workspace, o_total));
      RBM_CUDA_CHECK_LAUNCH(stream);
      RBM_CUDA_CHECK(cudaEventRecord(events[c], stream));
      const bool last = c + 1 == chunks.n_chunks;
      if (c == 0 && !last) continue;
      const std::uint64_t done = last ? c + 1 : c;  // chunks finished once the wait returns
      RBM_CUDA_CHECK(cudaEventSynchronize(events[last ? c : c - 1]));
      if (options.progress) {
        const double fraction =
            (static_cast<double>(m) + static_cast<double>(done) / chunks.n_chunks) / n_models;
        if (!options.progress(fraction)) {
          RBM_CUDA_CHECK(cudaStreamSynchronize(stream));
          RBM_THROW(Cancelled, "exact log Z (CUDA) cancelled after ", done, " of ", chunks.n_chunks,
                    " chunks of model ", m, " (", model.n_visible, "x", model.n_hidden, ")");
        }
      }
      if (last) break;
    }

    LogSumPair total = empty;
    RBM_CUDA_CHECK(cudaMemcpyAsync(&total, at<LogSumPair>(workspace, o_total), sizeof total,
                                   cudaMemcpyDeviceToHost, stream));
    RBM_CUDA_CHECK(cudaStreamSynchronize(stream));

    LogZResult result;
    result.log_z = lz::log_sum_value(total);
    result.log2_states = g.n_hidden;
    result.states = std::ldexp(1.0, g.n_hidden);
    result.pairs = std::ldexp(static_cast<double>(g.n_visible), g.n_hidden);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    results.push_back(result);
  }
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
