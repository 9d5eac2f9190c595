// The portable single-step attention (attention.h): plain C++, the reference the AVX2 and AVX-512
// versions are tested against, and what CPUs with neither (or SENTENCEVAE_KERNELS=portable) run.
#include "kernels/attention.h"

#include "kernels/gemv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace svae::kernels::portable {

namespace {

// A float rounded to bfloat16 (nearest even; NaN stays NaN), as c10::BFloat16's conversion.
float round_bf16(float f) {
  if (std::isnan(f)) return f;
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

void attend(const AttendArgs& a) {
  for (int64_t t = 0; t < a.T; t++) {
    const float* qv = a.q + t * a.q_stride;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < a.S; j++) {
      float s = 0;
      // omp simd: lets the compiler split the sum over vector lanes (without it the reduction
      // is one serial add chain).
      if (a.bf16) {
        const uint16_t* kr = static_cast<const uint16_t*>(a.k) + j * a.hd;
#pragma omp simd reduction(+ : s)
        for (int64_t e = 0; e < a.hd; e++) s += qv[e] * bf16_to_float(kr[e]);
      } else {
        const float* kr = static_cast<const float*>(a.k) + j * a.hd;
#pragma omp simd reduction(+ : s)
        for (int64_t e = 0; e < a.hd; e++) s += qv[e] * kr[e];
      }
      if (a.bf16) s = round_bf16(s);  // the score stored in the model dtype (as OPT's matmul)
      if (a.mask) s += a.mask[t * a.mask_t + j * a.mask_s];
      a.scores[j] = s;
      mx = std::max(mx, s);
    }
    float sum = 0;
    for (int64_t j = 0; j < a.S; j++) {
      a.scores[j] = std::exp(a.scores[j] - mx);
      sum += a.scores[j];
    }
    const float inv = 1.0f / sum;
    float* o = a.out + t * a.out_stride;
    std::fill(o, o + a.hd, 0.0f);
    for (int64_t j = 0; j < a.S; j++) {
      // The probabilities stored in the model dtype before probs · v (as OPT).
      const float w = a.bf16 ? round_bf16(a.scores[j] * inv) : a.scores[j] * inv;
      if (a.bf16) {
        const uint16_t* vr = static_cast<const uint16_t*>(a.v) + j * a.hd;
        for (int64_t e = 0; e < a.hd; e++) o[e] += w * bf16_to_float(vr[e]);
      } else {
        const float* vr = static_cast<const float*>(a.v) + j * a.hd;
        for (int64_t e = 0; e < a.hd; e++) o[e] += w * vr[e];
      }
    }
  }
}

}  // namespace svae::kernels::portable
