// A TFLite model as a plain graph, ready for an engine: weights already in fp32 (fp16 DEQUANTIZE
// folded, sparse DENSIFY expanded at load time), every operator one of the OpTypes below.
//
//   auto bytes = read_file("pose_landmark_full.tflite");
//   Result<Graph> graph = read_tflite_graph(bytes);   // fails naming any unsupported op
//   for (const Operator& op : graph->operators) ...
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace bodyshape::nn {

enum class OpType {
  kConv2D,
  kDepthwiseConv2D,
  kAdd,
  kMul,
  kPad,
  kReshape,
  kResizeBilinear,
  kMaxPool2D,
  kAveragePool2D,
  kMean,
  kLogistic,
  kHardSwish,
  kRelu,
  kRelu6,
  kDepthToSpace,
  kConcatenation,
  kTransposeConvBias,  // MediaPipe's custom Convolution2DTransposeBias
};

const char* op_type_name(OpType type);

enum class Activation { kNone, kRelu, kReluN1To1, kRelu6 };  // TFLite's fused activations
enum class Padding { kSame, kValid };
enum class DataType { kFloat32, kInt32 };

struct Tensor {
  std::string name;
  std::vector<int32_t> shape;  // NHWC as in TFLite
  DataType type = DataType::kFloat32;
  bool is_constant = false;
  std::vector<float> f32;    // constant data when type == kFloat32
  std::vector<int32_t> i32;  // constant data when type == kInt32 (shapes, paddings, axes)
};

// The union of the options the supported ops carry; each op reads only its own fields.
struct OpOptions {
  Padding padding = Padding::kValid;
  int stride_w = 1, stride_h = 1;
  int dilation_w = 1, dilation_h = 1;
  int filter_w = 1, filter_h = 1;  // pooling window
  int depth_multiplier = 1;
  int block_size = 1;  // DEPTH_TO_SPACE
  int axis = 0;        // CONCATENATION (already made non-negative)
  bool align_corners = false, half_pixel_centers = false;  // RESIZE_BILINEAR
  bool keep_dims = false;                                  // MEAN
  Activation activation = Activation::kNone;
};

struct Operator {
  OpType type;
  std::vector<int> inputs;   // tensor indices; -1 = optional input absent
  std::vector<int> outputs;  // tensor indices
  OpOptions options;
};

struct Graph {
  std::vector<Tensor> tensors;
  std::vector<Operator> operators;  // in execution order
  std::vector<int> inputs;          // graph input tensor indices
  std::vector<int> outputs;         // graph output tensor indices
};

// Parses a TFLite flatbuffer (identifier "TFL3" at byte 4). Errors name the op, tensor or field.
Result<Graph> read_tflite_graph(std::span<const uint8_t> bytes);

}  // namespace bodyshape::nn
