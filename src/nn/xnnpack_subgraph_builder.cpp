#include <algorithm>
#include <limits>

#include "nn/xnnpack_ops.h"

namespace bodyshape::nn::xnnpack {

namespace {

std::string shape_text(const std::vector<int32_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(shape[i]);
  }
  return text + ")";
}

}  // namespace

const char* status_name(xnn_status status) {
  switch (status) {
    case xnn_status_success:
      return "success";
    case xnn_status_uninitialized:
      return "uninitialized";
    case xnn_status_invalid_parameter:
      return "invalid parameter";
    case xnn_status_invalid_state:
      return "invalid state";
    case xnn_status_unsupported_parameter:
      return "unsupported parameter";
    case xnn_status_unsupported_hardware:
      return "unsupported hardware";
    case xnn_status_out_of_memory:
      return "out of memory";
  }
  return "unknown status";
}

Error SubgraphBuilder::op_error(const Operator& op, const std::string& what) const {
  std::string output = op.outputs.empty() ? std::string("?") : tensor(op.outputs[0]).name;
  return make_error(ErrorCode::kInternal,
                    std::string("nn: ") + op_type_name(op.type) + " -> '" + output + "': " + what);
}

Status SubgraphBuilder::check(const Operator& op, xnn_status status, const char* call) const {
  if (status == xnn_status_success) return Ok{};
  return op_error(op, std::string(call) + " failed: " + status_name(status));
}

Result<uint32_t> SubgraphBuilder::value(const Operator& op, int tensor_index) {
  if (tensor_index < 0 || static_cast<size_t>(tensor_index) >= graph_.tensors.size()) {
    return op_error(op, "tensor index " + std::to_string(tensor_index) + " out of range");
  }
  if (auto found = defined_.find(tensor_index); found != defined_.end()) return found->second;
  const Tensor& t = tensor(tensor_index);
  if (t.type != DataType::kFloat32) {
    return op_error(op, "tensor '" + t.name + "' is int32; only float32 data is supported");
  }
  if (t.shape.size() > XNN_MAX_TENSOR_DIMS) {
    return op_error(op, "tensor '" + t.name + "' has rank " + std::to_string(t.shape.size()));
  }
  std::vector<size_t> dims;
  size_t count = 1;
  for (int32_t d : t.shape) {
    if (d <= 0) return op_error(op, "tensor '" + t.name + "' has shape " + shape_text(t.shape));
    dims.push_back(static_cast<size_t>(d));
    count *= static_cast<size_t>(d);
  }
  const void* data = nullptr;
  uint32_t external_id = XNN_INVALID_VALUE_ID;
  uint32_t flags = 0;
  if (t.is_constant) {
    if (t.f32.size() != count) {
      return op_error(op, "constant '" + t.name + "' holds " + std::to_string(t.f32.size()) +
                              " values for shape " + shape_text(t.shape));
    }
    data = t.f32.data();  // the Runtime keeps the Model alive: XNNPACK may point at it
  } else if (auto external = externals_.find(tensor_index); external != externals_.end()) {
    external_id = external->second.id;
    flags = external->second.flags;
  }
  uint32_t id = XNN_INVALID_VALUE_ID;
  const xnn_status status = xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(),
                                                    dims.data(), data, external_id, flags, &id);
  if (status != xnn_status_success) {
    return op_error(op, "defining tensor '" + t.name + "' failed: " + status_name(status));
  }
  defined_.emplace(tensor_index, id);
  return id;
}

Result<uint32_t> SubgraphBuilder::internal_value(const Operator& op,
                                                 const std::vector<size_t>& dims) {
  uint32_t id = XNN_INVALID_VALUE_ID;
  const xnn_status status =
      xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(), dims.data(), nullptr,
                              XNN_INVALID_VALUE_ID, 0, &id);
  if (status != xnn_status_success) {
    return op_error(op, std::string("defining an intermediate failed: ") + status_name(status));
  }
  return id;
}

