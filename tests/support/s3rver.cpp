#include "support/s3rver.h"
#include "support/testdata.h"

#include <httplib.h>

#include "storage/s3_signer.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace bodyshape::testing {
namespace {

const std::string kModuleDir = std::string(BODYSHAPE_SOURCE_DIR) + "/node_modules/s3rver";
const std::string kScript = std::string(BODYSHAPE_SOURCE_DIR) + "/tests/support/s3rver_main.js";

}  // namespace

S3rverProcess::S3rverProcess(S3rverOptions options) : options_(std::move(options)) {
  if (!std::filesystem::exists(kModuleDir)) {
    throw std::runtime_error(kModuleDir + " is missing: run scripts/setup (npm ci)");
  }
  const std::string data_dir = directory_.path() + "/data";
  const std::string out_path = directory_.path() + "/s3rver.out";
  const std::string log_path = directory_.path() + "/s3rver.log";
  std::filesystem::create_directory(data_dir);

  std::vector<std::string> args = {"node",
                                   kScript,
                                   kModuleDir,
                                   data_dir,
                                   options_.access_key,
                                   options_.secret_key,
                                   options_.service_endpoint};
  args.insert(args.end(), options_.buckets.begin(), options_.buckets.end());
  // SIGKILL when this process dies: node forks nothing, and on SIGTERM it could wait in
  // server.close() for open connections to end.
  pid_ = spawn_process(args, {.out_path = out_path, .err_path = log_path, .death_signal = SIGKILL});

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;  // exited: nothing to stop
      break;
    }
    port_ = listening_port(read_text(out_path));
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port_ <= 0) {
    stop();
    throw std::runtime_error("s3rver did not start (node " + kScript + "): " + read_text(out_path) +
                             "\n" + read_text(log_path));
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
