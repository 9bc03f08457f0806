// read_tflite_graph / Model: the six shipped MediaPipe models load with every op supported and the
// census, shapes and weights MEDIAPIPE-FACTS.md and tensors.json describe; bad bytes give errors.
#include <fp16.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "nn/runtime.h"
#include "nn/tflite_schema.h"
#include "support/testdata.h"

namespace bodyshape::nn {
namespace {

namespace fb = tflite;
using bodyshape::testing::model_path;
using bodyshape::testing::read_bytes;
using bodyshape::testing::shared_path;
using Census = std::map<std::string, int>;

const std::vector<std::string> kModels = {"pose_detection",      "pose_landmark_lite",
                                          "pose_landmark_full",  "pose_landmark_heavy",
                                          "selfie_segmentation", "selfie_segmentation_landscape"};

std::shared_ptr<const Model> load(const std::string& name) {
  auto model = Model::load(model_path(name + ".tflite"));
  if (!model) ADD_FAILURE() << model.error().message;
  return model ? *model : nullptr;
}

Census census(const Graph& graph) {
  Census counts;
  for (const Operator& op : graph.operators) ++counts[op_type_name(op.type)];
  return counts;
}

int64_t element_count(const Tensor& tensor) {
  int64_t count = 1;
  for (int32_t dim : tensor.shape) count *= dim;
  return count;
}

const Tensor* find_tensor(const Graph& graph, const std::string& name) {
  for (const Tensor& tensor : graph.tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

TEST(TfliteReader, EveryShippedModelLoadsWithEveryOpSupported) {
  for (const std::string& name : kModels) {
    SCOPED_TRACE(name);
    auto model = load(name);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->name(), name);
    const Graph& graph = model->graph();
    ASSERT_FALSE(graph.operators.empty());
    const auto tensor_count = static_cast<int>(graph.tensors.size());
    for (const Operator& op : graph.operators) {
      EXPECT_STRNE(op_type_name(op.type), "UNKNOWN");
      for (int index : op.inputs) EXPECT_TRUE(index >= -1 && index < tensor_count);
      for (int index : op.outputs) EXPECT_TRUE(index >= 0 && index < tensor_count);
    }
  }
}

TEST(TfliteReader, OpCensusIsMediaPipeFactsWithoutDequantizeAndDensify) {
  const std::map<std::string, Census> expected = {
      {"pose_detection",
       {{"PAD", 8},
        {"CONV_2D", 45},
        {"DEPTHWISE_CONV_2D", 28},
        {"ADD", 15},
        {"DEPTH_TO_SPACE", 3},
        {"RESIZE_BILINEAR", 2},
        {"RESHAPE", 6},
        {"CONCATENATION", 2}}},
      {"pose_landmark_lite",
       {{"PAD", 5},
        {"CONV_2D", 54},
        {"DEPTHWISE_CONV_2D", 34},
        {"ADD", 25},
        {"RESIZE_BILINEAR", 5},
        {"MAX_POOL_2D", 2},
        {"RESHAPE", 3},
        {"LOGISTIC", 1}}},
      {"selfie_segmentation",
       {{"CONV_2D", 43},
        {"HARD_SWISH", 11},
        {"RELU", 22},
        {"DEPTHWISE_CONV_2D", 11},
        {"AVERAGE_POOL_2D", 10},
        {"LOGISTIC", 11},
        {"MUL", 10},
        {"ADD", 14},
        {"RESIZE_BILINEAR", 3},
        {"Convolution2DTransposeBias", 1}}},
      {"selfie_segmentation_landscape",
       {{"CONV_2D", 43},
        {"HARD_SWISH", 11},
        {"RELU", 22},
        {"DEPTHWISE_CONV_2D", 11},
        {"MEAN", 10},
        {"LOGISTIC", 11},
        {"MUL", 10},
        {"ADD", 14},
        {"RESIZE_BILINEAR", 3},
        {"Convolution2DTransposeBias", 1}}},
  };
  for (const auto& [name, counts] : expected) {
    auto model = load(name);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(census(model->graph()), counts) << name;
  }
  // full and heavy: "the same ops as lite, in larger counts".
  const Census lite = expected.at("pose_landmark_lite");
  for (const std::string name : {"pose_landmark_full", "pose_landmark_heavy"}) {
    auto model = load(name);
    ASSERT_NE(model, nullptr);
    const Census counts = census(model->graph());
    EXPECT_EQ(counts.size(), lite.size()) << name;
    for (const auto& [op, count] : lite)
      EXPECT_GE(counts.count(op) ? counts.at(op) : 0, count) << name << " " << op;
  }
}

TEST(TfliteReader, GraphInputsAndOutputsHaveTheShapesInTensorsJson) {
  std::ifstream file(shared_path("testdata/tensors/tensors.json"));
  ASSERT_TRUE(file) << "tensors.json";
  const nlohmann::json tensors = nlohmann::json::parse(file);
  for (const std::string& name : kModels) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(tensors.contains(name));
    const nlohmann::json& entry = tensors.at(name);
    auto model = load(name);
    ASSERT_NE(model, nullptr);
    const Graph& graph = model->graph();
    ASSERT_EQ(graph.inputs.size(), 1u);
    EXPECT_EQ(graph.tensors[static_cast<size_t>(graph.inputs[0])].shape,
              entry.at("input").at("shape").get<std::vector<int32_t>>());
    EXPECT_EQ(graph.outputs.size(), entry.at("outputs").size());
    for (const auto& [output_name, output] : entry.at("outputs").items()) {
      const auto named = std::find_if(graph.outputs.begin(), graph.outputs.end(), [&](int index) {
        return graph.tensors[static_cast<size_t>(index)].name == output_name;
      });
      ASSERT_NE(named, graph.outputs.end()) << output_name;
      const Tensor& tensor = graph.tensors[static_cast<size_t>(*named)];
      EXPECT_EQ(tensor.shape, output.at("shape").get<std::vector<int32_t>>()) << output_name;
      EXPECT_FALSE(tensor.is_constant);
    }
  }
}

TEST(TfliteReader, EveryConstantHoldsExactlyItsShapesElements) {
  for (const std::string& name : kModels) {
    SCOPED_TRACE(name);
    auto model = load(name);
    ASSERT_NE(model, nullptr);
    for (const Tensor& tensor : model->graph().tensors) {
      if (!tensor.is_constant) {
        EXPECT_TRUE(tensor.f32.empty() && tensor.i32.empty()) << tensor.name;
        continue;
      }
      const bool fp32 = tensor.type == DataType::kFloat32;
      EXPECT_EQ(static_cast<int64_t>(fp32 ? tensor.f32.size() : tensor.i32.size()),
                element_count(tensor))
          << tensor.name;
      EXPECT_TRUE(fp32 ? tensor.i32.empty() : tensor.f32.empty()) << tensor.name;
    }
    // The shape-like inputs the engine reads at build time are int32 constants.
    const Graph& graph = model->graph();
    for (const Operator& op : graph.operators) {
      if (op.type != OpType::kPad && op.type != OpType::kMean && op.type != OpType::kReshape &&
          op.type != OpType::kResizeBilinear) {
        continue;
      }
      if (op.inputs.size() < 2) continue;
      const Tensor& shape_like = graph.tensors[static_cast<size_t>(op.inputs[1])];
      EXPECT_TRUE(shape_like.is_constant) << op_type_name(op.type) << " " << shape_like.name;
      EXPECT_EQ(shape_like.type, DataType::kInt32) << shape_like.name;
    }
  }
}

TEST(TfliteReader, EveryResizeUsesHalfPixelCenters) {
  int resizes = 0;
  for (const std::string& name : kModels) {
    auto model = load(name);
    ASSERT_NE(model, nullptr);
    for (const Operator& op : model->graph().operators) {
      if (op.type != OpType::kResizeBilinear) continue;
      ++resizes;
      EXPECT_TRUE(op.options.half_pixel_centers) << name;
      EXPECT_FALSE(op.options.align_corners) << name;
    }
  }
  EXPECT_GT(resizes, 0);
}

TEST(TfliteReader, SelfieTransposeConvBiasReadsItsCustomOptions) {
  auto model = load("selfie_segmentation");
  ASSERT_NE(model, nullptr);
  const Graph& graph = model->graph();
  const auto op =
      std::find_if(graph.operators.begin(), graph.operators.end(),
                   [](const Operator& o) { return o.type == OpType::kTransposeConvBias; });
  ASSERT_NE(op, graph.operators.end());
  // MEDIAPIPE-FACTS.md: {padding SAME, stride_w 2, stride_h 2}, weights OHWI (1,2,2,16).
  EXPECT_EQ(op->options.padding, Padding::kSame);
  EXPECT_EQ(op->options.stride_w, 2);
  EXPECT_EQ(op->options.stride_h, 2);
  ASSERT_EQ(op->inputs.size(), 3u);
  EXPECT_EQ(graph.tensors[static_cast<size_t>(op->inputs[1])].shape,
            (std::vector<int32_t>{1, 2, 2, 16}));
}

// Reads the detector's first DENSIFY input straight from the file, decodes its CSR layout by hand
// (shape (O,1,1,I): rows o, columns from array_indices), and compares with the prepared weight.
TEST(TfliteReader, DensifiedDetectorWeightMatchesItsSparseFormatReadByHand) {
  const std::vector<uint8_t> bytes = read_bytes(model_path("pose_detection.tflite"));
  const fb::Model& file = *flatbuffers::GetRoot<fb::Model>(bytes.data());
  const fb::SubGraph& subgraph = *file.subgraphs()->Get(0);
  auto code_of = [&](const fb::Operator& op) {
    const fb::OperatorCode& code = *file.operator_codes()->Get(op.opcode_index());
    return std::max<int32_t>(code.deprecated_builtin_code(), code.builtin_code());
  };
  constexpr int32_t kDequantize = 6, kDensify = 124;
  const fb::Operator* densify = nullptr;
  for (const fb::Operator* op : *subgraph.operators()) {
    if (code_of(*op) == kDensify) {
      densify = op;
      break;
    }
  }
  ASSERT_NE(densify, nullptr);
  const fb::Tensor& sparse =
      *subgraph.tensors()->Get(static_cast<flatbuffers::uoffset_t>(densify->inputs()->Get(0)));
  int32_t prepared_index = densify->outputs()->Get(0);
  for (const fb::Operator* op : *subgraph.operators()) {  // DENSIFY -> DEQUANTIZE -> fp32 weight
    if (code_of(*op) == kDequantize && op->inputs()->Get(0) == prepared_index) {
      prepared_index = op->outputs()->Get(0);
      break;
    }
  }
  const std::string prepared_name =
      subgraph.tensors()->Get(static_cast<flatbuffers::uoffset_t>(prepared_index))->name()->str();

  ASSERT_EQ(sparse.type(), fb::kFloat16);
  ASSERT_EQ(sparse.shape()->size(), 4u);
  const int32_t rows = sparse.shape()->Get(0), columns = sparse.shape()->Get(3);
  ASSERT_EQ(sparse.shape()->Get(1), 1);
  ASSERT_EQ(sparse.shape()->Get(2), 1);
  const fb::DimensionMetadata& csr = *sparse.sparsity()->dim_metadata()->Get(3);
  ASSERT_EQ(csr.format(), fb::kSparseCsr);
  auto values_of = [](uint8_t type, const fb::Table* table) {
    std::vector<int64_t> out;
    if (type == fb::kInt32Vector) {
      for (auto v : *static_cast<const fb::IndexVector<int32_t>*>(table)->values())
        out.push_back(v);
    } else if (type == fb::kUint16Vector) {
      for (auto v : *static_cast<const fb::IndexVector<uint16_t>*>(table)->values())
        out.push_back(v);
    } else if (type == fb::kUint8Vector) {
      for (auto v : *static_cast<const fb::IndexVector<uint8_t>*>(table)->values())
        out.push_back(v);
    }
    return out;
  };
  const std::vector<int64_t> segments = values_of(csr.segments_type(), csr.segments());
  const std::vector<int64_t> indices = values_of(csr.indices_type(), csr.indices());
  const auto* data = file.buffers()->Get(sparse.buffer())->data();
  ASSERT_EQ(segments.size(), static_cast<size_t>(rows) + 1);
  ASSERT_EQ(indices.size() * 2, data->size());

  std::vector<float> by_hand(static_cast<size_t>(rows) * static_cast<size_t>(columns), 0.0f);
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t j = segments[static_cast<size_t>(row)]; j < segments[static_cast<size_t>(row) + 1];
         ++j) {
      uint16_t half;
      std::memcpy(&half, data->data() + 2 * j, 2);
      by_hand[static_cast<size_t>(row * columns + indices[static_cast<size_t>(j)])] =
          fp16_ieee_to_fp32_value(half);
    }
  }
  const double density = static_cast<double>(indices.size()) / static_cast<double>(by_hand.size());
  std::cout << prepared_name << ": " << indices.size() << " of " << by_hand.size()
            << " weights stored (density " << density << ")\n";
  EXPECT_LT(density, 1.0);
  EXPECT_GT(density, 0.0);

