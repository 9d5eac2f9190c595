// JS functions about the runtime: info(), thread count, device resolution.
#include "bindings/runtime_bindings.h"

#include "bindings/args.h"
#include "bindings/js_errors.h"
#include "core/runtime.h"
#include "core/torch_shim.h"

#include <link.h>

#include <set>
#include <string>

#ifdef SVAE_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace svae {

namespace {

// Shared libraries loaded into this process that provide BLAS (what actually runs matmul).
std::vector<std::string> loaded_blas_libraries() {
  std::set<std::string> found;
  dl_iterate_phdr(
      [](struct dl_phdr_info* lib, size_t, void* out) -> int {
        std::string name = lib->dlpi_name ? lib->dlpi_name : "";
        for (const char* key : {"blas", "mkl_", "libmkl", "accelerate", "blis"}) {
          if (name.find(key) != std::string::npos) {
            char resolved[4096];
            static_cast<std::set<std::string>*>(out)->insert(realpath(name.c_str(), resolved) ? resolved : name);
            break;
          }
        }
        return 0;
      },
      &found);
  return {found.begin(), found.end()};
}

bool distributed_built() {
#if defined(USE_DISTRIBUTED) || defined(USE_C10D)
  return true;
#else
  return at::show_config().find("USE_DISTRIBUTED=ON") != std::string::npos ||
         at::show_config().find("USE_DISTRIBUTED=1") != std::string::npos;
#endif
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Napi::Object out = Napi::Object::New(env);
    out.Set("libtorchVersion", shim::torch_version());
    out.Set("torchSource", SVAE_TORCH_SOURCE);
    out.Set("buildSystem", SVAE_BUILD_SYSTEM);
#ifdef SVAE_WITH_CUDA
    out.Set("cudaBuilt", true);
#else
    out.Set("cudaBuilt", false);
#endif
    const bool cuda = torch::cuda::is_available();
    out.Set("cudaAvailable", cuda);
    out.Set("distributedBuilt", distributed_built());
    out.Set("openmp", at::hasOpenMP());
    out.Set("mkl", at::hasMKL());
    out.Set("mkldnn", at::hasMKLDNN());
    out.Set("threads", configured_threads());
    out.Set("interopThreads", at::get_num_interop_threads());

    Napi::Array devices = Napi::Array::New(env);
    Napi::Object cpu = Napi::Object::New(env);
    cpu.Set("name", "cpu");
    cpu.Set("kind", "cpu");
    devices.Set(0u, cpu);
    const int count = cuda ? static_cast<int>(torch::cuda::device_count()) : 0;
    for (int i = 0; i < count; i++) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("name", "cuda:" + std::to_string(i));
      d.Set("kind", "cuda");
#ifdef SVAE_WITH_CUDA
      const auto* props = at::cuda::getDeviceProperties(i);
      d.Set("model", props->name);
      d.Set("memoryBytes", static_cast<double>(props->totalGlobalMem));
#endif
      devices.Set(static_cast<uint32_t>(i + 1), d);
    }
    out.Set("devices", devices);

    Napi::Array blas = Napi::Array::New(env);
    auto libs = loaded_blas_libraries();
    for (size_t i = 0; i < libs.size(); i++) blas.Set(static_cast<uint32_t>(i), libs[i]);
    out.Set("blasLibraries", blas);
    out.Set("buildConfig", at::show_config());
    return out;
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    set_threads(static_cast<int>(args::integer(info, 0, "threads", 1, 4096)));
    return info.Env().Undefined();
  });
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), configured_threads()); });
}

Napi::Value ResolveDevice(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    return Napi::String::New(info.Env(), device_name(resolve_device(args::string(info, 0, "device"))));
  });
}

// Throws a native exception of the requested kind: lets tests prove translation end to end.
Napi::Value ThrowForTest(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string kind = args::string(info, 0, "kind");
    if (kind == "torch") TORCH_CHECK(false, "deliberate c10::Error from the test hook");
    if (kind == "std") throw std::runtime_error("deliberate std::runtime_error from the test hook");
    if (kind == "unknown") throw 42;
    fail(ErrorCode::InvalidArgument, "Expected kind 'torch', 'std' or 'unknown' but received '" + kind + "'");
  });
}

}  // namespace

void InitRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New<Info>(env, "info"));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("getThreads", Napi::Function::New<GetThreads>(env, "getThreads"));
  exports.Set("resolveDevice", Napi::Function::New<ResolveDevice>(env, "resolveDevice"));
  exports.Set("throwForTest", Napi::Function::New<ThrowForTest>(env, "throwForTest"));
}

}  // namespace svae
