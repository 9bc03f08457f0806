// Where request images live: one interface, a local directory and S3 behind it. Usage:
//
//   SourcePolicy policy{.default_bucket = "images", .allowed_buckets = {"images", "uploads"}};
//   Result<ObjectRef> ref = parse_image_source("s3://uploads/2024/a.jpg", policy);
//   auto store = open_object_store(settings, environ);      // once, at start-up
//   Result<std::vector<uint8_t>> bytes = (*store)->get(*ref);
//
// imgSrc is always a bucket + key, never a URL: the service never fetches an address a client
// chose (no SSRF). Each store enforces its own size limit and maps "missing" to kNotFound,
// "cannot serve now" to kUnavailable/kDeadlineExceeded, "too big" to kResourceExhausted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bodyshape::storage {

struct ObjectRef {
  std::string bucket{};
  std::string key{};
  bool operator==(const ObjectRef&) const = default;
};

// Which buckets a client may name. The default bucket is always readable.
struct SourcePolicy {
  std::string default_bucket{};
  // Buckets a client may name, as s3://bucket/key or as a first path segment bucket/key.
  std::vector<std::string> allowed_buckets{};
};

// Accepts "key" (default bucket), "s3://bucket/key" (default or allow-listed bucket), and
// "bucket/key" when bucket is allow-listed (otherwise the whole text is a key in the default
// bucket). kInvalidArgument, with the reason, for: empty text or key, URLs (scheme://, //host,
// http:...), absolute paths, "." / ".." / empty path segments, backslashes, control characters
// (NUL included), keys over 1024 bytes (S3's limit), and buckets outside the policy.
Result<ObjectRef> parse_image_source(std::string_view img_src, const SourcePolicy& policy);

// S3's bucket naming rules: 3..63 of [a-z0-9.-], starting and ending with a letter or digit.
bool is_valid_bucket_name(std::string_view bucket);

// "a, b,c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> split_bucket_list(std::string_view comma_separated);

// The key and bucket rules of parse_image_source, for stores to re-check what they are handed.
Status validate_object_ref(const ObjectRef& ref);

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // The object's bytes. Thread-safe: called from many request threads at once.
  virtual Result<std::vector<uint8_t>> get(const ObjectRef& ref) = 0;
};

// The object store as the service's configuration names it, read once at start-up.
struct ObjectStoreSettings {
  // "" = LocalObjectStore at local_root; "aws" = AWS S3 (https://s3.<region>.amazonaws.com,
  // virtual-host style); otherwise an http(s)://host[:port] S3-compatible endpoint (path style).
  std::string endpoint{};
  std::string local_root = "var/objects";
  std::string region{};      // "" = AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1
  std::string access_key{};  // "" = AWS_ACCESS_KEY_ID (no key at all = unsigned requests)
  std::string secret_key{};  // "" = AWS_SECRET_ACCESS_KEY
  int timeout_ms = 10'000;   // per attempt, connect + transfer
  int64_t max_object_bytes = 32LL << 20;
};

// kInvalidArgument for a malformed endpoint. Reads credentials from environ_entries (the process
// environment, passed in by main) only here.
Result<std::unique_ptr<ObjectStore>> open_object_store(const ObjectStoreSettings& settings,
                                                       char** environ_entries);

}  // namespace bodyshape::storage
