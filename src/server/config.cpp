#include "server/config.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

#include <toml++/toml.h>

#include "storage/object_store.h"

namespace bodyshape::server {
namespace {

using Setter = std::function<Status(Config&, const std::string&)>;

Setter string_setter(std::string Config::*member) {
  return [member](Config& config, const std::string& value) -> Status {
    config.*member = value;
    return Ok{};
  };
}

template <class Int>
Setter int_setter(Int Config::*member) {
  return [member](Config& config, const std::string& value) -> Status {
    Int parsed{};
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (error != std::errc() || end != value.data() + value.size()) {
      return make_error(ErrorCode::kInvalidArgument, "'" + value + "' is not a whole number");
    }
    config.*member = parsed;
    return Ok{};
  };
}

const std::vector<std::pair<std::string, Setter>>& setters() {
  static const std::vector<std::pair<std::string, Setter>> table = {
      {"host", string_setter(&Config::host)},
      {"port", int_setter(&Config::port)},
      {"data_dir", string_setter(&Config::data_dir)},
      {"model_dir", string_setter(&Config::model_dir)},
      {"database", string_setter(&Config::database)},
      {"auth_pepper", string_setter(&Config::auth_pepper)},
      {"body_limit_bytes", int_setter(&Config::body_limit_bytes)},
      {"max_pixels", int_setter(&Config::max_pixels)},
      {"http_threads", int_setter(&Config::http_threads)},
      {"inference_workers", int_setter(&Config::inference_workers)},
      {"threads_per_worker", int_setter(&Config::threads_per_worker)},
      {"max_queued_requests", int_setter(&Config::max_queued_requests)},
      {"request_timeout_ms", int_setter(&Config::request_timeout_ms)},
      {"landmark_model", string_setter(&Config::landmark_model)},
      {"log_format", string_setter(&Config::log_format)},
      {"s3_endpoint", string_setter(&Config::s3_endpoint)},
      {"s3_bucket", string_setter(&Config::s3_bucket)},
      {"s3_buckets", string_setter(&Config::s3_buckets)},
      {"s3_region", string_setter(&Config::s3_region)},
      {"s3_timeout_ms", int_setter(&Config::s3_timeout_ms)},
      {"max_object_bytes", int_setter(&Config::max_object_bytes)},
      {"segmentation_auth", string_setter(&Config::segmentation_auth)},
      {"rate_limit_per_ip", int_setter(&Config::rate_limit_per_ip)},
      {"rate_limit_per_ip_burst", int_setter(&Config::rate_limit_per_ip_burst)},
      {"rate_limit_per_account", int_setter(&Config::rate_limit_per_account)},
      {"rate_limit_per_account_burst", int_setter(&Config::rate_limit_per_account_burst)},
      {"auth_lockout_failures", int_setter(&Config::auth_lockout_failures)},
      {"auth_lockout_s", int_setter(&Config::auth_lockout_s)},
      {"client_address_header", string_setter(&Config::client_address_header)},
  };
  return table;
}

Status apply(Config& config, const std::string& source, const std::string& name,
             const std::string& value) {
  for (const auto& [setting, setter] : setters()) {
    if (setting != name) continue;
    Status status = setter(config, value);
    if (!status) {
      return make_error(ErrorCode::kInvalidArgument,
                        source + ": setting '" + name + "': " + status.error().message);
    }
    return Ok{};
  }
  return make_error(ErrorCode::kInvalidArgument, source + ": unknown setting '" + name + "'");
}

std::string env_name(const std::string& setting) {
  std::string name = "BODYSHAPE_";
  for (char c : setting) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

Status apply_toml(Config& config, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return make_error(ErrorCode::kInvalidArgument,
                      "config file " + path + ": " + std::string(error.description()) + " (line " +
                          std::to_string(error.source().begin.line) + ")");
  }
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    std::string value;
    if (auto text = node.value<std::string>(); text && node.is_string()) {
      value = *text;
    } else if (auto number = node.value<int64_t>(); number && node.is_integer()) {
      value = std::to_string(*number);
    } else {
      return make_error(ErrorCode::kInvalidArgument, "config file " + path + ": setting '" + name +
                                                         "' must be a string or an integer");
    }
    if (Status status = apply(config, "config file " + path, name, value); !status) return status;
  }
  return Ok{};
}

Status require(bool condition, const std::string& message) {
  if (condition) return Ok{};
  return make_error(ErrorCode::kInvalidArgument, message);
}

}  // namespace

const std::vector<std::string>& setting_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const auto& [name, setter] : setters()) list.push_back(name);
    return list;
  }();
  return names;
}

