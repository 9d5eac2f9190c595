#include "kernels/decode_step.h"

#include "core/errors.h"
#include "kernels/attention.h"
#include "kernels/gemv.h"
#include "kernels/linear.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace svae::kernels {

namespace {

// -1: the environment not read yet; 0 off; 1 on.
std::atomic<int> fused_state{-1};
// Layer steps taken fused, per entry point (tests check which path a model really took).
std::atomic<int64_t> batched_steps{0}, rows_steps{0};

// Values rounded to the model dtype in place, as storing them in a tensor of that dtype does
// (bfloat16: round to nearest even, c10::BFloat16's conversion, the one .to() uses).
void round_to(float* v, int64_t n, bool bf16) {
  if (!bf16) return;
  for (int64_t i = 0; i < n; i++) v[i] = static_cast<float>(c10::BFloat16(v[i]));
}

// A tensor of the model dtype (float32 / bfloat16, contiguous) read into floats.
void load(const at::Tensor& t, float* out) {
  const int64_t n = t.numel();
  if (t.scalar_type() == at::kFloat) {
    std::memcpy(out, t.data_ptr<float>(), n * sizeof(float));
  } else {
    const at::BFloat16* s = t.data_ptr<at::BFloat16>();
    for (int64_t i = 0; i < n; i++) out[i] = static_cast<float>(s[i]);
  }
}

// Floats (already rounded to the model dtype) written into a contiguous float32 / bfloat16 buffer.
void store(const float* v, int64_t n, void* dst, bool bf16) {
  if (!bf16) {
    std::memcpy(dst, v, n * sizeof(float));
    return;
  }
  at::BFloat16* d = static_cast<at::BFloat16*>(dst);
  for (int64_t i = 0; i < n; i++) d[i] = at::BFloat16(v[i]);
}

// LibTorch's LayerNorm: biased variance, (x - mean) / sqrt(var + eps) · w + b; moments in double
// (LibTorch's float accumulation differs from this in the last bits only).
void layer_norm(const float* x, int64_t h, const float* w, const float* b, double eps, float* out) {
  double mean = 0;
  for (int64_t i = 0; i < h; i++) mean += x[i];
  mean /= static_cast<double>(h);
  double var = 0;
  for (int64_t i = 0; i < h; i++) {
    const double d = x[i] - mean;
    var += d * d;
  }
  var /= static_cast<double>(h);
  const float inv = static_cast<float>(1.0 / std::sqrt(var + eps)), m = static_cast<float>(mean);
  for (int64_t i = 0; i < h; i++) out[i] = (x[i] - m) * inv * w[i] + b[i];
}

at::Tensor float_param(const at::Tensor& t, int64_t n, float fill) {
  if (!t.defined()) return at::full({n}, fill, at::kFloat);
  return t.detach().to(at::kFloat).contiguous().clone();
}

void add_key(std::vector<std::pair<const void*, int64_t>>& key, const at::Tensor& t) {
  if (!t.defined()) {
    key.emplace_back(nullptr, 0);
    return;
  }
  // Inference tensors carry no version counter (they cannot be modified outside InferenceMode).
  key.emplace_back(t.data_ptr(), t.is_inference() ? 0 : static_cast<int64_t>(t._version()));
}

std::vector<std::pair<const void*, int64_t>> key_of(const LayerSource& s) {
  std::vector<std::pair<const void*, int64_t>> key;
  for (const LinearRef* l : {&s.q, &s.k, &s.v, &s.out, &s.fc1, &s.fc2}) {
    add_key(key, l->w);
    add_key(key, l->scale);
    add_key(key, l->bias);
  }
  for (const at::Tensor* t : {&s.norm1_w, &s.norm1_b, &s.norm2_w, &s.norm2_b, &s.normx_w, &s.normx_b}) add_key(key, *t);
  return key;
}

LinearRef prepared(const LinearRef& l) {
  LinearRef r;
  r.w = l.w.detach().contiguous();
  if (l.scale.defined()) r.scale = l.scale.detach().contiguous();
  r.bias = float_param(l.bias, l.w.size(0), 0.0f);
  return r;
}

bool kernel_dtype_ok(const LinearRef& l, at::ScalarType x) {
  if (!l.w.defined() || l.w.dim() != 2 || !l.w.device().is_cpu()) return false;
  const at::ScalarType w = l.w.scalar_type();
  if (w == at::kChar) return x == at::kFloat && l.scale.defined();
  return w == x;
}

float gelu(float v) { return 0.5f * v * (1.0f + std::erf(v * static_cast<float>(M_SQRT1_2))); }

// The GEMV input: floats (rounded to the model dtype) as the tensor the weight's kernel reads
// (bfloat16 for bfloat16 weights, float32 otherwise).
at::Tensor operand(const float* v, int64_t n, int64_t in, at::ScalarType w) {
  const bool bf16 = w == at::kBFloat16;
  at::Tensor t = at::empty({n, in}, bf16 ? at::kBFloat16 : at::kFloat);
  store(v, n * in, t.data_ptr(), bf16);
  return t;
}

}  // namespace

