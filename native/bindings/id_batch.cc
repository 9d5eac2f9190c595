#include "bindings/id_batch.h"

#include "bindings/args.h"
#include "bindings/js_errors.h"

namespace svae {

IdBatch read_id_batch(const Napi::CallbackInfo& info, size_t index, size_t rank) {
  auto shape = args::shape(info, index + 1, "shape");
  bool positive = true;
  for (int64_t d : shape) positive = positive && d >= 1;
  if (shape.size() != rank || !positive) {
    fail(ErrorCode::Shape, rank == 2 ? "Expected shape [batch, length] with both >= 1 for a batch of token ids"
                                     : "Expected shape [paragraphs, sentences, length] with all >= 1 for a paragraph batch");
  }
  BorrowedTensor ids = borrow_typed_array(info[index], shape, at::kInt);
  BorrowedTensor lengths = borrow_typed_array(info[index + 2], std::vector<int64_t>(shape.begin(), shape.end() - 1), at::kInt);
  IdBatch batch{ids.tensor, lengths.tensor, ids.keep_alive, {info[index].As<Napi::Object>(), info[index + 2].As<Napi::Object>()}};
  batch.keep_alive.insert(batch.keep_alive.end(), lengths.keep_alive.begin(), lengths.keep_alive.end());
  return batch;
}

std::pair<torch::Tensor, torch::Tensor> device_id_batch(const IdBatch& batch, const torch::Device& device, int64_t vocab, int64_t min_length) {
  const int64_t length = batch.ids.size(-1);
  if (batch.ids.numel() > 0) {
    const int64_t lo = batch.ids.min().item<int64_t>(), hi = batch.ids.max().item<int64_t>();
    if (lo < 0 || hi >= vocab) {
      fail(ErrorCode::InvalidArgument, "Expected token ids in [0, " + std::to_string(vocab) + ") but found " + std::to_string(lo < 0 ? lo : hi));
    }
  }
  const int64_t shortest = batch.lengths.min().item<int64_t>(), longest = batch.lengths.max().item<int64_t>();
  if (shortest < min_length || longest > length) {
    fail(ErrorCode::InvalidArgument, "Expected lengths in [" + std::to_string(min_length) + ", " + std::to_string(length) + "] but found " +
                                         std::to_string(shortest < min_length ? shortest : longest));
  }
  return {batch.ids.to(device, torch::kLong), batch.lengths.to(device, torch::kLong)};
}

}  // namespace svae
