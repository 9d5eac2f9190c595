#include "bridge/dtype.h"

#include "core/errors.h"

namespace svae {

namespace {
struct DTypeEntry {
  const char* name;
  at::ScalarType type;
  napi_typedarray_type array;
};

constexpr DTypeEntry kDTypes[] = {
    {"float32", at::kFloat, napi_float32_array},   {"float64", at::kDouble, napi_float64_array},
    {"float16", at::kHalf, napi_uint16_array},     {"bfloat16", at::kBFloat16, napi_uint16_array},
    {"int8", at::kChar, napi_int8_array},          {"int16", at::kShort, napi_int16_array},
    {"int32", at::kInt, napi_int32_array},         {"int64", at::kLong, napi_bigint64_array},
    {"uint8", at::kByte, napi_uint8_array},        {"bool", at::kBool, napi_uint8_array},
};
}  // namespace

at::ScalarType parse_dtype(const std::string& name) {
  for (const auto& e : kDTypes)
    if (name == e.name) return e.type;
  fail(ErrorCode::DType,
       "Expected dtype float32, float64, float16, bfloat16, int8, int16, int32, int64, uint8 or bool but received '" + name + "'");
}

std::string dtype_name(at::ScalarType type) {
  for (const auto& e : kDTypes)
    if (type == e.type) return e.name;
  return c10::toString(type);
}

napi_typedarray_type typed_array_type_for(at::ScalarType type) {
  for (const auto& e : kDTypes)
    if (type == e.type) return e.array;
  fail(ErrorCode::DType, std::string("dtype ") + c10::toString(type) + " has no TypedArray counterpart");
}

const char* typed_array_name(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

}  // namespace svae
