#include "core/runtime.h"

#include "core/dtype.h"
#include "core/errors.h"

#include <atomic>
#include <thread>

namespace svae {

namespace {
std::atomic<int> g_threads{0};
}

void set_threads(int count) {
  if (count < 1) fail(ErrorCode::InvalidArgument, "Expected a positive thread count but received " + std::to_string(count));
  // Only recorded here: the compute thread applies it before its next call (apply_threads), and
  // applying it on the main thread cost the event loop ~5 ms (at::set_num_threads builds
  // LibTorch's thread pool: perf, the first model load).
  g_threads.store(count);
}

int configured_threads() {
  int n = g_threads.load();
  return n > 0 ? n : at::get_num_threads();
}

void apply_threads() {
  int want = g_threads.load();
  if (want > 0 && at::get_num_threads() != want) at::set_num_threads(want);
}

at::Device resolve_device(const std::string& spec) {
  const bool cuda_available = torch::cuda::is_available();
  if (spec == "cpu") return at::Device(at::kCPU);
  if (spec == "auto") return cuda_available ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  int index = -1;
  if (spec == "cuda") {
    index = 0;
  } else if (spec.rfind("cuda:", 0) == 0 && spec.size() > 5 && spec.size() <= 8 &&
             spec.find_first_not_of("0123456789", 5) == std::string::npos) {
    index = std::stoi(spec.substr(5));
  } else {
    fail(ErrorCode::Device, "Expected device 'cpu', 'cuda', 'cuda:N' or 'auto' but received '" + spec + "'");
  }
  if (!cuda_available) {
#ifdef SVAE_WITH_CUDA
    fail(ErrorCode::Device, "Device '" + spec + "' was requested but no CUDA device is visible to this process");
#else
    fail(ErrorCode::Device, "Device '" + spec +
                                "' was requested but this addon was built against a CPU-only LibTorch; "
                                "rebuild with LIBTORCH pointing at a CUDA LibTorch (see README, 'CUDA')");
#endif
  }
  const int count = static_cast<int>(torch::cuda::device_count());
  if (index >= count) {
    fail(ErrorCode::Device, "Device '" + spec + "' does not exist: " + std::to_string(count) + " CUDA device(s) visible");
  }
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

ModelPlacement model_placement(const std::string& device_spec, const std::string& dtype_name_) {
  at::Device device = resolve_device(device_spec);
  at::ScalarType dtype = parse_dtype(dtype_name_);
  if (!at::isFloatingType(dtype)) fail(ErrorCode::DType, "Expected a floating dtype for a model but received '" + dtype_name(dtype) + "'");
  if (dtype == at::kHalf && device.is_cpu()) fail(ErrorCode::DType, "float16 models need a CUDA device; use float32 or bfloat16 on the CPU");
  return {device, dtype};
}

std::mutex& init_mutex() {
  static std::mutex m;
  return m;
}

std::string device_name(const at::Device& device) {
  if (device.is_cpu()) return "cpu";
  if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
  return device.str();
}

}  // namespace svae
