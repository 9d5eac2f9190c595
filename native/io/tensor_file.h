// Raw tensor bytes to and from files (the data part of safetensors). What the bytes mean (the
// header) is decided in TypeScript; this layer only moves bytes, never through JS buffers.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace svae {

struct TensorSlice {
  at::ScalarType dtype;
  std::vector<int64_t> shape;
  int64_t offset;  // absolute byte offset in the file
  int64_t nbytes;
  // When set, the CRC-32 the bytes must have (a zip entry's, from its central directory); it is
  // computed chunk by chunk as the bytes are read (no second pass over the file). `name` (the
  // zip entry) labels a mismatch.
  bool check_crc = false;
  uint32_t crc32 = 0;
  std::string name;
};

// Reads each slice into a new CPU tensor. The path must be a regular file (a FIFO or a device
// is refused without blocking). Short reads are a clear "truncated" error; a CRC mismatch names
// the entry.
std::vector<torch::Tensor> read_tensor_slices(const std::string& path, const std::vector<TensorSlice>& slices);

struct StridedView {
  size_t storage;  // index into the storages read
  int64_t offset;  // elements
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
};

// Reads each storage slice once (1-D), then materializes each view (as_strided, contiguous
// copy) after checking that it stays inside its storage: a file can never make us read out of
// bounds. Shared storages (e.g. a tied lm_head) are read once.
std::vector<torch::Tensor> read_strided_views(const std::string& path, const std::vector<TensorSlice>& storages, const std::vector<StridedView>& views);

// Writes `header` then each tensor's bytes (CPU, contiguous) to a temporary file beside `path`,
// fsyncs it, renames it over `path` and fsyncs the folder: `path` is either the old file or
// the complete new one, never a half-written one.
void write_tensor_file_atomic(const std::string& path, const std::vector<uint8_t>& header, const std::vector<torch::Tensor>& tensors);

}  // namespace svae
