// Single-step attention of the fused decode step (decode_step.cc): the few new query rows of one
// (batch row, head) against that head's cached keys / values. One function per instruction set;
// decode_step.cc splits batch × heads over LibTorch's threads and picks the set (cpu_path.h).
// Plain pointers, no LibTorch (as gemv.h: the AVX-512 file is compiled with function-level target
// attributes and must not inline anything built for the baseline).
//
// The arithmetic is OPT's (Hugging Face and our LibTorch path): scores = q · k (q already scaled
// by 1/sqrt(head_dim)), stored in the model dtype (bfloat16: rounded) before the float additive
// mask, softmax in float, probabilities stored in the model dtype before probs · v.
#pragma once
#include <cstdint>

namespace svae::kernels {

struct AttendArgs {
  const float* q;        // T query rows of hd floats, row t at q + t * q_stride (model-dtype values)
  int64_t q_stride;
  const void* k;         // S cached keys of hd values, contiguous rows (float32 or bf16 bits)
  const void* v;         // S cached values, same layout
  bool bf16;             // k / v hold bfloat16; scores and probabilities rounded to bfloat16
  int64_t T, S, hd;
  const float* mask;     // additive, mask[t * mask_t + j * mask_s]; null when there is none
  int64_t mask_t, mask_s;
  float* out;            // T rows of hd floats, row t at out + t * out_stride
  int64_t out_stride;
  float* scores;         // scratch of S floats
};

namespace portable {
void attend(const AttendArgs& a);
}  // namespace portable
namespace avx2 {
void attend(const AttendArgs& a);
}  // namespace avx2
namespace avx512 {
void attend(const AttendArgs& a);
}  // namespace avx512

}  // namespace svae::kernels
