// Objects from S3 or an S3-compatible server (MinIO, s3rver, ...) over HTTP(S) with libcurl,
// requests signed with AWS Signature V4 (s3_signer.h). Usage:
//
//   Result<S3Options> options = s3_options_from(settings, environ);  // once, at start-up
//   S3ObjectStore store(*options);
//   Result<std::vector<uint8_t>> bytes = store.get({"images", "2024/a.jpg"});
//
// Behaviour: redirects are never followed (a redirect means a wrong region or endpoint); proxy
// variables in the environment are ignored (the endpoint alone decides where requests go); the size
// limit is checked against Content-Length and again while the body streams in (the transfer is cut
// as soon as it is exceeded); 5xx answers, timeouts and connections dropped mid-answer are retried
// max_retries times with exponential backoff (backoff_ms, 2x, 4x ...); nothing else is retried.
// Errors: 404 -> kNotFound; 403 -> kUnavailable "S3 refused the credentials (403 <Code>)";
// refused/unresolvable connection -> kUnavailable "object store unreachable: ..."; timeout ->
// kDeadlineExceeded; too big -> kResourceExhausted; any other answer -> kUnavailable naming the
// HTTP status and S3's error code.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "storage/object_store.h"
#include "storage/s3_signer.h"

namespace bodyshape::storage {

enum class S3Addressing {
  kPathStyle,    // http://endpoint/bucket/key: MinIO, s3rver, most S3-compatible servers
  kVirtualHost,  // http://bucket.endpoint/key: AWS's preferred style
};

struct S3Options {
  std::string endpoint = "https://s3.us-east-1.amazonaws.com";  // scheme://host[:port], no path
  std::string region = "us-east-1";
  S3Credentials credentials{};
  S3Addressing addressing = S3Addressing::kVirtualHost;
  // "ip:port" dialled instead of the URL's host (a VPC endpoint, a test server); the Host header
  // and the signature still name the endpoint. Empty = normal name resolution.
  std::string connect_to{};
  int connect_timeout_ms = 2'000;
  int timeout_ms = 10'000;  // per attempt: connect + request + whole body
  int max_retries = 2;      // attempts after the first, for retryable failures only
  int backoff_ms = 100;     // wait before the first retry; doubles each time, at most 2 s
  int64_t max_object_bytes = 32LL << 20;
};

// Reads endpoint/region/credentials/limits from settings, falling back to AWS_REGION,
// AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN in
// environ_entries. endpoint "aws" = AWS itself (virtual-host); a URL = path style.
// kInvalidArgument for an endpoint that is not http(s)://host[:port].
Result<S3Options> s3_options_from(const ObjectStoreSettings& settings, char** environ_entries);

// Where a request for ref goes: the URL curl fetches, the Host header, the signed path.
struct S3Target {
  std::string url{};
  std::string host{};
  std::string canonical_uri{};
};
Result<S3Target> s3_target(const S3Options& options, const ObjectRef& ref);

// The error for a non-2xx answer (status + S3's XML error body).
Error s3_answer_error(long http_status, std::string_view body, const ObjectRef& ref);

class S3ObjectStore final : public ObjectStore {
 public:
  explicit S3ObjectStore(S3Options options);
  ~S3ObjectStore() override;
  S3ObjectStore(const S3ObjectStore&) = delete;
  S3ObjectStore& operator=(const S3ObjectStore&) = delete;

  Result<std::vector<uint8_t>> get(const ObjectRef& ref) override;

 private:
  struct Attempt;
  Attempt get_once(const ObjectRef& ref, const S3Target& target);
  void* take_handle();  // a pooled CURL* (keeps its connection alive between requests)
  void return_handle(void* handle);

  S3Options options_;
  std::mutex pool_mutex_;
  std::vector<void*> idle_handles_;
};

}  // namespace bodyshape::storage
