// Model: a prepared Graph plus the name errors and logs use (the file's stem, e.g.
// "pose_detection"). Loading checks every op, so a loaded Model can always be run.
#include <filesystem>
#include <fstream>
#include <vector>

#include "nn/runtime.h"

namespace bodyshape::nn {

const char* op_type_name(OpType type) {
  switch (type) {
    case OpType::kConv2D:
      return "CONV_2D";
    case OpType::kDepthwiseConv2D:
      return "DEPTHWISE_CONV_2D";
    case OpType::kAdd:
      return "ADD";
    case OpType::kMul:
      return "MUL";
    case OpType::kPad:
      return "PAD";
    case OpType::kReshape:
      return "RESHAPE";
    case OpType::kResizeBilinear:
      return "RESIZE_BILINEAR";
    case OpType::kMaxPool2D:
      return "MAX_POOL_2D";
    case OpType::kAveragePool2D:
      return "AVERAGE_POOL_2D";
    case OpType::kMean:
      return "MEAN";
    case OpType::kLogistic:
      return "LOGISTIC";
    case OpType::kHardSwish:
      return "HARD_SWISH";
    case OpType::kRelu:
      return "RELU";
    case OpType::kRelu6:
      return "RELU6";
    case OpType::kDepthToSpace:
      return "DEPTH_TO_SPACE";
    case OpType::kConcatenation:
      return "CONCATENATION";
    case OpType::kTransposeConvBias:
      return "Convolution2DTransposeBias";
  }
  return "UNKNOWN";
}

Result<std::shared_ptr<const Model>> Model::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return make_error(ErrorCode::kUnavailable, "cannot open model file " + path);
  const std::streamoff size = file.tellg();
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamoff>(size, 0)));
  file.seekg(0);
  if (!file.read(reinterpret_cast<char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()))) {
    return make_error(ErrorCode::kUnavailable, "cannot read model file " + path);
  }
  return from_bytes(bytes, std::filesystem::path(path).stem().string());
}

Result<std::shared_ptr<const Model>> Model::from_bytes(std::span<const uint8_t> bytes,
                                                       std::string name) {
  Result<Graph> graph = read_tflite_graph(bytes);
  if (!graph) return Error{graph.error().code, graph.error().message + " in model " + name};
  // The constructor is private, so no make_shared.
  return std::shared_ptr<const Model>(new Model(std::move(*graph), std::move(name)));
}

}  // namespace bodyshape::nn
