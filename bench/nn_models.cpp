// Inference time of each shipped model on the XNNPACK engine, at 1 and 2 threads, against OpenCV
// 4.6 DNN's 1-thread time on this machine kind (the anchor; the target is ratio >= 2).
//
//   build/bench/bench_nn_models [runs] [max_threads]   (defaults 20, 2)
//
// Rows: name  min  median  max  unit  ratio-vs-anchor (anchor_ms / median_ms)  GFLOP/s (median),
// then the median process CPU ms per run: on a busy machine (the header shows the load average)
// the 1-thread CPU time is what the run would take alone; at 2 threads it includes spinning.
// FLOPs count 2 x multiply-adds of the convolutions (the rest is a few percent).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "nn/runtime.h"
#include "support/testdata.h"

namespace {

using bodyshape::nn::Graph;
using bodyshape::nn::Model;
using bodyshape::nn::OpType;
using bodyshape::nn::Runtime;

struct Case {
  const char* model;
  double anchor_ms;  // OpenCV 4.6 DNN, 1 thread, this machine kind; 0 = none measured
};

constexpr Case kCases[] = {
    {"pose_detection", 31},       {"pose_landmark_lite", 22}, {"pose_landmark_full", 35},
    {"pose_landmark_heavy", 124}, {"selfie_segmentation", 9}, {"selfie_segmentation_landscape", 0},
};

double count_flops(const Graph& graph) {
  auto shape = [&](int t) { return graph.tensors[static_cast<size_t>(t)].shape; };
  auto count = [](const std::vector<int32_t>& s, size_t from, size_t to) {
    double n = 1;
    for (size_t i = from; i < to && i < s.size(); ++i) n *= s[i];
    return n;
  };
  double flops = 0;
  for (const auto& op : graph.operators) {
    if (op.inputs.size() < 2 || op.outputs.empty()) continue;
    const std::vector<int32_t> filter = shape(op.inputs[1]);
    if (filter.size() != 4) continue;
    const double kernel = static_cast<double>(filter[1]) * filter[2];
    switch (op.type) {
      case OpType::kConv2D:  // each output element: kernel x filter input channels
        flops += 2 * count(shape(op.outputs[0]), 0, 4) * kernel * filter[3];
        break;
      case OpType::kDepthwiseConv2D:
        flops += 2 * count(shape(op.outputs[0]), 0, 4) * kernel;
        break;
      case OpType::kTransposeConvBias:  // each input element scatters kernel x output channels
        flops += 2 * count(shape(op.inputs[0]), 0, 4) * kernel * filter[0];
        break;
      default:
        break;
    }
  }
  return flops;
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five;
  file >> one >> five;
  return one + " " + five;
}

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

std::string commit() {
  std::string text;
  if (FILE* pipe =
          popen("git -C " BODYSHAPE_SOURCE_DIR " rev-parse --short HEAD 2>/dev/null", "r")) {
    char buffer[64];
    while (fgets(buffer, sizeof buffer, pipe)) text += buffer;
    pclose(pipe);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "unknown" : text;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  const int max_threads = argc > 2 ? std::clamp(std::atoi(argv[2]), 1, 2) : 2;
  const int warmup = 3;
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", std::localtime(&now));
#ifdef NDEBUG
  const char* build_type = "Release (NDEBUG)";
#else
  const char* build_type = "Debug (no NDEBUG)";
#endif
  std::printf("# bench_nn_models: XNNPACK engine, %d runs after %d warm-up\n", runs, warmup);
  std::printf("# cpu: %s | threads: 1%s | build: %s | commit: %s | date: %s\n", cpu_model().c_str(),
              max_threads > 1 ? ", 2" : "", build_type, commit().c_str(), date);
  std::printf("# load average (1, 5 min) at start: %s\n", load_average().c_str());
  std::printf("# anchor: OpenCV 4.6 DNN 1-thread ms; ratio = anchor / median (target >= 2)\n");
  std::printf("%-38s %8s %8s %8s %4s %8s %9s %8s\n", "name", "min", "median", "max", "unit",
              "ratio", "GFLOP/s", "cpu_ms");
  for (const Case& c : kCases) {
    auto model = Model::load(bodyshape::testing::model_path(std::string(c.model) + ".tflite"));
    if (!model) {
      std::printf("%-38s load failed: %s\n", c.model, model.error().message.c_str());
      continue;
    }
    const double flops = count_flops((*model)->graph());
    for (int threads = 1; threads <= max_threads; ++threads) {
      auto runtime = Runtime::create(*model, {.threads = threads});
      if (!runtime) {
        std::printf("%-38s create failed: %s\n", c.model, runtime.error().message.c_str());
        continue;
      }
      std::span<float> input = (*runtime)->input(0);
      for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>(i % 251) / 250.0f;
      std::vector<double> ms, cpu_ms;
      for (int r = 0; r < warmup + runs; ++r) {
        const double cpu_start = process_cpu_ms();
        const auto start = std::chrono::steady_clock::now();
        if (auto status = (*runtime)->run(); !status) {
          std::printf("%s: %s\n", c.model, status.error().message.c_str());
          return 1;
        }
        const std::chrono::duration<double, std::milli> elapsed =
            std::chrono::steady_clock::now() - start;
        if (r >= warmup) {
          ms.push_back(elapsed.count());
          cpu_ms.push_back(process_cpu_ms() - cpu_start);
        }
      }
      std::sort(ms.begin(), ms.end());
      std::sort(cpu_ms.begin(), cpu_ms.end());
      const double median = ms[ms.size() / 2];
      const std::string name = std::string(c.model) + "/" + std::to_string(threads) + "t";
      char ratio[16] = "-";
      if (c.anchor_ms > 0) std::snprintf(ratio, sizeof ratio, "%.2f", c.anchor_ms / median);
      std::printf("%-38s %8.2f %8.2f %8.2f %4s %8s %9.1f %8.2f\n", name.c_str(), ms.front(), median,
                  ms.back(), "ms", ratio, flops / (median * 1e6), cpu_ms[cpu_ms.size() / 2]);
    }
    std::printf("%-38s %.3f GFLOP per inference\n", ("# " + std::string(c.model)).c_str(),
                flops / 1e9);
  }
  return 0;
}
