// Starts the real `bodyshape serve` on a free loopback port with a temporary data dir, for
// end-to-end tests; stops it with SIGTERM. Also runs other CLI subcommands against the same dir.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>

namespace bodyshape::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs build/bodyshape with args (and extra environment), waits, captures output.
CommandResult run_bodyshape(const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env = {});

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerProcess {
 public:
  // Starts `bodyshape serve --host 127.0.0.1 --port P --data-dir DIR extra_args...` and waits
  // until /healthz answers (throws after 60 s).
  explicit ServerProcess(const std::vector<std::string>& extra_args = {},
                         const std::map<std::string, std::string>& env = {});
  ~ServerProcess();

  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_.path(); }
  httplib::Client client(int timeout_s = 60) const;
  bool alive() const;
  long rss_kb() const;  // resident memory of the server process
  // SIGTERM and wait; returns the exit code (or 128+signal).
  int stop();
  // SIGKILL (a crash, an OOM kill, a lost machine) and wait; returns 128+9.
  int kill_now();
  // What the server wrote to stderr so far (its log).
  std::string log() const;

  // `bodyshape accounts create --email E --data-dir DIR`: returns {Email, UserKey, APIKey} JSON.
  std::string create_account(const std::string& email) const;

 private:
  int signal_and_wait(int signal_number);

  TempDir data_dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
};

int free_loopback_port();

}  // namespace bodyshape::testing
