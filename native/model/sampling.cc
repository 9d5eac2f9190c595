#include "model/sampling.h"

#include "core/errors.h"

namespace svae {

torch::Tensor next_tokens(const torch::Tensor& logits, const SamplingOptions& o, at::Generator& generator) {
  if (o.greedy) return logits.argmax(-1);
  if (!(o.temperature > 0)) fail(ErrorCode::InvalidArgument, "Expected temperature > 0 for sampling");
  torch::Tensor scores = logits.to(torch::kFloat) / o.temperature;
  const int64_t vocab = scores.size(-1);
  if (o.top_k > 0 && o.top_k < vocab) {
    torch::Tensor kth = std::get<0>(scores.topk(o.top_k, -1)).narrow(-1, o.top_k - 1, 1);
    scores = scores.masked_fill(scores < kth, -std::numeric_limits<float>::infinity());
  }
  if (o.top_p < 1.0) {
    auto sorted = scores.sort(-1, /*descending=*/true);
    torch::Tensor probs = torch::softmax(std::get<0>(sorted), -1);
    // Drop a token when the tokens before it already reach top_p (the first one always stays).
    torch::Tensor before = probs.cumsum(-1) - probs;
    torch::Tensor drop_sorted = before >= o.top_p;
    drop_sorted.select(-1, 0).fill_(false);  // the most likely token always stays
    torch::Tensor drop = torch::zeros_like(drop_sorted).scatter(-1, std::get<1>(sorted), drop_sorted);
    scores = scores.masked_fill(drop, -std::numeric_limits<float>::infinity());
  }
  torch::Tensor probs = torch::softmax(scores, -1).to(torch::kCPU);
  return torch::multinomial(probs, 1, false, generator).squeeze(-1).to(logits.device());
}

}  // namespace svae
