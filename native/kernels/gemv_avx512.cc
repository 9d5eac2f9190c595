// AVX-512 kernels: F/BW/VL for fp32, BF16 (vdpbf16ps: two bf16 products per lane, accumulated in
// float) for bf16 weights, VNNI (vpdpbusd: four u8 × s8 products per int32 lane) for int8.
// Function-level target attributes keep the rest of the build on baseline flags; cpu_path.cc
// calls these only when the CPU reports every one of those features. fp32 and bf16: tiles of
// 4 rows × 4 columns; int8: u8 × s8 on full zmm vectors (two blocks each), tiles of 4 × 2 or
// 2 × 8 (see q8_rows). Tile loops carry `#pragma GCC unroll`: without full unrolling (-O2, as
// binding.gyp builds) the accumulator arrays live on the stack. From batch 2 on the tiles also
// prefetch the next row block (see f32 below).
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

SVAE_AVX512 inline __mmask16 tail16(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
SVAE_AVX512 inline __mmask32 tail32(int64_t n) { return n >= 32 ? ~0u : static_cast<__mmask32>((1u << n) - 1); }

// R output rows × NB columns per call: each activation vector loaded serves R rows, each
// weight vector NB columns (4 × 4: 8 loads per 16 FMAs instead of 5 per 4), and R·NB
// independent accumulators hide the FMA latency. One accumulator per (row, column) and the same
// k order for every R, so a row's result does not depend on how rows were grouped.
template <int R, int NB, bool PF>
SVAE_AVX512 void f32_tile(const F32Gemv& a, int64_t r, int64_t j0) {
  const float* w[R];
  const float* x[NB];
  __m512 acc[R][NB];
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) w[i] = a.w + (r + i) * a.in;
#pragma GCC unroll 16
  for (int j = 0; j < NB; j++) x[j] = a.x + (j0 + j) * a.in;
#pragma GCC unroll 16
  for (int i = 0; i < R; i++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= a.in; k += 16) {
    if constexpr (PF) {
#pragma GCC unroll 16
      for (int i = 0; i < R; i++) _mm_prefetch(reinterpret_cast<const char*>(w[i] + R * a.in + k), _MM_HINT_T0);
    }
    __m512 xv[NB];
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) xv[j] = _mm512_loadu_ps(x[j] + k);
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      const __m512 wv = _mm512_loadu_ps(w[i] + k);
#pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  if (k < a.in) {  // the rest, masked: lanes past `in` load as zero
    const __mmask16 m = tail16(a.in - k);
    __m512 xv[NB];
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) xv[j] = _mm512_maskz_loadu_ps(m, x[j] + k);
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      const __m512 wv = _mm512_maskz_loadu_ps(m, w[i] + k);
#pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; i++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) a.y[(j0 + j) * a.out + r + i] = _mm512_reduce_add_ps(acc[i][j]) + (a.bias ? a.bias[r + i] : 0.f);
}

// n (≤ NB) columns at j0: the tile of exactly n columns.
template <int R, int NB, bool PF>
SVAE_AVX512 void f32_tile_n(const F32Gemv& a, int64_t r, int64_t j0, int64_t n) {
  if constexpr (NB > 1) {
    if (n < NB) return f32_tile_n<R, NB - 1, PF>(a, r, j0, n);
  }
  f32_tile<R, NB, PF>(a, r, j0);
}

// Rows R at a time, columns four at a time.
template <int R, bool PF>
SVAE_AVX512 void f32_cols(const F32Gemv& a, int64_t r) {
  for (int64_t j0 = 0; j0 < a.nb; j0 += 4) f32_tile_n<R, 4, PF>(a, r, j0, a.nb - j0 >= 4 ? 4 : a.nb - j0);
}

// bf16 (vdpbf16ps: pairs of bf16 products accumulated in float), several rows: a tile of R = 4
// output rows × NB ≤ 4 activation rows keeps R · NB partial sums in registers; each weight
// vector loaded serves NB activation rows and each activation vector 4 output rows (the
// one-row kernel this replaced re-loaded every activation vector for every output row;
// single-thread CPU time on the shared machine, same binary, alternating: 1.15–1.2× at batch
// 1, 1.8–2.6× at 8 and 16). One accumulator per (row, column), the same k order for any
// grouping: a row's result does not depend on the batch it is in.
template <int R, int NB, bool PF>
SVAE_AVX512 void bf16_tile(const Bf16Gemv& a, int64_t r, int64_t j0) {
  const uint16_t* w[R];
  const uint16_t* x[NB];
  __m512 acc[R][NB];
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) w[i] = a.w + (r + i) * a.in;
#pragma GCC unroll 16
  for (int j = 0; j < NB; j++) x[j] = a.xb + (j0 + j) * a.in;
