// The Prometheus text format of server/metrics.h: names, labels, cumulative buckets, unknown
// routes folded into "other", and exact counts under concurrent updates.
#include "server/metrics.h"

#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace bodyshape::server {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string each; std::getline(lines, each);) {
    if (each == line) return true;
  }
  return false;
}

TEST(Metrics, CountsRequestsByRouteAndStatus) {
  Metrics metrics({"/a", "/b"}, {.version = "1.2.3", .landmark_model = "full"});
  for (int i = 0; i < 3; ++i) metrics.record_request("/a", 200, 0.003);
  metrics.record_request("/a", 400, 0.2);
  metrics.record_request("/b", 413, -1);  // refused before routing: counted, not timed
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, R"(bodyshape_http_requests_total{route="/a",status="200"} 3)"));
  EXPECT_TRUE(has_line(text, R"(bodyshape_http_requests_total{route="/a",status="400"} 1)"));
  EXPECT_TRUE(has_line(text, R"(bodyshape_http_requests_total{route="/b",status="413"} 1)"));
  EXPECT_EQ(text.find(R"(bodyshape_http_request_duration_seconds_count{route="/b"})"),
            std::string::npos);
  EXPECT_TRUE(has_line(text, "# TYPE bodyshape_http_requests_total counter"));
  EXPECT_TRUE(has_line(text, R"(bodyshape_build_info{version="1.2.3",landmark_model="full"} 1)"));
}

TEST(Metrics, UnknownPathsShareOneLabel) {
  Metrics metrics({"/a"}, {});
  metrics.record_request("/wp-login.php", 404, 0.001);
  metrics.record_request("/../etc/passwd", 404, 0.001);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, R"(bodyshape_http_requests_total{route="other",status="404"} 2)"));
  EXPECT_EQ(text.find("wp-login"), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInclusiveBounds) {
  Metrics metrics({"/a"}, {});
  metrics.record_request("/a", 200, 0.005);  // exactly a bound: counted in le="0.005"
  metrics.record_request("/a", 200, 0.2);
  metrics.record_request("/a", 200, 100);  // beyond every bound: only +Inf
  const std::string text = metrics.render();
  const std::string name = R"(bodyshape_http_request_duration_seconds_bucket{route="/a",le=")";
  EXPECT_TRUE(has_line(text, name + R"(0.0025"} 0)"));
  EXPECT_TRUE(has_line(text, name + R"(0.005"} 1)"));
  EXPECT_TRUE(has_line(text, name + R"(0.25"} 2)"));
  EXPECT_TRUE(has_line(text, name + R"(30"} 2)"));
  EXPECT_TRUE(has_line(text, name + R"(+Inf"} 3)"));
  EXPECT_TRUE(has_line(text, R"(bodyshape_http_request_duration_seconds_count{route="/a"} 3)"));
  EXPECT_TRUE(has_line(text, R"(bodyshape_http_request_duration_seconds_sum{route="/a"} 100.205)"));
  EXPECT_TRUE(has_line(text, "# TYPE bodyshape_http_request_duration_seconds histogram"));
}

TEST(Metrics, StagesAreLabelledByRouteAndStage) {
  Metrics metrics({"/a", "/b"}, {});
  metrics.stages("/a")->record(Stage::kDecode, 0.004);
  { StageTimer timer(metrics.stages("/b"), Stage::kReshape); }
  StageTimer never(nullptr, Stage::kEncode);  // a null sink records nothing
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(
      text, R"(bodyshape_stage_duration_seconds_bucket{route="/a",stage="decode",le="0.005"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(bodyshape_stage_duration_seconds_count{route="/b",stage="reshape"} 1)"));
  EXPECT_EQ(text.find(R"(stage="encode")"), std::string::npos);
}

TEST(Metrics, GaugesComeFromTheWorkerPoolAtScrapeTime) {
  size_t busy = 1;
  Metrics metrics({}, {.model_load_seconds = 1.25, .worker_pool = [&busy] {
                         return WorkerPoolGauges{4, busy, 3};
                       }});
  metrics.request_started();
  busy = 2;
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "bodyshape_inference_workers 4"));
  EXPECT_TRUE(has_line(text, "bodyshape_inference_workers_busy 2"));
  EXPECT_TRUE(has_line(text, "bodyshape_inference_queue_waiting 3"));
  EXPECT_TRUE(has_line(text, "bodyshape_http_requests_in_flight 1"));
  EXPECT_TRUE(has_line(text, "bodyshape_model_load_seconds 1.25"));
}

TEST(Metrics, EveryLineIsValidExpositionFormat) {
  Metrics metrics({"/a", "/b"}, {.version = "0.1.0", .landmark_model = "lite", .worker_pool = [] {
                                   return WorkerPoolGauges{2, 0, 0};
                                 }});
  metrics.record_request("/a", 200, 0.01);
  metrics.record_request("/x", 404, 0.001);
  metrics.stages("/b")->record(Stage::kPerson, 0.3);
  const std::regex sample(
      R"(^(bodyshape_[a-z_]+)(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? (-?[0-9.e+-]+|\+Inf)$)");
  const std::regex type(R"(^# TYPE (bodyshape_[a-z_]+) (counter|gauge|histogram)$)");
  std::set<std::string> typed;
  std::istringstream lines(metrics.render());
  int samples = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (line.starts_with("# HELP ")) continue;
    if (std::regex_match(line, match, type)) {
      typed.insert(match[1]);
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, match, sample)) << line;
    std::string family = match[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (family.ends_with(suffix) && !typed.contains(family)) {
        family.resize(family.size() - std::string_view(suffix).size());
      }
    }
    EXPECT_TRUE(typed.contains(family)) << "no # TYPE before " << line;
    ++samples;
  }
  EXPECT_GT(samples, 30);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Metrics metrics({"/a"}, {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 10000; ++i) {
        metrics.record_request("/a", 200, 0.001);
        metrics.stages("/a")->record(Stage::kEncode, 0.001);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, R"(bodyshape_http_requests_total{route="/a",status="200"} 40000)"));
  EXPECT_TRUE(
      has_line(text, R"(bodyshape_stage_duration_seconds_count{route="/a",stage="encode"} 40000)"));
}

}  // namespace
}  // namespace bodyshape::server