  auto model = load("pose_detection");
  ASSERT_NE(model, nullptr);
  const Tensor* prepared = find_tensor(model->graph(), prepared_name);
  ASSERT_NE(prepared, nullptr) << prepared_name;
  EXPECT_TRUE(prepared->is_constant);
  EXPECT_EQ(prepared->shape, (std::vector<int32_t>{rows, 1, 1, columns}));
  // Known nonzeros: the first stored value of the first and last rows land where array_indices say.
  for (int64_t row : {int64_t{0}, int64_t{rows - 1}}) {
    const int64_t j = segments[static_cast<size_t>(row)];
    if (j == segments[static_cast<size_t>(row) + 1]) continue;
    const auto at = static_cast<size_t>(row * columns + indices[static_cast<size_t>(j)]);
    EXPECT_NE(by_hand[at], 0.0f);
    EXPECT_EQ(prepared->f32[at], by_hand[at]) << "row " << row;
  }
  EXPECT_EQ(prepared->f32, by_hand) << "fp16 -> fp32 is exact, so the whole tensor must match";
}

// A tiny TFLite model written with FlatBufferBuilder, for ops and layouts the shipped models lack.
class TinyModel {
 public:
  TinyModel() {
    buffers_.push_back(table([](auto&) {}));
  }  // buffer 0: the empty sentinel

