#include "nn/tflite_ops.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace bodyshape::nn::tflite {

namespace {

// BuiltinOperator 0..157 in schema.fbs order (5 was renamed from a commented-out slot to
// DEPTH_TO_SPACE; 127 is the marker that the int32 builtin_code holds the real code).
constexpr std::array<const char*, 158> kBuiltinNames = {
    "ADD",
    "AVERAGE_POOL_2D",
    "CONCATENATION",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE",
    "DEQUANTIZE",
    "EMBEDDING_LOOKUP",
    "FLOOR",
    "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION",
    "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC",
    "LSH_PROJECTION",
    "LSTM",
    "MAX_POOL_2D",
    "MUL",
    "RELU",
    "RELU_N1_TO_1",
    "RELU6",
    "RESHAPE",
    "RESIZE_BILINEAR",
    "RNN",
    "SOFTMAX",
    "SPACE_TO_DEPTH",
    "SVDF",
    "TANH",
    "CONCAT_EMBEDDINGS",
    "SKIP_GRAM",
    "CALL",
    "CUSTOM",
    "EMBEDDING_LOOKUP_SPARSE",
    "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN",
    "GATHER",
    "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND",
    "TRANSPOSE",
    "MEAN",
    "SUB",
    "DIV",
    "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE",
    "BIDIRECTIONAL_SEQUENCE_RNN",
    "EXP",
    "TOPK_V2",
    "SPLIT",
    "LOG_SOFTMAX",
    "DELEGATE",
    "BIDIRECTIONAL_SEQUENCE_LSTM",
    "CAST",
    "PRELU",
    "MAXIMUM",
    "ARG_MAX",
    "MINIMUM",
    "LESS",
    "NEG",
    "PADV2",
    "GREATER",
    "GREATER_EQUAL",
    "LESS_EQUAL",
    "SELECT",
    "SLICE",
    "SIN",
    "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE",
    "TILE",
    "EXPAND_DIMS",
    "EQUAL",
    "NOT_EQUAL",
    "LOG",
    "SUM",
    "SQRT",
    "RSQRT",
    "SHAPE",
    "POW",
    "ARG_MIN",
    "FAKE_QUANT",
    "REDUCE_PROD",
    "REDUCE_MAX",
    "PACK",
    "LOGICAL_OR",
    "ONE_HOT",
    "LOGICAL_AND",
    "LOGICAL_NOT",
    "UNPACK",
    "REDUCE_MIN",
    "FLOOR_DIV",
    "REDUCE_ANY",
    "SQUARE",
    "ZEROS_LIKE",
    "FILL",
    "FLOOR_MOD",
    "RANGE",
    "RESIZE_NEAREST_NEIGHBOR",
    "LEAKY_RELU",
    "SQUARED_DIFFERENCE",
    "MIRROR_PAD",
    "ABS",
    "SPLIT_V",
    "UNIQUE",
    "CEIL",
    "REVERSE_V2",
    "ADD_N",
    "GATHER_ND",
    "COS",
    "WHERE",
    "RANK",
    "ELU",
    "REVERSE_SEQUENCE",
    "MATRIX_DIAG",
    "QUANTIZE",
    "MATRIX_SET_DIAG",
    "ROUND",
    "HARD_SWISH",
    "IF",
    "WHILE",
    "NON_MAX_SUPPRESSION_V4",
    "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND",
    "SELECT_V2",
    "DENSIFY",
    "SEGMENT_SUM",
    "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES",
    "CUMSUM",
    "CALL_ONCE",
    "BROADCAST_TO",
    "RFFT2D",
    "CONV_3D",
    "IMAG",
    "REAL",
    "COMPLEX_ABS",
    "HASHTABLE",
    "HASHTABLE_FIND",
    "HASHTABLE_IMPORT",
    "HASHTABLE_SIZE",
    "REDUCE_ALL",
    "CONV_3D_TRANSPOSE",
    "VAR_HANDLE",
    "READ_VARIABLE",
    "ASSIGN_VARIABLE",
    "BROADCAST_ARGS",
    "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE",
    "RANDOM_UNIFORM",
    "MULTINOMIAL",
    "GELU",
    "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1",
    "UNSORTED_SEGMENT_PROD",
    "UNSORTED_SEGMENT_MAX",
    "UNSORTED_SEGMENT_SUM",
    "ATAN2",
    "UNSORTED_SEGMENT_MIN",
};

static_assert(kBuiltinNames[kHardSwish] == std::string_view("HARD_SWISH"));
static_assert(kBuiltinNames[kDensify] == std::string_view("DENSIFY"));

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

// Fused activations and padding as schema.fbs numbers them.
Status set_activation(int8_t fused, nn::OpOptions& options, const std::string& unsupported) {
  switch (fused) {
    case 0:
      options.activation = Activation::kNone;
      return Ok{};
    case 1:
      options.activation = Activation::kRelu;
      return Ok{};
    case 2:
      options.activation = Activation::kReluN1To1;
      return Ok{};
    case 3:
      options.activation = Activation::kRelu6;
      return Ok{};
    default:
      return invalid(unsupported + " with fused activation " + std::to_string(fused) +
                     " (TANH or SIGN_BIT)");
  }
}

Status set_padding(int8_t padding, nn::OpOptions& options, const std::string& unsupported) {
  if (padding != 0 && padding != 1) {
    return invalid(unsupported + " with padding " + std::to_string(padding));
  }
  options.padding = padding == 0 ? Padding::kSame : Padding::kValid;
  return Ok{};
}

// Inputs that must be present; later ones (a conv's bias, RESHAPE's shape) may be -1 or absent.
size_t required_inputs(OpType type) {
  switch (type) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D:
    case OpType::kAdd:
    case OpType::kMul:
    case OpType::kPad:
    case OpType::kResizeBilinear:
    case OpType::kMean:
      return 2;
    case OpType::kTransposeConvBias:
      return 3;
    default:
      return 1;
  }
}

