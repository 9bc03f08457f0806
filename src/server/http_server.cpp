#include "server/http_server.h"

#include <chrono>
#include <cstdio>
#include <random>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api/segmentation.h"
#include "common/log.h"
#include "server/metrics.h"
#include "server/openapi.h"
#include "server/playground.h"

namespace bodyshape::server {
namespace {

// Set by the pre-routing handler and read by the logger; both run on the connection's thread.
// t_request_routed is false when the edge answered before routing (413, unparsable request).
thread_local std::chrono::steady_clock::time_point t_request_start;
thread_local std::string t_request_id;
thread_local bool t_request_routed = false;

std::string new_request_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(generator()));
  return text;
}

std::string error_body(const std::string& message) {
  return nlohmann::json{{"state", false}, {"message", message}}.dump();
}

// compressible: a segmentation mask as JSON (~2 bytes per pixel) shrinks ~100x with gzip; a
// future-shape answer is base64 of an already compressed image, not worth the CPU.
void send(const httplib::Request& request, httplib::Response& response, api::Reply reply,
          bool compressible) {
  const std::string accepted = request.get_header_value("Accept-Encoding");
  if (compressible && accepted.find("gzip") != std::string::npos &&
      api::gzip_reply_body(reply)) {
    response.set_header("Content-Encoding", "gzip");
    response.set_header("Vary", "Accept-Encoding");
  }
  response.status = reply.status;
  if (!reply.retry_after.empty()) response.set_header("Retry-After", reply.retry_after);
  response.set_content(reply.body, "application/json");
}

// The peer address, or the last item of the configured forwarding header (the one the nearest
// proxy appended; earlier items are whatever the client sent).
std::string client_address(const httplib::Request& request, const std::string& header) {
  if (header.empty() || !request.has_header(header)) return request.remote_addr;
  std::string value = request.get_header_value(header);
  if (const size_t comma = value.rfind(','); comma != std::string::npos) value.erase(0, comma + 1);
  const size_t begin = value.find_first_not_of(" \t");
  const size_t end = value.find_last_not_of(" \t");
  if (begin == std::string::npos) return request.remote_addr;
  return value.substr(begin, end - begin + 1);
}

}  // namespace

HttpServer::HttpServer(const Config& config, Routes routes)
    : config_(config),
      routes_(std::move(routes)),
      auth_lockout_({.failures = config.auth_lockout_failures,
                     .window = std::chrono::seconds(config.auth_lockout_s),
                     .lockout = std::chrono::seconds(config.auth_lockout_s)}),
      openapi_json_(openapi_json()),
      http_(std::make_unique<httplib::Server>()) {
  install_routes();
}

api::Reply HttpServer::admit_and_handle(RouteShape shape, const std::string& client_address,
                                        std::string_view body,
                                        const std::function<api::Reply(std::string_view)>& route) {
  const Clock::time_point now = Clock::now();
  // The lockout first, so a locked-out address does not spend its rate-limit tokens.
  if (Admission locked = auth_lockout_.check(client_address, now); !locked.allowed) {
    return rate_limited_reply(shape, locked, "too many failed authentications from this address");
  }
  if (Admission admitted = routes_.per_ip->admit(client_address); !admitted.allowed) {
    return rate_limited_reply(shape, admitted, "too many requests from this address");
  }
  api::Reply reply = route(body);
  if (reply.status == 401) auth_lockout_.record_failure(client_address, Clock::now());
  return reply;
}

HttpServer::~HttpServer() = default;

