// Names of the dtypes the JS side speaks, and the TypedArray kind that carries each.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>

namespace svae {

// "float32" | "float64" | "float16" | "bfloat16" | "int8" | "int16" | "int32" | "int64" | "uint8" | "bool"
at::ScalarType parse_dtype(const std::string& name);
std::string dtype_name(at::ScalarType type);
// float16/bfloat16 travel as raw 16-bit patterns in a Uint16Array; bool as 0/1 bytes in a Uint8Array.
napi_typedarray_type typed_array_type_for(at::ScalarType type);
const char* typed_array_name(napi_typedarray_type type);

}  // namespace svae
