// Runtime on XNNPACK: one subgraph per model, built straight from the TFLite graph (NHWC, TFLite
// weight layouts). This XNNPACK has no concatenate node, so the runtime runs CONCATENATION itself
// and cuts the graph into segments around it: segment s holds every XNNPACK op that depends on
// host ops of segments before s only. In the shipped models the concatenations join the detector's
// heads at the end, so each model is one segment followed by its concatenations.
//
// Tensors that cross steps (graph inputs and outputs, concat operands) live in buffers the Runtime
// owns, bound to XNNPACK once at creation; run() allocates nothing.
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "nn/runtime.h"
#include "nn/xnnpack_ops.h"

namespace bodyshape::nn {

namespace {

using xnnpack::element_count;
using xnnpack::Executor;
using xnnpack::ExternalValue;
using xnnpack::OpLowering;
using xnnpack::SubgraphBuilder;

// No runtime flags. XNN_FLAG_HINT_SPARSE_INFERENCE was tried: none of the six models qualifies for
// this XNNPACK's NCHW sparse path (outputs stayed bit-identical), so it would only mislead.
constexpr uint32_t kRuntimeFlags = 0;

Status initialize_xnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status == xnn_status_success) return Ok{};
  return make_error(ErrorCode::kUnavailable,
                    std::string("nn: xnn_initialize failed: ") + xnnpack::status_name(status));
}

struct ThreadpoolDeleter {
  void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
};
struct XnnRuntimeDeleter {
  void operator()(xnn_runtime_t runtime) const { xnn_delete_runtime(runtime); }
};
struct XnnSubgraphDeleter {
  void operator()(xnn_subgraph_t subgraph) const { xnn_delete_subgraph(subgraph); }
};

// A tensor the Runtime holds; XNNPACK may read XNN_EXTRA_BYTES past the end.
struct Buffer {
  size_t size = 0;
  std::vector<float> data;
};

// CONCATENATION: for each index before the axis, each operand's slice in turn.
struct HostConcat {
  std::vector<const float*> operands;
  std::vector<size_t> slice;  // elements per outer index, per operand
  size_t outer = 0;
  float* output = nullptr;

  void run() const {
    float* out = output;
    for (size_t o = 0; o < outer; ++o) {
      for (size_t i = 0; i < operands.size(); ++i) {
        std::memcpy(out, operands[i] + o * slice[i], slice[i] * sizeof(float));
        out += slice[i];
      }
    }
  }
};

struct Segment {
  std::unique_ptr<xnn_runtime, XnnRuntimeDeleter> runtime;  // null if the segment is empty
  std::vector<HostConcat> concats_after;
};

// Which step runs each op, and which tensors cross steps.
struct Plan {
  std::vector<const OpLowering*> lowering;  // per op
  std::vector<int> segment;                 // per op
  std::vector<int> producer;                // per tensor; -1 for inputs and constants
  std::vector<bool> buffered;               // per tensor
  int segment_count = 1;
};

std::string op_label(const Graph& graph, const Operator& op) {
  const std::string output = op.outputs.empty() || op.outputs[0] < 0 ||
                                     static_cast<size_t>(op.outputs[0]) >= graph.tensors.size()
                                 ? std::string("?")
                                 : graph.tensors[static_cast<size_t>(op.outputs[0])].name;
  return std::string(op_type_name(op.type)) + " -> '" + output + "'";
}