void HttpServer::install_routes() {
  httplib::Server& http = *http_;
  const size_t threads = static_cast<size_t>(config_.http_threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(static_cast<size_t>(config_.body_limit_bytes));
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);
  http.set_keep_alive_timeout(5);

  Metrics* const metrics = routes_.metrics;
  http.set_pre_routing_handler([metrics](const httplib::Request&, httplib::Response& response) {
    t_request_start = std::chrono::steady_clock::now();
    t_request_id = new_request_id();
    t_request_routed = true;
    if (metrics) metrics->request_started();
    response.set_header("X-Request-Id", t_request_id);
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Errors the edge itself produces (404, 405, 413, 400 from the HTTP parser) get JSON bodies too.
  const int64_t body_limit = config_.body_limit_bytes;
  const httplib::Server::HandlerWithResponse error_handler = [body_limit](
                                                               const httplib::Request&,
                                                               httplib::Response& response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    switch (response.status) {
      case 404: message = "no such route"; break;
      case 405: message = "method not allowed"; break;
      case 413:
        message = "request body is larger than the limit of " + std::to_string(body_limit) +
                  " bytes";
        break;
      case 414: message = "request URI too long"; break;
      default: message = "bad request"; break;
    }
    response.set_content(error_body(message), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_error_handler(error_handler);

  http.set_logger([metrics](const httplib::Request& request, const httplib::Response& response) {
    const auto elapsed = std::chrono::steady_clock::now() - t_request_start;
    const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
    if (metrics) {
      metrics->record_request(request.path, response.status, t_request_routed ? ms / 1000 : -1);
      if (t_request_routed) metrics->request_finished();
    }
    t_request_routed = false;
    char ms_text[32];
    std::snprintf(ms_text, sizeof ms_text, "%.1f", ms);
    log::info("request", {{"id", t_request_id},
                          {"method", request.method},
                          {"route", request.path},
                          {"status", std::to_string(response.status)},
                          {"ms", ms_text},
                          {"bytes_in", std::to_string(request.body.size())},
                          {"bytes_out", std::to_string(response.body.size())}});
  });

  http.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(playground_html()), "text/html; charset=utf-8");
  });
  http.Get("/openapi.json", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(openapi_json_, "application/json");
  });
  http.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& response) {
    if (!metrics) {
      response.status = 404;
      return;  // the error handler writes the JSON body
    }
    response.set_content(metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"state":true,"message":"alive"})", "application/json");
  });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    std::string why_not;
    if (routes_.ready && routes_.ready(&why_not)) {
      response.set_content(R"({"state":true,"message":"ready"})", "application/json");
    } else {
      response.status = 503;
      response.set_content(error_body(why_not.empty() ? "not ready" : why_not),
                           "application/json");
    }
  });
  if (routes_.future_shape) {
    http.Post(std::string(kFutureShapePath),
              [this](const httplib::Request& request, httplib::Response& response) {
                send(request, response,
                     admit_and_handle(RouteShape::kFutureShape,
                                      client_address(request, config_.client_address_header),
                                      request.body,
                                      routes_.future_shape),
                     false);
              });
  }
  if (routes_.segmentation) {
    http.Post(std::string(kSegmentationPath),
              [this](const httplib::Request& request, httplib::Response& response) {
                send(request, response,
                     admit_and_handle(RouteShape::kSegmentation,
                                      client_address(request, config_.client_address_header),
                                      request.body,
                                      routes_.segmentation),
                     true);
              });
  }
  if (routes_.person_mask) {
    http.Post(std::string(kPersonMaskPath),
              [this](const httplib::Request& request, httplib::Response& response) {
                send(request, response,
                     admit_and_handle(RouteShape::kFutureShape,
                                      client_address(request, config_.client_address_header),
                                      request.body,
                                      routes_.person_mask),
                     false);
              });
  }
}

Status HttpServer::run() {
  // Port 0: the system picks a free one, and the log says which (tests start servers this way,
  // so no other process can take the port between choosing and binding it).
  int port = config_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(config_.host);
  } else if (!http_->bind_to_port(config_.host, port)) {
    port = -1;
  }
  if (port < 0) {
    return make_error(ErrorCode::kUnavailable, "cannot listen on " + config_.host + ":" +
                                                   std::to_string(config_.port));
  }
  log::info("listening", {{"host", config_.host}, {"port", std::to_string(port)}});
  http_->listen_after_bind();  // returns after stop(); the thread pool drains on the way out
  log::info("stopped");
  return Ok{};
}

void HttpServer::stop() { http_->stop(); }

}  // namespace bodyshape::server
