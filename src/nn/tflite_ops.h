// TFLite operator codes -> nn::OpType and OpOptions: the one table of ops the reader accepts.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "nn/graph.h"
#include "nn/tflite_schema.h"

namespace bodyshape::nn::tflite {

// The builtin codes (schema.fbs BuiltinOperator) the reader handles itself.
enum BuiltinCode : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDepthToSpace = 5,
  kDequantize = 6,
  kLogistic = 14,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kResizeBilinear = 23,
  kCustom = 32,
  kPad = 34,
  kMean = 40,
  kHardSwish = 117,
  kDensify = 124,
};

// "SOFTMAX" for 25; "UNKNOWN" for codes past the table.
const char* builtin_op_name(int32_t code);

// Fills `op.type` and `op.options` from a TFLite operator whose inputs/outputs are already in
// `op`; `output_rank` makes CONCATENATION's axis non-negative. Errors start with `unsupported`
// ("unsupported TFLite op NAME (builtin code N)"), so they name the op.
Status read_op(int32_t builtin, const std::string& custom_code, const Operator& in_file,
               int output_rank, nn::Operator& op, const std::string& unsupported);

}  // namespace bodyshape::nn::tflite