#pragma GCC unroll 16
  for (int i = 0; i < R; i++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= a.in; k += 32) {
    if constexpr (PF) {
      // The next R rows' line at this k (prefetch never faults past the end): see bf16_rows.
#pragma GCC unroll 16
      for (int i = 0; i < R; i++) _mm_prefetch(reinterpret_cast<const char*>(w[i] + R * a.in + k), _MM_HINT_T0);
    }
    __m512i xv[NB];
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) xv[j] = _mm512_loadu_si512(x[j] + k);
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      const __m512i wv = _mm512_loadu_si512(w[i] + k);
#pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)wv, (__m512bh)xv[j]);
    }
  }
  if (k < a.in) {  // masked: zero bf16 pairs add nothing
    const __mmask32 m = tail32(a.in - k);
    __m512i xv[NB];
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) xv[j] = _mm512_maskz_loadu_epi16(m, x[j] + k);
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      const __m512i wv = _mm512_maskz_loadu_epi16(m, w[i] + k);
#pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)wv, (__m512bh)xv[j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; i++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) a.y[(j0 + j) * a.out + r + i] = _mm512_reduce_add_ps(acc[i][j]) + (a.bias ? a.bias[r + i] : 0.f);
}

// n (≤ NB) columns at j0: the tile of exactly n columns.
template <int R, int NB, bool PF>
SVAE_AVX512 void bf16_tile_n(const Bf16Gemv& a, int64_t r, int64_t j0, int64_t n) {
  if constexpr (NB > 1) {
    if (n < NB) return bf16_tile_n<R, NB - 1, PF>(a, r, j0, n);
  }
  bf16_tile<R, NB, PF>(a, r, j0);
}

template <int R, int NBmax, bool PF>
SVAE_AVX512 void bf16_cols(const Bf16Gemv& a, int64_t r) {
  for (int64_t j0 = 0; j0 < a.nb; j0 += NBmax) bf16_tile_n<R, NBmax, PF>(a, r, j0, a.nb - j0 >= NBmax ? NBmax : a.nb - j0);
}

// int8 × int8 (VNNI). A zmm holds two blocks of 32 (int32 lanes 0–7: block b, 8–15: block
// b+1). vpdpbusd multiplies u8 × s8 and sums four products per lane exactly in int32; the
// activations come offset to u8 (xu = xq + 128, once per call), so Σ xu·w = Σ xq·w + 128·Σw,
// and the accumulator of each weight vector starts at −128·Σw (one vpdpbusd of 0x80 × w,
// shared by every activation row of the tile). Each lane's integer is then scaled by its
// block's w_scale · x_scale and accumulated in float: per (row, column, 2 blocks) one vpdpbusd,
// one convert, one multiply, one FMA. A tile is R weight rows × NB activation rows: each weight
// vector loaded serves NB columns, each activation vector R rows (the batch 8/16 reuse).
// |lane| ≤ 4 · 255 · 128 plus the correction: no int32 overflow for any block.

// The two blocks' weight scales (ws[b], ws[b+1]) spread over lanes 0–7 and 8–15; `two` false
// on a row's last, single block (ws[b+1] would be the next row's or past the buffer). Plain
// 8- or 4-byte loads, not a masked load: on this workplace's EPYC a masked load in the loop
// cut the streaming rate from DRAM from ~20 to ~11 GB/s (one thread, 128 MB of weights).
SVAE_AVX512 inline __m512 scale_pair(const float* ws, bool two) {
  const __m512i halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128 p = two ? _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(ws))) : _mm_load_ss(ws);
  return _mm512_permutexvar_ps(halves, _mm512_castps128_ps512(p));
}

template <int R, int NB, bool Tail, bool PF>
SVAE_AVX512 inline void q8_step(const Q8Gemv& a, const int8_t* const* w, const float* const* ws, const uint8_t* xp, const float* xps, int64_t k,
                                int64_t b, int64_t blocks, __m512 (&acc)[R][NB]) {
  // Tail: the last 1..63 weight bytes of the rows, masked (zeros past `in`); the packed
  // activations are zero-padded there, so those lanes add 0 · u − 128 · 0 = 0.
  const __mmask64 m = Tail ? ((1ull << (a.in - k)) - 1) : ~0ull;
  const bool two = !Tail || b + 1 < blocks;  // whole pairs always hold two blocks
  const __m512i k128 = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i wv[R], corr[R];
  __m512 wsv[R];
  if constexpr (PF) {
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) _mm_prefetch(reinterpret_cast<const char*>(w[i] + R * a.in + k), _MM_HINT_T0);
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) {
    wv[i] = Tail ? _mm512_maskz_loadu_epi8(m, w[i] + k) : _mm512_loadu_si512(w[i] + k);
    corr[i] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), k128, wv[i]));
    wsv[i] = scale_pair(ws[i] + b, two);
  }
  // Each activation vector and its scales are loaded once and serve the R rows.
