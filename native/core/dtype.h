// Names of the dtypes the JS side speaks (pure LibTorch; the TypedArray that carries each is
// the bindings' concern: bindings/dtype.h).
#pragma once
#include <torch/torch.h>

#include <string>

namespace svae {

// "float32" | "float64" | "float16" | "bfloat16" | "int8" | "int16" | "int32" | "int64" | "uint8" | "bool"
at::ScalarType parse_dtype(const std::string& name);
std::string dtype_name(at::ScalarType type);

}  // namespace svae
