// Token-id batches from JS: ids Int32Array [B*L] with shape [B, L], lengths Int32Array [B] —
// or, for paragraphs, ids [B*S*L] with shape [B, S, L] and lengths [B*S] (0 = no sentence).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "bindings/tensor_bridge.h"

namespace svae {

struct IdBatch {
  at::Tensor ids;      // [B, L] int32, borrowed from JS (CPU)
  at::Tensor lengths;  // [B] int32, borrowed from JS (CPU)
  KeepAlive keep_alive;
  std::vector<Napi::Object> owners;  // the TypedArrays, kept alive by the async call
};

// Reads info[index] (ids), info[index + 1] (shape, `rank` dims: 2 sentences, 3 paragraphs),
// info[index + 2] (lengths: the shape without its last dim) and checks them.
IdBatch read_id_batch(const Napi::CallbackInfo& info, size_t index, size_t rank = 2);

// On the worker: ids/lengths as long tensors on `device`, after checking every id < vocab and
// min_length <= length <= L (an out-of-range id on CUDA would be a device assert, not an error).
std::pair<torch::Tensor, torch::Tensor> device_id_batch(const IdBatch& batch, const torch::Device& device, int64_t vocab, int64_t min_length = 1);

}  // namespace svae