Result<Plan> plan_steps(const Graph& graph) {
  Plan plan;
  const size_t tensor_count = graph.tensors.size();
  plan.producer.assign(tensor_count, -1);
  plan.buffered.assign(tensor_count, false);
  auto valid = [&](int t) { return t >= 0 && static_cast<size_t>(t) < tensor_count; };
  for (size_t i = 0; i < graph.operators.size(); ++i) {
    const Operator& op = graph.operators[i];
    const OpLowering* lowering = xnnpack::find_lowering(op.type);
    if (lowering == nullptr) {
      return make_error(ErrorCode::kInternal, "nn: no engine builder for " + op_label(graph, op));
    }
    const bool host = lowering->executor == Executor::kHost;
    int segment = 0;
    for (int t : op.inputs) {
      if (t < 0) continue;
      if (!valid(t))
        return make_error(ErrorCode::kInternal, "nn: bad tensor index in " + op_label(graph, op));
      const int q = plan.producer[static_cast<size_t>(t)];
      if (q < 0) continue;
      const bool after_host = plan.lowering[static_cast<size_t>(q)]->executor == Executor::kHost;
      segment =
          std::max(segment, plan.segment[static_cast<size_t>(q)] + (after_host && !host ? 1 : 0));
      if (host || after_host) plan.buffered[static_cast<size_t>(t)] = true;
    }
    for (int t : op.outputs) {
      if (!valid(t) || plan.producer[static_cast<size_t>(t)] >= 0 ||
          graph.tensors[static_cast<size_t>(t)].is_constant) {
        return make_error(ErrorCode::kInternal, "nn: bad output tensor of " + op_label(graph, op));
      }
      plan.producer[static_cast<size_t>(t)] = static_cast<int>(i);
      if (host) plan.buffered[static_cast<size_t>(t)] = true;
    }
    plan.lowering.push_back(lowering);
    plan.segment.push_back(segment);
    plan.segment_count = std::max(plan.segment_count, segment + 1);
  }
  // A tensor produced in one segment and read in a later one crosses steps too.
  for (size_t i = 0; i < graph.operators.size(); ++i) {
    for (int t : graph.operators[i].inputs) {
      if (t < 0) continue;
      const int q = plan.producer[static_cast<size_t>(t)];
      if (q >= 0 && plan.segment[static_cast<size_t>(q)] != plan.segment[i]) {
        plan.buffered[static_cast<size_t>(t)] = true;
      }
    }
  }
  for (int t : graph.inputs) {
    if (!valid(t)) return make_error(ErrorCode::kInternal, "nn: bad graph input index");
    plan.buffered[static_cast<size_t>(t)] = true;
  }
  for (int t : graph.outputs) {
    if (!valid(t)) return make_error(ErrorCode::kInternal, "nn: bad graph output index");
    plan.buffered[static_cast<size_t>(t)] = true;
  }
  return plan;
}

class XnnpackRuntime final : public Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(std::shared_ptr<const Model> model,
                                                 const RuntimeOptions& options);

  std::span<float> input(size_t index) override {
    if (index >= inputs_.size()) return {};
    Buffer& buffer = buffers_[static_cast<size_t>(buffer_of_[static_cast<size_t>(inputs_[index])])];
    return {buffer.data.data(), buffer.size};
  }

  const std::vector<int32_t>& input_shape(size_t index) const override {
    if (index >= inputs_.size()) return no_shape_;
    return graph().tensors[static_cast<size_t>(inputs_[index])].shape;
  }

  Status run() override {
    for (const Segment& segment : segments_) {
      if (segment.runtime) {
        const xnn_status status = xnn_invoke_runtime(segment.runtime.get());
        if (status != xnn_status_success) {
          return make_error(ErrorCode::kInternal,
                            "nn: " + model_->name() +
                                ": xnn_invoke_runtime failed: " + xnnpack::status_name(status));
        }
      }
      for (const HostConcat& concat : segment.concats_after) concat.run();
    }
    return Ok{};
  }

  std::span<const float> output(std::string_view name) const override {
    const int t = output_tensor(name);
    if (t < 0) return {};
    const Buffer& buffer = buffers_[static_cast<size_t>(buffer_of_[static_cast<size_t>(t)])];
    return {buffer.data.data(), buffer.size};
  }

  const std::vector<int32_t>& output_shape(std::string_view name) const override {
    const int t = output_tensor(name);
    return t < 0 ? no_shape_ : graph().tensors[static_cast<size_t>(t)].shape;
  }

 private:
  explicit XnnpackRuntime(std::shared_ptr<const Model> model) : model_(std::move(model)) {}

  const Graph& graph() const { return model_->graph(); }

  int output_tensor(std::string_view name) const {
    for (int t : graph().outputs) {
      if (graph().tensors[static_cast<size_t>(t)].name == name) return t;
    }
    return -1;
  }

  Status build_segment(const Plan& plan, int segment_index, pthreadpool_t pool);
  Status build_concat(const Operator& op, Segment& segment);
  const float* operand_data(int tensor) const;

  // Declaration order is destruction order reversed: XNNPACK runtimes go before the thread pool,
  // the buffers and the weights they point at.
  std::shared_ptr<const Model> model_;  // XNNPACK may keep pointers into its fp32 weights
  std::unique_ptr<pthreadpool, ThreadpoolDeleter> threadpool_;
  std::vector<std::vector<float>> owned_constants_;  // e.g. zero biases
  std::vector<Buffer> buffers_;
  std::vector<int> buffer_of_;  // per tensor; -1 if not buffered
  std::vector<int> inputs_;     // graph input tensors
  std::vector<Segment> segments_;
  const std::vector<int32_t> no_shape_;
};

