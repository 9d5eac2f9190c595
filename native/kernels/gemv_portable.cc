// The portable kernels: plain C++ (the compiler vectorizes for the baseline), the reference the
// instruction-set variants are tested against, and what runs on CPUs without AVX2.
#include "kernels/gemv.h"

#include <algorithm>
#include <cmath>

namespace svae::kernels {

namespace portable {

void f32(const F32Gemv& a, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const float* w = a.w + r * a.in;
    for (int64_t j = 0; j < a.nb; j++) {
      const float* x = a.x + j * a.in;
      float s = 0;
      for (int64_t k = 0; k < a.in; k++) s += w[k] * x[k];
      a.y[j * a.out + r] = s + (a.bias ? a.bias[r] : 0.f);
    }
  }
}

void bf16(const Bf16Gemv& a, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    const uint16_t* w = a.w + r * a.in;
    for (int64_t j = 0; j < a.nb; j++) {
      const float* x = a.xf + j * a.in;
      float s = 0;
      for (int64_t k = 0; k < a.in; k++) s += bf16_to_float(w[k]) * x[k];
      a.y[j * a.out + r] = s + (a.bias ? a.bias[r] : 0.f);
    }
  }
}

void q8(const Q8Gemv& a, int64_t r0, int64_t r1) {
  const int64_t blocks = q8_blocks(a.in);
  for (int64_t r = r0; r < r1; r++) {
    const int8_t* w = a.w + r * a.in;
    const float* ws = a.ws + r * blocks;
    for (int64_t j = 0; j < a.nb; j++) {
      const int8_t* x = a.xq + j * a.in;
      const float* xs = a.xs + j * blocks;
      float s = 0;
      for (int64_t b = 0; b < blocks; b++) {
        const int64_t k0 = b * kQ8Block, k1 = std::min(a.in, k0 + kQ8Block);
        int32_t d = 0;
        for (int64_t k = k0; k < k1; k++) d += static_cast<int32_t>(w[k]) * static_cast<int32_t>(x[k]);
        s += static_cast<float>(d) * (ws[b] * xs[b]);
      }
      a.y[j * a.out + r] = s + (a.bias ? a.bias[r] : 0.f);
    }
  }
}

}  // namespace portable

void quantize_q8(const float* x, int64_t n, int8_t* q, float* scales) {
  for (int64_t b = 0, k0 = 0; k0 < n; b++, k0 += kQ8Block) {
    const int64_t k1 = std::min(n, k0 + kQ8Block);
    float amax = 0;
    for (int64_t k = k0; k < k1; k++) amax = std::max(amax, std::fabs(x[k]));
    const float s = amax / 127.f;
    const float inv = s > 0 ? 1.f / s : 0.f;
    for (int64_t k = k0; k < k1; k++) {
      const float v = std::nearbyint(x[k] * inv);
      q[k] = static_cast<int8_t>(std::max(-127.f, std::min(127.f, v)));
    }
    scales[b] = s;
  }
}

}  // namespace svae::kernels
