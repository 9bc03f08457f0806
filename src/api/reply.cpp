#include "api/reply.h"

#include <nlohmann/json.hpp>

namespace bodyshape::api {

Reply future_shape_error(const Error& error) {
  struct Mapping {
    int status;
    const char* fixed_message;  // nullptr = the error's own message
    bool with_detail;
    bool retry_later;
  };
  const Mapping mapping = [&]() -> Mapping {
    switch (error.code) {
      case ErrorCode::kInvalidArgument: return {400, nullptr, false, false};
      // Same message for every auth failure, so it tells an attacker nothing.
      case ErrorCode::kUnauthenticated: return {401, "authentication failed", false, false};
      case ErrorCode::kBadImage: return {400, "wrong image", true, false};  // contract literal
      case ErrorCode::kNoPerson:
        return {400, "keypoint inference error", true, false};  // contract literal
      case ErrorCode::kResourceExhausted:  // the worker queue is full: "server busy"
      case ErrorCode::kUnavailable: return {503, nullptr, false, true};
      case ErrorCode::kDeadlineExceeded: return {503, "timeout", false, true};
      case ErrorCode::kNotFound:
      case ErrorCode::kInternal: break;
    }
    return {500, "internal error", false, false};
  }();

  nlohmann::json body = {{"state", false}};
  body["message"] = mapping.fixed_message ? std::string(mapping.fixed_message) : error.message;
  if (mapping.with_detail) body["detail"] = error.message;
  Reply reply;
  reply.status = mapping.status;
  reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (mapping.retry_later) reply.retry_after = "1";
  return reply;
}

std::string json_quote(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bodyshape::api
