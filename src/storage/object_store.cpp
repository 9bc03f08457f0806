#include "storage/object_store.h"

#include <algorithm>
#include <array>

#include "storage/local_object_store.h"
#include "storage/s3_object_store.h"

namespace bodyshape::storage {
namespace {

constexpr size_t kMaxKeyBytes = 1024;  // S3's documented limit for an object key (UTF-8 bytes)

Error refused(std::string why) {
  return make_error(ErrorCode::kInvalidArgument, "imgSrc refused: " + std::move(why));
}

bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

// The scheme of "scheme:..." (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), lowercased;
// empty when the text does not start with one.
std::string uri_scheme(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_ascii_alpha(text[0])) return "";
  std::string scheme;
  for (char c : text.substr(0, colon)) {
    if (!is_ascii_alpha(c) && !is_ascii_digit(c) && c != '+' && c != '-' && c != '.') return "";
    scheme += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return scheme;
}

// Schemes refused even without "//" ("http:example.com", "file:/etc/passwd").
bool is_fetchable_scheme(std::string_view scheme) {
  constexpr std::array<std::string_view, 9> kSchemes = {"http", "https",  "file", "ftp", "ftps",
                                                        "data", "gopher", "ldap", "dict"};
  return std::find(kSchemes.begin(), kSchemes.end(), scheme) != kSchemes.end();
}

Status check_key(std::string_view key) {
  if (key.empty()) return refused("the object key is empty");
  if (key.size() > kMaxKeyBytes) {
    return refused("the object key is longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (key.front() == '/') return refused("absolute paths are not accepted");
  if (key.find('\\') != std::string_view::npos) return refused("backslashes are not accepted");
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    const std::string_view segment = key.substr(start, slash - start);
    // A local directory would read "a//b" as "a/b" and resolve "." and "..": refuse them so
    // that both stores name the same object.
    if (segment.empty()) return refused("empty path segments ('//' or a trailing '/')");
    if (segment == "." || segment == "..") return refused("'.' and '..' path segments");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Ok{};
}

bool is_allowed(std::string_view bucket, const SourcePolicy& policy) {
  return bucket == policy.default_bucket ||
         std::find(policy.allowed_buckets.begin(), policy.allowed_buckets.end(), bucket) !=
             policy.allowed_buckets.end();
}

}  // namespace

bool is_valid_bucket_name(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!(c >= 'a' && c <= 'z') && !is_ascii_digit(c) && c != '.' && c != '-') return false;
  }
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || is_ascii_digit(c); };
  return alnum(bucket.front()) && alnum(bucket.back()) &&
         bucket.find("..") == std::string_view::npos;
}

std::vector<std::string> split_bucket_list(std::string_view comma_separated) {
  std::vector<std::string> buckets;
  size_t start = 0;
  while (start <= comma_separated.size()) {
    size_t comma = comma_separated.find(',', start);
    if (comma == std::string_view::npos) comma = comma_separated.size();
    std::string_view item = comma_separated.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) buckets.emplace_back(item);
    start = comma + 1;
  }
  return buckets;
}

Status validate_object_ref(const ObjectRef& ref) {
  if (!is_valid_bucket_name(ref.bucket)) {
    return refused("'" + ref.bucket + "' is not a valid bucket name");
  }
  for (char c : ref.key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return refused("control characters are not accepted");
    }
  }
  return check_key(ref.key);
}

Result<ObjectRef> parse_image_source(std::string_view img_src, const SourcePolicy& policy) {
  if (img_src.empty()) return refused("it is empty");
  for (char c : img_src) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return refused("control characters are not accepted");
    }
  }
  if (img_src.starts_with("//")) {
    return refused("it looks like a URL ('//host'); send a key or s3://bucket/key");
  }

  ObjectRef ref;
  const std::string scheme = uri_scheme(img_src);
  const bool has_authority = img_src.substr(scheme.size()).starts_with("://");
  if (scheme == "s3" && has_authority) {
    const std::string_view rest = img_src.substr(5);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return refused("s3://bucket/key needs a key");
    ref.bucket = std::string(rest.substr(0, slash));
    ref.key = std::string(rest.substr(slash + 1));
    if (!is_valid_bucket_name(ref.bucket)) {
      return refused("'" + ref.bucket + "' is not a valid bucket name");
    }
    if (!is_allowed(ref.bucket, policy)) {
      return refused("bucket '" + ref.bucket + "' is not allowed");
    }
  } else if (!scheme.empty() && (has_authority || is_fetchable_scheme(scheme))) {
    return refused("it looks like a URL (" + scheme + ":); send a key or s3://bucket/key");
  } else {
    const size_t slash = img_src.find('/');
    const std::string_view first = img_src.substr(0, slash);
    const bool names_bucket =
        slash != std::string_view::npos && !first.empty() &&
        std::find(policy.allowed_buckets.begin(), policy.allowed_buckets.end(), first) !=
            policy.allowed_buckets.end();
    if (names_bucket) {
      ref.bucket = std::string(first);
      ref.key = std::string(img_src.substr(slash + 1));
    } else {
      if (policy.default_bucket.empty()) {
        return refused("no default bucket is configured; send s3://bucket/key");
      }
      ref.bucket = policy.default_bucket;
      ref.key = std::string(img_src);
    }
  }
  if (Status key = check_key(ref.key); !key) return key.error();
  return ref;
}

Result<std::unique_ptr<ObjectStore>> open_object_store(const ObjectStoreSettings& settings,
                                                       char** environ_entries) {
  if (settings.endpoint.empty()) {
    return std::unique_ptr<ObjectStore>(
        std::make_unique<LocalObjectStore>(settings.local_root, settings.max_object_bytes));
  }
  Result<S3Options> options = s3_options_from(settings, environ_entries);
  if (!options) return options.error();
  return std::unique_ptr<ObjectStore>(std::make_unique<S3ObjectStore>(std::move(*options)));
}

}  // namespace bodyshape::storage
