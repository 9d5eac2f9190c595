// The AVX-512 single-step attention (attention.h). Scores: 16 cached keys at a time, each key's
// dot product in one zmm accumulator per key (q's chunk loaded once per 16 keys), the 16
// accumulators reduced together by a transpose-and-add tree (45 shuffles/adds for 16 scores
// instead of a full horizontal sum per key: at head_dim 64 that sum cost as much as the dot
// product). probs · v: head_dim in zmm accumulators (up to 128 floats per pass), one FMA per
// 16 values per key. Softmax's exp stays scalar std::exp, as the portable version: the same
// float results for the same scores.
#include "kernels/attention.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define SVAE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512bf16,avx2,fma,f16c")))

namespace svae::kernels::avx512 {

namespace {

SVAE_AVX512 inline __mmask16 tail16(int64_t n) { return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1); }

// 16 values of a cached row from element `off` (lanes outside `m` read as zero).
template <bool BF>
SVAE_AVX512 inline __m512 row16(const void* base, int64_t off, __mmask16 m) {
  if constexpr (BF) {
    const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(base) + off);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  } else {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(base) + off);
  }
}

// Floats rounded to bfloat16 (nearest even) and back.
SVAE_AVX512 inline __m512 round_bf16(__m512 x) {
  const __m256i h = (__m256i)_mm512_cvtneps_pbh(x);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// v[0..15] → one vector whose lane i is the sum of v[i]'s 16 lanes.
SVAE_AVX512 inline __m512 reduce16(const __m512* v) {
  __m512 t[8], u[4], w[2];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    // per 128-bit lane: [a0 + a2, b0 + b2, a1 + a3, b1 + b3]
    t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    // per 128-bit lane: [a, b, c, d] (that lane's sums of four keys)
    const __m512d x = _mm512_castps_pd(t[2 * i]), y = _mm512_castps_pd(t[2 * i + 1]);
    u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)), _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
  }
#pragma GCC unroll 2
  for (int i = 0; i < 2; i++) {
    // lanes: [u0.L0 + u0.L1, u0.L2 + u0.L3, u1.L0 + u1.L1, u1.L2 + u1.L3]
    w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
  return _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

template <bool BF>
SVAE_AVX512 void attend_t(const AttendArgs& a) {
  const int64_t S = a.S, hd = a.hd, esz = BF ? 2 : 4;
  for (int64_t t = 0; t < a.T; t++) {
    const float* qv = a.q + t * a.q_stride;
    const float* mrow = a.mask ? a.mask + t * a.mask_t : nullptr;
    // ---- scores, 16 keys per block ----
    __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t j0 = 0; j0 < S; j0 += 16) {
      const int64_t nk = std::min<int64_t>(16, S - j0);
      __m512 acc[16];
#pragma GCC unroll 16
      for (int i = 0; i < 16; i++) acc[i] = _mm512_setzero_ps();
      for (int64_t e = 0; e < hd; e += 16) {
        const __mmask16 m = tail16(hd - e);
        const __m512 q = _mm512_maskz_loadu_ps(m, qv + e);
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
          // The next block's keys, a line at a time: the cache streams from DRAM at batch > 1,
          // and the hardware prefetcher alone left it at ~20 GB/s. Bounded by S so that no
          // pointer past the cache is formed.
          if (j0 + 16 + i < S) _mm_prefetch(static_cast<const char*>(a.k) + ((j0 + 16 + i) * hd + e) * esz, _MM_HINT_T0);
          if (i < nk) acc[i] = _mm512_fmadd_ps(q, row16<BF>(a.k, (j0 + i) * hd + e, m), acc[i]);
        }
      }
      __m512 s = reduce16(acc);
      if constexpr (BF) s = round_bf16(s);  // the score stored in the model dtype (as OPT's matmul)
      const __mmask16 km = tail16(nk);
      if (mrow) {
        if (a.mask_s == 1) {
          s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(km, mrow + j0));
        } else {
          alignas(64) float mv[16] = {};
          for (int64_t i = 0; i < nk; i++) mv[i] = mrow[(j0 + i) * a.mask_s];
          s = _mm512_add_ps(s, _mm512_load_ps(mv));
        }
      }
      _mm512_mask_storeu_ps(a.scores + j0, km, s);
      vmax = _mm512_mask_max_ps(vmax, km, vmax, s);
    }
    // ---- softmax (scalar exp and sum in key order: the portable version's floats) ----
    const float mx = _mm512_reduce_max_ps(vmax);
    float sum = 0;
    for (int64_t j = 0; j < S; j++) {
      a.scores[j] = std::exp(a.scores[j] - mx);
      sum += a.scores[j];
    }
    const __m512 inv = _mm512_set1_ps(1.0f / sum);
    for (int64_t j0 = 0; j0 < S; j0 += 16) {
      const __mmask16 km = tail16(S - j0);
      __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(km, a.scores + j0), inv);
      if constexpr (BF) p = round_bf16(p);  // probabilities stored in the model dtype (as OPT)
      _mm512_mask_storeu_ps(a.scores + j0, km, p);
    }
    // ---- probs · v, 128 output values per pass ----
    float* o = a.out + t * a.out_stride;
    for (int64_t e0 = 0; e0 < hd; e0 += 128) {
      const int64_t nc = std::min<int64_t>(8, (hd - e0 + 15) / 16);
      __m512 acc[8];
      __mmask16 m[8];
#pragma GCC unroll 8
      for (int c = 0; c < 8; c++) {
        acc[c] = _mm512_setzero_ps();
        m[c] = c < nc ? tail16(hd - e0 - 16 * c) : static_cast<__mmask16>(0);
      }
      for (int64_t j = 0; j < S; j++) {
        const __m512 w = _mm512_set1_ps(a.scores[j]);
#pragma GCC unroll 8
        for (int c = 0; c < 8; c++) {
          if (c < nc && j + 4 < S) _mm_prefetch(static_cast<const char*>(a.v) + ((j + 4) * hd + e0 + 16 * c) * esz, _MM_HINT_T0);
          if (c < nc) acc[c] = _mm512_fmadd_ps(w, row16<BF>(a.v, j * hd + e0 + 16 * c, m[c]), acc[c]);
        }
      }
#pragma GCC unroll 8
      for (int c = 0; c < 8; c++) {
        if (c < nc) _mm512_mask_storeu_ps(o + e0 + 16 * c, m[c], acc[c]);
      }
    }
  }
}

}  // namespace

SVAE_AVX512 void attend(const AttendArgs& a) {
  if (a.bf16) {
    attend_t<true>(a);
  } else {
    attend_t<false>(a);
  }
}

}  // namespace svae::kernels::avx512

#else  // not x86: cpu_path never selects this set

#include "kernels/attention.h"

namespace svae::kernels::avx512 {
void attend(const AttendArgs& a) { portable::attend(a); }
}  // namespace svae::kernels::avx512

#endif