// Reads the op's options into `options`; returns the error for an op outside graph.h's OpTypes.
Status read_options(int32_t builtin, const std::string& custom_code, const Operator& in,
                    int output_rank, nn::Operator& op, const std::string& unsupported) {
  nn::OpOptions& o = op.options;
  auto missing = [&](const char* what) { return invalid(unsupported + " without " + what); };
  switch (builtin) {
    case kConv2D: {
      op.type = OpType::kConv2D;
      const auto* c = in.options_as<Conv2DOptions>(kConv2DOptions);
      if (c == nullptr) return missing("Conv2DOptions");
      o.stride_w = c->stride_w(), o.stride_h = c->stride_h();
      o.dilation_w = c->dilation_w(), o.dilation_h = c->dilation_h();
      if (Status s = set_padding(c->padding(), o, unsupported); !s) return s;
      return set_activation(c->activation(), o, unsupported);
    }
    case kDepthwiseConv2D: {
      op.type = OpType::kDepthwiseConv2D;
      const auto* c = in.options_as<DepthwiseConv2DOptions>(kDepthwiseConv2DOptions);
      if (c == nullptr) return missing("DepthwiseConv2DOptions");
      o.stride_w = c->stride_w(), o.stride_h = c->stride_h();
      o.dilation_w = c->dilation_w(), o.dilation_h = c->dilation_h();
      o.depth_multiplier = c->depth_multiplier();
      if (Status s = set_padding(c->padding(), o, unsupported); !s) return s;
      return set_activation(c->activation(), o, unsupported);
    }
    case kAveragePool2D:
    case kMaxPool2D: {
      op.type = builtin == kMaxPool2D ? OpType::kMaxPool2D : OpType::kAveragePool2D;
      const auto* p = in.options_as<Pool2DOptions>(kPool2DOptions);
      if (p == nullptr) return missing("Pool2DOptions");
      o.stride_w = p->stride_w(), o.stride_h = p->stride_h();
      o.filter_w = p->filter_w(), o.filter_h = p->filter_h();
      if (Status s = set_padding(p->padding(), o, unsupported); !s) return s;
      return set_activation(p->activation(), o, unsupported);
    }
    case kAdd:
    case kMul: {
      op.type = builtin == kAdd ? OpType::kAdd : OpType::kMul;
      const auto* a = in.options_as<ActivationOptions>(builtin == kAdd ? kAddOptions : kMulOptions);
      return set_activation(a != nullptr ? a->activation() : 0, o, unsupported);
    }
    case kConcatenation: {
      op.type = OpType::kConcatenation;
      const auto* c = in.options_as<ConcatenationOptions>(kConcatenationOptions);
      if (c == nullptr) return missing("ConcatenationOptions");
      o.axis = c->axis() < 0 ? c->axis() + output_rank : c->axis();
      if (o.axis < 0 || o.axis >= output_rank) {
        return invalid(unsupported + " with axis " + std::to_string(c->axis()) + " for rank " +
                       std::to_string(output_rank));
      }
      return set_activation(c->activation(), o, unsupported);
    }
    case kResizeBilinear: {
      op.type = OpType::kResizeBilinear;
      if (const auto* r = in.options_as<ResizeBilinearOptions>(kResizeBilinearOptions)) {
        o.align_corners = r->align_corners(), o.half_pixel_centers = r->half_pixel_centers();
      }
      return Ok{};
    }
    case kMean: {
      op.type = OpType::kMean;
      const auto* r = in.options_as<ReducerOptions>(kReducerOptions);
      o.keep_dims = r != nullptr && r->keep_dims();
      return Ok{};
    }
    case kDepthToSpace: {
      op.type = OpType::kDepthToSpace;
      const auto* d = in.options_as<DepthToSpaceOptions>(kDepthToSpaceOptions);
      if (d == nullptr) return missing("DepthToSpaceOptions");
      o.block_size = d->block_size();
      return Ok{};
    }
    case kPad:
      op.type = OpType::kPad;
      return Ok{};
    case kReshape:
      op.type = OpType::kReshape;
      return Ok{};
    case kLogistic:
      op.type = OpType::kLogistic;
      return Ok{};
    case kHardSwish:
      op.type = OpType::kHardSwish;
      return Ok{};
    case kRelu:
      op.type = OpType::kRelu;
      return Ok{};
    case kRelu6:
      op.type = OpType::kRelu6;
      return Ok{};
    case kCustom: {
      if (custom_code != "Convolution2DTransposeBias") return invalid(unsupported);
      op.type = OpType::kTransposeConvBias;
      // custom_options = TfLiteTransposeConvParams {padding, stride_width, stride_height} as
      // int32, padding in TfLitePadding's numbering (1 = SAME, 2 = VALID).
      const auto* bytes = in.custom_options();
      if (bytes == nullptr || bytes->size() < 12) return missing("12 bytes of custom_options");
      int32_t params[3];
      std::memcpy(params, bytes->data(), sizeof(params));
      if (params[0] != 1 && params[0] != 2) {
        return invalid(unsupported + " with padding " + std::to_string(params[0]));
      }
      o.padding = params[0] == 1 ? Padding::kSame : Padding::kValid;
      o.stride_w = params[1], o.stride_h = params[2];
      return Ok{};
    }
    default:
      return invalid(unsupported);
  }
}

}  // namespace

