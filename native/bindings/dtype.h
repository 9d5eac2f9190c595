// The TypedArray kind that carries each dtype across the Node-API boundary.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "core/dtype.h"

namespace svae {

// float16/bfloat16 travel as raw 16-bit patterns in a Uint16Array; bool as 0/1 bytes in a Uint8Array.
napi_typedarray_type typed_array_type_for(at::ScalarType type);
const char* typed_array_name(napi_typedarray_type type);

}  // namespace svae
