#include "support/postgres.h"
#include "support/testdata.h"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <pqxx/connection>
#include <pqxx/nontransaction>

namespace bodyshape::testing {
namespace {

constexpr const char* kUser = "bodyshape";

// PostgreSQL refuses to run as root; as root, run it as `postgres` (Debian's package creates the
// user) or `nobody`.
std::optional<RunAs> unprivileged_account() {
  if (geteuid() != 0) return std::nullopt;
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* entry = getpwnam(name)) return RunAs{entry->pw_uid, entry->pw_gid};
  }
  throw std::runtime_error("running as root, and neither user postgres nor nobody exists");
}

// initdb and postgres both append to one log, so that a failure shows every attempt. Death
// signal SIGINT, PostgreSQL's fast shutdown (as in ~PostgresServer): the postmaster ends its
// sessions and its own children, then exits; a SIGKILLed postmaster leaves them to notice alone.
SpawnOptions postgres_spawn_options(const std::string& log_path,
                                    const std::optional<RunAs>& account) {
  return {.out_path = log_path, .append = true, .death_signal = SIGINT, .run_as = account};
}

}  // namespace

std::string postgres_bin_dir() {
  std::vector<std::string> candidates = {"/usr/lib/postgresql/15/bin"};
  std::error_code ignored;
  for (const auto& version : std::filesystem::directory_iterator("/usr/lib/postgresql", ignored)) {
    candidates.push_back(version.path().string() + "/bin");
  }
  for (const std::string& dir : candidates) {
    if (access((dir + "/initdb").c_str(), X_OK) == 0 &&
        access((dir + "/postgres").c_str(), X_OK) == 0) {
      return dir;
    }
  }
  return "";
}

PostgresServer::PostgresServer(const std::string& bin_dir) {
  const std::optional<RunAs> account = unprivileged_account();
  if (account && chown(dir_.path().c_str(), account->uid, account->gid) != 0) {
    throw std::runtime_error("cannot hand " + dir_.path() + " to the PostgreSQL user");
  }
  const std::string data_dir = dir_.path() + "/data";
  const std::string log_path = dir_.path() + "/postgres.log";
  const SpawnOptions spawn_options = postgres_spawn_options(log_path, account);
  const pid_t initdb =
      spawn_process({bin_dir + "/initdb", "-D", data_dir, "-U", kUser, "-A", "trust", "-E", "UTF8",
                     "--locale=C", "--no-sync", "--no-instructions"},
                    spawn_options);
  if (wait_exit_code(initdb) != 0) {
    throw std::runtime_error("initdb failed:\n" + read_text(log_path));
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    pid_ = spawn_process(
        {bin_dir + "/postgres", "-D", data_dir, "-p", std::to_string(port_), "-c",
         "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c",
         "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "shared_buffers=16MB"},
        spawn_options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (postmaster_alive() && std::chrono::steady_clock::now() < deadline) {
      try {
        pqxx::connection probe(url_of("postgres") + "?connect_timeout=2");
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    // Most likely another process took the port first; try another.
    if (postmaster_alive()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  throw std::runtime_error("postgres did not start:\n" + read_text(log_path));
}

PostgresServer::~PostgresServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGINT);  // "fast shutdown": ends sessions, no waiting for clients
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (postmaster_alive() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (postmaster_alive()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool PostgresServer::postmaster_alive() {
  if (pid_ <= 0) return false;
  if (waitpid(pid_, nullptr, WNOHANG) == 0) return true;
  pid_ = -1;
  return false;
}

std::string PostgresServer::url_of(const std::string& database) const {
  return std::string("postgresql://") + kUser + "@127.0.0.1:" + std::to_string(port_) + "/" +
         database;
}

std::string PostgresServer::create_database() {
  const std::string name = "test_" + std::to_string(++databases_);
  pqxx::connection admin(url_of("postgres"));
  pqxx::nontransaction statement(admin);  // CREATE DATABASE cannot run inside a transaction
  statement.exec("CREATE DATABASE " + name);
  return url_of(name);
}

void PostgresServer::terminate_connections(const std::string& database_url) {
  const std::string database = database_url.substr(database_url.rfind('/') + 1);
  pqxx::connection admin(url_of("postgres"));
  pqxx::nontransaction statement(admin);
  statement.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                        database);
  // pg_terminate_backend only signals; wait until the sessions are gone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (statement
             .exec_params1("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1", database)[0]
             .as<int>() > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("sessions of " + database + " did not end");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

PostgresServer* shared_postgres(std::string* why_not) {
  static std::mutex mutex;
  static std::unique_ptr<PostgresServer> server;
  const std::lock_guard lock(mutex);
  if (server == nullptr) {
    const std::string bin_dir = postgres_bin_dir();
    if (bin_dir.empty()) {
      *why_not =
          "PostgreSQL is not installed (no initdb/postgres under /usr/lib/postgresql/*/bin; "
          "Debian package `postgresql`)";
      return nullptr;
    }
    server = std::make_unique<PostgresServer>(bin_dir);
  }
  return server.get();
}

}  // namespace bodyshape::testing
