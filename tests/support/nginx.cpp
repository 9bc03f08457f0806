#include "support/nginx.h"
#include "support/testdata.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace bodyshape::testing {
namespace {

// The master in a process group of its own, so that a kill of the group takes its workers too.
// Its death signal is SIGTERM, not SIGKILL: the master passes SIGTERM on to its workers and waits
// for them, while workers whose master was killed go on serving (and holding the port).
SpawnOptions nginx_spawn_options(const std::string& output_path) {
  return {.out_path = output_path, .own_process_group = true, .death_signal = SIGTERM};
}

// Whether the master has exited, leaving it unreaped: its pid, and so its group's number, cannot
// be reused before kill_nginx() has swept the group.
bool exited(pid_t master) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(master), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
         info.si_pid != 0;
}

// SIGKILL to the master and any worker, then reaps the master.
void kill_nginx(pid_t master) {
  kill(-master, SIGKILL);
  wait_exit_code(master);
}

// Workers started by root run as `user`; nginx's compiled default group ("nobody") does not exist
// on Debian, so name nobody's own group.
std::string worker_user_for_root() {
  if (geteuid() != 0) return "";
  const passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) return "";
  const group* primary = getgrgid(nobody->pw_gid);
  return std::string("nobody") + (primary != nullptr ? std::string(" ") + primary->gr_name : "");
}

}  // namespace

std::string nginx_binary() {
  for (const char* candidate : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

std::string nginx_config_for_test(const std::string& deploy_conf,
                                  const std::vector<int>& upstream_ports, int listen_port,
                                  const std::string& prefix, const std::string& worker_user) {
  std::string config = deploy_conf;
  // `server HOST:PORT params;` inside the upstream block: the replicas.
  const std::regex upstream_server(R"((\n\s*server\s+)[0-9.]+:[0-9]+([^;\n]*;))");
  std::string rewritten;
  size_t replaced = 0;
  auto rest = config.cbegin();
  for (std::sregex_iterator match(config.cbegin(), config.cend(), upstream_server), end;
       match != end; ++match) {
    if (replaced == upstream_ports.size()) {
      throw std::runtime_error("nginx.conf has more upstream servers than replicas");
    }
    rewritten.append(rest, (*match)[0].first);
    rewritten += (*match)[1].str() + "127.0.0.1:" + std::to_string(upstream_ports[replaced++]) +
                 (*match)[2].str();
    rest = (*match)[0].second;
  }
  rewritten.append(rest, config.cend());
  if (replaced != upstream_ports.size()) {
    throw std::runtime_error("nginx.conf has " + std::to_string(replaced) +
                             " upstream servers, the test has " +
                             std::to_string(upstream_ports.size()) + " replicas");
  }
  config = rewritten;

  const std::regex listen(R"(\n(\s*)listen\s+80\s*;)");
  if (!std::regex_search(config, listen)) throw std::runtime_error("nginx.conf: no `listen 80;`");
  config = std::regex_replace(config, listen,
                              "\n$1listen 127.0.0.1:" + std::to_string(listen_port) + ";",
                              std::regex_constants::format_first_only);

  const size_t http = config.find("\nhttp {");
  if (http == std::string::npos) throw std::runtime_error("nginx.conf: no `http {` block");
  config.insert(http + std::string("\nhttp {").size(),
                "\n  access_log " + prefix + "/access.log;" + "\n  client_body_temp_path " +
                    prefix + "/client_body;" + "\n  proxy_temp_path " + prefix + "/proxy;" +
                    "\n  fastcgi_temp_path " + prefix + "/fastcgi;" + "\n  uwsgi_temp_path " +
                    prefix + "/uwsgi;" + "\n  scgi_temp_path " + prefix + "/scgi;");
  std::string head =
      "# Test-only lines, then deploy/nginx.conf with its upstreams and listen set.\n";
  head += "pid " + prefix + "/nginx.pid;\nerror_log " + prefix + "/error.log;\n";
  if (!worker_user.empty()) head += "user " + worker_user + ";\n";
  return head + config;
}

NginxProcess::NginxProcess(const std::string& deploy_conf, const std::vector<int>& upstream_ports) {
  const std::string binary = nginx_binary();
  if (binary.empty()) throw std::runtime_error("nginx is not installed");
  // Workers (nobody, when started as root) must reach the temp paths inside the prefix.
  chmod(prefix_.path().c_str(), 0755);
  const std::string config_path = prefix_.path() + "/nginx.conf";
  const std::string output_path = prefix_.path() + "/nginx.out";
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    std::ofstream(config_path) << nginx_config_for_test(deploy_conf, upstream_ports, port_,
                                                        prefix_.path(), worker_user_for_root());
    const pid_t check = spawn_process({binary, "-t", "-p", prefix_.path(), "-c", config_path},
                                      nginx_spawn_options(output_path));
    if (wait_exit_code(check) != 0) {
      throw std::runtime_error("nginx -t refused the config:\n" + read_text(output_path));
    }
    pid_ = spawn_process({binary, "-p", prefix_.path(), "-c", config_path, "-g", "daemon off;"},
                         nginx_spawn_options(output_path));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (exited(pid_)) break;  // the port was taken, or worse
      httplib::Client probe("127.0.0.1", port_);
      probe.set_connection_timeout(1, 0);
      if (auto response = probe.Get("/healthz"); response) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill_nginx(pid_);  // the workers too: they would keep the port
    pid_ = -1;
  }
  throw std::runtime_error("nginx did not start:\n" + read_text(output_path) + error_log());
}

NginxProcess::~NginxProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGQUIT);  // graceful: workers finish, the master exits
  siginfo_t info{};
  waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);  // exited, not yet reaped
  kill_nginx(pid_);  // sweeps any worker left behind (one whose master died some other way)
}

std::string NginxProcess::error_log() const {
  return read_text(prefix_.path() + "/error.log");
}

}  // namespace bodyshape::testing
