// The service's settings: one typed struct, read once at start-up, validated, passed down.
// Sources, later ones win: built-in defaults < TOML file (--config) < BODYSHAPE_* environment
// variables < command-line flags. Every setting has the same name in all three:
//   body_limit_bytes  ->  TOML `body_limit_bytes = 1048576`, env BODYSHAPE_BODY_LIMIT_BYTES,
//                         flag --body-limit-bytes
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace bodyshape::server {

struct Config {
  std::string host = "0.0.0.0";
  int port = 8080;
  std::string data_dir = "var";                      // SQLite database, pepper, local objects
  std::string model_dir = BODYSHAPE_DEFAULT_MODEL_DIR;  // prepared by scripts/setup
  std::string database;  // empty = SQLite at <data_dir>/accounts.db; sqlite:PATH; postgresql://...
  std::string auth_pepper;     // empty = <data_dir>/secret/pepper, created on first start
  int64_t body_limit_bytes = 32LL << 20;  // issue #3: default 32 MiB, larger bodies get 413
  int64_t max_pixels = 50'000'000;        // issue #3: default 50 MP, checked from the header
  int http_threads = 8;          // connections served at once
  int inference_workers = 0;     // 0 = one per core
  int threads_per_worker = 1;    // XNNPACK threads inside one inference
  // Requests waiting for a worker; more get 503 "server busy". 0 = two per worker, so an accepted
  // request waits for at most two others: its latency stays within ~3x an unloaded one.
  int max_queued_requests = 0;
  int request_timeout_ms = 30000;  // longest wait for a worker before 503 "timeout"
  std::string landmark_model = "full";  // lite | full | heavy
  std::string log_format = "text";      // text | json
  // segmentation-v2's object store (storage/object_store.h). Credentials come from
  // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), read once at start-up.
  std::string s3_endpoint;           // "" = local files in <data_dir>/objects; "aws"; http(s)://host:port
  std::string s3_bucket = "images";  // the bucket a bare imgSrc key is read from
  std::string s3_buckets;            // comma-separated buckets a client may also name
  std::string s3_region;             // "" = AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1
  int s3_timeout_ms = 10'000;        // per attempt (2 retries on 5xx/timeouts)
  int64_t max_object_bytes = 32LL << 20;  // an imgSrc object larger than this is refused
  std::string segmentation_auth = "off";  // off (the contract names none) | keys (as future-shape)
  // Abuse limits (server/rate_limit.h; SECURITY.md has the reasoning). 0 = off. Refusals are 429.
  int rate_limit_per_ip = 600;           // POST requests per minute from one client address
  int rate_limit_per_ip_burst = 300;     // ... of which at once after an idle spell
  int rate_limit_per_account = 300;      // authenticated requests per minute for one account
  int rate_limit_per_account_burst = 150;
  int auth_lockout_failures = 20;        // this many failed authentications from one address
  int auth_lockout_s = 300;              // within this many seconds lock it out as long
  // "" = the client address is the TCP peer. Behind a reverse proxy name the header it sets
  // (e.g. X-Forwarded-For; its last item is used): otherwise every client shares the proxy's
  // address, and its limits. Never set it without such a proxy: clients could forge it.
  std::string client_address_header;
};

// One setting as the user names it (snake_case) with its string value from any source.
using SettingValues = std::map<std::string, std::string>;

// The names of all settings, in declaration order (for --help, the env scan and docs).
const std::vector<std::string>& setting_names();

// Applies defaults < TOML file (if path non-empty) < environment < flags; validates the result.
// Errors name the source, the setting and what is wrong.
Result<Config> load_config(const std::string& toml_path, const SettingValues& from_flags,
                           char** environ_entries);

Status validate(const Config& config);

// config.database names a PostgreSQL server (postgresql:// or postgres://) rather than SQLite.
bool uses_postgres(const Config& config);

}  // namespace bodyshape::server
