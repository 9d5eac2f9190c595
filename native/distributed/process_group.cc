#include "distributed/process_group.h"

#include "core/errors.h"
#include "core/torch_shim.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

namespace svae::dist {

bool nccl_available() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

struct Group::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<shim::C10dBackend> backend;
  // Set by the first failed collective: the group is unusable afterwards (a peer is gone or the
  // mesh is out of step), so later calls fail at once with the original cause.
  std::string broken;
};

namespace {

std::string seconds(std::chrono::milliseconds t) {
  const double s = static_cast<double>(t.count()) / 1000.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string reason(const std::exception& e) {
  if (auto* c10 = dynamic_cast<const c10::Error*>(&e)) return shim::clean_torch_message(*c10);
  return e.what();
}

// Gloo's network device: GLOO_SOCKET_IFNAME when set (as PyTorch), loopback when the master is
// on this machine's loopback, else the interface this host name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (master == "localhost" || master.rfind("127.", 0) == 0) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

Group::Group(const GroupOptions& o) : options_(o), impl_(std::make_unique<Impl>()) {
  if (o.world_size < 1) fail(ErrorCode::InvalidArgument, "Expected a positive integer for worldSize but received " + std::to_string(o.world_size));
  if (o.rank < 0 || o.rank >= o.world_size) {
    fail(ErrorCode::InvalidArgument, "Expected an integer in [0, " + std::to_string(o.world_size - 1) + "] for rank but received " + std::to_string(o.rank));
  }
  if (o.port < 1 || o.port > 65535) fail(ErrorCode::InvalidArgument, "Expected an integer in [1, 65535] for port but received " + std::to_string(o.port));
  if (o.backend != "gloo" && o.backend != "nccl") fail(ErrorCode::InvalidArgument, "Expected 'gloo' or 'nccl' for backend but received '" + o.backend + "'");
  if (o.backend == "nccl" && !nccl_available()) {
    fail(ErrorCode::Device, "backend 'nccl' needs a LibTorch built with CUDA and NCCL; this one (" + shim::torch_version() +
                                ") has none: use backend 'gloo' (CPU tensors), or build against a CUDA LibTorch");
  }
  const std::string where = "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size);
  const std::string master = o.master_addr + ":" + std::to_string(o.port);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<std::size_t>(o.world_size);
    so.waitWorkers = false;  // the backend's own rendezvous below waits for every rank, with the timeout
    so.timeout = o.connect_timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
  } catch (const std::exception& e) {
    fail(ErrorCode::Distributed, where + ": could not " + (o.rank == 0 ? "host" : "reach") + " the rendezvous store at " + master +
                                     " within " + seconds(o.connect_timeout) + " s (" + reason(e) + "). Check MASTER_ADDR / MASTER_PORT" +
                                     (o.rank == 0 ? " (is the port free?)" : " and that rank 0 is running"));
  }
  try {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("sentencevae", impl_->store);
    if (o.backend == "gloo") {
      auto go = c10d::ProcessGroupGloo::Options::create(o.timeout);
      go->devices.push_back(gloo_device(o.master_addr));
      go->threads = std::max(1, o.gloo_threads);
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, o.rank, o.world_size, go);
    } else {
#ifdef USE_C10D_NCCL
      auto no = c10d::ProcessGroupNCCL::Options::create();
      no->timeout = o.timeout;
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, o.rank, o.world_size, no);
#endif
    }
  } catch (const std::exception& e) {
    fail(ErrorCode::Distributed, where + ": the process group did not form within " + seconds(o.connect_timeout) + " s (" + reason(e) +
                                     "). Every rank 0.." + std::to_string(o.world_size - 1) + " must start with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE");
  }
}

Group::~Group() = default;

void Group::close() { impl_.reset(); }

