// AVX2 + FMA kernels (Haswell / Zen 1 and later). Compiled with a function-level target
// attribute, so the rest of the build keeps its baseline flags; only called when cpu_path.cc
// has seen the features. Columns are taken four at a time: each weight vector loaded from
// memory is used for up to four activations while it is in a register, and a row (≤ 32 KiB)
// stays in L1 for the next group. From batch 2 on the tiles also prefetch the weights a few
// rows ahead (see kAhead).
#include "kernels/gemv.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define SVAE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace svae::kernels::avx2 {

namespace {

// Software prefetch from batch 2 on (PF): at every k step the line of the row kAhead rows
// further at the same k. The AVX-512 tiles (4 rows) fetch the next 4-row block; these tiles are
// one row (int8 from batch 4: two), so they look the same 4 rows ahead. Why: with several
// columns a row is walked once per column group (the later walks hit L1) and the compute per
// weight byte grows with the batch, so the hardware prefetcher alone lets the DRAM stream idle
// (AVX-512, 125m head bf16 batch 8, quiet machine: 3.35 -> 2.24 ms). Batch 1 is one plain
// stream: no prefetch there. The lines past the thread's last row are fetched for nothing
// (prefetch never faults): ~4 rows per thread and call. Measured on the SHARED machine (another
// job on one of the 2 cores: indicative only), 125m head 50272 × 768, 2 threads, median ms
// before -> after: bf16 batch 8 4.85–4.93 -> 4.52–4.70, batch 16 14.4–15.2 -> 10.9–11.2;
// fp32 batch 16 18.8 -> 12.8; int8 batch 8 2.96 -> 2.72, batch 16 7.1 -> 5.4–5.6; batch 1 the
// same. 1 and 8 rows ahead were no better (fp32 batch 16 with 8: 14.2).
constexpr int64_t kAhead = 4;

SVAE_AVX2 inline void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

SVAE_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

SVAE_AVX2 inline __m256 load_bf16(const uint16_t* p) {
  __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

template <int NB, bool PF>
SVAE_AVX2 void f32_row(const F32Gemv& a, int64_t r, int64_t j0) {
  const float* w = a.w + r * a.in;
  const float* x[NB];
  __m256 acc0[NB], acc1[NB];
  for (int j = 0; j < NB; j++) x[j] = a.x + (j0 + j) * a.in, acc0[j] = _mm256_setzero_ps(), acc1[j] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= a.in; k += 16) {
    if constexpr (PF) prefetch(w + kAhead * a.in + k);  // 16 floats: one line per step
    const __m256 w0 = _mm256_loadu_ps(w + k), w1 = _mm256_loadu_ps(w + k + 8);
    for (int j = 0; j < NB; j++) {
      acc0[j] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[j] + k), acc0[j]);
      acc1[j] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x[j] + k + 8), acc1[j]);
    }
  }
  for (; k + 8 <= a.in; k += 8) {
    const __m256 w0 = _mm256_loadu_ps(w + k);
    for (int j = 0; j < NB; j++) acc0[j] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[j] + k), acc0[j]);
  }
  for (int j = 0; j < NB; j++) {
    float s = hsum(_mm256_add_ps(acc0[j], acc1[j]));
    for (int64_t t = k; t < a.in; t++) s += w[t] * x[j][t];
    a.y[(j0 + j) * a.out + r] = s + (a.bias ? a.bias[r] : 0.f);
  }
}

template <int NB, bool PF>
SVAE_AVX2 void bf16_row(const Bf16Gemv& a, int64_t r, int64_t j0) {
  const uint16_t* w = a.w + r * a.in;
  const float* x[NB];
  __m256 acc0[NB], acc1[NB];
  for (int j = 0; j < NB; j++) x[j] = a.xf + (j0 + j) * a.in, acc0[j] = _mm256_setzero_ps(), acc1[j] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= a.in; k += 16) {
    if constexpr (PF) {
      if ((k & 31) == 0) prefetch(w + kAhead * a.in + k);  // 16 bf16 per step: a line every other one
    }
    const __m256 w0 = load_bf16(w + k), w1 = load_bf16(w + k + 8);
    for (int j = 0; j < NB; j++) {
      acc0[j] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[j] + k), acc0[j]);
      acc1[j] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x[j] + k + 8), acc1[j]);
    }
  }
  for (int j = 0; j < NB; j++) {
    float s = hsum(_mm256_add_ps(acc0[j], acc1[j]));
    for (int64_t t = k; t < a.in; t++) s += bf16_to_float(w[t]) * x[j][t];
    a.y[(j0 + j) * a.out + r] = s + (a.bias ? a.bias[r] : 0.f);
  }
}

