#include "model/slots.h"

#include "core/errors.h"
#include "kernels/linear.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

namespace svae {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// Self-attention of one new position per row, each row over its own cache only (no padding,
// no neighbour's width): x [n, 1, H] -> [n, 1, H] (after out_proj).
torch::Tensor rows_attention(AttentionImpl& attn, const torch::Tensor& x, const std::vector<std::vector<KVCache>*>& caches, size_t layer) {
  const int64_t n = x.size(0), heads = attn.heads, hd = attn.head_dim;
  const double scaling = 1.0 / std::sqrt(static_cast<double>(hd));
  torch::Tensor q = (kernels::linear(attn.q_proj, x) * scaling).view({n, heads, 1, hd});  // one position: the view is [n, heads, 1, hd]
  torch::Tensor k = kernels::linear(attn.k_proj, x).view({n, heads, 1, hd});
  torch::Tensor v = kernels::linear(attn.v_proj, x).view({n, heads, 1, hd});
  std::vector<torch::Tensor> outs;
  outs.reserve(n);
  for (int64_t r = 0; r < n; r++) {
    KVCache& c = (*caches[r])[layer];
    c.k.narrow(2, c.length, 1).copy_(k.narrow(0, r, 1));
    c.v.narrow(2, c.length, 1).copy_(v.narrow(0, r, 1));
    c.length++;
    // As AttentionImpl::attend: scores and softmax in float32, nothing masked (all visible).
    torch::Tensor scores = torch::matmul(q.narrow(0, r, 1), c.k.narrow(2, 0, c.length).transpose(-1, -2));
    torch::Tensor probs = torch::softmax(scores, -1, torch::kFloat).to(v.scalar_type());
    outs.push_back(torch::matmul(probs, c.v.narrow(2, 0, c.length)));  // [1, heads, 1, hd]
  }
  torch::Tensor out = torch::cat(outs, 0).transpose(1, 2).reshape({n, 1, heads * hd});
  return kernels::linear(attn.out_proj, out);
}

void require_room(const std::vector<KVCache>& caches, int64_t id) {
  if (caches.empty()) return;
  if (caches[0].length + 1 > caches[0].k.size(2)) {
    fail(ErrorCode::InvalidArgument, "row " + str(id) + " has used its whole KV cache (" + str(caches[0].k.size(2)) + " positions): remove it before the next step");
  }
}

template <class Row>
void remove_rows(std::vector<Row>& rows, const std::vector<int64_t>& remove) {
  rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const Row& r) { return std::find(remove.begin(), remove.end(), r.id) != remove.end(); }), rows.end());
}

template <class Row, class Add>
void check_adds(const std::vector<Row>& rows, const std::vector<Add>& add, int64_t slots) {
  if (static_cast<int64_t>(rows.size() + add.size()) > slots) {
    fail(ErrorCode::InvalidArgument, str(static_cast<int64_t>(rows.size() + add.size())) + " rows do not fit " + str(slots) + " slots");
  }
  for (size_t i = 0; i < add.size(); i++) {
    for (const Row& r : rows) {
      if (r.id == add[i].id) fail(ErrorCode::InvalidArgument, "row id " + str(add[i].id) + " is already in the session");
    }
    for (size_t j = 0; j < i; j++) {
      if (add[j].id == add[i].id) fail(ErrorCode::InvalidArgument, "row id " + str(add[i].id) + " is added twice");
    }
  }
}

int64_t bytes_of(const std::vector<KVCache>& caches) {
  int64_t bytes = 0;
  for (const KVCache& c : caches) bytes += (c.k.numel() + c.v.numel()) * static_cast<int64_t>(c.k.element_size());
  return bytes;
}

struct DecodedRows {
  torch::Tensor tokens;          // [n, T] long CPU
  std::vector<int64_t> lengths;  // content tokens
};

