// The one table from TFLite operator to engine lowering (../shared/STYLE.md: no self-registration).
#include "nn/xnnpack_ops.h"

namespace bodyshape::nn::xnnpack {

namespace {

constexpr OpLowering kLowerings[] = {
    {OpType::kConv2D, Executor::kXnnpack, build_conv_2d},
    {OpType::kDepthwiseConv2D, Executor::kXnnpack, build_depthwise_conv_2d},
    {OpType::kTransposeConvBias, Executor::kXnnpack, build_transpose_conv_bias},
    {OpType::kMaxPool2D, Executor::kXnnpack, build_max_pool_2d},
    {OpType::kAveragePool2D, Executor::kXnnpack, build_average_pool_2d},
    {OpType::kMean, Executor::kXnnpack, build_mean},
    {OpType::kAdd, Executor::kXnnpack, build_add},
    {OpType::kMul, Executor::kXnnpack, build_mul},
    {OpType::kLogistic, Executor::kXnnpack, build_logistic},
    {OpType::kHardSwish, Executor::kXnnpack, build_hard_swish},
    {OpType::kRelu, Executor::kXnnpack, build_relu},
    {OpType::kRelu6, Executor::kXnnpack, build_relu6},
    {OpType::kPad, Executor::kXnnpack, build_pad},
    {OpType::kReshape, Executor::kXnnpack, build_reshape},
    {OpType::kResizeBilinear, Executor::kXnnpack, build_resize_bilinear},
    {OpType::kDepthToSpace, Executor::kXnnpack, build_depth_to_space},
    {OpType::kConcatenation, Executor::kHost, nullptr},
};

}  // namespace

const OpLowering* find_lowering(OpType type) {
  for (const OpLowering& lowering : kLowerings) {
    if (lowering.type == type) return &lowering;
  }
  return nullptr;
}

}  // namespace bodyshape::nn::xnnpack
