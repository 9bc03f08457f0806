// The service's Prometheus metrics, served as text at GET /metrics. Hand-rolled rather than
// prometheus-cpp (not in Debian, and a few counters and fixed-bucket histograms are ~200 lines):
// every update is a relaxed atomic add, so recording costs nanoseconds on the request path.
//
//   Metrics metrics(paths_of_routes, {.version = BODYSHAPE_VERSION, ...});
//   metrics.record_request("/api/analysis-future-shape", 200, 0.84);   // edge, after each reply
//   StageSink* stages = metrics.stages("/api/analysis-future-shape");  // handed to api/ deps
//   std::string text = metrics.render();                              // exposition format 0.0.4
//
// Names (all prefixed bodyshape_): http_requests_total{route,status},
// http_request_duration_seconds{route}, stage_duration_seconds{route,stage},
// http_requests_in_flight, inference_workers, inference_workers_busy, inference_queue_waiting,
// model_load_seconds, build_info{version,landmark_model}. Paths not in the route table count as
// route="other", so a scan of random URLs cannot grow the label set.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/stage_timer.h"

namespace bodyshape::server {

// Cumulative-bucket latency histogram with fixed bounds in seconds.
class LatencyHistogram {
 public:
  // From a 1 ms health check to a 30 s queue timeout; one inference is 0.1-1 s.
  static constexpr std::array<double, 14> kBoundsSeconds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  void observe(double seconds);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Appends _bucket (cumulative, then +Inf), _sum and _count lines; labels is `a="b",...` or "".
  void append_text(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsSeconds.size() + 1> buckets_{};  // last = +Inf
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> count_{0};
};

struct WorkerPoolGauges {
  size_t workers = 0;
  size_t busy = 0;     // running the models now
  size_t waiting = 0;  // queued for a worker
};

struct MetricsInfo {
  std::string version{};
  std::string landmark_model{};
  double model_load_seconds = 0;
  std::function<WorkerPoolGauges()> worker_pool{};  // read at each scrape; empty = not reported
};

class Metrics {
 public:
  Metrics(const std::vector<std::string_view>& route_paths, MetricsInfo info);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // seconds < 0 = unknown (the edge refused the request before timing it): counted, not timed.
  void record_request(std::string_view path, int status, double seconds);
  // Stage durations for one route (its label); never null (unknown paths share "other").
  StageSink* stages(std::string_view path);
  void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  std::string render() const;

 private:
  class Route;
  Route& route(std::string_view path);

  std::vector<std::unique_ptr<Route>> routes_;  // the route table's paths, then "other"
  MetricsInfo info_;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace bodyshape::server