bool fused_enabled() {
  int s = fused_state.load(std::memory_order_relaxed);
  if (s < 0) {
    const char* v = std::getenv("SENTENCEVAE_FUSED");
    s = (v != nullptr && (std::string(v) == "0" || std::string(v) == "off" || std::string(v) == "false")) ? 0 : 1;
    int expected = -1;
    fused_state.compare_exchange_strong(expected, s);
    s = fused_state.load();
  }
  return s == 1;
}

void set_fused(bool on) { fused_state = on ? 1 : 0; }

bool eligible(const LayerSource& s, const at::Tensor& x, const at::Tensor& k_cache, const at::Tensor& v_cache) {
  if (!fused_enabled() || active_path() == Path::Off) return false;
  if (at::GradMode::is_enabled() || x.requires_grad() || !x.device().is_cpu() || x.dim() != 3) return false;
  const int64_t b = x.size(0), t = x.size(1), h = x.size(2);
  if (b * t == 0 || b * t > kMaxFusedRows) return false;
  const at::ScalarType d = x.scalar_type();
  if (d != at::kFloat && d != at::kBFloat16) return false;
  for (const LinearRef* l : {&s.q, &s.k, &s.v, &s.out, &s.fc1, &s.fc2}) {
    if (!kernel_dtype_ok(*l, d)) return false;
  }
  if (s.q.w.scalar_type() != s.k.w.scalar_type() || s.q.w.scalar_type() != s.v.w.scalar_type()) return false;
  if (s.q.w.size(1) != h || s.q.w.size(0) != h || s.k.w.size(0) != h || s.v.w.size(0) != h || s.out.w.size(1) != h || s.out.w.size(0) != h) return false;
  if (s.fc1.w.size(1) != h || s.fc2.w.size(1) != s.fc1.w.size(0) || s.fc2.w.size(0) != h) return false;
  if (!s.norm1_w.defined() || !s.norm1_b.defined() || !s.norm2_w.defined() || !s.norm2_b.defined()) return false;
  if (s.heads < 1 || h % s.heads != 0) return false;
  for (const at::Tensor* c : {&k_cache, &v_cache}) {
    if (!c->defined() || c->dim() != 4 || !c->device().is_cpu() || c->scalar_type() != d || !c->is_contiguous()) return false;
    if (c->size(0) != b || c->size(1) != s.heads || c->size(3) != h / s.heads) return false;
  }
  return true;
}

void prepare(PreparedLayer& p, const LayerSource& s) {
  auto key = key_of(s);
  if (p.ready && key == p.key) return;
  at::NoGradGuard no_grad;
  p.q = prepared(s.q), p.k = prepared(s.k), p.v = prepared(s.v);
  p.out = prepared(s.out), p.fc1 = prepared(s.fc1), p.fc2 = prepared(s.fc2);
  const int64_t h = s.q.w.size(1);
  p.n1w = float_param(s.norm1_w, h, 1.0f), p.n1b = float_param(s.norm1_b, h, 0.0f);
  p.n2w = float_param(s.norm2_w, h, 1.0f), p.n2b = float_param(s.norm2_b, h, 0.0f);
  p.nxw = float_param(s.normx_w, h, 1.0f), p.nxb = float_param(s.normx_b, h, 0.0f);
  p.heads = s.heads, p.eps = s.eps, p.pre_norm = s.pre_norm, p.gelu = s.gelu;
  p.key = std::move(key);
  p.ready = true;
}