namespace {

template <class Op>
void collective(Group::Impl* impl, const GroupOptions& o, const char* what, Op&& op) {
  if (!impl) fail(ErrorCode::Disposed, "this DistributedContext was disposed");
  if (!impl->broken.empty()) fail(ErrorCode::Distributed, impl->broken);
  try {
    op(*impl->backend);
  } catch (const std::exception& e) {
    std::string why = reason(e);
    while (!why.empty() && (why.back() == '.' || why.back() == ' ')) why.pop_back();
    impl->broken = "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size) + ": " + what + " failed: " + why +
                   " (a peer exited, or did not answer within the collective timeout of " + seconds(o.timeout) + " s)";
    fail(ErrorCode::Distributed, impl->broken);
  }
}

void wait(const c10::intrusive_ptr<c10d::Work>& work, std::chrono::milliseconds timeout) {
  if (!work->wait(timeout)) throw std::runtime_error("timed out");
}

// Tensors grouped into flat buffers: same dtype and device, at most `cap` bytes (a larger
// tensor is a bucket of its own).
std::vector<std::vector<size_t>> buckets(const std::vector<torch::Tensor>& tensors, int64_t cap) {
  std::map<std::pair<int, std::string>, std::vector<size_t>> open;
  std::map<std::pair<int, std::string>, int64_t> filled;
  std::vector<std::vector<size_t>> out;
  for (size_t i = 0; i < tensors.size(); i++) {
    const auto& t = tensors[i];
    const auto key = std::make_pair(static_cast<int>(t.scalar_type()), t.device().str());
    const int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
    auto& b = open[key];
    if (!b.empty() && filled[key] + bytes > cap) {
      out.push_back(std::move(b));
      b.clear();
      filled[key] = 0;
    }
    b.push_back(i);
    filled[key] += bytes;
  }
  for (auto& [key, b] : open) if (!b.empty()) out.push_back(std::move(b));
  return out;
}

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors, const std::vector<size_t>& bucket) {
  std::vector<torch::Tensor> flat;
  flat.reserve(bucket.size());
  for (size_t i : bucket) flat.push_back(tensors[i].reshape({-1}));
  return torch::cat(flat);
}

void unflatten(const torch::Tensor& flat, std::vector<torch::Tensor>& tensors, const std::vector<size_t>& bucket) {
  int64_t offset = 0;
  for (size_t i : bucket) {
    const int64_t n = tensors[i].numel();
    tensors[i].copy_(flat.narrow(0, offset, n).view(tensors[i].sizes()));
    offset += n;
  }
}

}  // namespace

void Group::barrier() {
  collective(impl_.get(), options_, "barrier", [&](shim::C10dBackend& b) {
    // A barrier is an all-reduce of one element: Gloo's own barrier takes no timeout per call.
    std::vector<torch::Tensor> one{torch::zeros({1})};
    wait(b.allreduce(one), options_.timeout);
  });
}

void Group::all_reduce(std::vector<torch::Tensor>& tensors, bool average, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  collective(impl_.get(), options_, "all-reduce", [&](shim::C10dBackend& b) {
    const auto groups = buckets(tensors, bucket_bytes);
    std::vector<torch::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (const auto& g : groups) {
      flats.push_back(flatten(tensors, g));
      std::vector<torch::Tensor> one{flats.back()};
      c10d::AllreduceOptions ao;
      ao.reduceOp = c10d::ReduceOp::SUM;  // Gloo has no AVG: divided below
      ao.timeout = options_.timeout;
      works.push_back(b.allreduce(one, ao));
    }
    for (size_t k = 0; k < groups.size(); k++) {
      wait(works[k], options_.timeout);
      if (average && options_.world_size > 1) flats[k].div_(options_.world_size);
      unflatten(flats[k], tensors, groups[k]);
    }
  });
}

void Group::broadcast(std::vector<torch::Tensor>& tensors, int root, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  if (root < 0 || root >= options_.world_size) {
    fail(ErrorCode::InvalidArgument, "Expected an integer in [0, " + std::to_string(options_.world_size - 1) + "] for root but received " + std::to_string(root));
  }
  collective(impl_.get(), options_, "broadcast", [&](shim::C10dBackend& b) {
    const auto groups = buckets(tensors, bucket_bytes);
    std::vector<torch::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (const auto& g : groups) {
      flats.push_back(flatten(tensors, g));
      std::vector<torch::Tensor> one{flats.back()};
      c10d::BroadcastOptions bo;
      bo.rootRank = root;
      bo.timeout = options_.timeout;
      works.push_back(b.broadcast(one, bo));
    }
    for (size_t k = 0; k < groups.size(); k++) {
      wait(works[k], options_.timeout);
      if (options_.rank != root) unflatten(flats[k], tensors, groups[k]);
    }
  });
}

}  // namespace svae::dist
