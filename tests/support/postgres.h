// A throwaway PostgreSQL server for tests: `initdb` into a temporary directory, then `postgres`
// listening on a free loopback port (TCP only, trust authentication, fsync off), stopped and
// deleted on destruction, and shut down by the kernel's death signal if the test process dies
// first. About 1.5 s to start. As root (CI), both run as the `postgres` system user, or `nobody`
// where there is none, because PostgreSQL refuses to run as root.
//
//   std::string why_not;
//   PostgresServer* server = shared_postgres(&why_not);
//   if (server == nullptr) GTEST_SKIP() << why_not;
//   const std::string url = server->create_database();  // postgresql://...@127.0.0.1:P/test_1
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>

#include "support/server_process.h"

namespace bodyshape::testing {

class PostgresServer {
 public:
  // Starts a server with the binaries in bin_dir (initdb, postgres); throws std::runtime_error,
  // with the server's log, when it does not come up.
  explicit PostgresServer(const std::string& bin_dir);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // A new empty database; returns its URL (user `bodyshape`, no password).
  std::string create_database();
  // Ends every session of the database at `database_url` (a server restart or an operator's
  // pg_terminate_backend, as a client sees it).
  void terminate_connections(const std::string& database_url);

 private:
  std::string url_of(const std::string& database) const;
  bool postmaster_alive();

  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::atomic<int> databases_{0};
};

// The directory holding initdb and postgres (PostgreSQL 15 preferred), or "" when not installed.
std::string postgres_bin_dir();

// This test process's one server, started on first use and stopped at exit; nullptr, with the
// reason in *why_not, when PostgreSQL is not installed.
PostgresServer* shared_postgres(std::string* why_not);

}  // namespace bodyshape::testing
