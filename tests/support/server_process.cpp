#include "support/server_process.h"
#include "support/testdata.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace bodyshape::testing {
namespace {

// fork + exec build/bodyshape with stdout/stderr sent to files.
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int null_in = open("/dev/null", O_RDONLY);
  dup2(null_in, 0);
  dup2(out, 1);
  dup2(err, 2);
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  std::vector<char*> argv;
  std::string binary = BODYSHAPE_BINARY;
  argv.push_back(binary.data());
  std::vector<std::string> copies = args;
  for (std::string& arg : copies) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  _exit(127);
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bodyshape-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

CommandResult run_bodyshape(const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env) {
  TempDir capture;
  const std::string out_path = capture.path() + "/out";
  const std::string err_path = capture.path() + "/err";
  const pid_t pid = spawn(args, env, out_path, err_path);
  CommandResult result;
  result.exit_code = wait_exit_code(pid);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);
  close(fd);
  return port;
}

ServerProcess::ServerProcess(const std::vector<std::string>& extra_args,
                             const std::map<std::string, std::string>& env) {
  log_path_ = data_dir_.path() + "/server.log";
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    std::vector<std::string> args = {"serve", "--host", "127.0.0.1", "--port",
                                     std::to_string(port_), "--data-dir", data_dir_.path()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = spawn(args, env, data_dir_.path() + "/server.out", log_path_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!alive()) break;
      httplib::Client probe("127.0.0.1", port_);
      probe.set_connection_timeout(1, 0);
      if (auto response = probe.Get("/healthz"); response && response->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (alive()) {
      kill(pid_, SIGKILL);
      wait_exit_code(pid_);
    } else {
      wait_exit_code(pid_);
    }
    pid_ = -1;
  }
  throw std::runtime_error("bodyshape serve did not start; log:\n" + log());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop();
}

httplib::Client ServerProcess::client(int timeout_s) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(timeout_s, 0);
  client.set_write_timeout(timeout_s, 0);
  return client;
}

bool ServerProcess::alive() const {
  if (pid_ <= 0) return false;
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

long ServerProcess::rss_kb() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

int ServerProcess::signal_and_wait(int signal_number) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal_number);
  const int code = wait_exit_code(pid_);
  pid_ = -1;
  return code;
}

int ServerProcess::stop() { return signal_and_wait(SIGTERM); }

int ServerProcess::kill_now() { return signal_and_wait(SIGKILL); }

std::string ServerProcess::log() const { return read_text(log_path_); }

std::string ServerProcess::create_account(const std::string& email) const {
  const CommandResult result =
      run_bodyshape({"accounts", "create", "--email", email, "--data-dir", data_dir_.path()});
  if (result.exit_code != 0) throw std::runtime_error("accounts create failed: " + result.err);
  return result.out;
}

}  // namespace bodyshape::testing
