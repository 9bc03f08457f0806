// End to end, the operator's routes on the real binary: /metrics counts real requests and their
// stages, /openapi.json describes every registered route, / serves a self-contained page, and
// /api/person-mask answers as documented.
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "image/image.h"
#include "server/http_server.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using nlohmann::json;
using testing::ServerProcess;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string each; std::getline(lines, each);) {
    if (each == line) return true;
  }
  return false;
}

class OpsEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    keys_ = json::parse(server_->create_account("ops@example.com"));
    photo_base64_ = image::base64_encode(
        testing::read_bytes(testing::shared_path("testdata/images/man_yoga_warrior_beach.jpg")));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static json with_keys(json body) {
    body["Email"] = keys_["Email"];
    body["UserKey"] = keys_["UserKey"];
    body["APIKey"] = keys_["APIKey"];
    return body;
  }

  static ServerProcess* server_;
  static json keys_;
  static std::string photo_base64_;
};

ServerProcess* OpsEndToEnd::server_ = nullptr;
json OpsEndToEnd::keys_;
std::string OpsEndToEnd::photo_base64_;

TEST_F(OpsEndToEnd, MetricsCountTenRequestsAndTheirStages) {
  httplib::Client client = server_->client();
  const std::string body = with_keys({{"base64Image", photo_base64_},
                                      {"requestMessage", "best"},
                                      {"gender", "male"},
                                      {"intensity", 0.5}})
                               .dump();
  for (int i = 0; i < 10; ++i) {
    auto response = client.Post("/api/analysis-future-shape", body, "application/json");
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << response->body.substr(0, 200);
  }
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response->body;
  const std::string route = R"(route="/api/analysis-future-shape")";
  EXPECT_TRUE(has_line(text, "bodyshape_http_requests_total{" + route + R"(,status="200"} 10)"))
      << text;
  EXPECT_TRUE(has_line(text, "bodyshape_http_request_duration_seconds_count{" + route + "} 10"));
  EXPECT_TRUE(has_line(
      text, "bodyshape_http_request_duration_seconds_bucket{" + route + R"(,le="+Inf"} 10)"));
  for (const char* stage : {"decode", "queue", "person", "reshape", "encode"}) {
    const std::string labels = route + R"(,stage=")" + stage + "\"";
    EXPECT_TRUE(
        has_line(text, "bodyshape_stage_duration_seconds_bucket{" + labels + R"(,le="+Inf"} 10)"))
        << stage;
    EXPECT_TRUE(has_line(text, "bodyshape_stage_duration_seconds_count{" + labels + "} 10"))
        << stage;
  }
  // Every inference is over a millisecond: the smallest person bucket must be below 10.
  EXPECT_TRUE(has_line(text, "bodyshape_stage_duration_seconds_bucket{" + route +
                                 R"(,stage="person",le="0.001"} 0)"));
  EXPECT_TRUE(has_line(
      text, R"(bodyshape_build_info{version=")" BODYSHAPE_VERSION R"(",landmark_model="full"} 1)"));
  EXPECT_NE(text.find("bodyshape_model_load_seconds "), std::string::npos);
  EXPECT_TRUE(has_line(text, "bodyshape_inference_workers_busy 0"));
  EXPECT_TRUE(has_line(text, "bodyshape_inference_queue_waiting 0"));
  EXPECT_TRUE(has_line(text, "bodyshape_http_requests_in_flight 1"));  // this scrape
}

TEST_F(OpsEndToEnd, OpenApiDescribesEveryRegisteredRoute) {
  auto response = server_->client().Get("/openapi.json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"), "application/json");
  const json document = json::parse(response->body);  // throws (fails) if not JSON
  EXPECT_TRUE(document["openapi"].get<std::string>().starts_with("3.1.")) << document["openapi"];
  EXPECT_EQ(document["info"]["version"], BODYSHAPE_VERSION);

  std::set<std::pair<std::string, std::string>> registered, described;
  for (const server::RouteSpec& route : server::kRouteTable) {
    registered.emplace(lower(route.method), std::string(route.path));
  }
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      described.emplace(method, path);
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
  EXPECT_EQ(registered, described);

  // Every registered route answers (none is a 404 "no such route").
  httplib::Client client = server_->client();
  for (const server::RouteSpec& route : server::kRouteTable) {
    auto answer = route.method == "GET"
                      ? client.Get(std::string(route.path))
                      : client.Post(std::string(route.path), "{}", "application/json");
    ASSERT_TRUE(answer) << route.path;
    EXPECT_NE(answer->status, 404) << route.path;
  }
}