const char* builtin_op_name(int32_t code) {
  if (code < 0 || static_cast<std::size_t>(code) >= kBuiltinNames.size()) return "UNKNOWN";
  return kBuiltinNames[static_cast<std::size_t>(code)];
}

Status read_op(int32_t builtin, const std::string& custom_code, const Operator& in_file,
               int output_rank, nn::Operator& op, const std::string& unsupported) {
  if (Status s = read_options(builtin, custom_code, in_file, output_rank, op, unsupported); !s) {
    return s;
  }
  // Checked here so that building an engine from a loaded graph cannot fail on bad options.
  const nn::OpOptions& o = op.options;
  if (std::min({o.stride_w, o.stride_h, o.dilation_w, o.dilation_h, o.filter_w, o.filter_h,
                o.depth_multiplier, o.block_size}) < 1) {
    return invalid(unsupported + " with a stride, dilation, filter size, depth multiplier or " +
                   "block size below 1");
  }
  const size_t required = required_inputs(op.type);
  const bool inputs_present =
      op.inputs.size() >= required &&
      std::none_of(op.inputs.begin(), op.inputs.begin() + static_cast<std::ptrdiff_t>(required),
                   [](int index) { return index < 0; });
  if (!inputs_present || op.outputs.size() != 1) {
    return invalid(unsupported + " with " + std::to_string(op.inputs.size()) + " inputs and " +
                   std::to_string(op.outputs.size()) + " outputs");
  }
  return Ok{};
}

}  // namespace bodyshape::nn::tflite