Result<uint32_t> SubgraphBuilder::owned_constant(const Operator& op, std::vector<float> data,
                                                 const std::vector<size_t>& dims) {
  owned_constants_.push_back(std::move(data));  // moving the outer vector keeps inner buffers
  uint32_t id = XNN_INVALID_VALUE_ID;
  const xnn_status status =
      xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(), dims.data(),
                              owned_constants_.back().data(), XNN_INVALID_VALUE_ID, 0, &id);
  if (status != xnn_status_success) {
    return op_error(op, std::string("defining a constant failed: ") + status_name(status));
  }
  return id;
}

OutputRange activation_range(Activation activation) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (activation) {
    case Activation::kNone:
      return {-kInf, kInf};
    case Activation::kRelu:
      return {0.0f, kInf};
    case Activation::kReluN1To1:
      return {-1.0f, 1.0f};
    case Activation::kRelu6:
      return {0.0f, 6.0f};
  }
  return {-kInf, kInf};
}

Pads same_padding(int input, int kernel, int stride, int dilation) {
  const int effective_kernel = (kernel - 1) * dilation + 1;
  const int output = (input + stride - 1) / stride;
  const int total = std::max((output - 1) * stride + effective_kernel - input, 0);
  return {static_cast<uint32_t>(total / 2), static_cast<uint32_t>(total - total / 2)};
}

int window_output_size(Padding padding, int input, int kernel, int stride, int dilation) {
  if (padding == Padding::kSame) return (input + stride - 1) / stride;
  const int effective_kernel = (kernel - 1) * dilation + 1;
  return (input - effective_kernel + stride) / stride;
}

size_t element_count(const std::vector<int32_t>& shape) {
  size_t count = 1;
  for (int32_t d : shape) count *= static_cast<size_t>(std::max(d, 0));
  return count;
}

Result<std::vector<int32_t>> nhwc_shape(const SubgraphBuilder& b, const Operator& op, int index,
                                        const char* role) {
  const Tensor& t = b.tensor(index);
  if (t.shape.size() != 4) {
    return b.op_error(op, std::string(role) + " '" + t.name + "' has shape " + shape_text(t.shape) +
                              ", expected 4-D NHWC");
  }
  return t.shape;
}

Status expect_output_shape(const SubgraphBuilder& b, const Operator& op,
                           const std::vector<int32_t>& expected) {
  if (op.outputs.size() != 1) {
    return b.op_error(op, std::to_string(op.outputs.size()) + " outputs, expected 1");
  }
  const Tensor& t = b.tensor(op.outputs[0]);
  if (t.shape != expected) {
    return b.op_error(
        op, "output shape " + shape_text(t.shape) + " but the op gives " + shape_text(expected));
  }
  return Ok{};
}

Result<int> required_input(const SubgraphBuilder& b, const Operator& op, size_t slot,
                           const char* role) {
  if (slot >= op.inputs.size() || op.inputs[slot] < 0) {
    return b.op_error(op, std::string("missing input ") + std::to_string(slot) + " (" + role + ")");
  }
  return op.inputs[slot];
}

Status expect_constant(const SubgraphBuilder& b, const Operator& op, int index, size_t rank,
                       const char* role) {
  const Tensor& t = b.tensor(index);
  if (!t.is_constant || t.type != DataType::kFloat32) {
    return b.op_error(op, std::string(role) + " '" + t.name +
                              "' must be constant float32 (run-time weights are not supported)");
  }
  if (t.shape.size() != rank) {
    return b.op_error(op, std::string(role) + " '" + t.name + "' has shape " + shape_text(t.shape));
  }
  return Ok{};
}

Result<std::vector<int32_t>> constant_ints(const SubgraphBuilder& b, const Operator& op, int index,
                                           const char* role) {
  const Tensor& t = b.tensor(index);
  if (!t.is_constant || t.type != DataType::kInt32) {
    return b.op_error(op, std::string(role) + " '" + t.name + "' must be a constant int32 tensor");
  }
  return t.i32;
}

}  // namespace bodyshape::nn::xnnpack
