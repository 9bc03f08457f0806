// PAD (zeros), RESHAPE, RESIZE_BILINEAR and DEPTH_TO_SPACE: data movement, no arithmetic beyond
// the bilinear weights.
#include "nn/xnnpack_ops.h"

namespace bodyshape::nn::xnnpack {

// Inputs: data, paddings (rank × [before, after], int32).
Status build_pad(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto paddings_index = required_input(b, op, 1, "paddings");
  if (!paddings_index) return paddings_index.error();
  auto paddings = constant_ints(b, op, *paddings_index, "paddings");
  if (!paddings) return paddings.error();
  const std::vector<int32_t>& shape = b.tensor(*input).shape;
  if (paddings->size() != 2 * shape.size()) {
    return b.op_error(op, "paddings hold " + std::to_string(paddings->size()) +
                              " values for an input of rank " + std::to_string(shape.size()));
  }
  std::vector<size_t> before(shape.size()), after(shape.size());
  std::vector<int32_t> padded(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    const int32_t pre = (*paddings)[2 * i], post = (*paddings)[2 * i + 1];
    if (pre < 0 || post < 0) return b.op_error(op, "negative padding");
    before[i] = static_cast<size_t>(pre);
    after[i] = static_cast<size_t>(post);
    padded[i] = shape[i] + pre + post;
  }
  if (Status s = expect_output_shape(b, op, padded); !s) return s;
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  return b.check(op,
                 xnn_define_static_constant_pad(b.subgraph(), before.data(), after.data(), 0.0f,
                                                *input_id, *output_id, 0),
                 "xnn_define_static_constant_pad");
}

// The new shape is the output tensor's own (static in these models); input 1 is not consulted.
Status build_reshape(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  if (op.outputs.size() != 1) return b.op_error(op, "expected one output");
  const std::vector<int32_t>& output_shape = b.tensor(op.outputs[0]).shape;
  if (element_count(output_shape) != element_count(b.tensor(*input).shape)) {
    return b.op_error(op, "reshape changes the element count");
  }
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  const std::vector<size_t> dims(output_shape.begin(), output_shape.end());
  return b.check(
      op,
      xnn_define_static_reshape(b.subgraph(), dims.size(), dims.data(), *input_id, *output_id, 0),
      "xnn_define_static_reshape");
}

// This XNNPACK's default sampling is TF2's half-pixel centers; TENSORFLOW_LEGACY_MODE is TF1's
// (neither align_corners nor half_pixel_centers) and ALIGN_CORNERS is align_corners.
Status build_resize_bilinear(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto shape = nhwc_shape(b, op, *input, "input");
  if (!shape) return shape.error();
  const OpOptions& o = op.options;
  if (o.align_corners && o.half_pixel_centers) {
    return b.op_error(op, "align_corners and half_pixel_centers are both set");
  }
  if (op.outputs.size() != 1 || b.tensor(op.outputs[0]).shape.size() != 4) {
    return b.op_error(op, "expected one 4-D output");
  }
  const std::vector<int32_t>& out = b.tensor(op.outputs[0]).shape;
  if (op.inputs.size() > 1 && op.inputs[1] >= 0) {
    auto size = constant_ints(b, op, op.inputs[1], "size");
    if (!size) return size.error();
    if (*size != std::vector<int32_t>{out[1], out[2]}) {
      return b.op_error(op, "size input disagrees with the output shape");
    }
  }
  if (Status s = expect_output_shape(b, op, {(*shape)[0], out[1], out[2], (*shape)[3]}); !s) {
    return s;
  }
  const uint32_t flags = o.align_corners        ? XNN_FLAG_ALIGN_CORNERS
                         : o.half_pixel_centers ? 0u
                                                : XNN_FLAG_TENSORFLOW_LEGACY_MODE;
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  return b.check(op,
                 xnn_define_static_resize_bilinear_2d(b.subgraph(), static_cast<size_t>(out[1]),
                                                      static_cast<size_t>(out[2]), *input_id,
                                                      *output_id, flags),
                 "xnn_define_static_resize_bilinear_2d");
}

Status build_depth_to_space(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto shape = nhwc_shape(b, op, *input, "input");
  if (!shape) return shape.error();
  const int32_t block = op.options.block_size;
  const std::vector<int32_t>& s = *shape;
  if (block < 2 || s[3] % (block * block) != 0) {
    return b.op_error(
        op, "block size " + std::to_string(block) + " for " + std::to_string(s[3]) + " channels");
  }
  if (Status st =
          expect_output_shape(b, op, {s[0], s[1] * block, s[2] * block, s[3] / (block * block)});
      !st) {
    return st;
  }
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  return b.check(op,
                 xnn_define_depth_to_space(b.subgraph(), *input_id, *output_id,
                                           static_cast<uint32_t>(block), 0),
                 "xnn_define_depth_to_space");
}

}  // namespace bodyshape::nn::xnnpack
