#include "storage/s3_object_store.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace bodyshape::storage {
namespace {

std::string describe(const ObjectRef& ref) {
  return "s3://" + ref.bucket + "/" + ref.key;
}

std::string environment_value(char** environ_entries, std::string_view name) {
  for (char** entry = environ_entries; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    if (text.size() > name.size() && text.starts_with(name) && text[name.size()] == '=') {
      return std::string(text.substr(name.size() + 1));
    }
  }
  return "";
}

struct Endpoint {
  std::string scheme;     // "http" | "https"
  std::string authority;  // host[:port]
};

Result<Endpoint> parse_endpoint(std::string_view endpoint) {
  Endpoint parsed;
  if (endpoint.starts_with("https://")) {
    parsed.scheme = "https";
  } else if (endpoint.starts_with("http://")) {
    parsed.scheme = "http";
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "S3 endpoint '" + std::string(endpoint) + "' must start with http(s)://");
  }
  std::string_view authority = endpoint.substr(parsed.scheme.size() + 3);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "S3 endpoint '" + std::string(endpoint) +
                          "' must be scheme://host[:port] with no path, query or user");
  }
  parsed.authority = std::string(authority);
  return parsed;
}

// S3's error code from its XML error body: <Error><Code>NoSuchKey</Code>...
std::string s3_error_code(std::string_view body) {
  const size_t start = body.find("<Code>");
  if (start == std::string_view::npos) return "";
  const size_t end = body.find("</Code>", start);
  if (end == std::string_view::npos) return "";
  const std::string_view code = body.substr(start + 6, std::min<size_t>(end - start - 6, 64));
  return std::string(code);
}

size_t collect_body(char* data, size_t size, size_t count, void* user);

// The state of one transfer; the write callback stops it when the body outgrows the limit.
struct Transfer {
  std::vector<uint8_t> body;
  int64_t limit = 0;
  bool too_big = false;
};

size_t collect_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (static_cast<int64_t>(transfer->body.size() + bytes) > transfer->limit) {
    transfer->too_big = true;
    return 0;  // libcurl aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.insert(transfer->body.end(), data, data + bytes);
  return bytes;
}

void init_curl_once() {
  // curl_global_init is not thread-safe; the first store, built at start-up, runs it.
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)result;
}

}  // namespace

struct S3ObjectStore::Attempt {
  Result<std::vector<uint8_t>> result = make_error(ErrorCode::kInternal, "not attempted");
  bool retryable = false;
};

Result<S3Options> s3_options_from(const ObjectStoreSettings& settings, char** environ_entries) {
  S3Options options;
  options.region = settings.region;
  if (options.region.empty()) options.region = environment_value(environ_entries, "AWS_REGION");
  if (options.region.empty()) {
    options.region = environment_value(environ_entries, "AWS_DEFAULT_REGION");
  }
  if (options.region.empty()) options.region = "us-east-1";

  if (settings.endpoint == "aws") {
    options.endpoint = "https://s3." + options.region + ".amazonaws.com";
    options.addressing = S3Addressing::kVirtualHost;
  } else {
    options.endpoint = settings.endpoint;
    options.addressing = S3Addressing::kPathStyle;
  }
  if (Result<Endpoint> endpoint = parse_endpoint(options.endpoint); !endpoint) {
    return endpoint.error();
  }

  options.credentials.access_key = settings.access_key;
  options.credentials.secret_key = settings.secret_key;
  if (options.credentials.access_key.empty()) {
    options.credentials.access_key = environment_value(environ_entries, "AWS_ACCESS_KEY_ID");
    options.credentials.secret_key = environment_value(environ_entries, "AWS_SECRET_ACCESS_KEY");
    options.credentials.session_token = environment_value(environ_entries, "AWS_SESSION_TOKEN");
  }
  options.timeout_ms = settings.timeout_ms;
  options.connect_timeout_ms = std::min(settings.timeout_ms, options.connect_timeout_ms);
  options.max_object_bytes = settings.max_object_bytes;
  return options;
}

Result<S3Target> s3_target(const S3Options& options, const ObjectRef& ref) {
  Result<Endpoint> endpoint = parse_endpoint(options.endpoint);
  if (!endpoint) return endpoint.error();
  S3Target target;
  // A dotted bucket name in a host breaks TLS wildcard certificates (*.s3.amazonaws.com): AWS
  // asks such buckets to use path style over https.
  const bool virtual_host =
      options.addressing == S3Addressing::kVirtualHost &&
      !(endpoint->scheme == "https" && ref.bucket.find('.') != std::string::npos);
  if (virtual_host) {
    target.host = ref.bucket + "." + endpoint->authority;
    target.canonical_uri.append("/");
  } else {
    target.host = endpoint->authority;
    target.canonical_uri.append("/").append(ref.bucket).append("/");
  }
  target.canonical_uri += uri_encode(ref.key, true);
  target.url = endpoint->scheme + "://" + target.host + target.canonical_uri;
  return target;
}

