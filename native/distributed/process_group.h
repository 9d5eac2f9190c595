// A torch.distributed (c10d) process group for data-parallel training: TCPStore rendezvous,
// ProcessGroupGloo on the CPU and ProcessGroupNCCL on CUDA (only where LibTorch was built with
// it). Pure LibTorch: the N-API glue is bindings/AddonDistributed.*.
//
// Every collective waits at most `timeout`: a peer that died closes its sockets (Gloo reports it
// at once), a peer that hangs runs the wait out; either way the call throws
// svae::Error{Distributed} naming the operation and this rank, never blocks forever.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace svae::dist {

struct GroupOptions {
  std::string master_addr = "127.0.0.1";
  int port = 29500;
  int rank = 0;
  int world_size = 1;
  std::string backend = "gloo";  // "gloo" | "nccl"
  std::chrono::milliseconds timeout{1800 * 1000};          // every collective
  std::chrono::milliseconds connect_timeout{1800 * 1000};  // forming the group (all ranks joined)
  int gloo_threads = 1;  // Gloo's worker threads per group (the math runs on the caller's)
};

// True when this LibTorch has ProcessGroupNCCL (a CUDA build with NCCL).
bool nccl_available();

class Group {
 public:
  // Rendezvous: rank 0 hosts the TCPStore on master_addr:port, every rank connects, then the
  // backend connects the full mesh. Throws (Distributed) when a rank is missing, the port is
  // wrong or taken, or anything else keeps the group from forming within the timeout.
  explicit Group(const GroupOptions& options);
  ~Group();

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  const std::string& backend() const { return options_.backend; }
  std::chrono::milliseconds timeout() const { return options_.timeout; }

  void barrier();
  // Sums (average = true: then divides by the world size) the tensors in place, bucketed: the
  // tensors are flattened into buffers of at most `bucket_bytes` per dtype and device, one
  // collective per buffer, all in flight together.
  void all_reduce(std::vector<torch::Tensor>& tensors, bool average, int64_t bucket_bytes = 25 << 20);
  // Copies `root`'s tensors into every rank's (in place), bucketed like all_reduce.
  void broadcast(std::vector<torch::Tensor>& tensors, int root, int64_t bucket_bytes = 25 << 20);
  // Closes the group (idempotent); later calls throw Disposed.
  void close();
  bool closed() const { return !impl_; }

  struct Impl;  // the c10d objects (opaque here: no c10d header leaks into includers)

 private:
  GroupOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace svae::dist
