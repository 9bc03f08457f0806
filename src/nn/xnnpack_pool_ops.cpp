// MAX_POOL_2D, AVERAGE_POOL_2D and MEAN over height and width. XNNPACK's pools skip padded pixels
// (the average divides by the pixels inside the image), as TFLite's do.
#include <algorithm>

#include "nn/xnnpack_ops.h"

namespace bodyshape::nn::xnnpack {

namespace {

struct PoolOperands {
  uint32_t input = 0, output = 0;
  Pads pad_h, pad_w;
  OutputRange range{};
};

Result<PoolOperands> pool_operands(SubgraphBuilder& b, const Operator& op) {
  const OpOptions& o = op.options;
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto shape = nhwc_shape(b, op, *input, "input");
  if (!shape) return shape.error();
  if (o.stride_h < 1 || o.stride_w < 1 || o.filter_h < 1 || o.filter_w < 1) {
    return b.op_error(op, "filter " + std::to_string(o.filter_h) + "x" +
                              std::to_string(o.filter_w) + ", stride " +
                              std::to_string(o.stride_h) + "x" + std::to_string(o.stride_w));
  }
  const std::vector<int32_t>& s = *shape;
  if (Status st = expect_output_shape(
          b, op,
          {s[0], window_output_size(o.padding, s[1], o.filter_h, o.stride_h, 1),
           window_output_size(o.padding, s[2], o.filter_w, o.stride_w, 1), s[3]});
      !st) {
    return st.error();
  }
  PoolOperands p;
  if (o.padding == Padding::kSame) {
    p.pad_h = same_padding(s[1], o.filter_h, o.stride_h, 1);
    p.pad_w = same_padding(s[2], o.filter_w, o.stride_w, 1);
  }
  p.range = activation_range(o.activation);
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  p.input = *input_id;
  p.output = *output_id;
  return p;
}

}  // namespace

Status build_max_pool_2d(SubgraphBuilder& b, const Operator& op) {
  auto p = pool_operands(b, op);
  if (!p) return p.error();
  const OpOptions& o = op.options;
  return b.check(op,
                 xnn_define_max_pooling_2d(
                     b.subgraph(), p->pad_h.before, p->pad_w.after, p->pad_h.after, p->pad_w.before,
                     static_cast<uint32_t>(o.filter_h), static_cast<uint32_t>(o.filter_w),
                     static_cast<uint32_t>(o.stride_h), static_cast<uint32_t>(o.stride_w), 1, 1,
                     p->range.min, p->range.max, p->input, p->output, 0),
                 "xnn_define_max_pooling_2d");
}

Status build_average_pool_2d(SubgraphBuilder& b, const Operator& op) {
  auto p = pool_operands(b, op);
  if (!p) return p.error();
  const OpOptions& o = op.options;
  return b.check(op,
                 xnn_define_average_pooling_2d(
                     b.subgraph(), p->pad_h.before, p->pad_w.after, p->pad_h.after, p->pad_w.before,
                     static_cast<uint32_t>(o.filter_h), static_cast<uint32_t>(o.filter_w),
                     static_cast<uint32_t>(o.stride_h), static_cast<uint32_t>(o.stride_w),
                     p->range.min, p->range.max, p->input, p->output, 0),
                 "xnn_define_average_pooling_2d");
}

// MEAN over axes {1, 2} of NHWC is a global average pool; without keep_dims the (N,1,1,C) result
// is reshaped to (N,C).
Status build_mean(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto axes_index = required_input(b, op, 1, "axes");
  if (!axes_index) return axes_index.error();
  auto shape = nhwc_shape(b, op, *input, "input");
  if (!shape) return shape.error();
  auto axes = constant_ints(b, op, *axes_index, "axes");
  if (!axes) return axes.error();
  std::vector<int32_t> sorted = *axes;
  for (int32_t& axis : sorted) axis = axis < 0 ? axis + 4 : axis;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != std::vector<int32_t>{1, 2}) {
    return b.op_error(op, "only MEAN over height and width (axes 1, 2) is supported");
  }
  const std::vector<int32_t>& s = *shape;
  const bool keep_dims = op.options.keep_dims;
  if (Status st = expect_output_shape(
          b, op,
          keep_dims ? std::vector<int32_t>{s[0], 1, 1, s[3]} : std::vector<int32_t>{s[0], s[3]});
      !st) {
    return st;
  }
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  uint32_t pooled = *output_id;
  if (!keep_dims) {
    auto intermediate =
        b.internal_value(op, {static_cast<size_t>(s[0]), 1, 1, static_cast<size_t>(s[3])});
    if (!intermediate) return intermediate.error();
    pooled = *intermediate;
  }
  const OutputRange range = activation_range(Activation::kNone);
  if (Status st = b.check(op,
                          xnn_define_global_average_pooling_2d(b.subgraph(), range.min, range.max,
                                                               *input_id, pooled, 0),
                          "xnn_define_global_average_pooling_2d");
      !st || keep_dims) {
    return st;
  }
  const size_t flat[2] = {static_cast<size_t>(s[0]), static_cast<size_t>(s[3])};
  return b.check(op, xnn_define_static_reshape(b.subgraph(), 2, flat, pooled, *output_id, 0),
                 "xnn_define_static_reshape");
}

}  // namespace bodyshape::nn::xnnpack
