#include "bridge/id_batch.h"

#include "core/args.h"
#include "core/errors.h"

namespace svae {

IdBatch read_id_batch(const Napi::CallbackInfo& info, size_t index) {
  auto shape = args::shape(info, index + 1, "shape");
  if (shape.size() != 2 || shape[0] < 1 || shape[1] < 1) {
    fail(ErrorCode::Shape, "Expected shape [batch, length] with both >= 1 for a batch of token ids");
  }
  BorrowedTensor ids = borrow_typed_array(info[index], shape, at::kInt);
  BorrowedTensor lengths = borrow_typed_array(info[index + 2], {shape[0]}, at::kInt);
  IdBatch batch{ids.tensor, lengths.tensor, ids.keep_alive, {info[index].As<Napi::Object>(), info[index + 2].As<Napi::Object>()}};
  batch.keep_alive.insert(batch.keep_alive.end(), lengths.keep_alive.begin(), lengths.keep_alive.end());
  return batch;
}

std::pair<torch::Tensor, torch::Tensor> device_id_batch(const IdBatch& batch, const torch::Device& device, int64_t vocab) {
  const int64_t length = batch.ids.size(1);
  if (batch.ids.numel() > 0) {
    const int64_t lo = batch.ids.min().item<int64_t>(), hi = batch.ids.max().item<int64_t>();
    if (lo < 0 || hi >= vocab) {
      fail(ErrorCode::InvalidArgument, "Expected token ids in [0, " + std::to_string(vocab) + ") but found " + std::to_string(lo < 0 ? lo : hi));
    }
  }
  const int64_t shortest = batch.lengths.min().item<int64_t>(), longest = batch.lengths.max().item<int64_t>();
  if (shortest < 1 || longest > length) {
    fail(ErrorCode::InvalidArgument, "Expected lengths in [1, " + std::to_string(length) + "] but found " + std::to_string(shortest < 1 ? shortest : longest));
  }
  return {batch.ids.to(device, torch::kLong), batch.lengths.to(device, torch::kLong)};
}

}  // namespace svae