const float* XnnpackRuntime::operand_data(int tensor) const {
  const Tensor& t = graph().tensors[static_cast<size_t>(tensor)];
  if (t.is_constant) return t.f32.data();
  const int buffer = buffer_of_[static_cast<size_t>(tensor)];
  return buffer < 0 ? nullptr : buffers_[static_cast<size_t>(buffer)].data.data();
}

Status XnnpackRuntime::build_concat(const Operator& op, Segment& segment) {
  auto fail = [&](const std::string& what) {
    return make_error(ErrorCode::kInternal, "nn: " + op_label(graph(), op) + ": " + what);
  };
  if (op.outputs.size() != 1 || op.inputs.empty()) return fail("expected operands and one output");
  if (op.options.activation != Activation::kNone) return fail("fused activation is not supported");
  const std::vector<int32_t>& out_shape = graph().tensors[static_cast<size_t>(op.outputs[0])].shape;
  const size_t rank = out_shape.size();
  const size_t axis = static_cast<size_t>(op.options.axis);
  if (op.options.axis < 0 || axis >= rank) return fail("axis " + std::to_string(op.options.axis));
  HostConcat concat;
  concat.outer = element_count({out_shape.begin(), out_shape.begin() + static_cast<long>(axis)});
  int32_t axis_total = 0;
  for (int t : op.inputs) {
    if (t < 0) return fail("absent operand");
    const Tensor& operand = graph().tensors[static_cast<size_t>(t)];
    if (operand.type != DataType::kFloat32 || operand.shape.size() != rank) {
      return fail("operand '" + operand.name + "' is not float32 of rank " + std::to_string(rank));
    }
    for (size_t d = 0; d < rank; ++d) {
      if (d != axis && operand.shape[d] != out_shape[d]) {
        return fail("operand '" + operand.name + "' differs off the axis");
      }
    }
    const float* data = operand_data(t);
    if (data == nullptr) return fail("operand '" + operand.name + "' has no storage");
    axis_total += operand.shape[axis];
    concat.operands.push_back(data);
    concat.slice.push_back(
        element_count({operand.shape.begin() + static_cast<long>(axis), operand.shape.end()}));
  }
  if (axis_total != out_shape[axis]) return fail("operands do not add up to the output");
  concat.output =
      buffers_[static_cast<size_t>(buffer_of_[static_cast<size_t>(op.outputs[0])])].data.data();
  segment.concats_after.push_back(std::move(concat));
  return Ok{};
}