  template <class T>
  uint32_t add_buffer(const std::vector<T>& values) {
    const auto data = builder_.CreateVector(reinterpret_cast<const uint8_t*>(values.data()),
                                            values.size() * sizeof(T));
    buffers_.push_back(table([&](auto& b) { b.AddOffset(fb::slot(0), data); }));
    return static_cast<uint32_t>(buffers_.size() - 1);
  }
  int add_tensor(const std::string& name, std::vector<int32_t> shape, int8_t type,
                 uint32_t buffer = 0, flatbuffers::Offset<void> sparsity = 0) {
    const auto shape_offset = builder_.CreateVector(shape);
    const auto name_offset = builder_.CreateString(name);
    tensors_.push_back(table([&](auto& b) {
      b.AddOffset(fb::slot(0), shape_offset);
      b.template AddElement<int8_t>(fb::slot(1), type, -1);
      b.template AddElement<uint32_t>(fb::slot(2), buffer, 0);
      b.AddOffset(fb::slot(3), name_offset);
      if (!sparsity.IsNull()) b.AddOffset(fb::slot(6), sparsity);
    }));
    return static_cast<int>(tensors_.size() - 1);
  }
  // A rank-2 sparsity: dense rows, CSR columns; the index vectors' element types pick the union
  // members (Int32Vector, Uint16Vector, Uint8Vector).
  template <class Segment, class Index>
  flatbuffers::Offset<void> csr_rows(int32_t rows, const std::vector<Segment>& segments,
                                     const std::vector<Index>& indices) {
    const auto index_vector = [&](const auto& values) {
      const auto v = builder_.CreateVector(values);
      return table([&](auto& b) { b.AddOffset(fb::slot(0), v); });
    };
    const auto segs = index_vector(segments), idx = index_vector(indices);
    const auto dense =
        table([&](auto& b) { b.template AddElement<int32_t>(fb::slot(1), rows, 0); });
    const auto csr = table([&](auto& b) {
      b.template AddElement<int8_t>(fb::slot(0), fb::kSparseCsr, 0);
      b.template AddElement<uint8_t>(fb::slot(2), union_type<Segment>(), 0);
      b.AddOffset(fb::slot(3), segs);
      b.template AddElement<uint8_t>(fb::slot(4), union_type<Index>(), 0);
      b.AddOffset(fb::slot(5), idx);
    });
    const auto order = builder_.CreateVector(std::vector<int32_t>{0, 1});
    const auto dims = builder_.CreateVector(std::vector<flatbuffers::Offset<void>>{dense, csr});
    return table([&](auto& b) {
      b.AddOffset(fb::slot(0), order);
      b.AddOffset(fb::slot(2), dims);
    });
  }
  void add_op(int32_t builtin, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
              uint8_t options_type = 0, flatbuffers::Offset<void> options = 0,
              const std::string& custom = "") {
    const auto custom_offset =
        custom.empty() ? flatbuffers::Offset<flatbuffers::String>() : builder_.CreateString(custom);
    codes_.push_back(table([&](auto& b) {
      b.template AddElement<int8_t>(fb::slot(0), static_cast<int8_t>(std::min(builtin, 127)), -1);
      if (!custom_offset.IsNull()) b.AddOffset(fb::slot(1), custom_offset);
      b.template AddElement<int32_t>(fb::slot(3), builtin, -1);
    }));
    const auto in = builder_.CreateVector(inputs), out = builder_.CreateVector(outputs);
    const auto code_index = static_cast<uint32_t>(codes_.size() - 1);
    operators_.push_back(table([&](auto& b) {
      b.template AddElement<uint32_t>(fb::slot(0), code_index, 0xffffffff);
      b.AddOffset(fb::slot(1), in);
      b.AddOffset(fb::slot(2), out);
      if (options_type != 0) {
        b.template AddElement<uint8_t>(fb::slot(3), options_type, 0);
        b.AddOffset(fb::slot(4), options);
      }
    }));
  }
  flatbuffers::Offset<void> concatenation_options(int32_t axis) {
    return table([&](auto& b) { b.template AddElement<int32_t>(fb::slot(0), axis, 1000); });
  }
  std::vector<uint8_t> finish(std::vector<int32_t> inputs, std::vector<int32_t> outputs) {
    const auto tensors = builder_.CreateVector(tensors_);
    const auto in = builder_.CreateVector(inputs), out = builder_.CreateVector(outputs);
    const auto ops = builder_.CreateVector(operators_);
    const auto subgraph = table([&](auto& b) {
      b.AddOffset(fb::slot(0), tensors);
      b.AddOffset(fb::slot(1), in);
      b.AddOffset(fb::slot(2), out);
      b.AddOffset(fb::slot(3), ops);
    });
    const auto codes = builder_.CreateVector(codes_);
    const auto subgraphs = builder_.CreateVector(std::vector<flatbuffers::Offset<void>>{subgraph});
    const auto buffers = builder_.CreateVector(buffers_);
    const auto model = table([&](auto& b) {
      b.template AddElement<uint32_t>(fb::slot(0), 3, 0);
      b.AddOffset(fb::slot(1), codes);
      b.AddOffset(fb::slot(2), subgraphs);
      b.AddOffset(fb::slot(4), buffers);
    });
    builder_.Finish(model, fb::kFileIdentifier);
    return {builder_.GetBufferPointer(), builder_.GetBufferPointer() + builder_.GetSize()};
  }

