#include "storage/pepper.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/secrets.h"

namespace bodyshape::storage {
namespace {

constexpr std::size_t kPepperBytes = 32;

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kUnavailable, what + " " + path + ": " + std::strerror(errno));
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string trim(const std::string& text) {
  constexpr const char* kSpace = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// Ok(pepper), or an error whose code is kNotFound when the file does not exist.
Result<std::string> read_pepper(const std::string& path) {
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kNotFound, "no pepper file " + path);
    return io_error("cannot open pepper file", path);
  }
  std::string content;
  char buffer[256];
  while (true) {
    const ssize_t got = ::read(file.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_error("cannot read pepper file", path);
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > 4096) {
      return make_error(ErrorCode::kInvalidArgument, "pepper file " + path + " is too large");
    }
  }
  std::string pepper = trim(content);
  if (pepper.size() < kMinPepperChars) {
    return make_error(ErrorCode::kInvalidArgument, "pepper file " + path + " holds fewer than " +
                                                       std::to_string(kMinPepperChars) +
                                                       " characters");
  }
  return pepper;
}

Status write_all(int fd, const std::string& text, const std::string& path) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t done = ::write(fd, text.data() + written, text.size() - written);
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) return io_error("cannot write pepper file", path);
    written += static_cast<std::size_t>(done);
  }
  return Ok{};
}

// Writes a fresh pepper to a private temporary file, then link(2)s it into place: link never
// replaces an existing file, so a concurrent creator's pepper wins and nobody reads a half file.
Status create_pepper(const std::string& path) {
  Result<std::string> pepper = random_hex(kPepperBytes);
  if (!pepper) return pepper.error();
  std::string temporary = path + ".XXXXXX";
  const FileDescriptor file(::mkstemp(temporary.data()));  // mode 0600
  if (file.get() < 0) return io_error("cannot create pepper file", path);
  Status written = write_all(file.get(), *pepper + "\n", temporary);
  if (written && (::fchmod(file.get(), 0600) != 0 || ::fsync(file.get()) != 0)) {
    written = io_error("cannot write pepper file", temporary);
  }
  if (written && ::link(temporary.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    written = io_error("cannot create pepper file", path);
  }
  ::unlink(temporary.c_str());
  return written;
}

}  // namespace

Result<std::string> load_or_create_pepper(const std::string& path) {
  Result<std::string> existing = read_pepper(path);
  if (existing || existing.error().code != ErrorCode::kNotFound) return existing;
  if (Status created = create_pepper(path); !created) return created.error();
  return read_pepper(path);
}

}  // namespace bodyshape::storage
