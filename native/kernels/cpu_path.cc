#include "kernels/cpu_path.h"

#include "core/errors.h"

#include <atomic>
#include <cstdlib>

namespace svae::kernels {

namespace {
// -1: not forced. Written rarely (tests, start-up), read on every linear: an atomic int.
std::atomic<int> forced{-1};
std::atomic<bool> env_read{false};

Path parse(const std::string& name) {
  if (name == "off") return Path::Off;
  if (name == "portable") return Path::Portable;
  if (name == "avx2") return Path::Avx2;
  if (name == "avx512") return Path::Avx512;
  fail(ErrorCode::InvalidArgument, "Expected one of off, portable, avx2, avx512 for kernel path but received '" + name + "'");
}

void read_env_once() {
  if (env_read.exchange(true)) return;
  const char* v = std::getenv("SENTENCEVAE_KERNELS");
  if (v == nullptr || *v == '\0' || std::string(v) == "auto") return;
  try {
    Path p = parse(v);
    if (cpu_supports(p)) forced = static_cast<int>(p);
  } catch (...) {
    // A bad environment value must not make every model call fail: the detected path stays.
  }
}
}  // namespace

bool cpu_supports(Path path) {
  switch (path) {
    case Path::Off:
    case Path::Portable:
      return true;
    case Path::Avx2:
#if defined(__x86_64__) || defined(__i386__)
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
      return false;
#endif
    case Path::Avx512:
#if defined(__x86_64__) || defined(__i386__)
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bf16") && cpu_supports(Path::Avx2);
#else
      return false;
#endif
  }
  return false;
}

Path detected_path() {
  static const Path best = cpu_supports(Path::Avx512) ? Path::Avx512 : cpu_supports(Path::Avx2) ? Path::Avx2 : Path::Portable;
  return best;
}

Path active_path() {
  read_env_once();
  const int f = forced.load(std::memory_order_relaxed);
  return f < 0 ? detected_path() : static_cast<Path>(f);
}

void set_path(const std::string& name) {
  read_env_once();
  if (name == "auto") {
    forced = -1;
    return;
  }
  Path p = parse(name);
  if (!cpu_supports(p)) fail(ErrorCode::InvalidArgument, std::string("kernel path '") + name + "' is not supported by this CPU");
  forced = static_cast<int>(p);
}

const char* path_name(Path path) {
  switch (path) {
    case Path::Off: return "off";
    case Path::Portable: return "portable";
    case Path::Avx2: return "avx2";
    case Path::Avx512: return "avx512";
  }
  return "portable";
}

std::vector<std::string> supported_paths() {
  std::vector<std::string> out;
  for (Path p : {Path::Off, Path::Portable, Path::Avx2, Path::Avx512}) {
    if (cpu_supports(p)) out.push_back(path_name(p));
  }
  return out;
}

}  // namespace svae::kernels
