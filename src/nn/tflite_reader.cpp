// read_tflite_graph(): a TFLite flatbuffer -> nn::Graph, with the weights prepared for an engine.
//
//   std::vector<uint8_t> bytes = ...;                    // a whole .tflite file
//   Result<Graph> graph = read_tflite_graph(bytes);      // verify, then read subgraph 0
//   // DEQUANTIZE(fp16 constant) and DENSIFY(sparse constant) are gone: their outputs are fp32
//   // constants. Every operator left is an OpType; tensors no op uses are dropped.
//   if (!graph) log(graph.error().message);              // "unsupported TFLite op SOFTMAX ..."
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fp16.h>

#include "nn/graph.h"
#include "nn/tflite_ops.h"
#include "nn/tflite_schema.h"
#include "nn/tflite_sparse.h"

namespace bodyshape::nn {

namespace {

namespace fb = tflite;

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

std::string quoted(const std::string& name) {
  return "'" + name + "'";
}

// Tensors past 2^31 elements cannot come from a flatbuffer under 2 GB, so int64 never overflows.
constexpr int64_t kMaxElements = int64_t{1} << 31;

void fp16_to_f32(std::span<const uint8_t> raw, float* out) {
  const size_t count = raw.size() / 2;
  for (size_t i = 0; i < count; ++i) {
    uint16_t half;
    std::memcpy(&half, raw.data() + 2 * i, 2);
    out[i] = fp16_ieee_to_fp32_value(half);
  }
}

// What the reader knows of a tensor besides nn::Tensor while it prepares the graph.
struct Source {
  int8_t tflite_type = fb::kFloat32;
  std::span<const uint8_t> raw;  // constant bytes in the file (maybe sparse)
  const fb::SparsityParameters* sparsity = nullptr;
  bool prepared = false;  // f32 holds DEQUANTIZE/DENSIFY-folded values
  bool constant() const { return !raw.empty() || prepared; }
};

class Reader {
 public:
  Reader(std::span<const uint8_t> file, const fb::Model& model) : file_(file), model_(model) {}

  Result<Graph> read() {
    if (model_.subgraphs() == nullptr || model_.subgraphs()->size() == 0) {
      return invalid("TFLite model has no subgraph");
    }
    const fb::SubGraph& subgraph = *model_.subgraphs()->Get(0);
    if (Status s = read_tensors(subgraph); !s) return s.error();
    if (Status s = read_graph_io(subgraph); !s) return s.error();
    count_consumers(subgraph);
    if (subgraph.operators() != nullptr) {
      for (const fb::Operator* op : *subgraph.operators()) {
        if (Status s = read_operator(*op); !s) return s.error();
      }
    }
    if (Status s = keep_live_tensors(); !s) return s.error();
    return std::move(graph_);
  }

 private:
  Status read_tensors(const fb::SubGraph& subgraph) {
    const auto* tensors = subgraph.tensors();
    const size_t count = tensors == nullptr ? 0 : tensors->size();
    graph_.tensors.resize(count);
    sources_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const fb::Tensor& in = *tensors->Get(static_cast<flatbuffers::uoffset_t>(i));
      Tensor& tensor = graph_.tensors[i];
      Source& source = sources_[i];
      if (in.name() != nullptr) tensor.name = in.name()->str();
      int64_t elements = 1;
      if (in.shape() != nullptr) {
        for (int32_t dim : *in.shape()) {
          if (dim < 0) {
            return invalid("tensor " + quoted(tensor.name) + " has a negative dimension");
          }
          elements *= std::max<int64_t>(dim, 1);
          if (elements >= kMaxElements) {
            return invalid("tensor " + quoted(tensor.name) + " is too large");
          }
          tensor.shape.push_back(dim);
        }
      }
      source.tflite_type = in.type();
      source.sparsity = in.sparsity();
      Result<std::span<const uint8_t>> raw = buffer_bytes(in.buffer(), tensor.name);
      if (!raw) return raw.error();
      source.raw = *raw;
      tensor.is_constant = !source.raw.empty();
      tensor.type = source.tflite_type == fb::kInt32 ? DataType::kInt32 : DataType::kFloat32;
    }
    return Ok{};
  }