 private:
  template <class Index>
  static uint8_t union_type() {
    if constexpr (std::is_same_v<Index, int32_t>) return fb::kInt32Vector;
    if constexpr (std::is_same_v<Index, uint16_t>) return fb::kUint16Vector;
    return fb::kUint8Vector;
  }

  template <class Fields>
  flatbuffers::Offset<void> table(Fields fields) {
    const auto start = builder_.StartTable();
    fields(builder_);
    return flatbuffers::Offset<void>(builder_.EndTable(start));
  }

  flatbuffers::FlatBufferBuilder builder_;
  std::vector<flatbuffers::Offset<void>> buffers_, tensors_, codes_, operators_;
};

constexpr int32_t kGelu = 150, kSoftmax = 25, kCustom = 32, kDequantize = 6, kDensify = 124,
                  kAdd = 0, kConcatenation = 2;

TEST(TfliteReader, AnOpTheEngineCannotRunIsNamedWithItsModel) {
  TinyModel tiny;
  const int in = tiny.add_tensor("logits", {1, 10}, fb::kFloat32);
  const int out = tiny.add_tensor("probabilities", {1, 10}, fb::kFloat32);
  tiny.add_op(kSoftmax, {in}, {out});
  const std::vector<uint8_t> bytes = tiny.finish({in}, {out});
  auto model = Model::from_bytes(bytes, "tiny");
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(model.error().message, "unsupported TFLite op SOFTMAX (builtin code 25) in model tiny");
}

