#include "support/s3rver.h"
#include "support/testdata.h"

#include <httplib.h>

#include "storage/s3_signer.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

namespace bodyshape::testing {
namespace {

const std::string kModuleDir = std::string(BODYSHAPE_SOURCE_DIR) + "/node_modules/s3rver";
const std::string kScript = std::string(BODYSHAPE_SOURCE_DIR) + "/tests/support/s3rver_main.js";

// Reads one line from fd within the deadline; empty if none came.
std::string read_line(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string line;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
    char c = 0;
    if (read(fd, &c, 1) != 1) break;  // EOF: the process exited
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

}  // namespace

S3rverProcess::S3rverProcess(S3rverOptions options) : options_(std::move(options)) {
  if (!std::filesystem::exists(kModuleDir)) {
    throw std::runtime_error(kModuleDir + " is missing: run scripts/setup (npm ci)");
  }
  const std::string data_dir = directory_.path() + "/data";
  const std::string log_path = directory_.path() + "/s3rver.log";
  std::filesystem::create_directory(data_dir);

  int out_pipe[2];
  int in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {"node",
                                   kScript,
                                   kModuleDir,
                                   data_dir,
                                   options_.access_key,
                                   options_.secret_key,
                                   options_.service_endpoint};
  args.insert(args.end(), options_.buckets.begin(), options_.buckets.end());

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(log, 2);
    close(in_pipe[1]);
    close(out_pipe[0]);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execvp("node", argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];  // close-on-exec: later children (other servers) do not hold it

  const std::string line =
      read_line(out_pipe[0], std::chrono::steady_clock::now() + std::chrono::seconds(15));
  close(out_pipe[0]);
  if (line.rfind("listening ", 0) == 0) port_ = std::stoi(line.substr(10));
  if (port_ <= 0) {
    stop();
    throw std::runtime_error("s3rver did not start (node " + kScript + "): " + line + "\n" +
                             read_text(log_path));
  }
}

S3rverProcess::~S3rverProcess() {
  stop();
}

void S3rverProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    usleep(10'000);
  }
  pid_ = -1;
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

std::string S3rverProcess::put(const std::string& bucket, const std::string& key,
                               const std::string& bytes) const {
  using namespace storage;
  const std::string host = "127.0.0.1:" + std::to_string(port_);
  const std::string path = "/" + bucket + "/" + uri_encode(key, true);
  const std::string date = amz_date(std::chrono::system_clock::now());
  const std::string payload_hash = sha256_hex(bytes);
  const SigV4Request request{
      .method = "PUT",
      .canonical_uri = path,
      .canonical_query = "",
      .headers = {{"host", host}, {"x-amz-content-sha256", payload_hash}, {"x-amz-date", date}},
      .payload_sha256_hex = payload_hash};
  const std::string authorization = sigv4_authorization(
      request, {date, "us-east-1", "s3"}, {options_.access_key, options_.secret_key, ""});
  httplib::Client client("127.0.0.1", port_);
  const httplib::Headers headers = {{"Host", host},
                                    {"x-amz-content-sha256", payload_hash},
                                    {"x-amz-date", date},
                                    {"Authorization", authorization}};
  httplib::Result result = client.Put(path, headers, bytes, "application/octet-stream");
  if (!result) return "PUT " + path + ": " + httplib::to_string(result.error());
  if (result->status != 200) return "PUT " + path + ": HTTP " + std::to_string(result->status);
  return "";
}

}  // namespace bodyshape::testing