namespace {

// Where each batch row's cache lives: its keys / values [heads, capacity, head_dim] (the model
// dtype, contiguous) with `past` valid positions. One shared [B, heads, capacity, head_dim]
// tensor (layer_step) or one tensor per row (layer_step_rows: the serving engine's rows, each with
// its own length).
struct CacheRows {
  std::vector<char*> k, v;
  std::vector<int64_t> cap, past;
};

// The additive mask read in place with broadcast strides ([B|1, 1, T|1, S]); p null: none.
struct MaskView {
  const float* p = nullptr;
  int64_t b = 0, t = 0, s = 0;
};

at::Tensor step_rows(const PreparedLayer& p, const at::Tensor& x_in, const CacheRows& rows, const MaskView& mv, Path path, const at::Tensor& cross) {
  const at::Tensor x = x_in.contiguous();
  const int64_t B = x.size(0), T = x.size(1), H = x.size(2), n = B * T;
  const int64_t heads = p.heads, hd = H / heads, F = p.fc1.w.size(0);
  int64_t S_max = 0;
  for (int64_t b = 0; b < B; b++) {
    const int64_t S = rows.past[b] + T;
    if (S > rows.cap[b]) fail(ErrorCode::InvalidArgument, "KV cache full: capacity " + std::to_string(rows.cap[b]) + ", needed " + std::to_string(S));
    S_max = std::max(S_max, S);
  }
  const at::ScalarType d = x.scalar_type();
  const bool bf16 = d == at::kBFloat16;
  const at::ScalarType wt = p.q.w.scalar_type();

  // Float work buffers (rows of the step).
  std::vector<float> xf(n * H), a(n * H), q(n * H), k(n * H), v(n * H), o(n * H), hbuf(n * H), f(n * F);
  load(x, xf.data());
  const float* n1w = p.n1w.data_ptr<float>();
  const float* n1b = p.n1b.data_ptr<float>();
  const float* n2w = p.n2w.data_ptr<float>();
  const float* n2b = p.n2b.data_ptr<float>();

  // ---- self-attention input: LN(x) (pre-LN) or x (post-LN) ----
  if (p.pre_norm) {
    for (int64_t r = 0; r < n; r++) layer_norm(xf.data() + r * H, H, n1w, n1b, p.eps, a.data() + r * H);
    round_to(a.data(), n * H, bf16);
  } else {
    a = xf;
  }

  // ---- q, k, v: one parallel region over the three weights ----
  {
    at::Tensor in = operand(a.data(), n, H, wt);
    gemv_multi(in,
               {GemvPart{&p.q.w, &p.q.scale, p.q.bias.data_ptr<float>(), q.data()}, GemvPart{&p.k.w, &p.k.scale, p.k.bias.data_ptr<float>(), k.data()},
                GemvPart{&p.v.w, &p.v.scale, p.v.bias.data_ptr<float>(), v.data()}},
               path);
  }
  // As the LibTorch path: each projection stored in the model dtype, q then scaled (and stored).
  round_to(q.data(), n * H, bf16);
  round_to(k.data(), n * H, bf16);
  round_to(v.data(), n * H, bf16);
  const float scaling = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  for (int64_t i = 0; i < n * H; i++) q[i] *= scaling;
  round_to(q.data(), n * H, bf16);

  // ---- the new keys / values straight into the cache ----
  const int64_t esz = bf16 ? 2 : 4;
  auto slot = [&](int64_t b, int64_t hh, int64_t pos) { return (hh * rows.cap[b] + pos) * hd * esz; };  // bytes from the row's base
  for (int64_t b = 0; b < B; b++) {
    for (int64_t t = 0; t < T; t++) {
      const int64_t r = b * T + t;
      for (int64_t hh = 0; hh < heads; hh++) {
        store(k.data() + r * H + hh * hd, hd, rows.k[b] + slot(b, hh, rows.past[b] + t), bf16);
        store(v.data() + r * H + hh * hd, hd, rows.v[b] + slot(b, hh, rows.past[b] + t), bf16);
      }
    }
  }

  // ---- attention over the cache: parallel over batch × heads ----
  {
    // A chunk of at least ~64k multiply-adds: below that a second thread costs more than it saves.
    const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, S_max * hd * T * 2));
    at::parallel_for(0, B * heads, grain, [&](int64_t p0, int64_t p1) {
      std::vector<float> scores(S_max);
      for (int64_t pi = p0; pi < p1; pi++) {
        const int64_t b = pi / heads, hh = pi % heads;
        AttendArgs args;
        args.q = q.data() + b * T * H + hh * hd, args.q_stride = H;
        args.k = rows.k[b] + slot(b, hh, 0), args.v = rows.v[b] + slot(b, hh, 0), args.bf16 = bf16;
        args.T = T, args.S = rows.past[b] + T, args.hd = hd;
        args.mask = mv.p ? mv.p + b * mv.b : nullptr, args.mask_t = mv.t, args.mask_s = mv.s;
        args.out = o.data() + b * T * H + hh * hd, args.out_stride = H;
        args.scores = scores.data();
        if (path == Path::Avx512) {
          avx512::attend(args);
        } else if (path == Path::Avx2) {
          avx2::attend(args);
        } else {
          portable::attend(args);
        }
      }
    });
  }
  round_to(o.data(), n * H, bf16);

  // ---- out_proj + bias, + residual (and LN after it, post-LN) ----
  {
    at::Tensor in = operand(o.data(), n, H, wt);
    gemv_rows(in, p.out.w, p.out.scale, p.out.bias.data_ptr<float>(), hbuf.data(), path);
  }
  round_to(hbuf.data(), n * H, bf16);
  for (int64_t i = 0; i < n * H; i++) hbuf[i] += xf[i];
  round_to(hbuf.data(), n * H, bf16);
  if (!p.pre_norm) {
    for (int64_t r = 0; r < n; r++) layer_norm(hbuf.data() + r * H, H, n1w, n1b, p.eps, a.data() + r * H);
    round_to(a.data(), n * H, bf16);
    std::swap(hbuf, a);  // hbuf: the normalized residual stream
  }

  // ---- the SentenceVAE decoder's cross-attention constant: + cross (then LN, post-LN) ----
  if (cross.defined()) {
    if (cross.numel() != B * H) fail(ErrorCode::Shape, "Expected a cross-attention constant [" + std::to_string(B) + ", 1, " + std::to_string(H) + "] but received " + c10::str(cross.sizes()));
    std::vector<float> c(B * H);
    load(cross.to(d).contiguous(), c.data());
    for (int64_t r = 0; r < n; r++) {
      for (int64_t i = 0; i < H; i++) hbuf[r * H + i] += c[(r / T) * H + i];
    }
    round_to(hbuf.data(), n * H, bf16);
    if (!p.pre_norm) {
      const float* nxw = p.nxw.data_ptr<float>();
      const float* nxb = p.nxb.data_ptr<float>();
      for (int64_t r = 0; r < n; r++) layer_norm(hbuf.data() + r * H, H, nxw, nxb, p.eps, a.data() + r * H);
      round_to(a.data(), n * H, bf16);
      std::swap(hbuf, a);
    }
  }

  // ---- FFN: LN (pre-LN), fc1 + bias + activation, fc2 + bias, + residual ----
  if (p.pre_norm) {
    for (int64_t r = 0; r < n; r++) layer_norm(hbuf.data() + r * H, H, n2w, n2b, p.eps, a.data() + r * H);
    round_to(a.data(), n * H, bf16);
  } else {
    a = hbuf;
  }
  {
    at::Tensor in = operand(a.data(), n, H, wt);
    gemv_rows(in, p.fc1.w, p.fc1.scale, p.fc1.bias.data_ptr<float>(), f.data(), path);
  }
  round_to(f.data(), n * F, bf16);  // fc1's output stored, then the activation (as LibTorch)
  if (p.gelu) {
    for (int64_t i = 0; i < n * F; i++) f[i] = gelu(f[i]);
    round_to(f.data(), n * F, bf16);
  } else {
    for (int64_t i = 0; i < n * F; i++) f[i] = f[i] > 0 ? f[i] : 0.0f;
  }
  {
    at::Tensor in = operand(f.data(), n, F, wt);
    gemv_rows(in, p.fc2.w, p.fc2.scale, p.fc2.bias.data_ptr<float>(), o.data(), path);
  }
  round_to(o.data(), n * H, bf16);
  for (int64_t i = 0; i < n * H; i++) o[i] += hbuf[i];
  round_to(o.data(), n * H, bf16);
  if (!p.pre_norm) {
    for (int64_t r = 0; r < n; r++) layer_norm(o.data() + r * H, H, n2w, n2b, p.eps, a.data() + r * H);
    round_to(a.data(), n * H, bf16);
    std::swap(o, a);
  }

  at::Tensor y = at::empty({B, T, H}, d);
  store(o.data(), n * H, y.data_ptr(), bf16);
  return y;
}

}  // namespace

