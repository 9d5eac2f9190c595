#include "model/sampling.h"

#include "core/errors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace svae {

namespace {
torch::Tensor index_on(const std::vector<int64_t>& ids, const torch::Device& device) {
  return torch::tensor(ids, torch::kLong).to(device);
}
}  // namespace

torch::Tensor apply_controls(const torch::Tensor& row, const GenerationControls& c, const TokenHistory& h, int64_t eos_id) {
  if (!c.active()) return row;
  const int64_t vocab = row.size(-1);
  const auto& t = h.tokens;
  const int64_t len = static_cast<int64_t>(t.size());
  torch::Tensor out = row.to(torch::kFloat).clone();
  auto in_vocab = [&](int64_t id) { return id >= 0 && id < vocab; };
  // HF's repetition penalty: every token of the context, once, whatever its count; a positive
  // logit is divided by the penalty and a negative one multiplied (both move it down when > 1).
  if (c.repetition_penalty != 1.0 && len > 0) {
    std::vector<int64_t> seen;
    for (int64_t id : t) if (in_vocab(id)) seen.push_back(id);
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    if (!seen.empty()) {
      torch::Tensor idx = index_on(seen, out.device());
      torch::Tensor v = out.index_select(0, idx);
      out.index_copy_(0, idx, torch::where(v > 0, v / c.repetition_penalty, v * c.repetition_penalty));
    }
  }
  // OpenAI: mu[j] -= c[j] * frequency_penalty + (c[j] > 0) * presence_penalty, c[j] counting the
  // tokens generated so far (the prompt's are not counted).
  if ((c.presence_penalty != 0 || c.frequency_penalty != 0) && len > h.prompt) {
    std::map<int64_t, int64_t> counts;
    for (int64_t i = std::max<int64_t>(h.prompt, 0); i < len; i++) if (in_vocab(t[i])) counts[t[i]]++;
    if (!counts.empty()) {
      std::vector<int64_t> ids;
      std::vector<float> delta;
      for (const auto& [id, n] : counts) {
        ids.push_back(id);
        delta.push_back(static_cast<float>(-(static_cast<double>(n) * c.frequency_penalty + c.presence_penalty)));
      }
      out.index_add_(0, index_on(ids, out.device()), torch::tensor(delta, torch::kFloat).to(out.device()));
    }
  }
  std::vector<int64_t> banned;
  // HF's n-gram ban: a token that would complete an n-gram already in the context.
  const int64_t n = c.no_repeat_ngram_size;
  if (n > 0 && len + 1 >= n) {
    const int64_t k = n - 1;
    for (int64_t i = 0; i + n <= len; i++) {
      if (std::equal(t.begin() + i, t.begin() + i + k, t.end() - k) && in_vocab(t[i + k])) banned.push_back(t[i + k]);
    }
  }
  const int64_t unit = len - std::min(std::max<int64_t>(h.unit_start, 0), len);
  if (c.min_tokens > 0 && unit < c.min_tokens && in_vocab(eos_id)) banned.push_back(eos_id);
  // The sentence may not end (eos) where it would equal a sentence already in the context.
  if (c.no_repeat_sentences && in_vocab(eos_id)) {
    for (const auto& s : h.sentences) {
      if (static_cast<int64_t>(s.size()) == unit && std::equal(s.begin(), s.end(), t.end() - unit)) {
        banned.push_back(eos_id);
        break;
      }
    }
  }
  if (banned.empty()) return out;
  torch::Tensor masked = out.index_fill(0, index_on(banned, out.device()), -std::numeric_limits<float>::infinity());
  // Bans that leave nothing to choose are dropped (the penalties stay).
  if (!std::isfinite(masked.max().item<float>())) return out;
  return masked;
}

torch::Tensor apply_controls(const torch::Tensor& logits, const GenerationControls& c, const std::vector<TokenHistory>& histories, int64_t eos_id) {
  if (!c.active() || histories.empty()) return logits;
  if (static_cast<int64_t>(histories.size()) != logits.size(0)) fail(ErrorCode::Shape, "Expected one token history per row of logits");
  std::vector<torch::Tensor> rows;
  for (int64_t r = 0; r < logits.size(0); r++) rows.push_back(apply_controls(logits[r], c, histories[r], eos_id).to(torch::kFloat));
  return torch::stack(rows, 0);
}

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
