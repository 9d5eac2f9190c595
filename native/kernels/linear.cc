#include "kernels/linear.h"

#include "core/errors.h"
#include "kernels/gemv.h"
#include "kernels/quantize.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>

namespace svae::kernels {

namespace {

// Rows per thread chunk at least this many: below it, waking a second thread costs more than
// the rows (an output row of a 768-wide fp32 layer is 3 KiB of weights).
constexpr int64_t kGrain = 32;

template <class Args>
using RowFn = void (*)(const Args&, int64_t, int64_t);

template <class Args>
RowFn<Args> pick(Path path, RowFn<Args> p, RowFn<Args> a2, RowFn<Args> a512) {
  switch (path) {
    case Path::Avx512: return a512;
    case Path::Avx2: return a2;
    default: return p;
  }
}

void check(const at::Tensor& x, const at::Tensor& w, const at::Tensor& scale, const at::Tensor& bias) {
  if (w.dim() != 2) fail(ErrorCode::Shape, "Expected a 2-d weight [out, in] but received " + c10::str(w.sizes()));
  if (x.dim() < 1 || x.size(-1) != w.size(1)) fail(ErrorCode::Shape, "Expected input [..., " + std::to_string(w.size(1)) + "] but received " + c10::str(x.sizes()));
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != w.size(0))) fail(ErrorCode::Shape, "Expected a bias of " + std::to_string(w.size(0)) + " but received " + c10::str(bias.sizes()));
  if (w.scalar_type() == at::kChar) {
    if (!scale.defined() || scale.dim() != 2 || scale.size(0) != w.size(0) || scale.size(1) != q8_blocks(w.size(1)) || scale.scalar_type() != at::kFloat) {
      fail(ErrorCode::Shape, "Expected int8 weights with float32 scales [" + std::to_string(w.size(0)) + ", " + std::to_string(q8_blocks(w.size(1))) + "]");
    }
  } else if (w.scalar_type() != at::kFloat && w.scalar_type() != at::kBFloat16) {
    fail(ErrorCode::DType, std::string("Expected float32, bfloat16 or int8 weights but received ") + c10::toString(w.scalar_type()));
  }
}

// Runs `fn` over the rows of several weights as ONE parallel region: the combined row range
// [0, Σ out) is split over the threads and each chunk is mapped to the parts it covers (q/k/v:
// one fork-join instead of three).
template <class Args>
void run_parts(const std::vector<Args>& args, RowFn<Args> fn) {
  int64_t total = 0;
  for (const Args& a : args) total += a.out;
  at::parallel_for(0, total, kGrain, [&](int64_t r0, int64_t r1) {
    int64_t off = 0;
    for (const Args& a : args) {
      const int64_t lo = std::max(r0, off), hi = std::min(r1, off + a.out);
      if (lo < hi) fn(a, lo - off, hi - off);
      off += a.out;
    }
  });
}