at::Tensor layer_step(const PreparedLayer& p, const at::Tensor& x, at::Tensor& k_cache, at::Tensor& v_cache, int64_t past, const at::Tensor& mask_in,
                      Path path, const at::Tensor& cross) {
  const int64_t B = x.size(0), T = x.size(1), S = past + T;
  const int64_t cap = k_cache.size(2), row_bytes = k_cache.size(1) * cap * k_cache.size(3) * k_cache.element_size();
  CacheRows rows;
  for (int64_t b = 0; b < B; b++) {
    rows.k.push_back(static_cast<char*>(k_cache.data_ptr()) + b * row_bytes);
    rows.v.push_back(static_cast<char*>(v_cache.data_ptr()) + b * row_bytes);
    rows.cap.push_back(cap), rows.past.push_back(past);
  }
  at::Tensor mask;
  MaskView mv;
  if (mask_in.defined()) {
    if (mask_in.dim() != 4 || mask_in.size(-1) != S) fail(ErrorCode::Shape, "Expected an additive mask [B, 1, t, " + std::to_string(S) + "] but received " + c10::str(mask_in.sizes()));
    mask = mask_in.to(at::kFloat);
    if ((mask.size(0) != 1 && mask.size(0) != B) || (mask.size(2) != 1 && mask.size(2) != T)) {
      fail(ErrorCode::Shape, "Expected an additive mask [B, 1, t, " + std::to_string(S) + "] but received " + c10::str(mask_in.sizes()));
    }
    mv.p = mask.data_ptr<float>();
    mv.b = mask.size(0) == 1 ? 0 : mask.stride(0);
    mv.t = mask.size(2) == 1 ? 0 : mask.stride(2);
    mv.s = mask.stride(3);
  }
  batched_steps.fetch_add(1, std::memory_order_relaxed);
  return step_rows(p, x, rows, mv, path, cross);
}

