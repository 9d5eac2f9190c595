// AVX-512 kernels: F/BW/VL for fp32, BF16 (vdpbf16ps: two bf16 products per lane, accumulated in
// float) for bf16 weights, VNNI (vpdpbusd: four u8 × s8 products per int32 lane) for int8.
// Function-level target attributes keep the rest of the build on baseline flags; cpu_path.cc
// calls these only when the CPU reports every one of those features. fp32: tiles of 4 rows × 4
// columns; bf16 and int8: one row × 4 columns, as in gemv_avx2.cc (a 4 × 4 bf16 tile measured
// slower here, on a loaded machine: to be re-measured quiet with `npm run bench -- kernels`).
#include "kernels/gemv.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// GCC 12 warns about its own intrinsics headers (_mm512_reduce_add_ps, masked loads) under
// function-level targets.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define SVAE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512bf16,avx2,fma,f16c")))

namespace svae::kernels::avx512 {

namespace {

SVAE_AVX512 inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

SVAE_AVX512 inline __mmask16 tail16(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
SVAE_AVX512 inline __mmask32 tail32(int64_t n) { return n >= 32 ? ~0u : static_cast<__mmask32>((1u << n) - 1); }

// R output rows × NB columns per call: each activation vector loaded serves R rows, each
// weight vector NB columns (4 × 4: 8 loads per 16 FMAs instead of 5 per 4), and R·NB
// independent accumulators hide the FMA latency. One accumulator per (row, column) and the same
// k order for every R, so a row's result does not depend on how rows were grouped.
template <int R, int NB>
SVAE_AVX512 void f32_tile(const F32Gemv& a, int64_t r, int64_t j0) {
  const float* w[R];
  const float* x[NB];
  __m512 acc[R][NB];
  for (int i = 0; i < R; i++) w[i] = a.w + (r + i) * a.in;
  for (int j = 0; j < NB; j++) x[j] = a.x + (j0 + j) * a.in;
  for (int i = 0; i < R; i++)
    for (int j = 0; j < NB; j++) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= a.in; k += 16) {
    __m512 xv[NB];
    for (int j = 0; j < NB; j++) xv[j] = _mm512_loadu_ps(x[j] + k);
    for (int i = 0; i < R; i++) {
      const __m512 wv = _mm512_loadu_ps(w[i] + k);
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  if (k < a.in) {  // the rest, masked: lanes past `in` load as zero
    const __mmask16 m = tail16(a.in - k);
    __m512 xv[NB];
    for (int j = 0; j < NB; j++) xv[j] = _mm512_maskz_loadu_ps(m, x[j] + k);
    for (int i = 0; i < R; i++) {
      const __m512 wv = _mm512_maskz_loadu_ps(m, w[i] + k);
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < R; i++)
    for (int j = 0; j < NB; j++) a.y[(j0 + j) * a.out + r + i] = _mm512_reduce_add_ps(acc[i][j]) + (a.bias ? a.bias[r + i] : 0.f);
}

// Rows four at a time (the rest one at a time), columns four at a time.
template <class Args, template <int, int> class Tile>
SVAE_AVX512 void tiles(const Args& a, int64_t r0, int64_t r1) {
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    for (int64_t j0 = 0; j0 < a.nb; j0 += 4) {
      switch (a.nb - j0 >= 4 ? 4 : a.nb - j0) {
        case 1: Tile<4, 1>::run(a, r, j0); break;
        case 2: Tile<4, 2>::run(a, r, j0); break;
        case 3: Tile<4, 3>::run(a, r, j0); break;
        default: Tile<4, 4>::run(a, r, j0); break;
      }
    }
  }
  for (; r < r1; r++) {
    for (int64_t j0 = 0; j0 < a.nb; j0 += 4) {
      switch (a.nb - j0 >= 4 ? 4 : a.nb - j0) {
        case 1: Tile<1, 1>::run(a, r, j0); break;
        case 2: Tile<1, 2>::run(a, r, j0); break;
        case 3: Tile<1, 3>::run(a, r, j0); break;
        default: Tile<1, 4>::run(a, r, j0); break;
      }
    }
  }
}
template <int R, int NB>
struct F32Tile {
  SVAE_AVX512 static void run(const F32Gemv& a, int64_t r, int64_t j0) { f32_tile<R, NB>(a, r, j0); }
};

template <int NB>
SVAE_AVX512 void bf16_row(const Bf16Gemv& a, int64_t r, int64_t j0) {
  const uint16_t* w = a.w + r * a.in;
  const uint16_t* x[NB];
  __m512 acc0[NB], acc1[NB];
  for (int j = 0; j < NB; j++) x[j] = a.xb + (j0 + j) * a.in, acc0[j] = _mm512_setzero_ps(), acc1[j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 64 <= a.in; k += 64) {
    const __m512i w0 = _mm512_loadu_si512(w + k), w1 = _mm512_loadu_si512(w + k + 32);
    for (int j = 0; j < NB; j++) {
      acc0[j] = _mm512_dpbf16_ps(acc0[j], (__m512bh)w0, (__m512bh)_mm512_loadu_si512(x[j] + k));
      acc1[j] = _mm512_dpbf16_ps(acc1[j], (__m512bh)w1, (__m512bh)_mm512_loadu_si512(x[j] + k + 32));
    }
  }
  for (; k < a.in; k += 32) {  // masked: zero bf16 pairs add nothing
    const __mmask32 m = tail32(a.in - k);
    const __m512i w0 = _mm512_maskz_loadu_epi16(m, w + k);
    for (int j = 0; j < NB; j++) acc0[j] = _mm512_dpbf16_ps(acc0[j], (__m512bh)w0, (__m512bh)_mm512_maskz_loadu_epi16(m, x[j] + k));
  }
  for (int j = 0; j < NB; j++) a.y[(j0 + j) * a.out + r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[j], acc1[j])) + (a.bias ? a.bias[r] : 0.f);
}

// One block of 32 as 8 int32 lanes: vpdpbusd takes u8 × s8, so x's sign moves onto w.
SVAE_AVX512 inline __m256i dot32(__m256i w, __m256i xq, __m256i xa) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), xa, _mm256_sign_epi8(w, xq));
}