#pragma GCC unroll 16
  for (int j = 0; j < NB; j++) {
    const __m512i xv = _mm512_loadu_si512(xp + j * 64);
    const __m512 xsv = scale_pair(xps + j * 2, true);  // the padding scale is 0
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      const __m512i d = _mm512_dpbusd_epi32(corr[i], xv, wv[i]);
      acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_mul_ps(wsv[i], xsv), acc[i][j]);
    }
  }
}

template <int R, int NB, bool PF>
SVAE_AVX512 void q8_tile(const Q8Gemv& a, int64_t r, int64_t j0) {
  const int64_t blocks = q8_blocks(a.in), stride = a.nb * 64;
  const int8_t* w[R];
  const float* ws[R];
  __m512 acc[R][NB];
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) w[i] = a.w + (r + i) * a.in, ws[i] = a.ws + (r + i) * blocks;
#pragma GCC unroll 16
  for (int i = 0; i < R; i++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) acc[i][j] = _mm512_setzero_ps();
  const uint8_t* xp = a.xp + j0 * 64;
  const float* xps = a.xps + j0 * 2;
  int64_t k = 0, b = 0;
  for (; k + 64 <= a.in; k += 64, b += 2, xp += stride, xps += 2 * a.nb) q8_step<R, NB, false, PF>(a, w, ws, xp, xps, k, b, blocks, acc);
  if (k < a.in) q8_step<R, NB, true, false>(a, w, ws, xp, xps, k, b, blocks, acc);
#pragma GCC unroll 16
  for (int i = 0; i < R; i++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) a.y[(j0 + j) * a.out + r + i] = _mm512_reduce_add_ps(acc[i][j]) + (a.bias ? a.bias[r + i] : 0.f);
}

// n (≤ NB) columns at j0: the tile of exactly n columns.
template <int R, int NB, bool PF>
SVAE_AVX512 void q8_tile_n(const Q8Gemv& a, int64_t r, int64_t j0, int64_t n) {
  if constexpr (NB > 1) {
    if (n < NB) return q8_tile_n<R, NB - 1, PF>(a, r, j0, n);
  }
  q8_tile<R, NB, PF>(a, r, j0);
}

// Columns in groups of up to NBmax (the rest: one smaller group), for R rows at r.
template <int R, int NBmax, bool PF = false>
SVAE_AVX512 void q8_cols(const Q8Gemv& a, int64_t r) {
  for (int64_t j0 = 0; j0 < a.nb; j0 += NBmax) q8_tile_n<R, NBmax, PF>(a, r, j0, a.nb - j0 >= NBmax ? NBmax : a.nb - j0);
}

// Tiles of R rows × NB columns (R · NB ≤ 16 accumulators + 3R row registers + 2 activation
// registers within the 32 zmm). Up to 8 activation rows: one weight row at a time × all of
// them — one stream per thread, as the hardware prefetcher likes it (from DRAM, one thread,
// 128 MB of weights, shared machine: batch 1 24–30 GB/s against 18–22 for 4-row tiles and
// 16–18 for 2-row ones; batch 4 18–22 against 10–12; batch 8 ~10% ahead of 2 × 8). Beyond 8:
// groups of columns, where the reuse of each activation vector across output rows starts to
// matter: 4 × 4 once the packed activations (nb · in · 9/8 bytes) outgrow half of L1 (each
// tile re-reads all of them; 4-row tiles halve that: batch 16 × 2048 10–20% less
// single-thread time than 2 × 8), else 2 × 8.
SVAE_AVX512 void q8_rows(const Q8Gemv& a, int64_t r0, int64_t r1) {
  int64_t r = r0;
  // Prefetch as the float kernels (see f32 below) from batch 2 on: batch 16 walks each row
  // block twice (125m int8 batch 16 went from below batch 8's tokens/s to above it).
  if (a.nb == 1) {
    for (; r < r1; r++) q8_cols<1, 8>(a, r);
  } else if (a.nb <= 8) {
    for (; r < r1; r++) q8_cols<1, 8, true>(a, r);
  } else if (a.nb * a.in * 9 / 8 > 24 * 1024) {
    for (; r + 4 <= r1; r += 4) q8_cols<4, 4, true>(a, r);
  } else {
    for (; r + 2 <= r1; r += 2) q8_cols<2, 8, true>(a, r);
  }
  for (; r < r1; r++) q8_cols<1, 8>(a, r);
}

}  // namespace

