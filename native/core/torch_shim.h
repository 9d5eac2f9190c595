// The one place where LibTorch 1.13 (Debian, CPU) and 2.x (CUDA wheels) differ.
// Everything else in native/ calls these helpers instead of the version-specific API.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/autocast_mode.h>

#include <string>

#define SVAE_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// torch.distributed: ProcessGroupGloo / ProcessGroupNCCL derive from c10d::ProcessGroup in
// 1.13 and from c10d::Backend since 2.0 (native/distributed/process_group.cc holds them by that base).
namespace c10d {
class ProcessGroup;
class Backend;
}  // namespace c10d

namespace svae::shim {

#if SVAE_TORCH_AT_LEAST(2, 0)
using C10dBackend = c10d::Backend;
#else
using C10dBackend = c10d::ProcessGroup;
#endif

inline std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

// Enables or disables CUDA autocast with the given lower-precision dtype.
inline void set_cuda_autocast(bool enabled, at::ScalarType dtype) {
#if SVAE_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(at::kCUDA, enabled);
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_enabled(enabled);
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

// c10::Error's message without the C++ backtrace that some builds append.
inline std::string clean_torch_message(const c10::Error& e) {
  std::string msg = e.what_without_backtrace();
  for (const char* marker : {"\nException raised from ", "Exception raised from "}) {
    auto pos = msg.find(marker);
    if (pos != std::string::npos) msg.erase(pos);
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

}  // namespace svae::shim
