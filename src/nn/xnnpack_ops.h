// How one TFLite operator becomes XNNPACK subgraph nodes (internal to nn/).
//
// Each op has one builder function (xnnpack_*_ops.cpp) and one row in the table of
// xnnpack_op_table.cpp. A builder checks the op's options and shapes, then defines its nodes; any
// option XNNPACK cannot express, or an output shape that disagrees with the op's own arithmetic, is
// a load-time Error naming the op and its output tensor, so running cannot fail.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "nn/graph.h"

namespace bodyshape::nn::xnnpack {

// An external value of one subgraph: a tensor the runtime keeps in its own buffer.
struct ExternalValue {
  uint32_t id;
  uint32_t flags;  // XNN_VALUE_FLAG_EXTERNAL_INPUT or _OUTPUT
};

// The subgraph under construction, and the tensor → XNNPACK value map.
class SubgraphBuilder {
 public:
  SubgraphBuilder(xnn_subgraph_t subgraph, const Graph& graph,
                  std::map<int, ExternalValue> externals,
                  std::vector<std::vector<float>>& owned_constants)
      : subgraph_(subgraph),
        graph_(graph),
        externals_(std::move(externals)),
        owned_constants_(owned_constants) {}

  xnn_subgraph_t subgraph() const { return subgraph_; }
  const Tensor& tensor(int index) const { return graph_.tensors[static_cast<size_t>(index)]; }

  // The value of a graph tensor, defined on first use (constant, external or internal).
  Result<uint32_t> value(const Operator& op, int tensor_index);
  // A value between two nodes of one op (e.g. MEAN without keep_dims: pool, then reshape).
  Result<uint32_t> internal_value(const Operator& op, const std::vector<size_t>& dims);
  // Static data the Runtime must keep alive (e.g. a zero bias); returns its value id.
  Result<uint32_t> owned_constant(const Operator& op, std::vector<float> data,
                                  const std::vector<size_t>& dims);

  // "CONV_2D -> 'name': <what>" as a load-time error.
  Error op_error(const Operator& op, const std::string& what) const;
  // Turns an xnn_define_* status into a Status naming the op.
  Status check(const Operator& op, xnn_status status, const char* call) const;

 private:
  xnn_subgraph_t subgraph_;
  const Graph& graph_;
  std::map<int, ExternalValue> externals_;
  std::map<int, uint32_t> defined_;
  std::vector<std::vector<float>>& owned_constants_;
};

const char* status_name(xnn_status status);

// Shared arithmetic of the builders.
struct OutputRange {
  float min, max;
};
OutputRange activation_range(Activation activation);

struct Pads {
  uint32_t before = 0, after = 0;
};
// TFLite's SAME padding: output = ceil(input / stride), the odd pixel of padding goes after.
Pads same_padding(int input, int kernel, int stride, int dilation);
// Output size of a convolution or pooling window along one axis.
int window_output_size(Padding padding, int input, int kernel, int stride, int dilation);

// Number of elements of a shape (negative dimensions count as 0).
size_t element_count(const std::vector<int32_t>& shape);
// Checks that tensor `index` is 4-D NHWC float data; returns its shape.
Result<std::vector<int32_t>> nhwc_shape(const SubgraphBuilder& b, const Operator& op, int index,
                                        const char* role);
// Checks that the op's output tensor has the shape the op's arithmetic gives.
Status expect_output_shape(const SubgraphBuilder& b, const Operator& op,
                           const std::vector<int32_t>& expected);
// The input at `slot`, or an Error naming the op if it is absent.
Result<int> required_input(const SubgraphBuilder& b, const Operator& op, size_t slot,
                           const char* role);
// A constant float tensor of the given rank (weights, biases).
Status expect_constant(const SubgraphBuilder& b, const Operator& op, int index, size_t rank,
                       const char* role);
// A constant int32 tensor (paddings, axes, sizes).
Result<std::vector<int32_t>> constant_ints(const SubgraphBuilder& b, const Operator& op, int index,
                                           const char* role);

using OpBuilder = Status (*)(SubgraphBuilder&, const Operator&);

// Convolutions: xnnpack_conv_ops.cpp
Status build_conv_2d(SubgraphBuilder& b, const Operator& op);
Status build_depthwise_conv_2d(SubgraphBuilder& b, const Operator& op);
Status build_transpose_conv_bias(SubgraphBuilder& b, const Operator& op);
// Pooling: xnnpack_pool_ops.cpp
Status build_max_pool_2d(SubgraphBuilder& b, const Operator& op);
Status build_average_pool_2d(SubgraphBuilder& b, const Operator& op);
Status build_mean(SubgraphBuilder& b, const Operator& op);
// Element-wise: xnnpack_elementwise_ops.cpp
Status build_add(SubgraphBuilder& b, const Operator& op);
Status build_mul(SubgraphBuilder& b, const Operator& op);
Status build_logistic(SubgraphBuilder& b, const Operator& op);
Status build_hard_swish(SubgraphBuilder& b, const Operator& op);
Status build_relu(SubgraphBuilder& b, const Operator& op);
Status build_relu6(SubgraphBuilder& b, const Operator& op);
// Data movement: xnnpack_shape_ops.cpp
Status build_pad(SubgraphBuilder& b, const Operator& op);
Status build_reshape(SubgraphBuilder& b, const Operator& op);
Status build_resize_bilinear(SubgraphBuilder& b, const Operator& op);
Status build_depth_to_space(SubgraphBuilder& b, const Operator& op);

// Where an op runs: in the XNNPACK subgraph, or by the runtime itself between subgraph segments
// (CONCATENATION: this XNNPACK's subgraph API has no concatenate node).
enum class Executor { kXnnpack, kHost };

struct OpLowering {
  OpType type;
  Executor executor;
  OpBuilder build;  // null for kHost
};

// The one table OpType → lowering; null if the engine does not support the op.
const OpLowering* find_lowering(OpType type);

}  // namespace bodyshape::nn::xnnpack
