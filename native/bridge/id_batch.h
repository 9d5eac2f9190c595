// Token-id batches from JS: ids Int32Array [B*L] with shape [B, L], lengths Int32Array [B].
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "bridge/tensor_bridge.h"

namespace svae {

struct IdBatch {
  at::Tensor ids;      // [B, L] int32, borrowed from JS (CPU)
  at::Tensor lengths;  // [B] int32, borrowed from JS (CPU)
  KeepAlive keep_alive;
  std::vector<Napi::Object> owners;  // the TypedArrays, kept alive by the async call
};

// Reads info[index] (ids), info[index + 1] (shape), info[index + 2] (lengths) and checks them.
IdBatch read_id_batch(const Napi::CallbackInfo& info, size_t index);

// On the worker: ids/lengths as long tensors on `device`, after checking every id < vocab and
// 1 <= length <= L (an out-of-range id on CUDA would be a device assert, not an error).
std::pair<torch::Tensor, torch::Tensor> device_id_batch(const IdBatch& batch, const torch::Device& device, int64_t vocab);

}  // namespace svae