// One tile of at most kMaxKernelRows activation rows (x2 [n, in], contiguous) times every part's
// weight -> each part's y [n, out] float. The activations are converted / quantized once for all
// parts. All parts share the weight dtype and `in`.
void tile_parts(const at::Tensor& x2, const std::vector<GemvPart>& parts, Path path) {
  const at::Tensor& w0 = *parts[0].w;
  const int64_t nb = x2.size(0), in = w0.size(1);
  switch (w0.scalar_type()) {
    case at::kFloat: {
      at::Tensor xf = x2.to(at::kFloat).contiguous();
      std::vector<F32Gemv> args;
      for (const GemvPart& p : parts) args.push_back(F32Gemv{p.w->data_ptr<float>(), xf.data_ptr<float>(), p.bias, p.y, p.w->size(0), in, nb});
      run_parts(args, pick<F32Gemv>(path, portable::f32, avx2::f32, avx512::f32));
      return;
    }
    case at::kBFloat16: {
      at::Tensor xb = x2.to(at::kBFloat16).contiguous();
      // The float copy only for the paths that read it (avx512 takes bf16 pairs): at 16 rows of
      // 2048+ it is a LibTorch conversion large enough to run a parallel region.
      at::Tensor xf = path == Path::Avx512 ? at::Tensor() : x2.to(at::kFloat).contiguous();
      std::vector<Bf16Gemv> args;
      for (const GemvPart& p : parts) {
        args.push_back(Bf16Gemv{reinterpret_cast<const uint16_t*>(p.w->data_ptr<at::BFloat16>()), reinterpret_cast<const uint16_t*>(xb.data_ptr<at::BFloat16>()),
                                xf.defined() ? xf.data_ptr<float>() : nullptr, p.bias, p.y, p.w->size(0), in, nb});
      }
      run_parts(args, pick<Bf16Gemv>(path, portable::bf16, avx2::bf16, avx512::bf16));
      return;
    }
    default: {  // int8: activations quantized per block of 32, once per call
      const int64_t blocks = q8_blocks(in);
      at::Tensor xf = x2.to(at::kFloat).contiguous();
      std::vector<Q8Gemv> args;
      // Only the operand forms the chosen path reads (gemv.h, Q8Gemv).
      if (path == Path::Avx512) {
        const int64_t pairs = (in + 63) / 64;
        at::Tensor xp = at::empty({pairs * nb * 64}, at::kByte), xps = at::empty({pairs * nb * 2}, at::kFloat);
        for (int64_t j = 0; j < nb; j++) avx512::quantize_u8(xf.data_ptr<float>() + j * in, in, xp.data_ptr<uint8_t>() + j * 64, xps.data_ptr<float>() + j * 2, nb);
        for (const GemvPart& p : parts) {
          args.push_back(Q8Gemv{p.w->data_ptr<int8_t>(), p.scale->data_ptr<float>(), nullptr, nullptr, nullptr, nullptr, xp.data_ptr<uint8_t>(), xps.data_ptr<float>(), p.bias, p.y,
                                p.w->size(0), in, nb});
        }
        run_parts(args, avx512::q8);
        return;
      }
      at::Tensor xs = at::empty({nb, blocks}, at::kFloat), xq = at::empty({nb, in}, at::kChar);
      at::Tensor xa = path == Path::Avx2 ? at::empty({nb, in}, at::kByte) : at::Tensor();
      at::Tensor xs8 = path == Path::Avx2 ? at::empty({nb, blocks * 8}, at::kFloat) : at::Tensor();
      for (int64_t j = 0; j < nb; j++) {
        float* s = xs.data_ptr<float>() + j * blocks;
        int8_t* q = xq.data_ptr<int8_t>() + j * in;
        quantize_q8(xf.data_ptr<float>() + j * in, in, q, s);
        if (xa.defined()) {
          uint8_t* abs = xa.data_ptr<uint8_t>() + j * in;
          for (int64_t k = 0; k < in; k++) abs[k] = static_cast<uint8_t>(q[k] < 0 ? -q[k] : q[k]);
          float* s8 = xs8.data_ptr<float>() + j * blocks * 8;
          for (int64_t b = 0; b < blocks * 8; b++) s8[b] = s[b / 8];
        }
      }
      for (const GemvPart& p : parts) {
        args.push_back(Q8Gemv{p.w->data_ptr<int8_t>(), p.scale->data_ptr<float>(), xq.data_ptr<int8_t>(), xa.defined() ? xa.data_ptr<uint8_t>() : nullptr, xs.data_ptr<float>(),
                              xs8.defined() ? xs8.data_ptr<float>() : nullptr, nullptr, nullptr, p.bias, p.y, p.w->size(0), in, nb});
      }
      run_parts(args, pick<Q8Gemv>(path, portable::q8, avx2::q8, avx512::q8));
      return;
    }
  }
}

// One tile of at most kMaxKernelRows activation rows (x2 [n, in], contiguous) -> y [n, out] float.
void tile(const at::Tensor& x2, const at::Tensor& w, const at::Tensor& scale, const float* bias, float* y, Path path) {
  tile_parts(x2, {GemvPart{&w, &scale, bias, y}}, path);
}

}  // namespace

