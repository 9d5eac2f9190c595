// The AVX2 + FMA single-step attention (attention.h), what CPUs without the full AVX-512 set
// (most laptops, many servers) run. The structure of attention_avx512.cc at half the width:
// scores 8 cached keys at a time, each key's dot product in one ymm accumulator (q's chunk
// loaded once per 8 keys), the 8 accumulators reduced together by a transpose-and-add tree
// (21 shuffles/adds for 8 scores instead of a horizontal sum of ~6 per key); probs · v: head_dim
// in ymm accumulators (up to 64 floats per pass), one FMA per 8 values per key. Softmax's exp
// stays scalar std::exp with the sum in key order, as the portable version: the same float
// results for the same scores. No AVX512-BF16 here: bfloat16 rounding is the integer
// round-to-nearest-even of c10::BFloat16 on 8 lanes. Tails never read past a row: floats by
// _mm256_maskload_ps, bfloat16 (AVX2 has no 16-bit masked load) through a zeroed copy.
// Measured on the SHARED machine (indicative only), 125m bf16 decode forced to the avx2 path,
// batch 8: 341–348 tok/s with the portable attention, 365–367 with this one (the rest of the
// batch-8 gain on this path came from the GEMV prefetch in gemv_avx2.cc: 447–451).
#include "kernels/attention.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#define SVAE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace svae::kernels::avx2 {

namespace {

// Lanes i < n all ones (the mask operand of maskload / maskstore), n in [0, 8].
SVAE_AVX2 inline __m256i tail8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

SVAE_AVX2 inline __m256 widen_bf16(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }

// 8 values of a cached row from element `off`, all of them in the row.
template <bool BF>
SVAE_AVX2 inline __m256 row8(const void* base, int64_t off) {
  if constexpr (BF) {
    return widen_bf16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + off)));
  } else {
    return _mm256_loadu_ps(static_cast<const float*>(base) + off);
  }
}

// The n < 8 values left at the end of a row (lanes ≥ n zero), never touching memory past them.
template <bool BF>
SVAE_AVX2 inline __m256 row8_tail(const void* base, int64_t off, int64_t n, __m256i m) {
  if constexpr (BF) {
    alignas(16) uint16_t h[8] = {};
    std::memcpy(h, static_cast<const uint16_t*>(base) + off, static_cast<size_t>(n) * 2);
    return widen_bf16(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
  } else {
    (void)n;
    return _mm256_maskload_ps(static_cast<const float*>(base) + off, m);
  }
}

// Floats rounded to bfloat16 (nearest even, NaN kept as it is) and back, as the portable
// round_bf16: (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000.
SVAE_AVX2 inline __m256 round_bf16(__m256 x) {
  const __m256i u = _mm256_castps_si256(x);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  const __m256i r = _mm256_and_si256(_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb), _mm256_set1_epi32(static_cast<int>(0xFFFF0000u)));
  return _mm256_blendv_ps(_mm256_castsi256_ps(r), x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// v[0..7] → one vector whose lane i is the sum of v[i]'s 8 lanes.
SVAE_AVX2 inline __m256 reduce8(const __m256* v) {
  __m256 t[4], u[2];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    // per 128-bit lane: [a0 + a2, b0 + b2, a1 + a3, b1 + b3]
    t[i] = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  }
#pragma GCC unroll 2
  for (int i = 0; i < 2; i++) {
    // per 128-bit lane: [a, b, c, d] (that lane's sums of four keys)
    const __m256d x = _mm256_castps_pd(t[2 * i]), y = _mm256_castps_pd(t[2 * i + 1]);
    u[i] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(x, y)), _mm256_castpd_ps(_mm256_unpackhi_pd(x, y)));
  }
  // keys 0–3 from u[0]'s two halves, keys 4–7 from u[1]'s
  return _mm256_add_ps(_mm256_permute2f128_ps(u[0], u[1], 0x20), _mm256_permute2f128_ps(u[0], u[1], 0x31));
}

SVAE_AVX2 inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

