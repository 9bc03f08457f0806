// AWS Signature Version 4 for S3 requests, written from AWS's description ("Authenticating
// Requests: AWS Signature Version 4") and checked against its published examples
// (tests/storage_s3_test.cpp: the signature test suite's get-vanilla cases and the S3 GetObject
// example). Usage:
//
//   SigV4Request request{.method = "GET", .canonical_uri = "/photos/a.jpg",
//                        .headers = {{"host", "s3.example.com"}, {"x-amz-date", date},
//                                    {"x-amz-content-sha256", kEmptySha256}},
//                        .payload_sha256_hex = kEmptySha256};
//   std::string authorization = sigv4_authorization(request, {date, "us-east-1", "s3"}, keys);
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bodyshape::storage {

// SHA-256 of the empty string: the payload hash of a GET.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct S3Credentials {
  std::string access_key{};  // empty = send requests unsigned
  std::string secret_key{};
  std::string session_token{};  // temporary credentials only: sent as x-amz-security-token
};

struct SigV4Request {
  std::string method = "GET";
  std::string canonical_uri = "/";  // the path as sent, URI-encoded once (uri_encode, keep '/')
  std::string canonical_query{};    // "a=1&b=2": names sorted, names and values URI-encoded
  // Every header listed is signed; must include host and x-amz-date. Any case, any order.
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string payload_sha256_hex = std::string(kEmptySha256);
};

struct SigV4Scope {
  std::string amz_date{};  // "20130524T000000Z"
  std::string region{};    // "us-east-1"
  std::string service{};   // "s3"
};

// The canonical request, the string to sign and the final header, as AWS's documentation shows
// them (exposed so the tests can compare each step with the published example).
std::string sigv4_canonical_request(const SigV4Request& request);
std::string sigv4_string_to_sign(std::string_view canonical_request, const SigV4Scope& scope);
// "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=...,
// Signature=<64 hex>"
std::string sigv4_authorization(const SigV4Request& request, const SigV4Scope& scope,
                                const S3Credentials& credentials);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved A-Z a-z 0-9 - _ . ~ kept, everything
// else %XX (upper-case hex); '/' kept when keep_slash (an S3 object key in a path).
std::string uri_encode(std::string_view text, bool keep_slash);
std::string sha256_hex(std::string_view bytes);
// "YYYYMMDDTHHMMSSZ" in UTC.
std::string amz_date(std::chrono::system_clock::time_point time);

}  // namespace bodyshape::storage
