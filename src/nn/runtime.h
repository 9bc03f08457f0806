// The model runtime: a Model is loaded once and shared read-only; each worker owns a Runtime.
//
//   auto model = nn::Model::load("models/pose_detection.tflite");   // checks every op at load
//   auto runtime = nn::Runtime::create(*model, {.threads = 2});
//   std::copy(pixels.begin(), pixels.end(), runtime->input(0).begin());
//   runtime->run();
//   std::span<const float> scores = runtime->output("Identity_1");
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "nn/graph.h"

namespace bodyshape::nn {

class Model {
 public:
  static Result<std::shared_ptr<const Model>> load(const std::string& path);
  static Result<std::shared_ptr<const Model>> from_bytes(std::span<const uint8_t> bytes,
                                                         std::string name);
  // For graphs built in memory (engine tests); no checks beyond the engine's own at Runtime::create.
  static std::shared_ptr<const Model> from_graph(Graph graph, std::string name) {
    return std::shared_ptr<const Model>(new Model(std::move(graph), std::move(name)));
  }

  const Graph& graph() const { return graph_; }
  const std::string& name() const { return name_; }

 private:
  Model(Graph graph, std::string name) : graph_(std::move(graph)), name_(std::move(name)) {}
  Graph graph_;
  std::string name_;
};

struct RuntimeOptions {
  int threads = 1;  // 1 = run on the calling thread
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(std::shared_ptr<const Model> model,
                                                 const RuntimeOptions& options);
  virtual ~Runtime() = default;

  virtual std::span<float> input(size_t index) = 0;
  virtual const std::vector<int32_t>& input_shape(size_t index) const = 0;
  virtual Status run() = 0;
  // Outputs by the model's own tensor names (e.g. "Identity_1"); empty span if no such output.
  virtual std::span<const float> output(std::string_view name) const = 0;
  virtual const std::vector<int32_t>& output_shape(std::string_view name) const = 0;
};

}  // namespace bodyshape::nn
