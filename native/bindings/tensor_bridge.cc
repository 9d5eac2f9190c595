#include "bindings/tensor_bridge.h"

#include "bindings/dtype.h"
#include "bindings/args.h"
#include "bindings/js_errors.h"

#include <numeric>

namespace svae {

namespace {
std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
}  // namespace

BorrowedTensor borrow_typed_array(const Napi::Value& value, const std::vector<int64_t>& shape, at::ScalarType dtype) {
  const napi_typedarray_type want = typed_array_type_for(dtype);
  if (!value.IsTypedArray()) {
    fail(ErrorCode::InvalidArgument, std::string("Expected ") + typed_array_name(want) + " for data of dtype " +
                                         dtype_name(dtype) + " but received " + args::describe(value));
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  napi_typedarray_type got = array.TypedArrayType();
  if (got == napi_uint8_clamped_array) got = napi_uint8_array;
  if (got != want) {
    fail(ErrorCode::DType, std::string("Expected ") + typed_array_name(want) + " for data of dtype " + dtype_name(dtype) +
                               " but received " + typed_array_name(array.TypedArrayType()));
  }
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (static_cast<size_t>(numel) != array.ElementLength()) {
    fail(ErrorCode::Shape, "Expected " + std::to_string(numel) + " elements for shape " + shape_string(shape) +
                               " but the " + typed_array_name(got) + " has " + std::to_string(array.ElementLength()));
  }
  Napi::ArrayBuffer buffer = array.ArrayBuffer();
  auto* data = static_cast<uint8_t*>(buffer.Data()) + array.ByteOffset();
  auto ref = std::make_shared<Napi::Reference<Napi::ArrayBuffer>>(Napi::Persistent(buffer));
  at::Tensor tensor = numel == 0 ? at::empty(shape, at::TensorOptions().dtype(dtype))
                                 : at::from_blob(data, shape, at::TensorOptions().dtype(dtype));
  return {tensor, KeepAlive{ref}};
}

Napi::TypedArray typed_array_over(Napi::Env env, const at::Tensor& tensor) {
  const napi_typedarray_type type = typed_array_type_for(tensor.scalar_type());
  const size_t length = static_cast<size_t>(tensor.numel());
  Napi::ArrayBuffer buffer;
  if (length == 0) {
    buffer = Napi::ArrayBuffer::New(env, 0);
  } else {
    auto* holder = new at::Tensor(tensor);
    buffer = Napi::ArrayBuffer::New(env, tensor.data_ptr(), tensor.nbytes(),
                                    [](Napi::Env, void*, at::Tensor* owned) { delete owned; }, holder);
  }
  napi_value result;
  napi_status status = napi_create_typedarray(env, type, length, buffer, 0, &result);
  NAPI_THROW_IF_FAILED(env, status, Napi::TypedArray());
  return Napi::TypedArray(env, result);
}

KeepAlive aliases_of(const at::Tensor& result, const at::Tensor& input, const KeepAlive& from) {
  if (from.empty() || !result.defined() || !input.defined()) return {};
  if (!result.has_storage() || !input.has_storage()) return {};
  return result.storage().is_alias_of(input.storage()) ? from : KeepAlive{};
}

}  // namespace svae
