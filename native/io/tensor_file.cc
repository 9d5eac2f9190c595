#include "io/tensor_file.h"

#include "core/errors.h"
#include "io/crc32.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace svae {

namespace {

std::string errno_text() { return std::strerror(errno); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

void write_all(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(ErrorCode::Native, "writing " + path + ": " + errno_text());
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Opens a regular file for reading. O_NONBLOCK: a FIFO put in place of the file makes open()
// return at once instead of waiting for a writer forever; fstat then refuses it (and devices
// such as /dev/urandom, which would read without end).
int open_regular(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(ErrorCode::Native, "opening " + path + ": " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(ErrorCode::Native, "Expected a regular file for " + path + " but received " + (S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)" : S_ISDIR(st.st_mode) ? "a directory" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file"));
  }
  return fd;
}

std::string hex32(uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Bytes per pread: the CRC of a chunk is computed right after it lands, while it is still in
// the cache, so checking costs no second trip through memory.
constexpr int64_t kChunk = 1 << 20;

}  // namespace

std::vector<torch::Tensor> read_tensor_slices(const std::string& path, const std::vector<TensorSlice>& slices) {
  Fd fd(open_regular(path));
  std::vector<torch::Tensor> out;
  for (const auto& slice : slices) {
    torch::Tensor t = torch::empty(slice.shape, torch::TensorOptions().dtype(slice.dtype));
    if (static_cast<int64_t>(t.nbytes()) != slice.nbytes) {
      fail(ErrorCode::Shape, path + ": a tensor of " + std::to_string(t.nbytes()) + " bytes was declared with " + std::to_string(slice.nbytes));
    }
    auto* data = static_cast<uint8_t*>(t.data_ptr());
    int64_t done = 0;
    uint32_t crc = 0;
    while (done < slice.nbytes) {
      ssize_t n = ::pread(fd.get(), data + done, static_cast<size_t>(std::min(kChunk, slice.nbytes - done)), slice.offset + done);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(ErrorCode::Native, "reading " + path + ": " + errno_text());
      }
      if (n == 0) fail(ErrorCode::Native, path + " is truncated: tensor data ends at byte " + std::to_string(slice.offset + done));
      if (slice.check_crc) crc = crc32_update(crc, data + done, static_cast<size_t>(n));
      done += n;
    }
    if (slice.check_crc && crc != slice.crc32) {
      fail(ErrorCode::Native, "entry " + (slice.name.empty() ? std::string("at byte ") + std::to_string(slice.offset) : slice.name) +
                                  " is corrupt: its CRC-32 is " + hex32(crc) + " but the zip directory says " + hex32(slice.crc32));
    }
    out.push_back(t);
  }
  return out;
}

std::vector<torch::Tensor> read_strided_views(const std::string& path, const std::vector<TensorSlice>& storages, const std::vector<StridedView>& views) {
  std::vector<TensorSlice> flat = storages;
  for (auto& s : flat) {
    const int64_t item = static_cast<int64_t>(c10::elementSize(s.dtype));
    if (s.nbytes % item != 0) fail(ErrorCode::Shape, path + ": a storage of " + std::to_string(s.nbytes) + " bytes is not a whole number of elements");
    s.shape = {s.nbytes / item};
  }
  std::vector<torch::Tensor> data = read_tensor_slices(path, flat);
  std::vector<torch::Tensor> out;
  for (const auto& v : views) {
    if (v.storage >= data.size()) fail(ErrorCode::Shape, path + ": a tensor refers to a missing storage");
    if (v.shape.size() != v.stride.size()) fail(ErrorCode::Shape, path + ": a tensor's size and stride differ in length");
    const int64_t numel = data[v.storage].numel();
    bool empty = false;
    int64_t last = v.offset;
    for (size_t d = 0; d < v.shape.size(); d++) {
      if (v.shape[d] < 0 || v.stride[d] < 0) fail(ErrorCode::Shape, path + ": negative size or stride");
      if (v.shape[d] == 0) empty = true;
      else last += (v.shape[d] - 1) * v.stride[d];
    }
    if (v.offset < 0 || (!empty && last >= numel)) {
      fail(ErrorCode::Shape, path + ": a tensor view reaches element " + std::to_string(last) + " of a storage of " + std::to_string(numel));
    }
    out.push_back(empty ? torch::empty(v.shape, data[v.storage].options()) : data[v.storage].as_strided(v.shape, v.stride, v.offset).clone(at::MemoryFormat::Contiguous));
  }
  return out;
}

void write_tensor_file_atomic(const std::string& path, const std::vector<uint8_t>& header, const std::vector<torch::Tensor>& tensors) {
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) fail(ErrorCode::Native, "creating " + tmp + ": " + errno_text());
    try {
      write_all(fd.get(), header.data(), header.size(), tmp);
      for (const auto& t : tensors) {
        torch::Tensor c = t.to(torch::kCPU).contiguous();
        write_all(fd.get(), static_cast<const uint8_t*>(c.data_ptr()), c.nbytes(), tmp);
      }
      if (::fsync(fd.get()) != 0) fail(ErrorCode::Native, "fsync " + tmp + ": " + errno_text());
      if (::close(fd.release()) != 0) fail(ErrorCode::Native, "closing " + tmp + ": " + errno_text());
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    fail(ErrorCode::Native, "renaming " + tmp + " to " + path + ": " + why);
  }
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
}

}  // namespace svae
