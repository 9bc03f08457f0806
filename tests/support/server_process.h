// Starts the real `bodyshape serve` on a free loopback port (the server binds port 0 and logs the
// one it got) with a temporary data dir, for end-to-end tests; stops it with SIGTERM, or the kernel
// SIGKILLs it when the test process dies first. Also runs other CLI subcommands against the same
// dir.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

namespace bodyshape::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// A user to run a child as (PostgreSQL refuses to run as root).
struct RunAs {
  uid_t uid;
  gid_t gid;
};

// How spawn_process() starts a child.
struct SpawnOptions {
  std::string out_path = "/dev/null";        // stdout
  std::string err_path{};                    // stderr; "" = the same file as stdout
  bool append = false;                       // add to the output files rather than truncate them
  std::map<std::string, std::string> env{};  // set on top of this process's environment
  // A process group of its own, numbered by the child's pid, so that kill(-pid, ...) also
  // reaches what the child forks (nginx's workers).
  bool own_process_group = false;
  // Sent to the child by the kernel when this test process ends while the child runs (a crash, a
  // kill on a timeout); 0 = none. Pick one that the child answers by ending what it forked, too.
  int death_signal = 0;
  std::optional<RunAs> run_as{};  // nullopt = as this process; else also no supplementary groups
};

// fork + exec argv[0] (a path, or a name looked up in PATH) with stdin from /dev/null and the
// options' output files; throws std::runtime_error when fork fails (an exec that fails exits 127,
// a change of user that fails 126). Safe from any thread: every fork happens on one thread that
// lives as long as the process.
pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options);

// build/bodyshape followed by args: an argv for spawn_process().
std::vector<std::string> bodyshape_argv(const std::vector<std::string>& args);

// Waits for a child to end and reaps it: its exit code, or 128 + the signal that ended it.
int wait_exit_code(pid_t pid);

// The port in a server's "... listening ... port=N" line (bodyshape's log, s3rver_main.js's
// stdout): servers here bind port 0 and say which port they got. 0 until the whole line is there.
int listening_port(const std::string& output);

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