at::Tensor gemv(const at::Tensor& x, const at::Tensor& w_in, const at::Tensor& scale_in, const at::Tensor& bias, Path path) {
  check(x, w_in, scale_in, bias);
  const at::ScalarType out_type = w_in.scalar_type() == at::kChar ? at::kFloat : x.scalar_type();
  if (path == Path::Off) {  // the LibTorch reference
    if (w_in.scalar_type() == at::kChar) return at::linear(x.to(at::kFloat), dequantize_weight(w_in, scale_in), bias.defined() ? bias.to(at::kFloat) : bias);
    return at::linear(x, w_in.to(x.scalar_type()), bias.defined() ? bias.to(x.scalar_type()) : bias);
  }
  if (!x.device().is_cpu() || !w_in.device().is_cpu()) fail(ErrorCode::Device, "The decode kernels run on the CPU only");
  if (!cpu_supports(path)) fail(ErrorCode::InvalidArgument, std::string("kernel path '") + path_name(path) + "' is not supported by this CPU");
  const at::Tensor w = w_in.contiguous();
  const at::Tensor scale = scale_in.defined() ? scale_in.contiguous() : scale_in;
  const int64_t in = w.size(1), out = w.size(0);
  const at::Tensor x2 = x.reshape({-1, in});
  const int64_t rows = x2.size(0);
  at::Tensor b = bias.defined() ? bias.to(at::kFloat).contiguous() : bias;
  at::Tensor y = at::empty({rows, out}, at::kFloat);
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxKernelRows) {
    const int64_t n = std::min(kMaxKernelRows, rows - r0);
    tile(x2.narrow(0, r0, n), w, scale, b.defined() ? b.data_ptr<float>() : nullptr, y.data_ptr<float>() + r0 * out, path);
  }
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = out;
  y = y.view(shape);
  if (out_type == at::kBFloat16) {
    // A plain loop instead of y.to(): LibTorch's conversion runs a parallel region above 32,768
    // elements, and right after our own at::parallel_for that region cost 2-7 ms at [16, 3072]
    // on the shared 2-core machine (the kernel itself: ~0.2 ms). c10::BFloat16(float) rounds to
    // nearest even, as .to() does.
    at::Tensor yb = at::empty(y.sizes(), at::kBFloat16);
    const float* src = y.data_ptr<float>();
    at::BFloat16* dst = yb.data_ptr<at::BFloat16>();
    for (int64_t i = 0, n = y.numel(); i < n; i++) dst[i] = at::BFloat16(src[i]);
    return yb;
  }
  return out_type == at::kFloat ? y : y.to(out_type);
}

void gemv_rows(const at::Tensor& x2, const at::Tensor& w, const at::Tensor& scale, const float* bias, float* y, Path path) {
  const int64_t rows = x2.size(0), out = w.size(0);
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxKernelRows) {
    const int64_t n = std::min(kMaxKernelRows, rows - r0);
    tile(x2.narrow(0, r0, n), w, scale, bias, y + r0 * out, path);
  }
}

void gemv_multi(const at::Tensor& x2, const std::vector<GemvPart>& parts, Path path) {
  const int64_t rows = x2.size(0);
  std::vector<GemvPart> tiles(parts);
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxKernelRows) {
    const int64_t n = std::min(kMaxKernelRows, rows - r0);
    for (size_t i = 0; i < parts.size(); i++) tiles[i].y = parts[i].y + r0 * parts[i].w->size(0);
    tile_parts(x2.narrow(0, r0, n), tiles, path);
  }
}

at::Tensor project(const at::Tensor& x, const at::Tensor& w, const at::Tensor& scale, const at::Tensor& bias) {
  if (w.scalar_type() == at::kChar) {
    if (at::GradMode::is_enabled() && x.requires_grad()) {
      fail(ErrorCode::DType, "int8 weights are for inference only: train in float32 or bfloat16 and quantize afterwards");
    }
    const Path p = active_path();
    return gemv(x, w, scale, bias, p);
  }
  const Path p = active_path();
  if (p == Path::Off || at::GradMode::is_enabled() || !x.device().is_cpu() || x.scalar_type() != w.scalar_type() ||
      (w.scalar_type() != at::kFloat && w.scalar_type() != at::kBFloat16) || x.numel() > kMaxKernelRows * w.size(1) || x.numel() == 0) {
    return at::linear(x, w, bias);
  }
  return gemv(x, w, scale, bias, p);
}

at::Tensor weight_scale(const torch::nn::Module& m) {
  // Only quantized modules look the name up (the float paths never pay for it).
  for (const auto& item : m.named_parameters(false)) {
    if (item.key() == "weight_scale") return item.value();
  }
  return at::Tensor();
}

at::Tensor linear(const torch::nn::Linear& m, const at::Tensor& x) {
  const at::Tensor& w = m->weight;
  return project(x, w, w.scalar_type() == at::kChar ? weight_scale(*m) : at::Tensor(), m->bias);
}

at::Tensor embedding(torch::nn::Embedding e, const at::Tensor& ids) {
  const at::Tensor& w = e->weight;
  if (w.scalar_type() != at::kChar) return e->forward(ids);
  const at::Tensor flat = ids.reshape({-1});
  at::Tensor rows = dequantize_weight(w.index_select(0, flat), weight_scale(*e).index_select(0, flat));
  std::vector<int64_t> shape(ids.sizes().begin(), ids.sizes().end());
  shape.push_back(w.size(1));
  return rows.view(shape);
}

}  // namespace svae::kernels
