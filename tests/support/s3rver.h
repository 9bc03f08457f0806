// A real fake S3 for tests: s3rver 3.7.1 (node, devDependency in package.json, installed by
// scripts/setup's npm ci) on a free loopback port with its own temporary directory, buckets and
// credentials. Stopped (SIGTERM) on destruction or by stop(), SIGKILLed by the kernel if the test
// process dies first (its death signal).
//
//   S3rverProcess s3({.buckets = {"photos"}});
//   s3.endpoint();   // "http://127.0.0.1:PORT"
//
// What s3rver 3.7.1 checks: the access key id must be known (else 403 InvalidAccessKeyId), the
// x-amz-date must be within 15 minutes and x-amz-content-sha256 present; it does NOT verify V4
// signatures (lib/middleware/authentication.js: "Signature version 4 calculation is
// unimplemented"), so a wrong secret key is accepted.
// Virtual-host requests: Host "BUCKET.s3.<service_endpoint>" names BUCKET.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/server_process.h"

namespace bodyshape::testing {

struct S3rverOptions {
  std::string access_key = "BODYSHAPETESTKEY";
  std::string secret_key = "bodyshape-test-secret";
  std::vector<std::string> buckets = {"photos"};
  std::string service_endpoint = "bodyshape.test";
};

class S3rverProcess {
 public:
  // Throws std::runtime_error (with s3rver's output) if it does not start within 15 s.
  explicit S3rverProcess(S3rverOptions options = {});
  ~S3rverProcess();
  S3rverProcess(const S3rverProcess&) = delete;
  S3rverProcess& operator=(const S3rverProcess&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const S3rverOptions& options() const { return options_; }
  // Uploads an object with a SigV4-signed PUT, as any S3 client would. "" = done, else why not.
  std::string put(const std::string& bucket, const std::string& key,
                  const std::string& bytes) const;
  // Stops the server now (idempotent); later requests find the port closed.
  void stop();

 private:
  S3rverOptions options_;
  TempDir directory_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace bodyshape::testing
