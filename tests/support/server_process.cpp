#include "support/server_process.h"
#include "support/testdata.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace bodyshape::testing {
namespace {

// name itself when it holds a '/', else its first executable match in PATH: looked up before
// fork, as execvp would after it.
std::string executable_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* const path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const size_t colon = std::min(dirs.find(':'), dirs.size());
    const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs.remove_prefix(std::min(colon + 1, dirs.size()));
  }
  return name;  // the exec fails: exit 127
}

pid_t fork_and_exec(const std::vector<std::string>& argv, const SpawnOptions& options) {
  // Everything the child needs is built before fork: other threads may hold allocator or
  // environment locks at that moment, so the child must not take them.
  std::vector<std::string> arguments = argv;
  arguments.at(0) = executable_path(arguments[0]);
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!options.env.contains(std::string(text.substr(0, text.find('='))))) {
      environment.emplace_back(text);
    }
  }
  for (const auto& [name, value] : options.env) environment.push_back(name + "=" + value);
  const auto pointers_to = [](std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (std::string& text : strings) pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
  };
  std::vector<char*> argument_pointers = pointers_to(arguments);
  std::vector<char*> environment_pointers = pointers_to(environment);
  const int open_flags = O_WRONLY | O_CREAT | (options.append ? O_APPEND : O_TRUNC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) {
    // Also here, so that the group exists when fork returns, whichever process runs first.
    if (options.own_process_group) setpgid(pid, pid);
    return pid;
  }
  if (options.own_process_group) setpgid(0, 0);
  const int out = open(options.out_path.c_str(), open_flags, 0600);
  const int err = options.err_path.empty() ? out : open(options.err_path.c_str(), open_flags, 0600);
  const int null_in = open("/dev/null", O_RDONLY);
  dup2(null_in, 0);
  dup2(out, 1);
  dup2(err, 2);
  if (options.run_as && (setgroups(0, nullptr) != 0 || setgid(options.run_as->gid) != 0 ||
                         setuid(options.run_as->uid) != 0)) {
    _exit(126);
  }
  // After setuid: a change of credentials clears the death signal.
  if (options.death_signal != 0) {
    prctl(PR_SET_PDEATHSIG, options.death_signal);
    if (getppid() != parent) _exit(127);  // the parent ended before prctl took effect
  }
  execve(argument_pointers[0], argument_pointers.data(), environment_pointers.data());
  _exit(127);
}

// Runs every fork on one thread that lives as long as the process. PR_SET_PDEATHSIG fires when
// the *thread* that forked ends, so a child forked by a short-lived thread (std::async's in
// e2e_replicas_test) would be sent its death signal as soon as that thread returned.
class ForkingThread {
 public:
  ForkingThread() {
    std::thread([this] { run_forever(); }).detach();
  }

  pid_t run(const std::function<pid_t()>& fork_child) {
    std::packaged_task<pid_t()> task(fork_child);
    std::future<pid_t> pid = task.get_future();
    {
      const std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    task_added_.notify_one();
    return pid.get();  // rethrows fork's failure
  }

 private:
  void run_forever() {
    while (true) {
      std::unique_lock lock(mutex_);
      task_added_.wait(lock, [this] { return !tasks_.empty(); });
      std::packaged_task<pid_t()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable task_added_;
  std::deque<std::packaged_task<pid_t()>> tasks_;
};

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  // Never destroyed: its detached thread waits on it until the process ends, static destructors
  // included.
  static ForkingThread* const forking_thread = new ForkingThread;
  return forking_thread->run([&] { return fork_and_exec(argv, options); });
}

std::vector<std::string> bodyshape_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BODYSHAPE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

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
  const pid_t pid =
      spawn_process(bodyshape_argv(args), {.out_path = out_path, .err_path = err_path, .env = env});
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

int listening_port(const std::string& output) {
  const size_t line = output.find("listening ");
  if (line == std::string::npos) return 0;
  const size_t end = output.find('\n', line);
  const size_t port = output.find("port=", line);
  if (end == std::string::npos || port == std::string::npos || port > end) return 0;
  return std::atoi(output.c_str() + port + 5);
}

// The server binds port 0 and logs the port the system gave it: a port chosen here and passed
// on could be taken by another test's process in between (ctest -j), and a health probe would
// then reach that process instead.
ServerProcess::ServerProcess(const std::vector<std::string>& extra_args,
                             const std::map<std::string, std::string>& env) {
  log_path_ = data_dir_.path() + "/server.log";
  std::vector<std::string> args = {"serve", "--host", "127.0.0.1", "--port", "0",
                                   "--data-dir", data_dir_.path()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // SIGKILL when this process dies: the server forks nothing, and what a graceful stop would
  // finish is for clients that are gone.
  pid_ = spawn_process(bodyshape_argv(args), {.out_path = data_dir_.path() + "/server.out",
                                              .err_path = log_path_,
                                              .env = env,
                                              .death_signal = SIGKILL});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && alive()) {
    if (port_ == 0) port_ = listening_port(log());
    if (port_ != 0) {
      httplib::Client probe("127.0.0.1", port_);
      probe.set_connection_timeout(1, 0);
      if (auto response = probe.Get("/healthz"); response && response->status == 200) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (alive()) kill(pid_, SIGKILL);
  wait_exit_code(pid_);
  pid_ = -1;
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
