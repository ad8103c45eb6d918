// host/common/hd.hpp — marks functions that are compiled for both the host and the device.
// Headers whose math both backends share (philox.hpp, numeric.hpp, units.hpp, optimizer.hpp,
// logz_math.hpp) use RBM_HD: nvcc compiles them for the GPU, g++ for the CPU backend and its
// tests, so the CPU tests exercise the very arithmetic the kernels run.
#pragma once

#if defined(__CUDACC__)
#define RBM_HD __host__ __device__ __forceinline__
#else
#define RBM_HD inline
#endif
