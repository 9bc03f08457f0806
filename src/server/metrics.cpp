#include "server/metrics.h"

#include <cmath>
#include <cstdio>

namespace bodyshape::server {
namespace {

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;

// Prometheus floats: 10 significant digits keep nanosecond sums exact up to 10 s without the
// binary noise of the ns -> s conversion, and print bounds as written (0.0025, 10).
std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

// Label values are paths and versions; escape what the format requires anyway.
std::string label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

void LatencyHistogram::observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // NaN or a clock step: count it as instant
  size_t bucket = 0;
  while (bucket < kBoundsSeconds.size() && seconds > kBoundsSeconds[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void LatencyHistogram::append_text(std::string& out, std::string_view name,
                                   std::string_view labels) const {
  const std::string prefix = std::string(labels) + (labels.empty() ? "" : ",");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kBoundsSeconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < kBoundsSeconds.size() ? number_text(kBoundsSeconds[i]) : "+Inf";
    out.append(name).append("_bucket{").append(prefix).append("le=\"").append(le).append("\"} ");
    out.append(std::to_string(cumulative)).append("\n");
  }
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out.append(name).append("_sum").append(braces).append(" ");
  out.append(number_text(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9));
  out.append("\n");
  out.append(name).append("_count").append(braces).append(" ");
  out.append(std::to_string(cumulative)).append("\n");
}

class Metrics::Route final : public StageSink {
 public:
  explicit Route(std::string_view path) : path(path) {}
  void record(Stage stage, double seconds) override {
    stages[static_cast<size_t>(stage)].observe(seconds);
  }

  const std::string path;
  std::array<std::atomic<uint64_t>, kMaxStatus - kMinStatus + 1> by_status{};
  LatencyHistogram latency;
  std::array<LatencyHistogram, kStageCount> stages;
};

Metrics::Metrics(const std::vector<std::string_view>& route_paths, MetricsInfo info)
    : info_(std::move(info)) {
  for (std::string_view path : route_paths) routes_.push_back(std::make_unique<Route>(path));
  routes_.push_back(std::make_unique<Route>("other"));
}

Metrics::~Metrics() = default;

Metrics::Route& Metrics::route(std::string_view path) {
  for (size_t i = 0; i + 1 < routes_.size(); ++i) {
    if (routes_[i]->path == path) return *routes_[i];
  }
  return *routes_.back();
}

void Metrics::record_request(std::string_view path, int status, double seconds) {
  Route& target = route(path);
  if (status < kMinStatus || status > kMaxStatus) status = 500;
  target.by_status[static_cast<size_t>(status - kMinStatus)].fetch_add(1,
                                                                       std::memory_order_relaxed);
  if (seconds >= 0) target.latency.observe(seconds);
}

StageSink* Metrics::stages(std::string_view path) {
  return &route(path);
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(16384);

  append_header(out, "bodyshape_build_info", "gauge", "Version and configured landmark model.");
  out.append("bodyshape_build_info{version=\"").append(label_value(info_.version));
  out.append("\",landmark_model=\"").append(label_value(info_.landmark_model)).append("\"} 1\n");

  append_header(out, "bodyshape_model_load_seconds", "gauge",
                "Time to load and check the models and build every worker's runtime at start-up.");
  out.append("bodyshape_model_load_seconds ").append(number_text(info_.model_load_seconds));
  out.append("\n");

  append_header(out, "bodyshape_http_requests_total", "counter",
                "Requests answered, by route and HTTP status.");
  for (const auto& route : routes_) {
    for (size_t i = 0; i < route->by_status.size(); ++i) {
      const uint64_t count = route->by_status[i].load(std::memory_order_relaxed);
      if (count == 0) continue;
      out.append("bodyshape_http_requests_total{route=\"").append(label_value(route->path));
      out.append("\",status=\"").append(std::to_string(kMinStatus + static_cast<int>(i)));
      out.append("\"} ").append(std::to_string(count)).append("\n");
    }
  }

  append_header(out, "bodyshape_http_request_duration_seconds", "histogram",
                "Time from the request's headers being routed to the reply, by route.");
  for (const auto& route : routes_) {
    if (route->latency.count() == 0) continue;
    route->latency.append_text(out, "bodyshape_http_request_duration_seconds",
                               "route=\"" + label_value(route->path) + "\"");
  }

  append_header(out, "bodyshape_stage_duration_seconds", "histogram",
                "Time spent in each stage of the pipeline (decode, queue, person, reshape, "
                "encode), by route.");
  for (const auto& route : routes_) {
    for (int stage = 0; stage < kStageCount; ++stage) {
      const LatencyHistogram& histogram = route->stages[static_cast<size_t>(stage)];
      if (histogram.count() == 0) continue;
      histogram.append_text(out, "bodyshape_stage_duration_seconds",
                            "route=\"" + label_value(route->path) + "\",stage=\"" +
                                stage_name(static_cast<Stage>(stage)) + "\"");
    }
  }

  append_header(out, "bodyshape_http_requests_in_flight", "gauge", "Requests being handled now.");
  out.append("bodyshape_http_requests_in_flight ");
  out.append(std::to_string(in_flight_.load(std::memory_order_relaxed))).append("\n");

  if (info_.worker_pool) {
    const WorkerPoolGauges pool = info_.worker_pool();
    append_header(out, "bodyshape_inference_workers", "gauge",
                  "Inference workers (model runtimes).");
    out.append("bodyshape_inference_workers ").append(std::to_string(pool.workers)).append("\n");
    append_header(out, "bodyshape_inference_workers_busy", "gauge",
                  "Inference workers running a request now.");
    out.append("bodyshape_inference_workers_busy ").append(std::to_string(pool.busy)).append("\n");
    append_header(out, "bodyshape_inference_queue_waiting", "gauge",
                  "Requests waiting for a free inference worker.");
    out.append("bodyshape_inference_queue_waiting ").append(std::to_string(pool.waiting));
    out.append("\n");
  }
  return out;
}

}  // namespace bodyshape::server