  Result<std::span<const uint8_t>> buffer_bytes(uint32_t index, const std::string& tensor_name) {
    const auto* buffers = model_.buffers();
    if (index == 0) return std::span<const uint8_t>{};  // buffer 0 is the empty sentinel
    if (buffers == nullptr || index >= buffers->size()) {
      return invalid("tensor " + quoted(tensor_name) + " refers to missing buffer " +
                     std::to_string(index));
    }
    const fb::Buffer& buffer = *buffers->Get(index);
    if (buffer.offset() > 1) {  // data stored after the flatbuffer
      if (buffer.offset() > file_.size() || buffer.size() > file_.size() - buffer.offset()) {
        return invalid("buffer " + std::to_string(index) + " lies outside the file");
      }
      return file_.subspan(buffer.offset(), buffer.size());
    }
    if (buffer.data() == nullptr) return std::span<const uint8_t>{};
    return std::span<const uint8_t>(buffer.data()->data(), buffer.data()->size());
  }

  Status read_graph_io(const fb::SubGraph& subgraph) {
    for (auto [list, out] : {std::pair{subgraph.inputs(), &graph_.inputs},
                             std::pair{subgraph.outputs(), &graph_.outputs}}) {
      if (list == nullptr) continue;
      for (int32_t index : *list) {
        if (index < 0 || static_cast<size_t>(index) >= graph_.tensors.size()) {
          return invalid("graph input/output refers to missing tensor " + std::to_string(index));
        }
        out->push_back(index);
      }
    }
    return Ok{};
  }

  void count_consumers(const fb::SubGraph& subgraph) {
    consumers_.assign(graph_.tensors.size(), 0);
    for (int index : graph_.outputs) ++consumers_[static_cast<size_t>(index)];
    if (subgraph.operators() == nullptr) return;
    for (const fb::Operator* op : *subgraph.operators()) {
      if (op->inputs() == nullptr) continue;
      for (int32_t index : *op->inputs()) {
        if (index >= 0 && static_cast<size_t>(index) < consumers_.size()) {
          ++consumers_[static_cast<size_t>(index)];
        }
      }
    }
  }

  Status read_operator(const fb::Operator& op) {
    const auto* codes = model_.operator_codes();
    if (codes == nullptr || op.opcode_index() >= codes->size()) {
      return invalid("operator refers to missing operator code " +
                     std::to_string(op.opcode_index()));
    }
    const fb::OperatorCode& code = *codes->Get(op.opcode_index());
    // Codes past 127 live only in builtin_code; older files only fill deprecated_builtin_code.
    const int32_t builtin = std::max<int32_t>(code.deprecated_builtin_code(), code.builtin_code());
    Operator out;
    for (auto [list, indices, optional] : {std::tuple{op.inputs(), &out.inputs, true},
                                           std::tuple{op.outputs(), &out.outputs, false}}) {
      if (list == nullptr) continue;
      for (int32_t index : *list) {
        const bool absent = optional && index == -1;
        if (!absent && (index < 0 || static_cast<size_t>(index) >= graph_.tensors.size())) {
          return invalid(std::string("operator ") + fb::builtin_op_name(builtin) +
                         " refers to missing tensor " + std::to_string(index));
        }
        indices->push_back(index);
      }
    }
    const std::string custom = code.custom_code() != nullptr ? code.custom_code()->str() : "";
    const std::string unsupported =
        std::string("unsupported TFLite op ") +
        (builtin == fb::kCustom ? "CUSTOM " + custom : fb::builtin_op_name(builtin)) +
        " (builtin code " + std::to_string(builtin) + ")";
    if (builtin == fb::kDequantize) return fold_dequantize(out, unsupported);
    if (builtin == fb::kDensify) return expand_densify(out, unsupported);
    const int output_rank =
        out.outputs.empty()
            ? 0
            : static_cast<int>(graph_.tensors[static_cast<size_t>(out.outputs[0])].shape.size());
    if (Status s = fb::read_op(builtin, custom, op, output_rank, out, unsupported); !s) return s;
    graph_.operators.push_back(std::move(out));
    return Ok{};
  }