// The sentence decoder over memory [n, H] with per-row limits, eos handling and samplers. All
// rows are at the same token position every step (same attention width as when alone); a row
// that ended draws nothing more.
DecodedRows decode_rows(SentenceDecoderImpl& dec, const torch::Tensor& memory, const std::vector<int64_t>& limits,
                        const std::vector<bool>& ignore_eos, const std::vector<RowSampler*>& samplers,
                        const std::vector<TokenHistory*>& histories) {
  const SvaeConfig& c = dec.config;
  const int64_t n = memory.size(0);
  const int64_t steps = *std::max_element(limits.begin(), limits.end());
  std::vector<KVCache> caches;
  for (const auto& layer : *dec.layers) caches.push_back(layer->as<DecoderBlock>()->self_attn->make_cache(n, steps, memory.options()));
  std::vector<torch::Tensor> cross = dec.cross_constants(memory);
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(memory.device());
  torch::Tensor tokens = torch::full({n, 1}, c.bos_id, long_opts);
  torch::Tensor out = torch::full({n, steps}, c.pad_id, torch::kLong);
  auto o = out.accessor<int64_t, 2>();
  std::vector<bool> ended(n, false);
  std::vector<int64_t> lengths(n, 0);
  int64_t used = 0;
  for (int64_t t = 0; t < steps; t++) {
    torch::Tensor x = dec.embed(tokens, t);
    size_t i = 0;
    for (const auto& layer : *dec.layers) x = layer->as<DecoderBlock>()->forward_cached(x, caches[i], cross[i]), i++;
    torch::Tensor logits = dec.head(x).squeeze(1).to(torch::kFloat);  // [n, V]
    torch::Tensor next = pick_rows(logits, samplers, ended, c.pad_id, histories, c.eos_id);
    auto a = next.accessor<int64_t, 1>();
    bool all = true;
    for (int64_t r = 0; r < n; r++) {
      if (ended[r]) continue;
      o[r][t] = a[r];
      if (ignore_eos[r] || a[r] != c.eos_id) histories[r]->tokens.push_back(a[r]);
      if (!ignore_eos[r] && a[r] == c.eos_id) {
        lengths[r] = t;
        ended[r] = true;
      } else if (t + 1 >= limits[r]) {
        lengths[r] = t + 1;
        ended[r] = true;
      }
      all = all && ended[r];
    }
    used = t + 1;
    if (all) break;
    tokens = next.to(memory.device()).view({n, 1});
  }
  return {out.narrow(1, 0, used), lengths};
}

}  // namespace

torch::Tensor pick_rows(const torch::Tensor& logits, const std::vector<RowSampler*>& samplers, const std::vector<bool>& skip, int64_t fill,
                        const std::vector<TokenHistory*>& histories, int64_t eos_id) {
  const int64_t n = logits.size(0);
  torch::Tensor out = logits.argmax(-1).to(torch::kCPU).contiguous();  // exact per row, whatever the batch
  auto a = out.accessor<int64_t, 1>();
  for (int64_t r = 0; r < n; r++) {
    if (!skip.empty() && skip[r]) {
      a[r] = fill;
      continue;
    }
    RowSampler& s = *samplers[r];
    const bool controlled = !histories.empty() && histories[r] && s.options.controls.active();
    torch::Tensor row = controlled ? apply_controls(logits[r], s.options.controls, *histories[r], eos_id).unsqueeze(0) : logits.narrow(0, r, 1);
    if (!s.options.greedy) a[r] = next_tokens(row, s.options, s.generator).item<int64_t>();
    else if (controlled) a[r] = row.argmax(-1).item<int64_t>();
  }
  return out;
}

