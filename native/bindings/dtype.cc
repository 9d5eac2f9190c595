#include "bindings/dtype.h"

#include "bindings/js_errors.h"

namespace svae {

napi_typedarray_type typed_array_type_for(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return napi_float32_array;
    case at::kDouble: return napi_float64_array;
    case at::kHalf: case at::kBFloat16: return napi_uint16_array;
    case at::kChar: return napi_int8_array;
    case at::kShort: return napi_int16_array;
    case at::kInt: return napi_int32_array;
    case at::kLong: return napi_bigint64_array;
    case at::kByte: case at::kBool: return napi_uint8_array;
    default: break;
  }
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