  // DEQUANTIZE of a constant fp16 tensor -> its output becomes an fp32 constant.
  Status fold_dequantize(const Operator& op, const std::string& unsupported) {
    if (op.inputs.size() != 1 || op.outputs.size() != 1 || op.inputs[0] < 0) {
      return invalid(unsupported + " with other than one input and one output");
    }
    const auto in = static_cast<size_t>(op.inputs[0]);
    const auto out = static_cast<size_t>(op.outputs[0]);
    Source& source = sources_[in];
    if (!source.constant() || source.tflite_type != fb::kFloat16 ||
        (source.sparsity != nullptr && !source.prepared)) {
      return invalid(unsupported + " on " + quoted(graph_.tensors[in].name) +
                     ", which is not a dense constant fp16 tensor");
    }
    if (sources_[out].tflite_type != fb::kFloat32) {
      return invalid(unsupported + " producing non-fp32 tensor " +
                     quoted(graph_.tensors[out].name));
    }
    std::vector<float> values;
    if (source.prepared) {
      values = --consumers_[in] == 0 ? std::move(graph_.tensors[in].f32) : graph_.tensors[in].f32;
    } else {
      values.resize(source.raw.size() / 2);
      fp16_to_f32(source.raw, values.data());
    }
    return set_constant(out, std::move(values), unsupported);
  }

  // DENSIFY of a sparse constant -> its output becomes a dense constant (still typed fp16 when
  // a DEQUANTIZE follows, as in MediaPipe's detector).
  Status expand_densify(const Operator& op, const std::string& unsupported) {
    if (op.inputs.size() != 1 || op.outputs.size() != 1 || op.inputs[0] < 0) {
      return invalid(unsupported + " with other than one input and one output");
    }
    const auto in = static_cast<size_t>(op.inputs[0]);
    const auto out = static_cast<size_t>(op.outputs[0]);
    const Source& source = sources_[in];
    const std::string& name = graph_.tensors[in].name;
    if (source.raw.empty() || source.sparsity == nullptr) {
      return invalid(unsupported + " on " + quoted(name) + ", which is not a sparse constant");
    }
    if (source.tflite_type != sources_[out].tflite_type ||
        (source.tflite_type != fb::kFloat16 && source.tflite_type != fb::kFloat32)) {
      return invalid(unsupported + " on " + quoted(name) + ": values must be fp16 or fp32");
    }
    std::vector<float> values(source.raw.size() / (source.tflite_type == fb::kFloat16 ? 2 : 4));
    if (source.tflite_type == fb::kFloat16) {
      fp16_to_f32(source.raw, values.data());
    } else {
      std::memcpy(values.data(), source.raw.data(), values.size() * sizeof(float));
    }
    Result<std::vector<float>> dense =
        fb::densify(*source.sparsity, graph_.tensors[in].shape, values);
    if (!dense) return invalid(unsupported + " on " + quoted(name) + ": " + dense.error().message);
    return set_constant(out, std::move(*dense), unsupported);
  }

  Status set_constant(size_t index, std::vector<float> values, const std::string& unsupported) {
    Tensor& tensor = graph_.tensors[index];
    if (static_cast<int64_t>(values.size()) != element_count(tensor)) {
      return invalid(unsupported + ": " + std::to_string(values.size()) + " values for tensor " +
                     quoted(tensor.name) + " of " + std::to_string(element_count(tensor)) +
                     " elements");
    }
    tensor.f32 = std::move(values);
    tensor.is_constant = true;
    sources_[index].prepared = true;
    return Ok{};
  }

  static int64_t element_count(const Tensor& tensor) {
    int64_t count = 1;
    for (int32_t dim : tensor.shape) count *= dim;
    return count;
  }