// One block of 32: Σ w·x as 8 int32 lanes. maddubs takes u8 × s8, so x's sign moves onto w
// (|x| · sign(w, x) = x · w); pairs of products fit int16 (2 · 127 · 127 < 32767).
SVAE_AVX2 inline __m256i dot32(__m256i w, __m256i xq, __m256i xa) {
  const __m256i p16 = _mm256_maddubs_epi16(xa, _mm256_sign_epi8(w, xq));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

template <int NB, bool PF>
SVAE_AVX2 void q8_row(const Q8Gemv& a, int64_t r, int64_t j0) {
  const int64_t blocks = q8_blocks(a.in), full = a.in / kQ8Block;
  const int8_t* w = a.w + r * a.in;
  const float* ws = a.ws + r * blocks;
  __m256 acc[NB];
  for (int j = 0; j < NB; j++) acc[j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < full; b++) {
    if constexpr (PF) {
      if ((b & 1) == 0) prefetch(w + kAhead * a.in + b * kQ8Block);  // 32 bytes per block
    }
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + b * kQ8Block));
    const __m256 wsv = _mm256_broadcast_ss(ws + b);
    for (int j = 0; j < NB; j++) {
      const int64_t off = (j0 + j) * a.in + b * kQ8Block;
      const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.xq + off));
      const __m256i xa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.xa + off));
      // The block's x scale comes pre-spread over 8 lanes (xs8): one vector multiply per
      // column instead of a scalar multiply and a broadcast.
      const __m256 scale = _mm256_mul_ps(wsv, _mm256_loadu_ps(a.xs8 + ((j0 + j) * blocks + b) * 8));
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot32(wv, xq, xa)), scale, acc[j]);
    }
  }
  for (int j = 0; j < NB; j++) {
    float s = hsum(acc[j]);
    if (full < blocks) {  // a short last block
      const int8_t* x = a.xq + (j0 + j) * a.in;
      int32_t d = 0;
      for (int64_t k = full * kQ8Block; k < a.in; k++) d += static_cast<int32_t>(w[k]) * static_cast<int32_t>(x[k]);
      s += static_cast<float>(d) * (ws[full] * a.xs[(j0 + j) * blocks + full]);
    }
    a.y[(j0 + j) * a.out + r] = s + (a.bias ? a.bias[r] : 0.f);
  }
}

// Two output rows × NB activation rows: each activation block (xq, |xq|, its scales) loaded
// once serves both rows. 16 ymm: 2·NB accumulators + 2 weight + 2 scale registers + 3 for the
// activation block (NB ≤ 3 keeps them all in registers).
template <int NB, bool PF>
SVAE_AVX2 void q8_pair(const Q8Gemv& a, int64_t r, int64_t j0) {
  const int64_t blocks = q8_blocks(a.in), full = a.in / kQ8Block;
  const int8_t* w0 = a.w + r * a.in;
  const int8_t* w1 = w0 + a.in;
  const float* ws0 = a.ws + r * blocks;
  const float* ws1 = ws0 + blocks;
  __m256 acc0[NB], acc1[NB];
#pragma GCC unroll 8
  for (int j = 0; j < NB; j++) acc0[j] = _mm256_setzero_ps(), acc1[j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < full; b++) {
    if constexpr (PF) {
      if ((b & 1) == 0) prefetch(w0 + kAhead * a.in + b * kQ8Block), prefetch(w1 + kAhead * a.in + b * kQ8Block);
    }
    const __m256i wv0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w0 + b * kQ8Block));
    const __m256i wv1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w1 + b * kQ8Block));
    const __m256 s0 = _mm256_broadcast_ss(ws0 + b), s1 = _mm256_broadcast_ss(ws1 + b);