torch::Tensor opt_rows_step(OptDecoderImpl& llm, const torch::Tensor& x, const std::vector<int64_t>& positions,
                            const std::vector<std::vector<KVCache>*>& caches) {
  for (int64_t p : positions) {
    if (p >= llm.config.max_positions) fail(ErrorCode::InvalidArgument, "position " + str(p) + " exceeds max_position_embeddings " + str(llm.config.max_positions));
  }
  // OPT's learned positions are offset by 2 (row = position + 2).
  torch::Tensor pos = torch::tensor(positions, torch::kLong).to(x.device()) + 2;
  torch::Tensor h = x + llm.embed_positions(pos).unsqueeze(1);
  size_t l = 0;
  for (const auto& module : *llm.layers) {
    OptLayerImpl& layer = *module->as<OptLayer>();
    // The fused CPU step over every row's own cache (kernels/decode_step.h) when it can take the
    // step; the LibTorch ops below otherwise (CUDA, more rows than kMaxFusedRows, training).
    std::vector<KVCache*> layer_caches;
    layer_caches.reserve(caches.size());
    for (std::vector<KVCache>* c : caches) layer_caches.push_back(&(*c)[l]);
    torch::Tensor fused = layer.fused_rows_step(h, layer_caches);
    if (fused.defined()) {
      h = fused;
      l++;
      continue;
    }
    auto attend = [&](const torch::Tensor& in) { return rows_attention(*layer.self_attn, in, caches, l); };
    if (layer.pre_norm) {
      h = h + attend(layer.self_attn_layer_norm(h));
      h = h + kernels::linear(layer.fc2, torch::relu(kernels::linear(layer.fc1, layer.final_layer_norm(h))));
    } else {
      h = layer.self_attn_layer_norm(h + attend(h));
      h = layer.final_layer_norm(h + kernels::linear(layer.fc2, torch::relu(kernels::linear(layer.fc1, h))));
    }
    l++;
  }
  return llm.final_layer_norm ? llm.final_layer_norm(h) : h;
}

// ---------------------------------------------------------------- OPT

OptSlotStep OptSlots::step(Opt& model, const std::vector<int64_t>& remove, std::vector<OptSlotAdd>& add) {
  remove_rows(rows_, remove);
  check_adds(rows_, add, slots_);
  OptDecoderImpl& dec = *model->decoder;
  const OptConfig& c = model->config;
  OptSlotStep out;
  // The rows already there: one token each.
  const int64_t n = busy();
  if (n > 0) {
    std::vector<int64_t> last, positions;
    std::vector<std::vector<KVCache>*> caches;
    std::vector<RowSampler*> samplers;
    std::vector<TokenHistory*> histories;
    for (OptSlotRow& r : rows_) {
      require_room(r.caches, r.id);
      last.push_back(r.last);
      positions.push_back(r.caches[0].length);
      caches.push_back(&r.caches);
      samplers.push_back(&r.sampler);
      histories.push_back(&r.history);
    }
    torch::Tensor x = kernels::embedding(dec.embed_tokens, torch::tensor(last, torch::kLong).to(device_).view({n, 1}));
    if (dec.project_in) x = kernels::linear(dec.project_in, x);
    torch::Tensor h = opt_rows_step(dec, x, positions, caches);
    if (dec.project_out) h = kernels::linear(dec.project_out, h);
    torch::Tensor next = pick_rows(model->head(h.squeeze(1)), samplers, {}, c.pad_id, histories, c.eos_id);
    auto a = next.accessor<int64_t, 1>();
    for (int64_t r = 0; r < n; r++) {
      rows_[r].last = a[r];
      if (a[r] != c.eos_id) rows_[r].history.tokens.push_back(a[r]);
      out.ids.push_back(rows_[r].id);
      out.tokens.push_back(a[r]);
    }
  }
  // Rows joining now: their own prefill [1, T] into their own caches, then their first token.
  for (OptSlotAdd& add_row : add) {
    const int64_t t = add_row.ids.size(0);
    if (t < 1 || t + add_row.max_new > c.max_positions) {
      fail(ErrorCode::InvalidArgument, "row " + str(add_row.id) + ": prompt (" + str(t) + ") + maxNewTokens (" + str(add_row.max_new) + ") must fit max_position_embeddings " + str(c.max_positions));
    }
    OptSlotRow row;
    row.id = add_row.id;
    row.caches = dec.make_caches(1, t + add_row.max_new, torch::TensorOptions().dtype(dtype_).device(device_));
    row.sampler = {add_row.sampling, at::make_generator<at::CPUGeneratorImpl>(add_row.seed)};
    if (add_row.sampling.controls.active()) {
      torch::Tensor prompt = add_row.ids.to(torch::kCPU, torch::kLong).contiguous();
      for (int64_t i = 0; i < t; i++) {
        const int64_t id = prompt.data_ptr<int64_t>()[i];
        if (id != c.bos_id && id != c.eos_id && id != c.pad_id) row.history.tokens.push_back(id);
      }
      row.history.prompt = row.history.unit_start = static_cast<int64_t>(row.history.tokens.size());
    }
    torch::Tensor ids = add_row.ids.to(device_).view({1, t});
    torch::Tensor mask = torch::ones({1, t}, torch::TensorOptions().dtype(torch::kLong).device(device_));
    torch::Tensor h = dec.forward(ids, mask, &row.caches).select(1, t - 1);  // [1, D]: only the last position needs the head
    std::vector<RowSampler*> samplers{&row.sampler};
    std::vector<TokenHistory*> histories{&row.history};
    row.last = pick_rows(model->head(h), samplers, {}, c.pad_id, histories, c.eos_id).item<int64_t>();
    if (row.last != c.eos_id) row.history.tokens.push_back(row.last);
    out.ids.push_back(row.id);
    out.tokens.push_back(row.last);
    rows_.push_back(std::move(row));
  }
  return out;
}