Error s3_answer_error(long http_status, std::string_view body, const ObjectRef& ref) {
  const std::string code = s3_error_code(body);
  std::string reason = std::string("(").append(std::to_string(http_status));
  if (!code.empty()) reason.append(" ").append(code);
  reason += ")";
  if (http_status == 404) {
    return make_error(ErrorCode::kNotFound, "object " + describe(ref) + " not found " + reason);
  }
  if (http_status == 403) {
    const bool credentials = code.empty() || code == "SignatureDoesNotMatch" ||
                             code == "InvalidAccessKeyId" || code == "ExpiredToken" ||
                             code == "InvalidToken" || code == "RequestTimeTooSkewed";
    if (credentials) {
      return make_error(ErrorCode::kUnavailable, "S3 refused the credentials " + reason);
    }
    return make_error(ErrorCode::kUnavailable,
                      "S3 denied access to " + describe(ref) + " " + reason);
  }
  if (http_status >= 300 && http_status < 400) {
    return make_error(ErrorCode::kUnavailable,
                      "S3 answered with a redirect " + reason +
                          ": the bucket is served by another endpoint or region (redirects are "
                          "not followed)");
  }
  if (http_status >= 500) {
    return make_error(ErrorCode::kUnavailable, "object store error " + reason);
  }
  return make_error(ErrorCode::kUnavailable, "S3 rejected the request " + reason);
}

S3ObjectStore::S3ObjectStore(S3Options options) : options_(std::move(options)) {
  init_curl_once();
}

S3ObjectStore::~S3ObjectStore() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* S3ObjectStore::take_handle() {
  {
    const std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void S3ObjectStore::return_handle(void* handle) {
  const std::lock_guard<std::mutex> lock(pool_mutex_);
  idle_handles_.push_back(handle);
}

S3ObjectStore::Attempt S3ObjectStore::get_once(const ObjectRef& ref, const S3Target& target) {
  Attempt attempt;
  CURL* curl = static_cast<CURL*>(take_handle());
  if (!curl) {
    attempt.result = make_error(ErrorCode::kInternal, "curl_easy_init failed");
    return attempt;
  }
  curl_easy_reset(curl);  // options only; the connection cache survives

  const std::string date = amz_date(std::chrono::system_clock::now());
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", target.host},
      {"x-amz-content-sha256", std::string(kEmptySha256)},
      {"x-amz-date", date}};
  if (!options_.credentials.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", options_.credentials.session_token);
  }
  if (!options_.credentials.access_key.empty()) {
    const SigV4Request request{.method = "GET",
                               .canonical_uri = target.canonical_uri,
                               .canonical_query = "",
                               .headers = headers,
                               .payload_sha256_hex = std::string(kEmptySha256)};
    headers.emplace_back(
        "Authorization",
        sigv4_authorization(request, {date, options_.region, "s3"}, options_.credentials));
  }
  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : headers) {
    header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
  }
  curl_slist* connect_to = nullptr;
  if (!options_.connect_to.empty()) {
    connect_to = curl_slist_append(nullptr, ("::" + options_.connect_to).c_str());
  }

  Transfer transfer;
  transfer.limit = options_.max_object_bytes;
  char error_text[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // libcurl would otherwise read http_proxy/https_proxy/no_proxy from the environment on every
  // request; the endpoint (and connect_to) alone decide where requests go.
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: many threads
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_object_bytes));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  const CURLcode code = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(header_list);
  curl_slist_free_all(connect_to);
  return_handle(curl);

  const std::string detail = error_text[0] ? error_text : curl_easy_strerror(code);
  if (code == CURLE_FILESIZE_EXCEEDED || (code == CURLE_WRITE_ERROR && transfer.too_big)) {
    if (http_status >= 200 && http_status < 300) {
      attempt.result = make_error(ErrorCode::kResourceExhausted,
                                  "object " + describe(ref) + " is larger than the " +
                                      std::to_string(options_.max_object_bytes) + "-byte limit");
      return attempt;
    }
    attempt.result = s3_answer_error(http_status, "", ref);
    attempt.retryable = http_status >= 500;
    return attempt;
  }
  switch (code) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT:
      attempt.result = make_error(
          ErrorCode::kDeadlineExceeded,
          "object store timed out after " + std::to_string(options_.timeout_ms) + " ms: " + detail);
      attempt.retryable = true;
      return attempt;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      // The connection broke mid-answer: transient, as S3's own SDKs treat it.
      attempt.result = make_error(ErrorCode::kUnavailable, "object store unreachable: " + detail);
      attempt.retryable = true;
      return attempt;
    default:
      attempt.result = make_error(ErrorCode::kUnavailable, "object store unreachable: " + detail);
      return attempt;
  }
  if (http_status >= 200 && http_status < 300) {
    attempt.result = std::move(transfer.body);
    return attempt;
  }
  const std::string_view body(reinterpret_cast<const char*>(transfer.body.data()),
                              transfer.body.size());
  attempt.result = s3_answer_error(http_status, body, ref);
  attempt.retryable = http_status >= 500;
  return attempt;
}

Result<std::vector<uint8_t>> S3ObjectStore::get(const ObjectRef& ref) {
  if (Status valid = validate_object_ref(ref); !valid) return valid.error();
  Result<S3Target> target = s3_target(options_, ref);
  if (!target) return target.error();

  int backoff_ms = options_.backoff_ms;
  for (int attempt_index = 0;; ++attempt_index) {
    Attempt attempt = get_once(ref, *target);
    if (attempt.result || !attempt.retryable) return std::move(attempt.result);
    if (attempt_index >= options_.max_retries) {
      Error error = attempt.result.error();
      error.message += " (" + std::to_string(attempt_index + 1) + " attempts)";
      return error;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(2 * backoff_ms, 2'000);
  }
}

}  // namespace bodyshape::storage
