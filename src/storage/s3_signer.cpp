#include "storage/s3_signer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace bodyshape::storage {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(const unsigned char* bytes, size_t size) {
  std::string hex(2 * size, '0');
  for (size_t i = 0; i < size; ++i) {
    hex[2 * i] = kHexDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kHexDigits[bytes[i] & 0xf];
  }
  return hex;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
            &length)) {
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");  // a broken install, not a request
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return result;
}

// Canonical header value: leading/trailing spaces trimmed, inner runs of spaces collapsed.
std::string canonical_value(std::string_view value) {
  std::string result;
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      in_space = !result.empty();
      continue;
    }
    if (in_space) result += ' ';
    in_space = false;
    result += c;
  }
  return result;
}

struct CanonicalHeaders {
  std::string lines;         // "name:value\n" for each header
  std::string signed_names;  // "host;range;x-amz-date"
};

CanonicalHeaders canonical_headers(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(lower(name), canonical_value(value));
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders result;
  for (size_t i = 0; i < headers.size(); ++i) {
    const bool same_as_previous = i > 0 && headers[i].first == headers[i - 1].first;
    if (same_as_previous) {
      // Repeated headers: one line, values joined by commas in the order sent.
      result.lines.back() = ',';
      result.lines += headers[i].second + '\n';
      continue;
    }
    if (!result.signed_names.empty()) result.signed_names += ';';
    result.signed_names += headers[i].first;
    result.lines += headers[i].first + ':' + headers[i].second + '\n';
  }
  return result;
}

std::string date_of(const SigV4Scope& scope) {
  return scope.amz_date.substr(0, 8);
}

std::string credential_scope(const SigV4Scope& scope) {
  return date_of(scope) + '/' + scope.region + '/' + scope.service + "/aws4_request";
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string encoded;
  encoded.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += "0123456789ABCDEF"[byte >> 4];
      encoded += "0123456789ABCDEF"[byte & 0xf];
    }
  }
  return encoded;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return to_hex(digest, sizeof digest);
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

std::string sigv4_canonical_request(const SigV4Request& request) {
  const CanonicalHeaders headers = canonical_headers(request);
  return request.method + '\n' + request.canonical_uri + '\n' + request.canonical_query + '\n' +
         headers.lines + '\n' + headers.signed_names + '\n' + request.payload_sha256_hex;
}

std::string sigv4_string_to_sign(std::string_view canonical_request, const SigV4Scope& scope) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + '\n' + credential_scope(scope) + '\n' +
         sha256_hex(canonical_request);
}

std::string sigv4_authorization(const SigV4Request& request, const SigV4Scope& scope,
                                const S3Credentials& credentials) {
  const std::string string_to_sign = sigv4_string_to_sign(sigv4_canonical_request(request), scope);
  // The signing key is derived per day, region and service from the secret.
  std::string key = hmac_sha256("AWS4" + credentials.secret_key, date_of(scope));
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  const std::string signature = hmac_sha256(key, string_to_sign);
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + '/' + credential_scope(scope) +
         ", SignedHeaders=" + canonical_headers(request).signed_names + ", Signature=" +
         to_hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

}  // namespace bodyshape::storage
