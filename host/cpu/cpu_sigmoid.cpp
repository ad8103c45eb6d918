// host/cpu/cpu_sigmoid.cpp — the logistic function over rows, the CPU backend's hottest
// elementwise loop. This file alone is compiled with -ffast-math (CMakeLists.txt) so that GCC
// calls glibc's vector expf (libmvec): ~8× faster than scalar expf. Inputs are clamped, so the
// no-inf/no-NaN assumptions of fast-math hold (parameters are validated finite).
#include "host/common/numeric.hpp"
#include "host/common/parallel.hpp"
#include "host/cpu/cpu_math.hpp"

namespace rbm::detail::cpu {

// __restrict: without it GCC checks at run time whether the row and the bias overlap and takes
// the scalar loop (scalar expf, rounded differently) when they lie close in memory, so results
// would depend on where the buffers were allocated.
RBM_HOT_CLONES
void add_bias_sigmoid(float* __restrict p,
                      const float* __restrict bias,
                      std::size_t row_begin,
                      std::size_t row_end,
                      int width,
                      float scale) {
  for (std::size_t r = row_begin; r < row_end; ++r) {
    float* row = p + r * width;
    for (int j = 0; j < width; ++j) row[j] = sigmoid(scale * (row[j] + bias[j]));
  }
}

}  // namespace rbm::detail::cpu