TEST(TfliteReader, CodesPast127ComeFromBuiltinCodeNotTheDeprecatedByte) {
  TinyModel tiny;  // deprecated_builtin_code holds 127 (PLACEHOLDER_FOR_GREATER_OP_CODES)
  const int in = tiny.add_tensor("x", {1, 10}, fb::kFloat32);
  const int out = tiny.add_tensor("y", {1, 10}, fb::kFloat32);
  tiny.add_op(kGelu, {in}, {out});
  auto graph = read_tflite_graph(tiny.finish({in}, {out}));
  ASSERT_FALSE(graph);
  EXPECT_EQ(graph.error().message, "unsupported TFLite op GELU (builtin code 150)");
}

TEST(TfliteReader, AnUnknownCustomOpIsNamed) {
  TinyModel tiny;
  const int in = tiny.add_tensor("x", {1, 4}, fb::kFloat32);
  const int out = tiny.add_tensor("y", {1, 4}, fb::kFloat32);
  tiny.add_op(kCustom, {in}, {out}, 0, 0, "MaxUnpooling2D");
  const std::vector<uint8_t> bytes = tiny.finish({in}, {out});
  auto graph = read_tflite_graph(bytes);
  ASSERT_FALSE(graph);
  EXPECT_NE(graph.error().message.find("CUSTOM MaxUnpooling2D"), std::string::npos)
      << graph.error().message;
}