  // Drops tensors no remaining op or graph input/output uses; gives constants their data.
  Status keep_live_tensors() {
    std::vector<int> new_index(graph_.tensors.size(), -1);
    auto mark = [&new_index](int index) {
      if (index >= 0) new_index[static_cast<size_t>(index)] = 0;
    };
    for (const Operator& op : graph_.operators) {
      std::for_each(op.inputs.begin(), op.inputs.end(), mark);
      std::for_each(op.outputs.begin(), op.outputs.end(), mark);
    }
    std::for_each(graph_.inputs.begin(), graph_.inputs.end(), mark);
    std::for_each(graph_.outputs.begin(), graph_.outputs.end(), mark);

    std::vector<Tensor> kept;
    for (size_t i = 0; i < graph_.tensors.size(); ++i) {
      if (new_index[i] < 0) continue;
      if (Status s = materialize(i); !s) return s;
      new_index[i] = static_cast<int>(kept.size());
      kept.push_back(std::move(graph_.tensors[i]));
    }
    graph_.tensors = std::move(kept);
    auto remap = [&new_index](int& index) {
      if (index >= 0) index = new_index[static_cast<size_t>(index)];
    };
    for (Operator& op : graph_.operators) {
      std::for_each(op.inputs.begin(), op.inputs.end(), remap);
      std::for_each(op.outputs.begin(), op.outputs.end(), remap);
    }
    std::for_each(graph_.inputs.begin(), graph_.inputs.end(), remap);
    std::for_each(graph_.outputs.begin(), graph_.outputs.end(), remap);
    for (const Operator& op : graph_.operators) {
      for (int index : op.outputs) {
        if (graph_.tensors[static_cast<size_t>(index)].is_constant) {
          return invalid(std::string("op ") + op_type_name(op.type) + " writes constant tensor " +
                         quoted(graph_.tensors[static_cast<size_t>(index)].name));
        }
      }
    }
    return Ok{};
  }

  Status materialize(size_t index) {
    Tensor& tensor = graph_.tensors[index];
    const Source& source = sources_[index];
    const bool fp32 = source.tflite_type == fb::kFloat32;
    if (!fp32 && source.tflite_type != fb::kInt32) {
      return invalid(
          "tensor " + quoted(tensor.name) + " has TFLite type " +
          std::to_string(source.tflite_type) + "; the engine takes only fp32 and int32" +
          (source.tflite_type == fb::kFloat16 ? " (fp16 is only read through DEQUANTIZE)" : ""));
    }
    if (source.prepared || source.raw.empty()) return Ok{};
    if (source.sparsity != nullptr) {
      return invalid("sparse tensor " + quoted(tensor.name) + " is used without DENSIFY");
    }
    const auto count = static_cast<size_t>(element_count(tensor));
    if (source.raw.size() != count * 4) {
      return invalid("constant tensor " + quoted(tensor.name) + " has " +
                     std::to_string(source.raw.size()) + " bytes for " + std::to_string(count) +
                     " elements");
    }
    if (fp32) {
      tensor.f32.resize(count);
      std::memcpy(tensor.f32.data(), source.raw.data(), source.raw.size());
    } else {
      tensor.i32.resize(count);
      std::memcpy(tensor.i32.data(), source.raw.data(), source.raw.size());
    }
    return Ok{};
  }

  std::span<const uint8_t> file_;
  const fb::Model& model_;
  Graph graph_;
  std::vector<Source> sources_;  // by TFLite tensor index, until keep_live_tensors()
  std::vector<int> consumers_;   // ops (and graph outputs) reading each tensor
};

}  // namespace

Result<Graph> read_tflite_graph(std::span<const uint8_t> bytes) {
  if (bytes.size() < 8 || std::memcmp(bytes.data() + 4, fb::kFileIdentifier, 4) != 0) {
    return invalid("not a TFLite model: no \"TFL3\" identifier at byte 4");
  }
  if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) return invalid("TFLite model over 2 GB");
  // Flatbuffer scalars are read in place, so the bytes must be aligned; copy the rare span that
  // is not (a std::vector's storage always is).
  std::vector<uint8_t> aligned_copy;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 16 != 0) {
    aligned_copy.assign(bytes.begin(), bytes.end());
    bytes = aligned_copy;
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!verifier.VerifyBuffer<fb::Model>(fb::kFileIdentifier)) {
    return invalid("corrupt TFLite flatbuffer: verification failed");
  }
  return Reader(bytes, *flatbuffers::GetRoot<fb::Model>(bytes.data())).read();
}

}  // namespace bodyshape::nn