Result<Config> load_config(const std::string& toml_path, const SettingValues& from_flags,
                           char** environ_entries) {
  Config config;
  if (!toml_path.empty()) {
    if (Status status = apply_toml(config, toml_path); !status) return status.error();
  }
  for (char** entry = environ_entries; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    if (!text.starts_with("BODYSHAPE_")) continue;
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string variable(text.substr(0, equals));
    const std::string value(text.substr(equals + 1));
    bool known = false;
    for (const std::string& name : setting_names()) {
      if (env_name(name) != variable) continue;
      known = true;
      if (Status status = apply(config, "environment " + variable, name, value); !status) {
        return status.error();
      }
    }
    if (!known) {
      return make_error(ErrorCode::kInvalidArgument,
                        "environment: unknown variable " + variable + " (BODYSHAPE_* is reserved)");
    }
  }
  for (const auto& [name, value] : from_flags) {
    if (Status status = apply(config, "flag --" + name, name, value); !status) {
      return status.error();
    }
  }
  if (Status status = validate(config); !status) return status.error();
  return config;
}

Status validate(const Config& config) {
  const std::vector<std::string> bucket_list = storage::split_bucket_list(config.s3_buckets);
  const std::vector<Status> checks = {
      require(config.port >= 0 && config.port <= 65535, "port must be 0..65535 (0 = any free)"),
      require(!config.data_dir.empty(), "data_dir must not be empty"),
      require(!config.model_dir.empty(), "model_dir must not be empty"),
      require(config.body_limit_bytes >= 1024 && config.body_limit_bytes <= (1LL << 32),
              "body_limit_bytes must be between 1 KiB and 4 GiB"),
      require(config.max_pixels >= 1 && config.max_pixels <= 1'000'000'000,
              "max_pixels must be between 1 and 1e9"),
      require(config.http_threads >= 1 && config.http_threads <= 1024,
              "http_threads must be 1..1024"),
      require(config.inference_workers >= 0 && config.inference_workers <= 256,
              "inference_workers must be 0..256 (0 = one per core)"),
      require(config.threads_per_worker >= 1 && config.threads_per_worker <= 64,
              "threads_per_worker must be 1..64"),
      require(config.max_queued_requests >= 0 && config.max_queued_requests <= 100000,
              "max_queued_requests must be 0..100000 (0 = two per worker)"),
      require(config.request_timeout_ms >= 1 && config.request_timeout_ms <= 600000,
              "request_timeout_ms must be 1..600000"),
      require(config.landmark_model == "lite" || config.landmark_model == "full" ||
                  config.landmark_model == "heavy",
              "landmark_model must be lite, full or heavy"),
      require(config.log_format == "text" || config.log_format == "json",
              "log_format must be text or json"),
      require(config.database.empty() || config.database.starts_with("sqlite:") ||
                  uses_postgres(config),
              "database must be empty (SQLite in data_dir), sqlite:PATH or "
              "postgresql://user@host:port/db"),
      require(config.s3_endpoint.empty() || config.s3_endpoint == "aws" ||
                  config.s3_endpoint.starts_with("http://") ||
                  config.s3_endpoint.starts_with("https://"),
              "s3_endpoint must be empty (local files), aws, or http(s)://host[:port]"),
      require(storage::is_valid_bucket_name(config.s3_bucket),
              "s3_bucket must be an S3 bucket name (3-63 of a-z 0-9 . -)"),
      require(std::all_of(bucket_list.begin(), bucket_list.end(), storage::is_valid_bucket_name),
              "s3_buckets must be a comma-separated list of S3 bucket names"),
      require(config.s3_timeout_ms >= 100 && config.s3_timeout_ms <= 600'000,
              "s3_timeout_ms must be 100..600000"),
      require(config.max_object_bytes >= 1024 && config.max_object_bytes <= (1LL << 32),
              "max_object_bytes must be between 1 KiB and 4 GiB"),
      require(config.segmentation_auth == "off" || config.segmentation_auth == "keys",
              "segmentation_auth must be off or keys"),
      require(config.rate_limit_per_ip >= 0 && config.rate_limit_per_ip <= 1'000'000,
              "rate_limit_per_ip must be 0..1000000 requests per minute (0 = off)"),
      require(config.rate_limit_per_ip_burst >= 1 && config.rate_limit_per_ip_burst <= 1'000'000,
              "rate_limit_per_ip_burst must be 1..1000000"),
      require(config.rate_limit_per_account >= 0 && config.rate_limit_per_account <= 1'000'000,
              "rate_limit_per_account must be 0..1000000 requests per minute (0 = off)"),
      require(config.rate_limit_per_account_burst >= 1 &&
                  config.rate_limit_per_account_burst <= 1'000'000,
              "rate_limit_per_account_burst must be 1..1000000"),
      require(config.auth_lockout_failures >= 0 && config.auth_lockout_failures <= 1'000'000,
              "auth_lockout_failures must be 0..1000000 (0 = off)"),
      require(config.auth_lockout_s >= 1 && config.auth_lockout_s <= 86'400,
              "auth_lockout_s must be 1..86400"),
  };
  for (const Status& check : checks) {
    if (!check) {
      return make_error(ErrorCode::kInvalidArgument, "invalid configuration: " + check.error().message);
    }
  }
  return Ok{};
}

bool uses_postgres(const Config& config) {
  return config.database.starts_with("postgresql://") || config.database.starts_with("postgres://");
}

}  // namespace bodyshape::server
