#include "storage/local_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace bodyshape::storage {
namespace {

namespace fs = std::filesystem;

bool is_within(const fs::path& root, const fs::path& path) {
  const auto [root_end, path_at] =
      std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

std::string describe(const ObjectRef& ref) {
  return ref.bucket + "/" + ref.key;
}

// Closes the descriptor on every path out of get().
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

LocalObjectStore::LocalObjectStore(std::string root, int64_t max_object_bytes)
    : root_(std::move(root)), max_object_bytes_(max_object_bytes) {}

Result<std::vector<uint8_t>> LocalObjectStore::get(const ObjectRef& ref) {
  if (Status valid = validate_object_ref(ref); !valid) return valid.error();

  std::error_code error;
  fs::path root = fs::weakly_canonical(fs::absolute(root_), error);
  if (error) {
    return make_error(ErrorCode::kUnavailable,
                      "local object store root " + root_ + ": " + error.message());
  }
  if (root.filename().empty()) root = root.parent_path();  // "dir/" -> "dir"

  const fs::path candidate = (root / ref.bucket / ref.key).lexically_normal();
  if (!is_within(root, candidate)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "imgSrc refused: " + describe(ref) + " is outside the object store");
  }
  // Resolves every symlink of the existing part of the path.
  const fs::path resolved = fs::weakly_canonical(candidate, error);
  if (error) {
    return make_error(ErrorCode::kUnavailable,
                      "cannot resolve " + describe(ref) + ": " + error.message());
  }
  if (!is_within(root, resolved)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "imgSrc refused: " + describe(ref) + " links outside the object store");
  }

  const FileDescriptor file(open(resolved.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (file.get() < 0) {
    const int open_errno = errno;
    if (open_errno == ENOENT || open_errno == ENOTDIR) {
      return make_error(ErrorCode::kNotFound, "object " + describe(ref) + " not found");
    }
    if (open_errno == ELOOP) {
      return make_error(ErrorCode::kInvalidArgument,
                        "imgSrc refused: " + describe(ref) + " is a symbolic link");
    }
    return make_error(ErrorCode::kUnavailable,
                      "cannot open " + describe(ref) + ": " + std::strerror(open_errno));
  }
  struct stat info {};
  if (fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return make_error(ErrorCode::kNotFound, "object " + describe(ref) + " is not a file");
  }
  if (info.st_size > max_object_bytes_) {
    return make_error(ErrorCode::kResourceExhausted,
                      "object " + describe(ref) + " is larger than the " +
                          std::to_string(max_object_bytes_) + "-byte limit");
  }

  // Read until EOF, not just st_size bytes: the file may grow between fstat and read.
  std::vector<uint8_t> bytes(static_cast<size_t>(info.st_size) + 1);
  size_t filled = 0;
  while (true) {
    if (filled == bytes.size()) {
      if (static_cast<int64_t>(filled) > max_object_bytes_) {
        return make_error(ErrorCode::kResourceExhausted,
                          "object " + describe(ref) + " is larger than the " +
                              std::to_string(max_object_bytes_) + "-byte limit");
      }
      bytes.resize(std::min<size_t>(bytes.size() * 2, static_cast<size_t>(max_object_bytes_) + 1));
    }
    const ssize_t got = read(file.get(), bytes.data() + filled, bytes.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      return make_error(ErrorCode::kUnavailable,
                        "cannot read " + describe(ref) + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    filled += static_cast<size_t>(got);
  }
  bytes.resize(filled);
  return bytes;
}

}  // namespace bodyshape::storage