int64_t OptSlots::cache_bytes() const {
  int64_t bytes = 0;
  for (const OptSlotRow& r : rows_) bytes += bytes_of(r.caches);
  return bytes;
}

// ---------------------------------------------------------------- SLLM

SllmSlotStep SllmSlots::step(Sllm& model, const std::vector<int64_t>& remove, std::vector<SllmSlotAdd>& add) {
  remove_rows(rows_, remove);
  check_adds(rows_, add, slots_);
  const SllmConfig& c = model->config;
  // Rows joining now: prompt pieces -> sentence vectors -> the LLM over them (own caches).
  for (SllmSlotAdd& a : add) {
    const int64_t pieces = a.ids.size(0);
    if (pieces < 1 || pieces + a.max_sentences > c.llm.max_positions) {
      fail(ErrorCode::InvalidArgument, "row " + str(a.id) + ": prompt sentences (" + str(pieces) + ") + maxSentences (" + str(a.max_sentences) + ") must fit the LLM's " + str(c.llm.max_positions) + " positions");
    }
    SllmSlotRow row;
    row.id = a.id;
    row.max_sentence_tokens = a.max_sentence_tokens;
    row.ignore_stop = a.ignore_stop;
    row.forced_lengths = a.forced_lengths;
    row.sampler = {a.sampling, at::make_generator<at::CPUGeneratorImpl>(a.seed)};
    if (a.sampling.controls.active()) {
      std::vector<int64_t> all(pieces);
      for (int64_t i = 0; i < pieces; i++) all[i] = i;
      row.history = history_of_pieces(a.ids, a.lengths, all);
    }
    torch::Tensor ids = a.ids.to(device_);
    torch::Tensor omega = model->encoder(ids, valid_from_lengths(a.lengths.to(device_), ids.size(1)));  // [N, H]
    row.caches = model->llm->make_caches(1, pieces + a.max_sentences, omega.options());
    torch::Tensor mask = torch::ones({1, pieces}, torch::TensorOptions().dtype(torch::kLong).device(device_));
    row.h = model->hidden(omega.unsqueeze(0), mask, &row.caches).select(1, pieces - 1);  // [1, H]
    rows_.push_back(std::move(row));
  }
  SllmSlotStep out;
  const int64_t n = busy();
  out.tokens = torch::zeros({n, 0}, torch::kLong);
  if (n == 0) return out;
  std::vector<torch::Tensor> hs;
  for (const SllmSlotRow& r : rows_) hs.push_back(r.h);
  torch::Tensor h = torch::cat(hs, 0);  // [n, H]
  torch::Tensor stop = (kernels::linear(model->stop_head, h).argmax(-1) == kStop).to(torch::kCPU);
  auto st = stop.accessor<bool, 1>();
  std::vector<int64_t> go;  // rows that produce a sentence now
  for (int64_t r = 0; r < n; r++) {
    out.ids.push_back(rows_[r].id);
    const bool stopped = !rows_[r].ignore_stop && st[r];
    out.stopped.push_back(stopped ? 1 : 0);
    out.lengths.push_back(0);
    if (!stopped) {
      require_room(rows_[r].caches, rows_[r].id);
      go.push_back(r);
    }
  }
  if (go.empty()) return out;
  const int64_t m = static_cast<int64_t>(go.size());
  std::vector<int64_t> limits;
  std::vector<bool> ignore_eos;
  std::vector<RowSampler*> samplers;
  std::vector<TokenHistory*> histories;
  for (int64_t r : go) {
    SllmSlotRow& row = rows_[r];
    row.history.unit_start = static_cast<int64_t>(row.history.tokens.size());
    histories.push_back(&row.history);
    if (!row.forced_lengths.empty()) {
      limits.push_back(row.forced_lengths[row.sentences % row.forced_lengths.size()]);
      ignore_eos.push_back(true);
    } else {
      limits.push_back(row.max_sentence_tokens);
      ignore_eos.push_back(false);
    }
    samplers.push_back(&row.sampler);
  }
  torch::Tensor index = torch::tensor(go, torch::kLong).to(device_);
  DecodedRows d = decode_rows(*model->decoder, h.index_select(0, index), limits, ignore_eos, samplers, histories);
  for (TokenHistory* th : histories) th->sentences.emplace_back(th->tokens.begin() + th->unit_start, th->tokens.end());
  // Re-encode [bos, content] of each sentence: rows of equal length together, no padding (a
  // row's vector never depends on a neighbour's length).
  const int64_t hidden = h.size(1);
  torch::Tensor vectors = torch::empty({m, hidden}, h.options());
  std::vector<int64_t> by_length(go.size());
  for (int64_t i = 0; i < m; i++) by_length[i] = i;
  std::stable_sort(by_length.begin(), by_length.end(), [&](int64_t a, int64_t b) { return d.lengths[a] < d.lengths[b]; });
  for (int64_t start = 0; start < m;) {
    const int64_t len = d.lengths[by_length[start]];
    int64_t end = start;
    std::vector<int64_t> group;
    while (end < m && d.lengths[by_length[end]] == len) group.push_back(by_length[end++]);
    torch::Tensor g = torch::tensor(group, torch::kLong);
    torch::Tensor ids = torch::cat({torch::full({static_cast<int64_t>(group.size()), 1}, c.svae.bos_id, torch::kLong), d.tokens.index_select(0, g).narrow(1, 0, len)}, 1).to(device_);
    torch::Tensor valid = torch::ones({ids.size(0), ids.size(1)}, torch::TensorOptions().dtype(torch::kBool).device(device_));
    vectors.index_copy_(0, g.to(device_), model->encoder(ids, valid));
    start = end;
  }
  // One LLM step: each row's new sentence vector at its own next position.
  std::vector<int64_t> positions;
  std::vector<std::vector<KVCache>*> caches;
  for (int64_t r : go) {
    positions.push_back(rows_[r].caches[0].length);
    caches.push_back(&rows_[r].caches);
  }
  torch::Tensor next = opt_rows_step(*model->llm, vectors.unsqueeze(1), positions, caches).squeeze(1);  // [m, H]
  const int64_t width = d.tokens.size(1);
  out.tokens = torch::full({n, width}, c.svae.pad_id, torch::kLong);
  for (int64_t i = 0; i < m; i++) {
    SllmSlotRow& row = rows_[go[i]];
    row.h = next.narrow(0, i, 1);
    row.sentences++;
    out.lengths[go[i]] = d.lengths[i];
    out.tokens[go[i]].copy_(d.tokens[i]);
  }
  return out;
}

int64_t SllmSlots::cache_bytes() const {
  int64_t bytes = 0;
  for (const SllmSlotRow& r : rows_) bytes += bytes_of(r.caches);
  return bytes;
}

}  // namespace svae