// Software prefetch (PF) from batch 2 on: each tile fetches, at every k step, the line of the
// next R rows at the same k. With several columns a row block is walked once per column group
// (the later walks hit L1), and while the tiles compute the hardware prefetcher alone let the
// DRAM stream idle: the 125m head (50272 × 768, bf16, 2 threads, quiet machine) took 3.35 ms at
// batch 8 and 1.58–1.72 ms at batch 1; with the prefetch 2.24 ms at batch 8, batch 1 unchanged
// (no prefetch there: a single column is one plain stream).
SVAE_AVX512 void f32(const F32Gemv& a, int64_t r0, int64_t r1) {
  int64_t r = r0;
  if (a.nb == 1) {
    for (; r + 4 <= r1; r += 4) f32_cols<4, false>(a, r);
  } else {
    for (; r + 4 <= r1; r += 4) f32_cols<4, true>(a, r);
  }
  for (; r < r1; r++) f32_cols<1, false>(a, r);
}
SVAE_AVX512 void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1) {
  int64_t r = r0;
  if (a.nb == 1) {
    for (; r + 4 <= r1; r += 4) bf16_cols<4, 4, false>(a, r);
  } else {
    for (; r + 4 <= r1; r += 4) bf16_cols<4, 4, true>(a, r);
  }
  for (; r < r1; r++) bf16_cols<1, 4, false>(a, r);
}
SVAE_AVX512 void q8(const Q8Gemv& a, int64_t r0, int64_t r1) { q8_rows(a, r0, r1); }

SVAE_AVX512 void quantize_u8(const float* x, int64_t n, uint8_t* xp, float* xps, int64_t nb) {
  const __m512 lo = _mm512_set1_ps(-127.f), hi = _mm512_set1_ps(127.f);
  const __m128i off = _mm_set1_epi8(static_cast<char>(0x80));
  const int64_t blocks = q8_blocks(n);
  for (int64_t b = 0, k0 = 0; k0 < n; b++, k0 += kQ8Block) {
    uint8_t* u = xp + (b / 2) * nb * 64 + (b % 2) * 32;
    const int64_t len = n - k0 < kQ8Block ? n - k0 : kQ8Block;
    const __mmask16 m0 = len >= 16 ? 0xffff : tail16(len), m1 = len > 16 ? (len >= 32 ? 0xffff : tail16(len - 16)) : 0;
    const __m512 v0 = _mm512_maskz_loadu_ps(m0, x + k0), v1 = _mm512_maskz_loadu_ps(m1, x + k0 + 16);
    // max_ps(|v|, acc) returns acc when |v| is NaN: NaNs are skipped, as std::max in quantize_q8.
    const __m512 amax16 = _mm512_max_ps(_mm512_abs_ps(v1), _mm512_max_ps(_mm512_abs_ps(v0), _mm512_setzero_ps()));
    const float amax = _mm512_reduce_max_ps(amax16);
    const float s = amax / 127.f;
    const float inv = s > 0 ? 1.f / s : 0.f;
    xps[(b / 2) * nb * 2 + b % 2] = s;
    const __m512 vinv = _mm512_set1_ps(inv);
    // Clamp, then round to nearest even (the same integers as nearbyint then clamp; a NaN
    // product clamps to 127 in both), then narrow and offset to u8. Lanes past `n` are
    // written as zeros (the kernel's padding).
    const __m512 c0 = _mm512_max_ps(_mm512_min_ps(_mm512_mul_ps(v0, vinv), hi), lo);
    const __m512 c1 = _mm512_max_ps(_mm512_min_ps(_mm512_mul_ps(v1, vinv), hi), lo);
    const __m128i q0 = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_roundscale_ps(c0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
    const __m128i q1 = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_roundscale_ps(c1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(u), _mm_maskz_mov_epi8(m0, _mm_xor_si128(q0, off)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(u + 16), _mm_maskz_mov_epi8(m1, _mm_xor_si128(q1, off)));
  }
  if (blocks % 2 == 1) {  // an odd last block: its pair's second half is padding (a zero scale:
                          // an uninitialized one could be NaN, and NaN · 0 is NaN)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(xp + (blocks / 2) * nb * 64 + 32), _mm256_setzero_si256());
    xps[(blocks / 2) * nb * 2 + 1] = 0.f;
  }
}

}  // namespace svae::kernels::avx512

#else

namespace svae::kernels::avx512 {
void f32(const F32Gemv& a, int64_t r0, int64_t r1) { portable::f32(a, r0, r1); }
void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1) { portable::bf16(a, r0, r1); }
void q8(const Q8Gemv& a, int64_t r0, int64_t r1) { portable::q8(a, r0, r1); }
void quantize_u8(const float*, int64_t, uint8_t*, float*, int64_t) {}  // never selected off x86
}  // namespace svae::kernels::avx512

#endif
