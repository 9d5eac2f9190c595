// Read bandwidth the way the decode kernels read weights: every thread streams its own
// contiguous slice of one large buffer with wide loads and several accumulators. The
// bandwidth floor of the benchmarks (weight bytes per token / this) uses it: a LibTorch sum
// over one tensor, as before, stayed below what llama.cpp demonstrably streams.
#pragma once
#include <cstdint>

namespace svae::kernels {

struct Bandwidth {
  double read_gbs = 0;      // bytes / best time / 1e9
  double best_seconds = 0;  // the best pass
  int threads = 0;
};

// Allocates and touches `bytes` (rounded down to 4 KiB), then times `repeats` full passes.
Bandwidth read_bandwidth(int64_t bytes, int64_t repeats);

}  // namespace svae::kernels
