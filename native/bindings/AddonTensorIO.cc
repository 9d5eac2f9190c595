// JS functions `io.readTensorSlices` and `io.writeTensorFile`: the byte-moving half of
// safetensors I/O (the header is parsed and built in lib/io/safetensors.ts).
#include "bindings/AddonTensorIO.h"

#include "bindings/AddonTensor.h"
#include "bindings/dtype.h"
#include "bindings/args.h"
#include "bindings/async_task.h"
#include "bindings/js_errors.h"
#include "io/tensor_file.h"

namespace svae {

namespace {

// readTensorSlices(path, [{ dtype, shape, offset, nbytes }]) -> Promise<NativeTensor[]> (CPU)
Napi::Value ReadTensorSlices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    std::string path = args::string(info, 0, "path");
    if (!info[1].IsArray()) fail(ErrorCode::InvalidArgument, "Expected array of slices for slices but received " + args::describe(info[1]));
    Napi::Array list = info[1].As<Napi::Array>();
    std::vector<TensorSlice> slices;
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Object s = list.Get(i).As<Napi::Object>();
      TensorSlice slice;
      slice.dtype = parse_dtype(s.Get("dtype").As<Napi::String>().Utf8Value());
      Napi::Array dims = s.Get("shape").As<Napi::Array>();
      for (uint32_t d = 0; d < dims.Length(); d++) slice.shape.push_back(static_cast<int64_t>(dims.Get(d).As<Napi::Number>().DoubleValue()));
      slice.offset = static_cast<int64_t>(s.Get("offset").As<Napi::Number>().DoubleValue());
      slice.nbytes = static_cast<int64_t>(s.Get("nbytes").As<Napi::Number>().DoubleValue());
      slices.push_back(slice);
    }
    return run_async(env, "svae.io.read", [path, slices]() -> Finish {
      auto tensors = read_tensor_slices(path, slices);
      return [tensors](Napi::Env env) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, tensors.size());
        for (size_t i = 0; i < tensors.size(); i++) out.Set(static_cast<uint32_t>(i), AddonTensor::Wrap(env, tensors[i]));
        return out;
      };
    });
  });
}

// writeTensorFile(path, header: Uint8Array, tensors: NativeTensor[]) -> Promise<void> (atomic)
Napi::Value WriteTensorFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    std::string path = args::string(info, 0, "path");
    if (!info[1].IsTypedArray()) fail(ErrorCode::InvalidArgument, "Expected Uint8Array for header but received " + args::describe(info[1]));
    Napi::Uint8Array h = info[1].As<Napi::Uint8Array>();
    std::vector<uint8_t> header(h.Data(), h.Data() + h.ByteLength());
    if (!info[2].IsArray()) fail(ErrorCode::InvalidArgument, "Expected array of Tensors for tensors but received " + args::describe(info[2]));
    Napi::Array list = info[2].As<Napi::Array>();
    std::vector<at::Tensor> tensors;
    std::vector<Napi::Object> owners{list};
    for (uint32_t i = 0; i < list.Length(); i++) tensors.push_back(AddonTensor::From(list.Get(i), "tensors[i]")->tensor());
    return run_async(env, "svae.io.write", [path, header, tensors]() -> Finish {
      write_tensor_file_atomic(path, header, tensors);
      return nullptr;
    }, owners);
  });
}

// readStridedViews(path, storages: [{ dtype, offset, nbytes, crc32?, name? }], views: [{ storage, offset, shape, stride }])
//   -> Promise<NativeTensor[]> (CPU, contiguous)
Napi::Value ReadStridedViews(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    std::string path = args::string(info, 0, "path");
    if (!info[1].IsArray() || !info[2].IsArray()) fail(ErrorCode::InvalidArgument, "Expected arrays of storages and views");
    auto num = [](const Napi::Object& o, const char* k) { return static_cast<int64_t>(o.Get(k).As<Napi::Number>().DoubleValue()); };
    auto ints = [](const Napi::Value& v) {
      std::vector<int64_t> out;
      Napi::Array a = v.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) out.push_back(static_cast<int64_t>(a.Get(i).As<Napi::Number>().DoubleValue()));
      return out;
    };
    std::vector<TensorSlice> storages;
    Napi::Array sa = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < sa.Length(); i++) {
      Napi::Object s = sa.Get(i).As<Napi::Object>();
      TensorSlice slice{parse_dtype(s.Get("dtype").As<Napi::String>().Utf8Value()), {}, num(s, "offset"), num(s, "nbytes")};
      // crc32 (optional): the zip directory's CRC-32 of this storage, checked while reading.
      if (s.Has("crc32") && s.Get("crc32").IsNumber()) {
        slice.check_crc = true;
        slice.crc32 = static_cast<uint32_t>(s.Get("crc32").As<Napi::Number>().Int64Value());
      }
      if (s.Has("name") && s.Get("name").IsString()) slice.name = s.Get("name").As<Napi::String>().Utf8Value();
      storages.push_back(slice);
    }
    std::vector<StridedView> views;
    Napi::Array va = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < va.Length(); i++) {
      Napi::Object v = va.Get(i).As<Napi::Object>();
      views.push_back({static_cast<size_t>(num(v, "storage")), num(v, "offset"), ints(v.Get("shape")), ints(v.Get("stride"))});
    }
    return run_async(env, "svae.io.readStrided", [path, storages, views]() -> Finish {
      auto tensors = read_strided_views(path, storages, views);
      return [tensors](Napi::Env env) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, tensors.size());
        for (size_t i = 0; i < tensors.size(); i++) out.Set(static_cast<uint32_t>(i), AddonTensor::Wrap(env, tensors[i]));
        return out;
      };
    });
  });
}

}  // namespace

void InitTensorIO(Napi::Env env, Napi::Object exports) {
  Napi::Object io = Napi::Object::New(env);
  io.Set("readTensorSlices", Napi::Function::New<ReadTensorSlices>(env, "readTensorSlices"));
  io.Set("writeTensorFile", Napi::Function::New<WriteTensorFile>(env, "writeTensorFile"));
  io.Set("readStridedViews", Napi::Function::New<ReadStridedViews>(env, "readStridedViews"));
  exports.Set("io", io);
}

}  // namespace svae