bool eligible_rows(const LayerSource& s, const at::Tensor& x, const std::vector<RowCache>& caches) {
  if (x.dim() != 3 || x.size(1) != 1 || static_cast<int64_t>(caches.size()) != x.size(0) || caches.empty()) return false;
  // The first row's cache stands in for the shape / dtype checks of eligible(); then every row.
  if (!eligible(s, x.narrow(0, 0, 1), caches[0].k, caches[0].v)) return false;
  if (x.size(0) > kMaxFusedRows) return false;
  for (const RowCache& c : caches) {
    for (const at::Tensor* t : {&c.k, &c.v}) {
      if (!t->defined() || t->dim() != 4 || t->size(0) != 1 || !t->device().is_cpu() || t->scalar_type() != x.scalar_type() || !t->is_contiguous()) return false;
      if (t->size(1) != caches[0].k.size(1) || t->size(3) != caches[0].k.size(3)) return false;
    }
    if (c.v.size(2) != c.k.size(2) || c.past < 0) return false;
  }
  return true;
}

at::Tensor layer_step_rows(const PreparedLayer& p, const at::Tensor& x, const std::vector<RowCache>& caches, Path path) {
  CacheRows rows;
  for (const RowCache& c : caches) {
    rows.k.push_back(static_cast<char*>(c.k.data_ptr()));
    rows.v.push_back(static_cast<char*>(c.v.data_ptr()));
    rows.cap.push_back(c.k.size(2)), rows.past.push_back(c.past);
  }
  rows_steps.fetch_add(1, std::memory_order_relaxed);
  return step_rows(p, x, rows, MaskView{}, path, {});
}

FusedCounts fused_counts() { return {batched_steps.load(), rows_steps.load()}; }

}  // namespace svae::kernels
