// The HTTP edge: routing, body limit, per-address rate limit and auth-failure lockout
// (server/rate_limit.h), request ids, one log line per request, graceful stop.
// Nothing outside src/server knows HTTP; the endpoints are plain functions in src/api.
// Also serves the operator's pages: /metrics (server/metrics.h), /openapi.json
// (server/openapi.h) and the playground at / (server/playground.h).
//
//   HttpServer server(config, routes);
//   server.run();   // blocks until stop() (SIGTERM), then drains in-flight requests
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/reply.h"
#include "server/config.h"
#include "server/rate_limit.h"

namespace httplib {
class Server;
}

namespace bodyshape::server {

class Metrics;

inline constexpr std::string_view kFutureShapePath = "/api/analysis-future-shape";
inline constexpr std::string_view kSegmentationPath = "/analyze/segmentation-v2";
inline constexpr std::string_view kPersonMaskPath = "/api/person-mask";

struct RouteSpec {
  std::string_view method;
  std::string_view path;
};
// Every route the server registers, in one place: the metrics' route labels come from it and the
// OpenAPI test checks that the document describes each one.
inline constexpr std::array<RouteSpec, 8> kRouteTable = {{
    {"GET", "/"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
    {"GET", "/openapi.json"},
    {"POST", kFutureShapePath},
    {"POST", kSegmentationPath},
    {"POST", kPersonMaskPath},
}};

struct Routes {
  std::function<api::Reply(std::string_view body)> future_shape;   // POST /api/analysis-future-shape
  std::function<api::Reply(std::string_view body)> segmentation;   // POST /analyze/segmentation-v2
  std::function<api::Reply(std::string_view body)> person_mask;    // POST /api/person-mask
  std::function<bool(std::string* why_not)> ready;                 // GET /readyz
  Metrics* metrics = nullptr;  // GET /metrics and request counting; null = neither
  // The per-address limit (rate_limit_per_ip); required.
  std::unique_ptr<RequestLimiter> per_ip;
};

class HttpServer {
 public:
  HttpServer(const Config& config, Routes routes);
  ~HttpServer();

  // Binds, serves until stop(), then waits for in-flight requests. kUnavailable if it cannot bind.
  Status run();
  // Safe from any thread (e.g. a signal-waiting thread).
  void stop();

 private:
  void install_routes();
  // Per-address lockout and rate limit, then the route; a 401 counts toward the lockout.
  api::Reply admit_and_handle(RouteShape shape, const std::string& client_address,
                              std::string_view body,
                              const std::function<api::Reply(std::string_view)>& route);

  Config config_;
  Routes routes_;
  AuthFailureLockout auth_lockout_;
  const std::string openapi_json_;  // built once: GET /openapi.json
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace bodyshape::server