template <bool BF>
SVAE_AVX2 void attend_t(const AttendArgs& a) {
  const int64_t S = a.S, hd = a.hd, esz = BF ? 2 : 4;
  const int64_t full = hd / 8 * 8, rest = hd - full;  // whole 8-value chunks of a row, the tail
  const __m256i mrest = tail8(rest);
  // Prefetch of the next block of keys: 8 rows are one contiguous range (the cache's rows are
  // adjacent), spread over the block's chunk steps a few lines per step (one prefetch per key
  // and step, as the AVX-512 file does per 16 values, would be 4 per line for bf16 here and
  // take as many load slots as the keys themselves).
  const int64_t steps = (hd + 7) / 8, lines = (8 * hd * esz + 63) / 64 + 1, pf_per_step = (lines + steps - 1) / steps;
  const char* kb = static_cast<const char*>(a.k);
  for (int64_t t = 0; t < a.T; t++) {
    const float* qv = a.q + t * a.q_stride;
    const float* mrow = a.mask ? a.mask + t * a.mask_t : nullptr;
    // ---- scores, 8 keys per block ----
    const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    __m256 vmax = ninf;
    for (int64_t j0 = 0; j0 < S; j0 += 8) {
      const int64_t nk = std::min<int64_t>(8, S - j0);
      // From the line holding the block's first byte (a row need not start on a line).
      const char* pf = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(kb + (j0 + 8) * hd * esz) & ~uintptr_t{63});
      const char* const pf_end = kb + std::min<int64_t>(S, j0 + 16) * hd * esz;
      __m256 acc[8];
#pragma GCC unroll 8
      for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_ps();
      for (int64_t e = 0; e < hd; e += 8) {
        // The next block's keys: the cache streams from DRAM at batch > 1 (the AVX-512 kernel
        // measured the hardware prefetcher alone at ~20 GB/s there).
        for (int64_t u = 0; u < pf_per_step && pf < pf_end; u++, pf += 64) _mm_prefetch(pf, _MM_HINT_T0);
        if (e < full) {
          const __m256 q = _mm256_loadu_ps(qv + e);
#pragma GCC unroll 8
          for (int i = 0; i < 8; i++) {
            if (i < nk) acc[i] = _mm256_fmadd_ps(q, row8<BF>(a.k, (j0 + i) * hd + e), acc[i]);
          }
        } else {
          const __m256 q = _mm256_maskload_ps(qv + e, mrest);
#pragma GCC unroll 8
          for (int i = 0; i < 8; i++) {
            if (i < nk) acc[i] = _mm256_fmadd_ps(q, row8_tail<BF>(a.k, (j0 + i) * hd + e, rest, mrest), acc[i]);
          }
        }
      }
      __m256 s = reduce8(acc);
      if constexpr (BF) s = round_bf16(s);  // the score stored in the model dtype (as OPT's matmul)
      const __m256i km = tail8(nk);
      if (mrow) {
        if (a.mask_s == 1) {
          s = _mm256_add_ps(s, _mm256_maskload_ps(mrow + j0, km));
        } else {
          alignas(32) float mv[8] = {};
          for (int64_t i = 0; i < nk; i++) mv[i] = mrow[(j0 + i) * a.mask_s];
          s = _mm256_add_ps(s, _mm256_load_ps(mv));
        }
      }
      _mm256_maskstore_ps(a.scores + j0, km, s);
      // max(s, vmax) keeps vmax where s is NaN, as std::max(mx, s) in the portable loop; lanes
      // past the keys count as −inf.
      vmax = _mm256_max_ps(_mm256_blendv_ps(ninf, s, _mm256_castsi256_ps(km)), vmax);
    }
    // ---- softmax (scalar exp and sum in key order: the portable version's floats) ----
    const float mx = hmax(vmax);
    float sum = 0;
    for (int64_t j = 0; j < S; j++) {
      a.scores[j] = std::exp(a.scores[j] - mx);
      sum += a.scores[j];
    }
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (int64_t j0 = 0; j0 < S; j0 += 8) {
      const __m256i km = tail8(S - j0);
      __m256 p = _mm256_mul_ps(_mm256_maskload_ps(a.scores + j0, km), inv);
      if constexpr (BF) p = round_bf16(p);  // probabilities stored in the model dtype (as OPT)
      _mm256_maskstore_ps(a.scores + j0, km, p);
    }
    // ---- probs · v, 64 output values per pass (8 accumulators of the 16 ymm) ----
    float* o = a.out + t * a.out_stride;
    for (int64_t e0 = 0; e0 < hd; e0 += 64) {
      const int64_t nc = std::min<int64_t>(8, (std::min<int64_t>(hd, e0 + 64) - e0) / 8);  // whole chunks
      const bool tail = e0 + 64 >= hd && rest > 0;                                          // then the tail chunk nc
      __m256 acc[8];
#pragma GCC unroll 8
      for (int c = 0; c < 8; c++) acc[c] = _mm256_setzero_ps();
      for (int64_t j = 0; j < S; j++) {
        const __m256 w = _mm256_set1_ps(a.scores[j]);
#pragma GCC unroll 8
        for (int c = 0; c < 8; c++) {
          // A value row 4 keys ahead, once per cache line of this pass (2 or 4 chunks a line).
          if (c % (BF ? 4 : 2) == 0 && c <= nc && j + 4 < S) _mm_prefetch(static_cast<const char*>(a.v) + ((j + 4) * hd + e0 + 8 * c) * esz, _MM_HINT_T0);
          if (c < nc) {
            acc[c] = _mm256_fmadd_ps(w, row8<BF>(a.v, j * hd + e0 + 8 * c), acc[c]);
          } else if (c == nc && tail) {
            acc[c] = _mm256_fmadd_ps(w, row8_tail<BF>(a.v, j * hd + e0 + 8 * c, rest, mrest), acc[c]);
          }
        }
      }
#pragma GCC unroll 8
      for (int c = 0; c < 8; c++) {
        if (c < nc) {
          _mm256_storeu_ps(o + e0 + 8 * c, acc[c]);
        } else if (c == nc && tail) {
          _mm256_maskstore_ps(o + e0 + 8 * c, mrest, acc[c]);
        }
      }
    }
  }
}

}  // namespace

SVAE_AVX2 void attend(const AttendArgs& a) {
  if (a.bf16) {
    attend_t<true>(a);
  } else {
    attend_t<false>(a);
  }
}

}  // namespace svae::kernels::avx2

#else  // not x86: cpu_path never selects this set

namespace svae::kernels::avx2 {
void attend(const AttendArgs& a) { portable::attend(a); }
}  // namespace svae::kernels::avx2

#endif
