// TypedArray <-> at::Tensor.
//
// Zero-copy rules (documented in docs/architecture.md and the Tensor JSDoc):
//  - JS -> native: `borrow_typed_array` builds a CPU tensor over the TypedArray's own memory.
//    The tensor holds a strong reference to the ArrayBuffer (KeepAlive) so the memory outlives
//    the tensor; writes on either side are visible on the other.
//  - native -> JS: `typed_array_over` exposes a CPU contiguous tensor's memory as an external
//    ArrayBuffer that owns a reference to the tensor (freed when the ArrayBuffer is collected).
// Everything else (other devices, dtype changes, non-contiguous tensors) copies.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>
#include <vector>

namespace svae {

// Strong references to JS ArrayBuffers whose memory a tensor borrows. Released on the main
// thread only: everything that holds one is destroyed there.
using KeepAlive = std::vector<std::shared_ptr<Napi::Reference<Napi::ArrayBuffer>>>;

struct BorrowedTensor {
  at::Tensor tensor;
  KeepAlive keep_alive;
};

// A CPU tensor over `array`'s memory (no copy). Validates the TypedArray kind against `dtype`
// and the element count against `shape`.
BorrowedTensor borrow_typed_array(const Napi::Value& array, const std::vector<int64_t>& shape, at::ScalarType dtype);

// A TypedArray over a CPU contiguous tensor's memory (no copy).
Napi::TypedArray typed_array_over(Napi::Env env, const at::Tensor& cpu_contiguous);

// KeepAlive entries of `from` whose memory `result` may alias (views of borrowed memory).
KeepAlive aliases_of(const at::Tensor& result, const at::Tensor& input, const KeepAlive& from);

}  // namespace svae