TEST(TfliteReader, Fp16DequantizeFoldsAndNegativeAxisBecomesNonNegative) {
  TinyModel tiny;
  const std::vector<float> weights = {0.5f, -2.0f, 65504.0f, 1.0f / 1024};  // exact in fp16
  std::vector<uint16_t> halves;
  for (float w : weights) halves.push_back(fp16_ieee_from_fp32_value(w));
  const int half = tiny.add_tensor("w_fp16", {1, 2, 1, 2}, fb::kFloat16, tiny.add_buffer(halves));
  const int full = tiny.add_tensor("w", {1, 2, 1, 2}, fb::kFloat32);
  const int in = tiny.add_tensor("x", {1, 2, 1, 3}, fb::kFloat32);
  const int out = tiny.add_tensor("y", {1, 2, 1, 5}, fb::kFloat32);
  tiny.add_op(kDequantize, {half}, {full});
  tiny.add_op(kConcatenation, {in, full}, {out}, fb::kConcatenationOptions,
              tiny.concatenation_options(-1));
  const std::vector<uint8_t> bytes = tiny.finish({in}, {out});
  auto graph = read_tflite_graph(bytes);
  ASSERT_TRUE(graph) << graph.error().message;
  ASSERT_EQ(graph->operators.size(), 1u);  // DEQUANTIZE folded away
  const Operator& concat = graph->operators[0];
  EXPECT_EQ(concat.type, OpType::kConcatenation);
  EXPECT_EQ(concat.options.axis, 3);
  EXPECT_EQ(graph->tensors.size(), 3u);  // the fp16 tensor is gone
  const Tensor& w = graph->tensors[static_cast<size_t>(concat.inputs[1])];
  EXPECT_EQ(w.name, "w");
  EXPECT_TRUE(w.is_constant);
  EXPECT_EQ(w.f32, weights);
}

// y = x + DENSIFY(w_sparse): a 3x3 fp32 weight stored as dense rows and CSR columns.
template <class Segment, class Index>
Result<Graph> read_densify_then_add(const std::vector<Segment>& segments,
                                    const std::vector<Index>& indices) {
  TinyModel tiny;
  const std::vector<float> stored = {1.5f, -3.0f, 4.0f};
  const auto sparsity = tiny.csr_rows(3, segments, indices);
  const int sparse =
      tiny.add_tensor("w_sparse", {3, 3}, fb::kFloat32, tiny.add_buffer(stored), sparsity);
  const int dense = tiny.add_tensor("w", {3, 3}, fb::kFloat32);
  const int in = tiny.add_tensor("x", {3, 3}, fb::kFloat32);
  const int out = tiny.add_tensor("y", {3, 3}, fb::kFloat32);
  tiny.add_op(kDensify, {sparse}, {dense});
  tiny.add_op(kAdd, {in, dense}, {out});
  return read_tflite_graph(tiny.finish({in}, {out}));
}