TEST_F(OpsEndToEnd, OpenApiDocumentsEveryErrorCase) {
  const json document = json::parse(server_->client().Get("/openapi.json")->body);
  const json& paths = document["paths"];
  const json& components = document["components"];
  for (const char* path : {"/api/analysis-future-shape", "/api/person-mask"}) {
    const json& responses = paths[path]["post"]["responses"];
    for (const char* status : {"200", "400", "401", "413", "429", "503"}) {
      EXPECT_TRUE(responses.contains(status)) << path << " " << status;
    }
  }
  const json& bad =
      components["responses"]["FutureShapeBadRequest"]["content"]["application/json"]["examples"];
  EXPECT_EQ(bad["wrong_image"]["value"]["message"], "wrong image");
  EXPECT_EQ(bad["keypoint_inference_error"]["value"]["message"], "keypoint inference error");
  const json& busy =
      components["responses"]["Unavailable"]["content"]["application/json"]["examples"];
  EXPECT_EQ(busy["server_busy"]["value"]["message"], "server busy");
  EXPECT_EQ(busy["timeout"]["value"]["message"], "timeout");

  const json& segmentation = paths["/analyze/segmentation-v2"]["post"]["responses"];
  std::set<int> states;
  for (const auto& [status, response] : segmentation.items()) {
    if (!response.contains("content")) continue;
    const json& content = response["content"]["application/json"];
    if (content.contains("example")) states.insert(content["example"]["state"].get<int>());
    if (content.contains("examples")) {
      for (const auto& [name, example] : content["examples"].items()) {
        states.insert(example["value"]["state"].get<int>());
      }
    }
  }
  EXPECT_EQ(states, (std::set<int>{-1, 0, 1}));

  const json& request = components["schemas"]["FutureShapeRequest"]["properties"];
  for (const char* field :
       {"base64Image", "requestMessage", "gender", "intensity", "outputFormat"}) {
    EXPECT_TRUE(request.contains(field)) << field;
  }
  EXPECT_TRUE(components["schemas"]["SegmentationRequest"]["properties"].contains("format"));
}

TEST_F(OpsEndToEnd, PlaygroundIsSelfContainedHtml) {
  auto response = server_->client().Get("/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/html; charset=utf-8");
  const std::string& page = response->body;
  EXPECT_NE(page.find("/api/analysis-future-shape"), std::string::npos);
  EXPECT_NE(page.find("/api/person-mask"), std::string::npos);
  for (const char* external : {"src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import"}) {
    EXPECT_EQ(page.find(external), std::string::npos) << external;  // nothing outside is reachable
  }
}

TEST_F(OpsEndToEnd, PersonMaskIsAPngOfTheImageSize) {
  httplib::Client client = server_->client();
  auto response = client.Post(
      "/api/person-mask", with_keys({{"base64Image", photo_base64_}}).dump(), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body.substr(0, 200);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["state"], true);
  auto png = image::base64_decode(body["maskImage"].get<std::string>());
  ASSERT_TRUE(png);
  auto mask = image::decode_image(*png);
  ASSERT_TRUE(mask);
  EXPECT_EQ(mask->cols, 1000);
  EXPECT_EQ(mask->rows, 667);
  EXPECT_GT(cv::countNonZero(mask->reshape(1)), 1000);  // the man is found

  response = client.Post("/api/person-mask", with_keys({{"base64Image", "AAAA"}}).dump(),
                         "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(json::parse(response->body)["message"], "wrong image");

  json wrong = with_keys({{"base64Image", photo_base64_}});
  wrong["APIKey"] = "nope";
  response = client.Post("/api/person-mask", wrong.dump(), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(json::parse(response->body),
            json({{"state", false}, {"message", "authentication failed"}}));
}

}  // namespace
}  // namespace bodyshape