template <int NB>
SVAE_AVX512 void q8_row(const Q8Gemv& a, int64_t r, int64_t j0) {
  const int64_t blocks = q8_blocks(a.in), full = a.in / kQ8Block;
  const int8_t* w = a.w + r * a.in;
  const float* ws = a.ws + r * blocks;
  __m256 acc[NB];
  for (int j = 0; j < NB; j++) acc[j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < full; b++) {
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + b * kQ8Block));
    for (int j = 0; j < NB; j++) {
      const int64_t off = (j0 + j) * a.in + b * kQ8Block;
      const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.xq + off));
      const __m256i xa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.xa + off));
      const __m256 scale = _mm256_set1_ps(ws[b] * a.xs[(j0 + j) * blocks + b]);
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot32(wv, xq, xa)), scale, acc[j]);
    }
  }
  for (int j = 0; j < NB; j++) {
    float s = hsum256(acc[j]);
    if (full < blocks) {  // a short last block
      const int8_t* x = a.xq + (j0 + j) * a.in;
      int32_t d = 0;
      for (int64_t k = full * kQ8Block; k < a.in; k++) d += static_cast<int32_t>(w[k]) * static_cast<int32_t>(x[k]);
      s += static_cast<float>(d) * (ws[full] * a.xs[(j0 + j) * blocks + full]);
    }
    a.y[(j0 + j) * a.out + r] = s + (a.bias ? a.bias[r] : 0.f);
  }
}

template <class Args, class Row1, class Row2, class Row3, class Row4>
SVAE_AVX512 void rows(const Args& a, int64_t r0, int64_t r1, Row1 one, Row2 two, Row3 three, Row4 four) {
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

SVAE_AVX512 void f32(const F32Gemv& a, int64_t r0, int64_t r1) { tiles<F32Gemv, F32Tile>(a, r0, r1); }
SVAE_AVX512 void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1) { rows(a, r0, r1, bf16_row<1>, bf16_row<2>, bf16_row<3>, bf16_row<4>); }
SVAE_AVX512 void q8(const Q8Gemv& a, int64_t r0, int64_t r1) { rows(a, r0, r1, q8_row<1>, q8_row<2>, q8_row<3>, q8_row<4>); }

}  // namespace svae::kernels::avx512

#else

namespace svae::kernels::avx512 {
void f32(const F32Gemv& a, int64_t r0, int64_t r1) { portable::f32(a, r0, r1); }
void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1) { portable::bf16(a, r0, r1); }
void q8(const Q8Gemv& a, int64_t r0, int64_t r1) { portable::q8(a, r0, r1); }
}  // namespace svae::kernels::avx512

#endif
