#include "model/sllm.h"

#include "core/errors.h"
#include "kernels/linear.h"
#include "model/mode_scope.h"

#include <ATen/CPUGeneratorImpl.h>

namespace svae {

namespace {
std::string s(int64_t v) { return std::to_string(v); }

// Sentences of a paragraph batch vary a lot in length (Brown: 2..64 tokens); padding them all
// to the longest wastes most of the work. Rows are sorted by length and cut into a few groups,
// each padded only to its own longest. Returns, per group, the rows (indices into `lengths`).
std::vector<torch::Tensor> length_groups(const torch::Tensor& lengths, int64_t groups = 4, int64_t min_rows = 16) {
  const int64_t n = lengths.size(0);
  torch::Tensor order = std::get<1>(lengths.sort());
  const int64_t size = std::max(min_rows, (n + groups - 1) / groups);
  std::vector<torch::Tensor> out;
  for (int64_t start = 0; start < n; start += size) out.push_back(order.narrow(0, start, std::min(size, n - start)));
  return out;
}
}  // namespace

void SllmConfig::validate() const {
  svae.validate();
  llm.validate();
  if (llm.token_embedding) fail(ErrorCode::InvalidArgument, "Invalid SLLM config: the LLM stack must not have a token embedding");
  if (llm.hidden != svae.hidden) {
    fail(ErrorCode::InvalidArgument, "Invalid SLLM config: the SentenceVAE's hidden size (" + s(svae.hidden) + ") must equal the LLM's (" + s(llm.hidden) + ")");
  }
}

SllmImpl::SllmImpl(const SllmConfig& c) : config(c) {
  c.validate();
  encoder = register_module("encoder", SentenceEncoder(c.svae));
  decoder = register_module("decoder", SentenceDecoder(c.svae));
  llm = register_module("llm", OptDecoder(c.llm));
  stop_head = register_module("stop_head", torch::nn::Linear(c.svae.hidden, 2));
}

torch::Tensor SllmImpl::sentence_vectors(const torch::Tensor& ids, const torch::Tensor& lengths) {
  const int64_t b = ids.size(0), n = ids.size(1), l = ids.size(2);
  torch::Tensor flat_ids = ids.reshape({b * n, l});
  torch::Tensor flat_len = lengths.reshape({-1});
  // Only real sentences go through the encoder, in length groups; missing ones stay zero
  // (masked out downstream).
  torch::Tensor real = (flat_len > 0).nonzero().squeeze(1);
  torch::Tensor real_len = flat_len.index_select(0, real);
  std::vector<torch::Tensor> rows, vectors;
  for (const torch::Tensor& group : length_groups(real_len)) {
    torch::Tensor len = real_len.index_select(0, group);
    const int64_t lmax = len.max().item<int64_t>();
    torch::Tensor at = real.index_select(0, group);
    vectors.push_back(encoder(flat_ids.index_select(0, at).narrow(1, 0, lmax), valid_from_lengths(len, lmax)));
    rows.push_back(at);
  }
  torch::Tensor omega = torch::cat(vectors, 0);
  return torch::zeros({b * n, omega.size(1)}, omega.options()).index_copy(0, torch::cat(rows, 0), omega).view({b, n, -1});
}

torch::Tensor SllmImpl::hidden(const torch::Tensor& x, const torch::Tensor& mask, std::vector<KVCache>* caches) {
  return llm->run_layers(x, mask, caches);
}

SllmLoss SllmImpl::loss(const torch::Tensor& ids, const torch::Tensor& lengths, double gamma, bool sums, const StopLossOptions& stop_options) {
  const int64_t b = ids.size(0), n = ids.size(1), l = ids.size(2);
  const auto long_opts = lengths.options().dtype(torch::kLong);
  torch::Tensor sentence = lengths > 0;  // [B, S]
  torch::Tensor counts = sentence.sum(1);
  torch::Tensor index = torch::arange(n, long_opts).unsqueeze(0);
  if (!sentence.equal(index < counts.unsqueeze(1))) fail(ErrorCode::InvalidArgument, "Expected each paragraph's sentences first and empty slots after them");
  if ((counts == 0).any().item<bool>()) fail(ErrorCode::InvalidArgument, "Expected at least one sentence in every paragraph");

  torch::Tensor h = hidden(sentence_vectors(ids, lengths), sentence.to(torch::kLong), nullptr);  // [B, S, H]
  const int64_t hsize = h.size(2);

  SllmLoss r;
  // Stop flags: sentence i continues iff sentence i+1 exists (causality keeps i from seeing it).
  torch::Tensor next_exists = index + 1 < counts.unsqueeze(1);
  torch::Tensor stop_target = torch::where(next_exists, torch::full_like(next_exists, kContinue, long_opts), torch::full_like(next_exists, kStop, long_opts)).reshape({-1});
  torch::Tensor stop_logits = kernels::linear(stop_head, h).reshape({b * n, 2});
  r.stop = focal_loss(stop_logits, stop_target, sentence.reshape({-1}), gamma);
  r.stop.rows = r.stop.tokens;  // one flag per sentence
  if (stop_options.weight != 1.0 || stop_options.balanced) {
    torch::Tensor real = sentence.reshape({-1}).nonzero().squeeze(1);
    torch::Tensor target = stop_target.index_select(0, real);
    torch::Tensor logp = torch::log_softmax(stop_logits.index_select(0, real).to(torch::kFloat), -1).gather(1, target.unsqueeze(1)).squeeze(1);
    torch::Tensor focal = gamma == 0 ? -logp : -(1 - logp.exp()).pow(gamma) * logp;
    torch::Tensor w = torch::ones_like(focal);
    if (stop_options.balanced) {
      const double n = static_cast<double>(target.numel());
      const double stops = target.sum().item<double>();  // kStop == 1
      if (stops > 0 && stops < n) w = torch::where(target == kStop, torch::full_like(w, n / (2 * stops)), torch::full_like(w, n / (2 * (n - stops))));
    }
    r.stop.loss = stop_options.weight * (focal * w).sum() / w.sum();
    r.stop.focal_sum = r.stop.loss * static_cast<double>(r.stop.rows);  // per_sentence_loss gives the same weighted mean
  }
  {
    torch::NoGradGuard no_grad;
    torch::Tensor real = sentence.reshape({-1});
    torch::Tensor said = (stop_logits.argmax(-1) == kStop).logical_and(real);
    torch::Tensor truth = (stop_target == kStop).logical_and(real);
    r.stop_tp = said.logical_and(truth).sum().item<int64_t>();
    r.stop_fp = said.logical_and(truth.logical_not()).sum().item<int64_t>();
    r.stop_fn = said.logical_not().logical_and(truth).sum().item<int64_t>();
    r.stop_tn = real.sum().item<int64_t>() - r.stop_tp - r.stop_fp - r.stop_fn;
  }

  // Decode: h_i reconstructs sentence i+1, whose own lengths define its targets and mask.
  torch::Tensor pred = next_exists.reshape({-1}).nonzero().squeeze(1);
  if (pred.numel() == 0) {
    r.decode.loss = h.sum() * 0;
    r.decode.ce = torch::zeros({}, h.options());
  } else {
    torch::Tensor memory = h.reshape({b * n, hsize}).index_select(0, pred);
    torch::Tensor target_len = lengths.reshape({-1}).index_select(0, pred + 1);
    torch::Tensor target_rows = pred + 1;
    // Length groups (little padding); the output head (the largest matmul) runs on real target
    // positions only.
    std::vector<torch::Tensor> logits_parts, target_parts, eos_parts;
    for (const torch::Tensor& group : length_groups(target_len)) {
      torch::Tensor len = target_len.index_select(0, group);
      const int64_t lt = len.max().item<int64_t>();
      torch::Tensor target_ids = ids.reshape({b * n, l}).index_select(0, target_rows.index_select(0, group)).narrow(1, 0, lt);
      torch::Tensor valid = valid_from_lengths(len, lt);
      torch::Tensor states = decoder->states(target_ids, valid, memory.index_select(0, group));
      torch::Tensor idx = valid.reshape({-1}).nonzero().squeeze(1);
      target_parts.push_back(shifted_targets(target_ids, len, config.svae.eos_id, config.svae.pad_id).reshape({-1}).index_select(0, idx));
      logits_parts.push_back(decoder->head(states.reshape({-1, hsize}).index_select(0, idx)));
      eos_parts.push_back((torch::arange(lt, long_opts).unsqueeze(0) == (len - 1).unsqueeze(1)).reshape({-1}).index_select(0, idx));
    }
    torch::Tensor logits = torch::cat(logits_parts, 0);  // [tokens, V]
    torch::Tensor targets = torch::cat(target_parts, 0);
    const int64_t count = targets.size(0);
    r.decode = focal_loss_selected(logits, targets, torch::arange(count, long_opts), count, gamma);
    r.decode.rows = pred.size(0);
    if (sums) {
      torch::NoGradGuard no_grad;
      torch::Tensor logp = torch::log_softmax(logits.to(torch::kFloat), -1).gather(1, targets.unsqueeze(1)).squeeze(1);
      torch::Tensor is_eos = torch::cat(eos_parts, 0);
      r.content_nll = -logp.masked_select(is_eos.logical_not()).sum().item<double>();
      r.eos_nll = -logp.masked_select(is_eos).sum().item<double>();
      r.content_tokens = is_eos.logical_not().sum().item<int64_t>();
      r.target_sentences = pred.size(0);
    }
  }
  if (sums) {
    torch::NoGradGuard no_grad;
    torch::Tensor logp = torch::log_softmax(stop_logits.to(torch::kFloat), -1).gather(1, stop_target.unsqueeze(1)).squeeze(1);
    r.stop_nll = -logp.masked_select(sentence.reshape({-1})).sum().item<double>();
  }
  r.loss = r.stop.loss + r.decode.loss;
  return r;
}

SllmGenerationState sllm_prefill(Sllm& model, const torch::Tensor& ids, const torch::Tensor& lengths, const torch::Tensor& rows,
                                 int64_t max_sentences, const DecodeOptions& decode, bool ignore_stop) {
  ModeScope eval(*model, false);
  const int64_t b = rows.size(0), n = rows.size(1), l = ids.size(1);
  torch::Tensor omega = model->encoder(ids, valid_from_lengths(lengths, l));  // [pieces, H]
  const int64_t hsize = omega.size(1);
  torch::Tensor flat = rows.reshape({-1});
  torch::Tensor have = flat >= 0;
  torch::Tensor slots = have.nonzero().squeeze(1);
  torch::Tensor x = torch::zeros({b * n, hsize}, omega.options()).index_copy(0, slots, omega.index_select(0, flat.index_select(0, slots)));

  SllmGenerationState g;
  const int64_t capacity = n + max_sentences;
  g.mask = torch::zeros({b, capacity}, rows.options().dtype(torch::kLong));
  g.mask.narrow(1, 0, n).copy_(have.view({b, n}));
  g.caches = model->llm->make_caches(b, capacity, omega.options());
  g.h = model->hidden(x.view({b, n, hsize}), g.mask.narrow(1, 0, n), &g.caches).select(1, n - 1);
  g.length = n;
  g.finished = torch::zeros({b}, rows.options().dtype(torch::kBool));
  g.max_sentences = max_sentences;
  g.decode = decode;
  // [bos, content] must fit the encoder: content <= maxTokens - 1 (as the training pieces).
  g.decode.max_new_tokens = std::min(decode.max_new_tokens, model->config.svae.max_tokens - 1);
  g.generator = at::make_generator<at::CPUGeneratorImpl>(decode.seed);
  g.ignore_stop = ignore_stop;
  if (decode.controls.active()) {
    torch::Tensor cpu_rows = rows.to(torch::kCPU, torch::kLong).contiguous();
    for (int64_t r = 0; r < b; r++) {
      std::vector<int64_t> index(cpu_rows.data_ptr<int64_t>() + r * n, cpu_rows.data_ptr<int64_t>() + (r + 1) * n);
      g.histories.push_back(history_of_pieces(ids, lengths, index));
    }
  }
  return g;
}

SllmStep sllm_step(Sllm& model, SllmGenerationState& g) {
  ModeScope eval(*model, false);
  const int64_t b = g.h.size(0);
  const SvaeConfig& c = model->config.svae;
  const auto long_opts = g.mask.options();
  SllmStep out;
  if (g.ignore_stop) {
    out.stopped = torch::zeros({b}, g.finished.options());
  } else {
    out.stopped = (kernels::linear(model->stop_head, g.h).argmax(-1) == kStop).logical_and(g.finished.logical_not());
    // A row whose prompt ends mid-sentence first completes that sentence.
    if (g.decode.prefix.defined()) out.stopped = out.stopped.logical_and(g.decode.prefix_lengths.to(out.stopped.device()) == 0);
  }
  g.finished = g.finished.logical_or(out.stopped);
  if (g.finished.all().item<bool>() || g.steps >= g.max_sentences) {
    out.tokens = torch::zeros({b, 0}, long_opts);
    out.lengths = torch::zeros({b}, long_opts);
    out.done = true;
    return out;
  }
  DecodeOptions decode = g.decode;
  if (!g.forced_lengths.empty()) {
    decode.max_new_tokens = g.forced_lengths[g.steps % g.forced_lengths.size()];
    decode.ignore_eos = true;
  }
  for (TokenHistory& h : g.histories) h.unit_start = static_cast<int64_t>(h.tokens.size());
  DecodeResult r = model->decoder->generate(g.h, decode, &g.generator, g.histories.empty() ? nullptr : &g.histories);
  for (TokenHistory& h : g.histories) h.sentences.emplace_back(h.tokens.begin() + h.unit_start, h.tokens.end());
  g.decode.prefix = torch::Tensor();  // the prefix belongs to the first sentence only
  g.decode.prefix_lengths = torch::Tensor();
  const int64_t t = r.tokens.size(1);
  // Re-encode exactly what a reader of the text would encode: [bos, content], masked to its length.
  torch::Tensor ids = torch::cat({torch::full({b, 1}, c.bos_id, long_opts), r.tokens}, 1);
  out.vectors = model->encoder(ids, valid_from_lengths(r.lengths + 1, t + 1));
  g.mask.select(1, g.length).fill_(1);
  g.length++;
  g.h = model->hidden(out.vectors.unsqueeze(1), g.mask.narrow(1, 0, g.length), &g.caches).squeeze(1);
  g.steps++;
  out.tokens = r.tokens;
  out.lengths = r.lengths;
  out.done = g.steps >= g.max_sentences;
  return out;
}

TokenHistory history_of_pieces(const torch::Tensor& ids, const torch::Tensor& lengths, const std::vector<int64_t>& index) {
  torch::Tensor cpu_ids = ids.to(torch::kCPU, torch::kLong).contiguous();
  torch::Tensor cpu_len = lengths.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t l = cpu_ids.size(1);
  const int64_t* data = cpu_ids.data_ptr<int64_t>();
  TokenHistory h;
  for (int64_t piece : index) {
    if (piece < 0) continue;
    const int64_t len = cpu_len.data_ptr<int64_t>()[piece];
    std::vector<int64_t> sentence(data + piece * l + 1, data + piece * l + std::max<int64_t>(len, 1));  // content: bos dropped
    h.tokens.insert(h.tokens.end(), sentence.begin(), sentence.end());
    h.sentences.push_back(std::move(sentence));
  }
  h.prompt = static_cast<int64_t>(h.tokens.size());
  h.unit_start = h.prompt;
  return h;
}

torch::Tensor per_sentence_loss(const SllmLoss& r) { return per_sentence_loss(r.stop) + per_sentence_loss(r.decode); }

int64_t cache_bytes(const std::vector<KVCache>& caches) {
  int64_t bytes = 0;
  for (const KVCache& c : caches) bytes += (c.k.numel() + c.v.numel()) * static_cast<int64_t>(c.k.element_size());
  return bytes;
}

}  // namespace svae
