// Matrix × few-vectors products for the decode hot path: y[j, r] = W[r, :] · x[j, :] (+ bias[r])
// for output rows r in [r0, r1) and columns j < nb. One function per (weight type × instruction
// set); linear.cc splits the rows over LibTorch's threads and picks the set (cpu_path.h).
// Weights stay in their row-major [out, in] layout: each output row is one contiguous stream,
// which is what a matrix-vector product at batch 1 wants (no repacking, no copy at load).
// Plain pointers, no LibTorch: the instruction-set files are compiled with function-level
// target attributes and must not inline anything built for the baseline.
#pragma once
#include <cstdint>

namespace svae::kernels {

// int8 weights and activations are quantized in blocks of 32 along `in` (as llama.cpp's q8_0),
// one float scale per block; the last block of a row may be shorter.
constexpr int64_t kQ8Block = 32;
inline int64_t q8_blocks(int64_t in) { return (in + kQ8Block - 1) / kQ8Block; }

struct F32Gemv {
  const float* w;     // [out, in]
  const float* x;     // [nb, in]
  const float* bias;  // [out] or null
  float* y;           // [nb, out]
  int64_t out, in, nb;
};

struct Bf16Gemv {
  const uint16_t* w;   // [out, in] bf16 bit patterns
  const uint16_t* xb;  // [nb, in] bf16 (the avx512 path's dot products take bf16 pairs)
  const float* xf;     // [nb, in] the same values in float (the other paths)
  const float* bias;
  float* y;
  int64_t out, in, nb;
};

// The activations are quantized once per call (linear.cc) into the forms the paths read:
// xq/xs for portable; xq/xa/xs/xs8 for avx2 (sign trick: |x| × sign(w, x)); xp for avx512
// (offset trick: zmm has no vpsignb, so x + 128 is the unsigned operand of vpdpbusd and 128·Σw
// is subtracted per block). Fields a path does not read may be null.
struct Q8Gemv {
  const int8_t* w;     // [out, in]
  const float* ws;     // [out, blocks]
  const int8_t* xq;    // [nb, in] activations quantized per block
  const uint8_t* xa;   // [nb, in] |xq| (avx2: the unsigned operand of maddubs)
  const float* xs;     // [nb, blocks]
  const float* xs8;    // [nb, blocks * 8] each block's scale repeated 8 times (avx2: one per
                       // int32 lane of a block's partial sums)
  // avx512, packed by pairs of blocks p = 0 .. ceil(in/64) - 1, columns side by side within a
  // pair (a tile's columns: one pointer, constant offsets; a pair's loads adjacent):
  // xp + (p · nb + j) · 64: column j's 64 values of pair p as xq + 128 (u8);
  // xps + (p · nb + j) · 2: their two block scales (expanded to one per int32 lane in the
  // kernel: 8 bytes instead of 64 keep 16 columns of a 2048-wide row in L1). Zero past `in`.
  const uint8_t* xp;
  const float* xps;
  const float* bias;
  float* y;
  int64_t out, in, nb;
};

namespace portable {
void f32(const F32Gemv& a, int64_t r0, int64_t r1);
void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1);
void q8(const Q8Gemv& a, int64_t r0, int64_t r1);
}  // namespace portable
namespace avx2 {
void f32(const F32Gemv& a, int64_t r0, int64_t r1);
void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1);
void q8(const Q8Gemv& a, int64_t r0, int64_t r1);
}  // namespace avx2
namespace avx512 {
void f32(const F32Gemv& a, int64_t r0, int64_t r1);
void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1);
void q8(const Q8Gemv& a, int64_t r0, int64_t r1);
// One activation row quantized as quantize_q8 does (the same float operations, so the same
// integers), written into Q8Gemv::xp/xps's packed layout for column 0 of `nb` (pass
// xp + j · 64, xps + j · 2 for column j), padding zeroed. Vectorized: at batch 16 × 8192 the
// scalar loop cost a noticeable share of a call.
void quantize_u8(const float* x, int64_t n, uint8_t* xp, float* xps, int64_t nb);
}  // namespace avx512

// Quantizes `n` floats per block of 32: q = round(x / s), s = max|x| / 127 (0 for a zero block).
void quantize_q8(const float* x, int64_t n, int8_t* q, float* scales);

// bf16 bit pattern <-> float (round to nearest even; NaN kept quiet).
inline float bf16_to_float(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

}  // namespace svae::kernels
