// ADD, MUL (numpy broadcasting, fused activation as the node's output range), LOGISTIC, HARD_SWISH,
// RELU and RELU6 (clamps).
#include <algorithm>
#include <utility>

#include "nn/xnnpack_ops.h"

namespace bodyshape::nn::xnnpack {

namespace {

using BinaryDefine = xnn_status (*)(xnn_subgraph_t, float, float, uint32_t, uint32_t, uint32_t,
                                    uint32_t);

Status build_binary(SubgraphBuilder& b, const Operator& op, BinaryDefine define, const char* call) {
  auto first = required_input(b, op, 0, "first operand");
  if (!first) return first.error();
  auto second = required_input(b, op, 1, "second operand");
  if (!second) return second.error();
  const std::vector<int32_t>& a = b.tensor(*first).shape;
  const std::vector<int32_t>& c = b.tensor(*second).shape;
  std::vector<int32_t> broadcast(std::max(a.size(), c.size()), 1);
  for (size_t i = 0; i < broadcast.size(); ++i) {
    const int32_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int32_t dc = i < c.size() ? c[c.size() - 1 - i] : 1;
    if (da != dc && da != 1 && dc != 1) return b.op_error(op, "operand shapes do not broadcast");
    broadcast[broadcast.size() - 1 - i] = std::max(da, dc);
  }
  if (Status s = expect_output_shape(b, op, broadcast); !s) return s;
  auto first_id = b.value(op, *first);
  if (!first_id) return first_id.error();
  auto second_id = b.value(op, *second);
  if (!second_id) return second_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  const OutputRange range = activation_range(op.options.activation);
  return b.check(
      op, define(b.subgraph(), range.min, range.max, *first_id, *second_id, *output_id, 0), call);
}

using UnaryDefine = xnn_status (*)(xnn_subgraph_t, uint32_t, uint32_t, uint32_t);

// Resolves the single input and output of a shape-preserving op.
Result<std::pair<uint32_t, uint32_t>> unary_operands(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  if (Status s = expect_output_shape(b, op, b.tensor(*input).shape); !s) return s.error();
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  return std::pair{*input_id, *output_id};
}

Status build_unary(SubgraphBuilder& b, const Operator& op, UnaryDefine define, const char* call) {
  auto ids = unary_operands(b, op);
  if (!ids) return ids.error();
  return b.check(op, define(b.subgraph(), ids->first, ids->second, 0), call);
}

Status build_clamp(SubgraphBuilder& b, const Operator& op, Activation activation) {
  auto ids = unary_operands(b, op);
  if (!ids) return ids.error();
  const OutputRange range = activation_range(activation);
  return b.check(op,
                 xnn_define_clamp(b.subgraph(), range.min, range.max, ids->first, ids->second, 0),
                 "xnn_define_clamp");
}

}  // namespace

Status build_add(SubgraphBuilder& b, const Operator& op) {
  return build_binary(b, op, xnn_define_add2, "xnn_define_add2");
}

Status build_mul(SubgraphBuilder& b, const Operator& op) {
  return build_binary(b, op, xnn_define_multiply2, "xnn_define_multiply2");
}

Status build_logistic(SubgraphBuilder& b, const Operator& op) {
  return build_unary(b, op, xnn_define_sigmoid, "xnn_define_sigmoid");
}

Status build_hard_swish(SubgraphBuilder& b, const Operator& op) {
  return build_unary(b, op, xnn_define_hardswish, "xnn_define_hardswish");
}

Status build_relu(SubgraphBuilder& b, const Operator& op) {
  return build_clamp(b, op, Activation::kRelu);
}

Status build_relu6(SubgraphBuilder& b, const Operator& op) {
  return build_clamp(b, op, Activation::kRelu6);
}

}  // namespace bodyshape::nn::xnnpack
