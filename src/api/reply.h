// The one place where errors become the contract's HTTP statuses and messages
// (../shared/spec/CONTRACT.md). Bodies are JSON.
#pragma once

#include <string>

#include "common/result.h"

namespace bodyshape::api {

struct Reply {
  int status = 200;
  std::string body;  // JSON
  std::string retry_after;  // seconds, for 503 answers that may succeed later; empty = none
};

// /api/analysis-future-shape failures: {"state": false, "message": ..., "detail": ...}.
// kBadImage -> 400 "wrong image", kNoPerson -> 400 "keypoint inference error",
// kUnauthenticated -> 401 "authentication failed", kInvalidArgument -> 400 with the error's
// own message, kUnavailable/kResourceExhausted -> 503 with the error's message, kDeadlineExceeded
// -> 503 "timeout", anything else -> 500.
// `detail` carries the precise reason where the contract fixes the message.
Reply future_shape_error(const Error& error);

// A JSON string literal with quotes, escaped (for hand-written JSON on hot paths).
std::string json_quote(std::string_view text);

}  // namespace bodyshape::api