TEST(TfliteReader, DensifyExpandsCsrWithInt32SegmentsAndUint16IndicesIntoFp32) {
  // [[0, 1.5, 0], [0, 0, 0], [-3, 0, 4]]
  auto graph =
      read_densify_then_add(std::vector<int32_t>{0, 1, 1, 3}, std::vector<uint16_t>{1, 0, 2});
  ASSERT_TRUE(graph) << graph.error().message;
  ASSERT_EQ(graph->operators.size(), 1u);
  const Tensor& w = graph->tensors[static_cast<size_t>(graph->operators[0].inputs[1])];
  EXPECT_EQ(w.f32, (std::vector<float>{0, 1.5f, 0, 0, 0, 0, -3.0f, 0, 4.0f}));
}

TEST(TfliteReader, SparseIndicesOrSegmentsOutOfRangeGiveAnError) {
  for (auto graph : {read_densify_then_add(std::vector<uint8_t>{0, 1, 1, 3},
                                           std::vector<uint8_t>{1, 0, 7}),  // column 7 of 3
                     read_densify_then_add(std::vector<uint8_t>{0, 1, 1, 9},
                                           std::vector<uint8_t>{1, 0, 2}),  // 9 of 3 entries
                     read_densify_then_add(std::vector<uint8_t>{0, 1},
                                           std::vector<uint8_t>{1})}) {  // rows 1, 2 missing
    ASSERT_FALSE(graph);
    EXPECT_NE(graph.error().message.find("DENSIFY"), std::string::npos) << graph.error().message;
  }
}

TEST(TfliteReader, AFileWithoutTfl3IsRejected) {
  std::vector<uint8_t> bytes = read_bytes(model_path("selfie_segmentation.tflite"));
  std::memcpy(bytes.data() + 4, "TFL2", 4);
  auto model = Model::from_bytes(bytes, "renamed");
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(model.error().message.find("TFL3"), std::string::npos) << model.error().message;
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'};
  EXPECT_FALSE(read_tflite_graph(text));
  EXPECT_FALSE(read_tflite_graph({}));
  EXPECT_FALSE(Model::load(model_path("no_such_model.tflite")));
}

TEST(TfliteReader, TruncatedBytesGiveAnError) {
  const std::vector<uint8_t> bytes = read_bytes(model_path("pose_detection.tflite"));
  for (size_t size :
       {size_t{7}, size_t{8}, size_t{64}, size_t{4096}, bytes.size() / 3, bytes.size() / 2}) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(size));
    EXPECT_FALSE(read_tflite_graph(cut)) << "truncated to " << size << " bytes";
  }
}

// Corrupted bytes either still form a valid model or give an error; they must never crash (run
// under BODYSHAPE_SANITIZE to catch reads out of bounds).
TEST(TfliteReader, CorruptedBytesNeverCrash) {
  const std::vector<uint8_t> original = read_bytes(model_path("selfie_segmentation.tflite"));
  std::mt19937 random(20240611);
  int errors = 0;
  constexpr int kTrials = 400;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<uint8_t> bytes = original;
    // Half the trials hit the table-heavy head and tail, where offsets and vtables live.
    const size_t span = trial % 2 == 0 ? bytes.size() : std::min<size_t>(bytes.size(), 8192);
    for (int k = 0; k < 4; ++k) {
      size_t at = std::uniform_int_distribution<size_t>(8, span - 1)(random);
      if (trial % 4 == 1) at = bytes.size() - 1 - (at - 8);
      bytes[at] = static_cast<uint8_t>(random());
    }
    if (!read_tflite_graph(bytes)) ++errors;
  }
  EXPECT_GT(errors, 0) << "some corruption should be caught";
  std::cout << errors << " of " << kTrials << " corrupted copies gave an error\n";
}

}  // namespace
}  // namespace bodyshape::nn