#pragma GCC unroll 8
    for (int j = 0; j < NB; j++) {
      const int64_t off = (j0 + j) * a.in + b * kQ8Block;
      const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.xq + off));
      const __m256i xa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.xa + off));
      const __m256 xs = _mm256_loadu_ps(a.xs8 + ((j0 + j) * blocks + b) * 8);
      acc0[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot32(wv0, xq, xa)), _mm256_mul_ps(s0, xs), acc0[j]);
      acc1[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot32(wv1, xq, xa)), _mm256_mul_ps(s1, xs), acc1[j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < NB; j++) {
    float s[2] = {hsum(acc0[j]), hsum(acc1[j])};
    if (full < blocks) {  // a short last block
      const int8_t* x = a.xq + (j0 + j) * a.in;
      for (int i = 0; i < 2; i++) {
        const int8_t* w = i == 0 ? w0 : w1;
        int32_t d = 0;
        for (int64_t k = full * kQ8Block; k < a.in; k++) d += static_cast<int32_t>(w[k]) * static_cast<int32_t>(x[k]);
        s[i] += static_cast<float>(d) * ((i == 0 ? ws0 : ws1)[full] * a.xs[(j0 + j) * blocks + full]);
      }
    }
    a.y[(j0 + j) * a.out + r] = s[0] + (a.bias ? a.bias[r] : 0.f);
    a.y[(j0 + j) * a.out + r + 1] = s[1] + (a.bias ? a.bias[r + 1] : 0.f);
  }
}

template <class Args, class Row1, class Row2, class Row3, class Row4>
SVAE_AVX2 void rows(const Args& a, int64_t r0, int64_t r1, Row1 one, Row2 two, Row3 three, Row4 four) {
  for (int64_t r = r0; r < r1; r++) {
    for (int64_t j0 = 0; j0 < a.nb; j0 += 4) {
      switch (a.nb - j0 >= 4 ? 4 : a.nb - j0) {
        case 1: one(a, r, j0); break;
        case 2: two(a, r, j0); break;
        case 3: three(a, r, j0); break;
        default: four(a, r, j0); break;
      }
    }
  }
}

}  // namespace

// Batch 1 unchanged (no prefetch); from batch 2 on the prefetching tiles (see kAhead).
SVAE_AVX2 void f32(const F32Gemv& a, int64_t r0, int64_t r1) {
  if (a.nb == 1) return rows(a, r0, r1, f32_row<1, false>, f32_row<2, false>, f32_row<3, false>, f32_row<4, false>);
  rows(a, r0, r1, f32_row<1, true>, f32_row<2, true>, f32_row<3, true>, f32_row<4, true>);
}
SVAE_AVX2 void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1) {
  if (a.nb == 1) return rows(a, r0, r1, bf16_row<1, false>, bf16_row<2, false>, bf16_row<3, false>, bf16_row<4, false>);
  rows(a, r0, r1, bf16_row<1, true>, bf16_row<2, true>, bf16_row<3, true>, bf16_row<4, true>);
}
// int8: up to 3 activation rows one output row at a time (one weight stream per thread: from
// DRAM, one thread, 128 MB, shared machine: batch 1 ~23 GB/s against ~11 for row pairs); from
// 4 rows on, pairs of output rows × ≤ 3 columns, each activation block serving both rows
// (batch 5–16 from DRAM: 1.15–1.4× the one-row kernel; equal at 4), the odd last row alone.
// Prefetch (kAhead) from batch 2 on.
SVAE_AVX2 void q8(const Q8Gemv& a, int64_t r0, int64_t r1) {
  if (a.nb == 1) return rows(a, r0, r1, q8_row<1, false>, q8_row<2, false>, q8_row<3, false>, q8_row<4, false>);
  if (a.nb <= 3) return rows(a, r0, r1, q8_row<1, true>, q8_row<2, true>, q8_row<3, true>, q8_row<4, true>);
  int64_t r = r0;
  for (; r + 2 <= r1; r += 2) {
    for (int64_t j0 = 0; j0 < a.nb; j0 += 3) {
      switch (a.nb - j0 >= 3 ? 3 : a.nb - j0) {
        case 1: q8_pair<1, true>(a, r, j0); break;
        case 2: q8_pair<2, true>(a, r, j0); break;
        default: q8_pair<3, true>(a, r, j0); break;
      }
    }
  }
  if (r < r1) rows(a, r, r1, q8_row<1, true>, q8_row<2, true>, q8_row<3, true>, q8_row<4, true>);
}

}  // namespace svae::kernels::avx2

#else  // not x86: cpu_path.cc never selects these

namespace svae::kernels::avx2 {
void f32(const F32Gemv& a, int64_t r0, int64_t r1) { portable::f32(a, r0, r1); }
void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1) { portable::bf16(a, r0, r1); }
void q8(const Q8Gemv& a, int64_t r0, int64_t r1) { portable::q8(a, r0, r1); }
}  // namespace svae::kernels::avx2

#endif
