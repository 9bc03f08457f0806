// nginx for end-to-end tests: deploy/nginx.conf itself, with only what a test must change
// (listen on a free loopback port, the upstream servers set to local replicas, pid/log/temp paths
// in a temporary prefix; as root, workers as nobody), checked with `nginx -t`, then run in the
// foreground (`nginx -p DIR -c FILE -g 'daemon off;'`) through support/server_process.h's
// spawn_process(), in a process group of its own, and stopped with SIGQUIT on destruction. A failed
// start kills the whole group, workers included, so none keeps the port; a test binary that dies
// (crash, timeout) takes nginx with it (its death signal).
//
//   if (nginx_binary().empty()) GTEST_SKIP() << "nginx is not installed";
//   NginxProcess nginx(read_text(deploy/nginx.conf), {replica1.port(), replica2.port(), ...});
//   httplib::Client client("127.0.0.1", nginx.port());
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/server_process.h"

namespace bodyshape::testing {

// The nginx executable (/usr/sbin, /usr/local/sbin or /usr/bin), or "" when not installed.
std::string nginx_binary();

// deploy_conf with its `listen` at 127.0.0.1:listen_port, its upstream's `server` lines pointed
// at 127.0.0.1:<each port> (keeping their parameters; there must be as many lines as ports) and
// the process's files under prefix. Throws std::runtime_error when the file lacks those parts.
// `worker_user`: emitted as `user ...;` when not empty (needed when started as root).
std::string nginx_config_for_test(const std::string& deploy_conf,
                                  const std::vector<int>& upstream_ports, int listen_port,
                                  const std::string& prefix, const std::string& worker_user);

class NginxProcess {
 public:
  // Throws std::runtime_error with nginx's output when `nginx -t` fails or it does not answer.
  NginxProcess(const std::string& deploy_conf, const std::vector<int>& upstream_ports);
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  int port() const { return port_; }
  std::string error_log() const;

 private:
  TempDir prefix_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace bodyshape::testing
