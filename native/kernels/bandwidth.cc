#include "kernels/bandwidth.h"

#include "kernels/cpu_path.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace svae::kernels {

namespace {

uint64_t sum_portable(const uint64_t* p, int64_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) a += p[i], b += p[i + 1], c += p[i + 2], d += p[i + 3];
  for (; i < n; i++) a += p[i];
  return a + b + c + d;
}

#if defined(__x86_64__) || defined(__i386__)
// Four 256-bit accumulators, 128 bytes per iteration: the loads, not the adds, set the pace.
__attribute__((target("avx2"))) uint64_t sum_avx2(const uint64_t* p, int64_t n) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a = _mm256_add_epi64(a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    b = _mm256_add_epi64(b, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    c = _mm256_add_epi64(c, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    d = _mm256_add_epi64(d, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d)));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + sum_portable(p + i, n - i);
}
#endif

uint64_t sum(const uint64_t* p, int64_t n) {
#if defined(__x86_64__) || defined(__i386__)
  if (cpu_supports(Path::Avx2)) return sum_avx2(p, n);
#endif
  return sum_portable(p, n);
}

}  // namespace

Bandwidth read_bandwidth(int64_t bytes, int64_t repeats) {
  const int64_t n = std::max<int64_t>(bytes / 4096 * 4096, 4096) / 8;
  std::unique_ptr<uint64_t[]> buffer(new uint64_t[n]);
  // Touched in parallel: first-touch places pages near the threads that will read them.
  at::parallel_for(0, n, 1 << 16, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; i++) buffer[i] = static_cast<uint64_t>(i);
  });
  Bandwidth out;
  out.threads = at::get_num_threads();
  double best = 1e30;
  std::atomic<uint64_t> sink{0};
  for (int64_t r = 0; r < repeats; r++) {
    auto t0 = std::chrono::steady_clock::now();
    at::parallel_for(0, n, 1 << 16, [&](int64_t a, int64_t b) { sink += sum(buffer.get() + a, b - a); });
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  out.best_seconds = best;
  out.read_gbs = static_cast<double>(n) * 8 / best / 1e9;
  return out;
}

}  // namespace svae::kernels