Status XnnpackRuntime::build_segment(const Plan& plan, int segment_index, pthreadpool_t pool) {
  const Graph& g = graph();
  Segment& segment = segments_[static_cast<size_t>(segment_index)];
  // External values: buffered tensors this segment's XNNPACK ops read or write.
  std::map<int, ExternalValue> externals;
  std::vector<std::pair<int, size_t>> first_use;  // tensor, op index
  bool has_xnnpack_ops = false;
  for (size_t i = 0; i < g.operators.size(); ++i) {
    if (plan.segment[i] != segment_index || plan.lowering[i]->executor != Executor::kXnnpack)
      continue;
    has_xnnpack_ops = true;
    const Operator& op = g.operators[i];
    auto add = [&](int t, uint32_t flags) {
      if (t < 0 || !plan.buffered[static_cast<size_t>(t)] || externals.count(t)) return;
      if (g.tensors[static_cast<size_t>(t)].is_constant) return;
      externals.emplace(t, ExternalValue{static_cast<uint32_t>(externals.size()), flags});
      first_use.emplace_back(t, i);
    };
    for (int t : op.inputs) add(t, XNN_VALUE_FLAG_EXTERNAL_INPUT);
    for (int t : op.outputs) add(t, XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
  }
  if (has_xnnpack_ops) {
    xnn_subgraph_t raw_subgraph = nullptr;
    xnn_status status =
        xnn_create_subgraph(static_cast<uint32_t>(externals.size()), 0, &raw_subgraph);
    if (status != xnn_status_success) {
      return make_error(ErrorCode::kInternal, std::string("nn: xnn_create_subgraph failed: ") +
                                                  xnnpack::status_name(status));
    }
    // The XNNPACK runtime is independent of its subgraph once created (xnnpack.h).
    std::unique_ptr<xnn_subgraph, XnnSubgraphDeleter> subgraph(raw_subgraph);
    SubgraphBuilder builder(subgraph.get(), g, externals, owned_constants_);
    for (const auto& [t, op_index] : first_use) {
      if (auto id = builder.value(g.operators[op_index], t); !id) return id.error();
    }
    for (size_t i = 0; i < g.operators.size(); ++i) {
      if (plan.segment[i] != segment_index || plan.lowering[i]->executor != Executor::kXnnpack)
        continue;
      if (Status s = plan.lowering[i]->build(builder, g.operators[i]); !s) return s;
    }
    xnn_runtime_t raw_runtime = nullptr;
    status = xnn_create_runtime_v2(subgraph.get(), pool, kRuntimeFlags, &raw_runtime);
    if (status != xnn_status_success) {
      return make_error(ErrorCode::kInternal,
                        "nn: " + model_->name() +
                            ": xnn_create_runtime_v2 failed: " + xnnpack::status_name(status));
    }
    segment.runtime.reset(raw_runtime);
    std::vector<xnn_external_value> bindings;
    for (const auto& [t, external] : externals) {
      bindings.push_back(
          {external.id,
           buffers_[static_cast<size_t>(buffer_of_[static_cast<size_t>(t)])].data.data()});
    }
    status = xnn_setup_runtime(segment.runtime.get(), bindings.size(), bindings.data());
    if (status != xnn_status_success) {
      return make_error(
          ErrorCode::kInternal,
          "nn: " + model_->name() + ": xnn_setup_runtime failed: " + xnnpack::status_name(status));
    }
  }
  for (size_t i = 0; i < g.operators.size(); ++i) {
    if (plan.segment[i] != segment_index || plan.lowering[i]->executor != Executor::kHost) continue;
    if (Status s = build_concat(g.operators[i], segment); !s) return s;
  }
  return Ok{};
}

Result<std::unique_ptr<Runtime>> XnnpackRuntime::create(std::shared_ptr<const Model> model,
                                                        const RuntimeOptions& options) {
  if (!model) return make_error(ErrorCode::kInvalidArgument, "nn: no model");
  if (options.threads < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "nn: threads must be at least 1, got " + std::to_string(options.threads));
  }
  if (Status s = initialize_xnnpack(); !s) return s.error();
  auto plan = plan_steps(model->graph());
  if (!plan) return plan.error();

  std::unique_ptr<XnnpackRuntime> runtime(new XnnpackRuntime(std::move(model)));
  const Graph& g = runtime->graph();
  runtime->buffer_of_.assign(g.tensors.size(), -1);
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (!plan->buffered[t] || g.tensors[t].is_constant) continue;
    if (g.tensors[t].type != DataType::kFloat32) {
      return make_error(ErrorCode::kInternal,
                        "nn: tensor '" + g.tensors[t].name + "' is not float32");
    }
    Buffer buffer;
    buffer.size = element_count(g.tensors[t].shape);
    buffer.data.assign(buffer.size + XNN_EXTRA_BYTES / sizeof(float), 0.0f);
    runtime->buffer_of_[t] = static_cast<int>(runtime->buffers_.size());
    runtime->buffers_.push_back(std::move(buffer));
  }
  for (int t : g.inputs) {
    if (runtime->buffer_of_[static_cast<size_t>(t)] < 0) {
      return make_error(
          ErrorCode::kInternal,
          "nn: graph input '" + g.tensors[static_cast<size_t>(t)].name + "' is constant");
    }
    runtime->inputs_.push_back(t);
  }
  if (options.threads > 1) {
    runtime->threadpool_.reset(pthreadpool_create(static_cast<size_t>(options.threads)));
    if (!runtime->threadpool_) {
      return make_error(ErrorCode::kUnavailable, "nn: pthreadpool_create failed");
    }
  }
  runtime->segments_.resize(static_cast<size_t>(plan->segment_count));
  for (int s = 0; s < plan->segment_count; ++s) {
    if (Status st = runtime->build_segment(*plan, s, runtime->threadpool_.get()); !st) {
      return st.error();
    }
  }
  return std::unique_ptr<Runtime>(std::move(runtime));
}

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::create(std::shared_ptr<const Model> model,
                                                 const RuntimeOptions& options) {
  return XnnpackRuntime::create(std::move(model), options);
}

}  // namespace bodyshape::nn
