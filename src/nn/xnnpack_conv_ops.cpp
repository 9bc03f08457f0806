// CONV_2D, DEPTHWISE_CONV_2D and MediaPipe's Convolution2DTransposeBias. TFLite's weight layouts
// are XNNPACK's own (conv OHWI, depthwise 1HWC, deconvolution OHWI), so weights pass as they are.
#include "nn/xnnpack_ops.h"

namespace bodyshape::nn::xnnpack {

namespace {

// The optional bias at input slot 2: its value id, or XNN_INVALID_VALUE_ID if absent.
Result<uint32_t> optional_bias(SubgraphBuilder& b, const Operator& op, int32_t channels) {
  if (op.inputs.size() < 3 || op.inputs[2] < 0) return XNN_INVALID_VALUE_ID;
  const int bias = op.inputs[2];
  if (Status s = expect_constant(b, op, bias, 1, "bias"); !s) return s.error();
  if (b.tensor(bias).shape[0] != channels) {
    return b.op_error(op, "bias '" + b.tensor(bias).name + "' has " +
                              std::to_string(b.tensor(bias).shape[0]) + " values for " +
                              std::to_string(channels) + " output channels");
  }
  return b.value(op, bias);
}

Status check_window_options(const SubgraphBuilder& b, const Operator& op) {
  const OpOptions& o = op.options;
  if (o.stride_h < 1 || o.stride_w < 1 || o.dilation_h < 1 || o.dilation_w < 1) {
    return b.op_error(op, "stride " + std::to_string(o.stride_h) + "x" +
                              std::to_string(o.stride_w) + ", dilation " +
                              std::to_string(o.dilation_h) + "x" + std::to_string(o.dilation_w));
  }
  return Ok{};
}

struct ConvOperands {
  std::vector<int32_t> input_shape, filter_shape;
  uint32_t input = 0, filter = 0, bias = 0, output = 0;
  Pads pad_h, pad_w;
};

// The checks and value definitions convolution and depthwise convolution share.
Result<ConvOperands> conv_operands(SubgraphBuilder& b, const Operator& op,
                                   int32_t output_channels) {
  ConvOperands c;
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto filter = required_input(b, op, 1, "filter");
  if (!filter) return filter.error();
  auto input_shape = nhwc_shape(b, op, *input, "input");
  if (!input_shape) return input_shape.error();
  if (Status s = expect_constant(b, op, *filter, 4, "filter"); !s) return s.error();
  if (Status s = check_window_options(b, op); !s) return s.error();
  c.input_shape = *input_shape;
  c.filter_shape = b.tensor(*filter).shape;
  const OpOptions& o = op.options;
  const int kernel_h = c.filter_shape[1], kernel_w = c.filter_shape[2];
  const int32_t channels = output_channels > 0 ? output_channels : c.filter_shape[0];
  if (Status s = expect_output_shape(
          b, op,
          {c.input_shape[0],
           window_output_size(o.padding, c.input_shape[1], kernel_h, o.stride_h, o.dilation_h),
           window_output_size(o.padding, c.input_shape[2], kernel_w, o.stride_w, o.dilation_w),
           channels});
      !s) {
    return s.error();
  }
  if (o.padding == Padding::kSame) {
    c.pad_h = same_padding(c.input_shape[1], kernel_h, o.stride_h, o.dilation_h);
    c.pad_w = same_padding(c.input_shape[2], kernel_w, o.stride_w, o.dilation_w);
  }
  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto filter_id = b.value(op, *filter);
  if (!filter_id) return filter_id.error();
  auto bias_id = optional_bias(b, op, channels);
  if (!bias_id) return bias_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  c.input = *input_id;
  c.filter = *filter_id;
  c.bias = *bias_id;
  c.output = *output_id;
  return c;
}

}  // namespace

Status build_conv_2d(SubgraphBuilder& b, const Operator& op) {
  auto c = conv_operands(b, op, 0);
  if (!c) return c.error();
  const int32_t input_channels = c->input_shape[3];
  const int32_t group_input_channels = c->filter_shape[3];
  const int32_t output_channels = c->filter_shape[0];
  if (group_input_channels <= 0 || input_channels % group_input_channels != 0 ||
      output_channels % (input_channels / group_input_channels) != 0) {
    return b.op_error(op, "filter input channels " + std::to_string(group_input_channels) +
                              " do not divide input channels " + std::to_string(input_channels));
  }
  const uint32_t groups = static_cast<uint32_t>(input_channels / group_input_channels);
  const OpOptions& o = op.options;
  const OutputRange range = activation_range(o.activation);
  return b.check(
      op,
      xnn_define_convolution_2d(
          b.subgraph(), c->pad_h.before, c->pad_w.after, c->pad_h.after, c->pad_w.before,
          static_cast<uint32_t>(c->filter_shape[1]), static_cast<uint32_t>(c->filter_shape[2]),
          static_cast<uint32_t>(o.stride_h), static_cast<uint32_t>(o.stride_w),
          static_cast<uint32_t>(o.dilation_h), static_cast<uint32_t>(o.dilation_w), groups,
          static_cast<size_t>(group_input_channels), static_cast<size_t>(output_channels) / groups,
          range.min, range.max, c->input, c->filter, c->bias, c->output, 0),
      "xnn_define_convolution_2d");
}

Status build_depthwise_conv_2d(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto filter = required_input(b, op, 1, "filter");
  if (!filter) return filter.error();
  const Tensor& filter_tensor = b.tensor(*filter);
  const Tensor& input_tensor = b.tensor(*input);
  if (filter_tensor.shape.size() != 4 || filter_tensor.shape[0] != 1 ||
      input_tensor.shape.size() != 4 || input_tensor.shape[3] <= 0 ||
      filter_tensor.shape[3] % input_tensor.shape[3] != 0) {
    return b.op_error(op, "filter '" + filter_tensor.name +
                              "' is not 1HWC with a whole multiple of the input channels");
  }
  // TFLite files sometimes carry a stale depth_multiplier option; the shapes are authoritative.
  const int32_t depth_multiplier = filter_tensor.shape[3] / input_tensor.shape[3];
  auto c = conv_operands(b, op, filter_tensor.shape[3]);
  if (!c) return c.error();
  const OpOptions& o = op.options;
  const OutputRange range = activation_range(o.activation);
  return b.check(
      op,
      xnn_define_depthwise_convolution_2d(
          b.subgraph(), c->pad_h.before, c->pad_w.after, c->pad_h.after, c->pad_w.before,
          static_cast<uint32_t>(c->filter_shape[1]), static_cast<uint32_t>(c->filter_shape[2]),
          static_cast<uint32_t>(o.stride_h), static_cast<uint32_t>(o.stride_w),
          static_cast<uint32_t>(o.dilation_h), static_cast<uint32_t>(o.dilation_w),
          static_cast<uint32_t>(depth_multiplier), static_cast<size_t>(c->input_shape[3]),
          range.min, range.max, c->input, c->filter, c->bias, c->output, 0),
      "xnn_define_depthwise_convolution_2d");
}

// Inputs: activation, weights OHWI, bias (O). TFLite places output row y = i*stride - pad_top + ky
// with pad_top from SAME padding of a forward convolution output → input, and crops the rest;
// XNNPACK's deconvolution gives the same with the bottom/right crop (or adjustment) fitted to the
// output tensor's size.
Status build_transpose_conv_bias(SubgraphBuilder& b, const Operator& op) {
  auto input = required_input(b, op, 0, "input");
  if (!input) return input.error();
  auto filter = required_input(b, op, 1, "weights");
  if (!filter) return filter.error();
  auto input_shape = nhwc_shape(b, op, *input, "input");
  if (!input_shape) return input_shape.error();
  if (Status s = expect_constant(b, op, *filter, 4, "weights"); !s) return s;
  if (Status s = check_window_options(b, op); !s) return s;
  const OpOptions& o = op.options;
  if (o.dilation_h != 1 || o.dilation_w != 1) return b.op_error(op, "dilation is not supported");
  if (op.outputs.size() != 1) return b.op_error(op, "expected one output");
  const std::vector<int32_t>& filter_shape = b.tensor(*filter).shape;
  const std::vector<int32_t>& output_shape = b.tensor(op.outputs[0]).shape;
  const int32_t output_channels = filter_shape[0];
  const int kernel_h = filter_shape[1], kernel_w = filter_shape[2];
  if (filter_shape[3] != (*input_shape)[3] || output_shape.size() != 4) {
    return b.op_error(op,
                      "weights '" + b.tensor(*filter).name + "' do not match the input channels");
  }
  if (Status s = expect_output_shape(
          b, op, {(*input_shape)[0], output_shape[1], output_shape[2], output_channels});
      !s) {
    return s;
  }

  struct Crop {
    uint32_t before = 0, after = 0, adjustment = 0;
  };
  auto crop = [&](int input_size, int output_size, int kernel, int stride) -> Result<Crop> {
    Crop c;
    if (o.padding == Padding::kSame) c.before = same_padding(output_size, kernel, stride, 1).before;
    const int after = (input_size - 1) * stride + kernel - static_cast<int>(c.before) - output_size;
    if (after >= 0) {
      c.after = static_cast<uint32_t>(after);
    } else if (-after < stride) {
      c.adjustment = static_cast<uint32_t>(-after);
    } else {
      return b.op_error(op, "output size " + std::to_string(output_size) +
                                " is out of reach of input size " + std::to_string(input_size));
    }
    return c;
  };
  auto crop_h = crop((*input_shape)[1], output_shape[1], kernel_h, o.stride_h);
  if (!crop_h) return crop_h.error();
  auto crop_w = crop((*input_shape)[2], output_shape[2], kernel_w, o.stride_w);
  if (!crop_w) return crop_w.error();

  auto input_id = b.value(op, *input);
  if (!input_id) return input_id.error();
  auto filter_id = b.value(op, *filter);
  if (!filter_id) return filter_id.error();
  auto bias_id = optional_bias(b, op, output_channels);
  if (!bias_id) return bias_id.error();
  auto output_id = b.value(op, op.outputs[0]);
  if (!output_id) return output_id.error();
  const OutputRange range = activation_range(o.activation);
  return b.check(op,
                 xnn_define_deconvolution_2d(
                     b.subgraph(), crop_h->before, crop_w->after, crop_h->after, crop_w->before,
                     crop_h->adjustment, crop_w->adjustment, static_cast<uint32_t>(kernel_h),
                     static_cast<uint32_t>(kernel_w), static_cast<uint32_t>(o.stride_h),
                     static_cast<uint32_t>(o.stride_w), 1, 1, 1,
                     static_cast<size_t>(filter_shape[3]), static_cast<size_t>(output_channels),
                     range.min, range.max, *input_id, *filter_id, *bias_id, *output_id, 0),
                 "xnn_define_deconvolution_2d");
}

}  // namespace bodyshape::nn::xnnpack
