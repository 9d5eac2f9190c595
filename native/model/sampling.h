// Choosing the next token from logits: greedy, or sampled with temperature / top-k / top-p.
#pragma once
#include <torch/torch.h>

namespace svae {

struct SamplingOptions {
  bool greedy = true;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
};

// logits [B, V] (float) -> ids [B] (long). `generator` is a CPU generator (reproducible for a seed).
torch::Tensor next_tokens(const torch::Tensor& logits, const SamplingOptions& o, at::Generator& generator);

}  // namespace svae
