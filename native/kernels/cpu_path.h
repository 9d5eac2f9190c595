// Which instruction set the decode kernels use: chosen once from what the CPU reports, and
// forced (tests, benchmarks) with SENTENCEVAE_KERNELS=off|portable|avx2|avx512 or set_path().
// "off" routes fp32/bf16 linears to LibTorch (int8 then goes through a dequantized LibTorch
// reference), so every kernel can be compared with LibTorch in one process.
#pragma once
#include <string>
#include <vector>

namespace svae::kernels {

enum class Path { Off, Portable, Avx2, Avx512 };

// avx512: F+BW+VL+VNNI+BF16 (Cooper Lake, Sapphire Rapids, Zen 4 and later) — one path, not a
// combinatorial family; avx2: AVX2+FMA+F16C (Haswell / Zen 1 and later); portable: plain C++.
bool cpu_supports(Path path);
Path detected_path();  // the best one this CPU supports
Path active_path();    // the forced one, else detected_path()
// Forces a path for the whole process; throws InvalidArgument for an unknown name or one the
// CPU lacks.
void set_path(const std::string& name);
const char* path_name(Path path);
std::vector<std::string> supported_paths();

}  // namespace svae::kernels
