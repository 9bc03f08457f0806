// Each engine op against a double-precision naive reference (support/naive_ops.h) on random,
// awkward shapes: channels 1, 3, 13, 127, odd sizes, stride 2 with SAME padding.
//
// Tolerances: an fp32 sum of K terms is off by about sqrt(K) * 2^-24 * sum|terms| (Higham's
// probabilistic bound); we allow 4x that plus 2 ulp of the result. Data movement is exact.
#include <cmath>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "nn/runtime.h"
#include "support/compare.h"
#include "support/naive_ops.h"

namespace bodyshape::nn {
namespace {

namespace naive = testing::naive;
using naive::Nhwc;

constexpr double kUlp = 1.0 / (1 << 24);  // fp32 unit roundoff

double sum_tolerance(int terms, double max_abs_sum, std::span<const float> expected) {
  double magnitude = 0;
  for (float v : expected) magnitude = std::max(magnitude, static_cast<double>(std::abs(v)));
  return 4 * std::sqrt(static_cast<double>(terms)) * kUlp * max_abs_sum + 2 * kUlp * magnitude;
}

std::vector<float> random_values(size_t count, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int32_t> dims(Nhwc s) {
  return {s.n, s.h, s.w, s.c};
}

// A graph built by hand: one engine op (or a few) between graph inputs and outputs.
class TestGraph {
 public:
  int input(std::vector<int32_t> shape) {
    const int t = tensor(std::move(shape));
    graph_.inputs.push_back(t);
    return t;
  }
  int tensor(std::vector<int32_t> shape) {
    Tensor t;
    t.name = std::string("t").append(std::to_string(graph_.tensors.size()));
    t.shape = std::move(shape);
    graph_.tensors.push_back(std::move(t));
    return static_cast<int>(graph_.tensors.size() - 1);
  }
  int constant(std::vector<int32_t> shape, std::vector<float> values) {
    const int t = tensor(std::move(shape));
    graph_.tensors.back().is_constant = true;
    graph_.tensors.back().f32 = std::move(values);
    return t;
  }
  int ints(std::vector<int32_t> shape, std::vector<int32_t> values) {
    const int t = tensor(std::move(shape));
    graph_.tensors.back().is_constant = true;
    graph_.tensors.back().type = DataType::kInt32;
    graph_.tensors.back().i32 = std::move(values);
    return t;
  }
  int op(OpType type, std::vector<int> inputs, std::vector<int32_t> output_shape,
         OpOptions options = {}) {
    const int out = tensor(std::move(output_shape));
    graph_.operators.push_back({type, std::move(inputs), {out}, options});
    return out;
  }
  void output(int t) { graph_.outputs.push_back(t); }
  const Graph& graph() const { return graph_; }

  // Runs the graph with the given inputs; returns the outputs in graph order.
  std::vector<std::vector<float>> run(const std::vector<std::vector<float>>& inputs,
                                      int threads = 1) {
    auto runtime = Runtime::create(Model::from_graph(graph_, "test"), {.threads = threads});
    if (!runtime) {
      ADD_FAILURE() << runtime.error().message;
      return {};
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::span<float> slot = (*runtime)->input(i);
      EXPECT_EQ(slot.size(), inputs[i].size());
      std::copy(inputs[i].begin(),
                inputs[i].begin() + static_cast<long>(std::min(slot.size(), inputs[i].size())),
                slot.begin());
    }
    Status status = (*runtime)->run();
    EXPECT_TRUE(status) << (status ? "" : status.error().message);
    std::vector<std::vector<float>> outputs;
    for (int t : graph_.outputs) {
      std::span<const float> out = (*runtime)->output(graph_.tensors[static_cast<size_t>(t)].name);
      outputs.emplace_back(out.begin(), out.end());
    }
    return outputs;
  }

  Result<std::unique_ptr<Runtime>> create() const {
    return Runtime::create(Model::from_graph(graph_, "test"), {.threads = 1});
  }

 private:
  Graph graph_;
};

naive::Clamp clamp_of(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return {0, 1e300};
    case Activation::kRelu6:
      return {0, 6};
    case Activation::kReluN1To1:
      return {-1, 1};
    case Activation::kNone:
      break;
  }
  return {};
}

std::string describe(Nhwc s) {
  std::string text = "(";
  for (int d : {s.n, s.h, s.w, s.c}) text.append(std::to_string(d)).append(",");
  text.back() = ')';
  return text;
}

// ---------------------------------------------------------------------------------------------
struct ConvCase {
  Nhwc in;
  int out_c, kernel, stride;
  bool same;
  int dilation;
  Activation activation;
  bool bias;
  int group_in_c = 0;  // 0 = in.c (no groups)
};

TEST(NnOps, Conv2D) {
  const ConvCase cases[] = {
      {{1, 17, 23, 3}, 13, 3, 2, true, 1, Activation::kRelu6, true},
      {{1, 9, 11, 13}, 127, 1, 1, false, 1, Activation::kNone, true},
      {{1, 5, 7, 127}, 1, 3, 1, true, 1, Activation::kRelu, true},
      {{1, 15, 13, 1}, 3, 5, 2, true, 1, Activation::kNone, false},
      {{1, 8, 6, 13}, 3, 2, 2, false, 1, Activation::kReluN1To1, true},
      {{1, 11, 11, 3}, 13, 3, 1, true, 2, Activation::kNone, true},
      {{1, 7, 9, 26}, 10, 3, 2, true, 1, Activation::kNone, true, 13},  // two groups
      {{1, 8, 10, 13}, 3, 3, 2, true, 1, Activation::kNone, true},  // even SAME s2: pad 0 before, 1
                                                                    // after
  };
  unsigned seed = 1;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(describe(c.in) + " -> " + std::to_string(c.out_c) + " k" +
                 std::to_string(c.kernel) + " s" + std::to_string(c.stride));
    const int group_in_c = c.group_in_c ? c.group_in_c : c.in.c;
    const int terms = c.kernel * c.kernel * group_in_c;
    const float w = 1.0f / std::sqrt(static_cast<float>(terms));  // keeps outputs O(1)
    const auto input = random_values(c.in.size(), -1, 1, seed++);
    const auto filter = random_values(static_cast<size_t>(c.out_c) * terms, -w, w, seed++);
    const auto bias =
        c.bias ? random_values(static_cast<size_t>(c.out_c), -1, 1, seed++) : std::vector<float>{};
    naive::Window window{c.kernel, c.kernel, c.stride, c.stride, c.dilation, c.dilation, c.same};
    const auto ref =
        naive::conv_2d(input, c.in, filter, c.out_c, bias, window, clamp_of(c.activation));

    TestGraph g;
    const int x = g.input(dims(c.in));
    const int f = g.constant({c.out_c, c.kernel, c.kernel, group_in_c}, filter);
    const int b = c.bias ? g.constant({c.out_c}, bias) : -1;
    OpOptions o;
    o.padding = c.same ? Padding::kSame : Padding::kValid;
    o.stride_h = o.stride_w = c.stride;
    o.dilation_h = o.dilation_w = c.dilation;
    o.activation = c.activation;
    g.output(g.op(OpType::kConv2D, {x, f, b}, dims(ref.shape), o));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    const double tol = sum_tolerance(terms + 1, ref.max_abs_sum, ref.values);
    EXPECT_TRUE(testing::near_all(out[0], ref.values, tol, tol, "fp32 sum of K terms, see top"));
  }
}

struct DepthwiseCase {
  Nhwc in;
  int multiplier, kernel, stride;
  bool same;
  int dilation;
  Activation activation;
};

TEST(NnOps, DepthwiseConv2D) {
  const DepthwiseCase cases[] = {
      {{1, 17, 23, 1}, 1, 3, 2, true, 1, Activation::kRelu6},
      {{1, 9, 11, 3}, 1, 5, 1, true, 1, Activation::kNone},
      {{1, 8, 7, 13}, 2, 3, 2, false, 1, Activation::kRelu},
      {{1, 5, 7, 127}, 1, 3, 1, true, 2, Activation::kNone},
      {{1, 9, 9, 127}, 1, 5, 2, true, 1, Activation::kNone},
      {{1, 10, 8, 3}, 1, 3, 2, true, 1, Activation::kNone},  // even SAME s2: pad 0 before, 1 after
  };
  unsigned seed = 100;
  for (const DepthwiseCase& c : cases) {
    SCOPED_TRACE(describe(c.in) + " x" + std::to_string(c.multiplier) + " k" +
                 std::to_string(c.kernel) + " s" + std::to_string(c.stride));
    const int out_c = c.in.c * c.multiplier;
    const int terms = c.kernel * c.kernel;
    const float w = 1.0f / std::sqrt(static_cast<float>(terms));
    const auto input = random_values(c.in.size(), -1, 1, seed++);
    const auto filter = random_values(static_cast<size_t>(terms) * out_c, -w, w, seed++);
    const auto bias = random_values(static_cast<size_t>(out_c), -1, 1, seed++);
    naive::Window window{c.kernel, c.kernel, c.stride, c.stride, c.dilation, c.dilation, c.same};
    const auto ref = naive::depthwise_conv_2d(input, c.in, filter, c.multiplier, bias, window,
                                              clamp_of(c.activation));
    TestGraph g;
    const int x = g.input(dims(c.in));
    const int f = g.constant({1, c.kernel, c.kernel, out_c}, filter);
    const int b = g.constant({out_c}, bias);
    OpOptions o;
    o.padding = c.same ? Padding::kSame : Padding::kValid;
    o.stride_h = o.stride_w = c.stride;
    o.dilation_h = o.dilation_w = c.dilation;
    o.depth_multiplier = c.multiplier;
    o.activation = c.activation;
    g.output(g.op(OpType::kDepthwiseConv2D, {x, f, b}, dims(ref.shape), o));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    const double tol = sum_tolerance(terms + 1, ref.max_abs_sum, ref.values);
    EXPECT_TRUE(testing::near_all(out[0], ref.values, tol, tol, "fp32 sum of K terms, see top"));
  }
}

struct TransposeCase {
  Nhwc in;
  int out_c, kernel, stride;
  bool same;
  int out_h, out_w;
};

TEST(NnOps, TransposeConvBias) {
  const TransposeCase cases[] = {
      {{1, 7, 9, 16}, 1, 2, 2, true, 14, 18},  // MediaPipe's selfie decoder: (1,2,2,16) weights
      {{1, 5, 7, 3}, 13, 3, 2, true, 10, 14},
      {{1, 4, 5, 13}, 3, 3, 2, false, 9, 11},
      {{1, 3, 3, 127}, 1, 4, 2, true, 6, 6},
      {{1, 5, 3, 1}, 3, 3, 2, true, 9, 5},  // odd output: the last row/column from adjustment
  };
  unsigned seed = 200;
  for (const TransposeCase& c : cases) {
    SCOPED_TRACE(describe(c.in) + " -> " + std::to_string(c.out_c) + " k" +
                 std::to_string(c.kernel));
    const int terms = c.kernel * c.kernel * c.in.c;
    const float w = 1.0f / std::sqrt(static_cast<float>(terms));
    const auto input = random_values(c.in.size(), -1, 1, seed++);
    const auto filter = random_values(static_cast<size_t>(c.out_c) * terms, -w, w, seed++);
    const auto bias = random_values(static_cast<size_t>(c.out_c), -1, 1, seed++);
    const auto ref = naive::transpose_conv(input, c.in, filter, c.out_c, bias, c.kernel, c.kernel,
                                           c.stride, c.stride, c.same, c.out_h, c.out_w);
    TestGraph g;
    const int x = g.input(dims(c.in));
    const int f = g.constant({c.out_c, c.kernel, c.kernel, c.in.c}, filter);
    const int b = g.constant({c.out_c}, bias);
    OpOptions o;
    o.padding = c.same ? Padding::kSame : Padding::kValid;
    o.stride_h = o.stride_w = c.stride;
    g.output(g.op(OpType::kTransposeConvBias, {x, f, b}, dims(ref.shape), o));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    const double tol = sum_tolerance(terms + 1, ref.max_abs_sum, ref.values);
    EXPECT_TRUE(testing::near_all(out[0], ref.values, tol, tol, "fp32 sum of K terms, see top"));
  }
}

// ---------------------------------------------------------------------------------------------
struct PoolCase {
  Nhwc in;
  int filter_h, filter_w, stride;
  bool same;
  Activation activation;
};

const PoolCase kPoolCases[] = {
    {{1, 17, 23, 1}, 2, 2, 2, false, Activation::kNone},
    {{1, 9, 11, 3}, 3, 3, 2, true, Activation::kNone},
    {{1, 8, 7, 13}, 3, 3, 1, true, Activation::kRelu},
    {{1, 5, 7, 127}, 2, 3, 2, true, Activation::kNone},
    {{1, 8, 10, 3}, 3, 3, 2, true, Activation::kNone},  // even SAME s2: pad 0 before, 1 after
};

void test_pool(OpType type) {
  unsigned seed = 300;
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE(describe(c.in) + " " + std::to_string(c.filter_h) + "x" +
                 std::to_string(c.filter_w) + " s" + std::to_string(c.stride) +
                 (c.same ? " SAME" : " VALID"));
    const auto input = random_values(c.in.size(), -1, 1, seed++);
    naive::Window window{c.filter_h, c.filter_w, c.stride, c.stride, 1, 1, c.same};
    const auto ref = type == OpType::kMaxPool2D
                         ? naive::max_pool(input, c.in, window, clamp_of(c.activation))
                         : naive::average_pool(input, c.in, window, clamp_of(c.activation));
    TestGraph g;
    const int x = g.input(dims(c.in));
    OpOptions o;
    o.padding = c.same ? Padding::kSame : Padding::kValid;
    o.stride_h = o.stride_w = c.stride;
    o.filter_h = c.filter_h;
    o.filter_w = c.filter_w;
    o.activation = c.activation;
    g.output(g.op(type, {x}, dims(ref.shape), o));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    // Max picks one input exactly; the average sums at most 9 terms then divides.
    const double tol = type == OpType::kMaxPool2D
                           ? 0.0
                           : sum_tolerance(c.filter_h * c.filter_w, ref.max_abs_sum, ref.values);
    EXPECT_TRUE(testing::near_all(out[0], ref.values, tol, tol, "exact max / short fp32 sum"));
  }
}

TEST(NnOps, MaxPool2D) {
  test_pool(OpType::kMaxPool2D);
}
TEST(NnOps, AveragePool2DSkipsPadding) {
  test_pool(OpType::kAveragePool2D);
}

TEST(NnOps, MeanOverHeightAndWidth) {
  const std::pair<Nhwc, bool> cases[] = {{{1, 17, 23, 1}, true},
                                         {{1, 9, 11, 13}, false},
                                         {{1, 5, 7, 127}, true},
                                         {{1, 3, 1, 3}, false}};
  unsigned seed = 400;
  for (const auto& [in, keep_dims] : cases) {
    SCOPED_TRACE(describe(in) + (keep_dims ? " keep_dims" : ""));
    const auto input = random_values(in.size(), -1, 1, seed++);
    const auto ref = naive::mean_hw(input, in);
    TestGraph g;
    const int x = g.input(dims(in));
    const int axes = g.ints({2}, {1, 2});
    OpOptions o;
    o.keep_dims = keep_dims;
    g.output(g.op(OpType::kMean, {x, axes},
                  keep_dims ? dims(ref.shape) : std::vector<int32_t>{in.n, in.c}, o));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    const double tol = sum_tolerance(in.h * in.w, ref.max_abs_sum, ref.values);
    EXPECT_TRUE(testing::near_all(out[0], ref.values, tol, tol, "fp32 sum of H*W terms"));
  }
}

// ---------------------------------------------------------------------------------------------
void test_binary(OpType type) {
  const std::pair<std::vector<int32_t>, std::vector<int32_t>> cases[] = {
      {{1, 17, 23, 1}, {1, 17, 23, 1}},
      {{1, 9, 11, 3}, {1, 9, 11, 3}},
      {{1, 8, 7, 13}, {1, 8, 7, 13}},
      {{1, 5, 7, 127}, {1, 1, 1, 127}},  // broadcast, which XNNPACK supports (unused by the models)
  };
  unsigned seed = 500;
  for (Activation activation : {Activation::kNone, Activation::kRelu6}) {
    for (const auto& [a_shape, b_shape] : cases) {
      SCOPED_TRACE(std::to_string(a_shape[3]) + " channels");
      const Nhwc a{a_shape[0], a_shape[1], a_shape[2], a_shape[3]};
      const Nhwc b{b_shape[0], b_shape[1], b_shape[2], b_shape[3]};
      const auto x = random_values(a.size(), -4, 4, seed++);
      const auto y = random_values(b.size(), -4, 4, seed++);
      std::vector<float> expected(a.size());
      for (size_t i = 0; i < a.size(); ++i) {
        const double yv = y[b.size() == a.size() ? i : i % static_cast<size_t>(b.c)];
        const double v = type == OpType::kAdd ? x[i] + yv : x[i] * yv;
        expected[i] =
            static_cast<float>(std::clamp(v, clamp_of(activation).min, clamp_of(activation).max));
      }
      TestGraph g;
      const int xt = g.input(a_shape);
      const int yt = g.input(b_shape);
      OpOptions o;
      o.activation = activation;
      g.output(g.op(type, {xt, yt}, a_shape, o));
      const auto out = g.run({x, y});
      ASSERT_EQ(out.size(), 1u);
      // One correctly rounded fp32 operation on values below 16: half an ulp of 16.
      EXPECT_TRUE(testing::near_all(out[0], expected, 16 * kUlp, 16 * kUlp, "one fp32 rounding"));
    }
  }
}

TEST(NnOps, Add) {
  test_binary(OpType::kAdd);
}
TEST(NnOps, Mul) {
  test_binary(OpType::kMul);
}

void test_unary(OpType type, double (*reference)(double), double tolerance, const char* reason) {
  const std::vector<int32_t> shapes[] = {{1, 7, 9, 1}, {1, 5, 3, 3}, {1, 7, 9, 13}, {1, 3, 5, 127}};
  unsigned seed = 600;
  for (const auto& shape : shapes) {
    SCOPED_TRACE(std::to_string(shape[3]) + " channels");
    const Nhwc s{shape[0], shape[1], shape[2], shape[3]};
    const auto x = random_values(s.size(), -8, 8, seed++);
    std::vector<float> expected(x.size());
    for (size_t i = 0; i < x.size(); ++i) expected[i] = static_cast<float>(reference(x[i]));
    TestGraph g;
    g.output(g.op(type, {g.input(shape)}, shape));
    const auto out = g.run({x});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(testing::near_all(out[0], expected, tolerance, tolerance, reason));
  }
}

TEST(NnOps, Logistic) {
  test_unary(
      OpType::kLogistic, [](double x) { return 1 / (1 + std::exp(-x)); }, 4 * kUlp,
      "XNNPACK's sigmoid is a polynomial within a few ulp of 1");
}

TEST(NnOps, HardSwish) {
  test_unary(
      OpType::kHardSwish, [](double x) { return x * std::clamp(x + 3, 0.0, 6.0) / 6; },
      8 * 8 * kUlp, "a few fp32 roundings of values up to 8");
}

TEST(NnOps, Relu) {
  test_unary(
      OpType::kRelu, [](double x) { return std::max(x, 0.0); }, 0, "a clamp is exact");
}

TEST(NnOps, Relu6) {
  test_unary(
      OpType::kRelu6, [](double x) { return std::clamp(x, 0.0, 6.0); }, 0, "a clamp is exact");
}

// ---------------------------------------------------------------------------------------------
TEST(NnOps, Pad) {
  const std::pair<Nhwc, std::vector<int>> cases[] = {
      {{1, 7, 9, 3}, {0, 0, 1, 2, 0, 3, 0, 0}},
      {{1, 5, 5, 13}, {0, 0, 0, 0, 0, 0, 1, 2}},  // channel padding, as the detector's PADs do
      {{1, 3, 1, 127}, {0, 0, 2, 0, 1, 1, 0, 1}},
      {{1, 17, 23, 1}, {0, 0, 1, 1, 1, 1, 0, 0}},
  };
  unsigned seed = 700;
  for (const auto& [in, pads] : cases) {
    SCOPED_TRACE(describe(in));
    const auto input = random_values(in.size(), -1, 1, seed++);
    const auto ref = naive::pad(input, in, pads);
    TestGraph g;
    const int x = g.input(dims(in));
    const int p = g.ints({4, 2}, {pads.begin(), pads.end()});
    g.output(g.op(OpType::kPad, {x, p}, dims(ref.shape)));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(testing::near_all(out[0], ref.values, 0, 0, "data movement is exact"));
  }
}

TEST(NnOps, Reshape) {
  const std::pair<std::vector<int32_t>, std::vector<int32_t>> cases[] = {
      {{1, 5, 7, 13}, {1, 455}},
      {{1, 3, 3, 127}, {1, 9, 127}},
      {{1, 1, 1, 1}, {1, 1}},
      {{1, 2254, 12}, {1, 2254, 12, 1}}};
  unsigned seed = 800;
  for (const auto& [from, to] : cases) {
    size_t count = 1;
    for (int32_t d : from) count *= static_cast<size_t>(d);
    const auto input = random_values(count, -1, 1, seed++);
    TestGraph g;
    const int x = g.input(from);
    const int shape = g.ints({static_cast<int32_t>(to.size())}, to);
    g.output(g.op(OpType::kReshape, {x, shape}, to));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(testing::near_all(out[0], input, 0, 0, "data movement is exact"));
  }
}

struct ResizeCase {
  Nhwc in;
  int out_h, out_w;
  bool align_corners, half_pixel_centers;
};

TEST(NnOps, ResizeBilinear) {
  const ResizeCase cases[] = {
      {{1, 7, 9, 3}, 14, 18, false, true},  // the models' setting
      {{1, 5, 5, 13}, 13, 11, false, true}, {{1, 6, 4, 1}, 3, 7, false, true},
      {{1, 4, 4, 127}, 8, 8, false, true},  {{1, 7, 9, 3}, 14, 18, true, false},
      {{1, 7, 9, 3}, 13, 17, false, false},
  };
  unsigned seed = 900;
  for (const ResizeCase& c : cases) {
    SCOPED_TRACE(describe(c.in) + " -> " + std::to_string(c.out_h) + "x" + std::to_string(c.out_w) +
                 (c.align_corners ? " align_corners" : "") +
                 (c.half_pixel_centers ? " half_pixel" : ""));
    const auto input = random_values(c.in.size(), -1, 1, seed++);
    const auto ref = naive::resize_bilinear(input, c.in, c.out_h, c.out_w, c.align_corners,
                                            c.half_pixel_centers);
    TestGraph g;
    const int x = g.input(dims(c.in));
    const int size = g.ints({2}, {c.out_h, c.out_w});
    OpOptions o;
    o.align_corners = c.align_corners;
    o.half_pixel_centers = c.half_pixel_centers;
    g.output(g.op(OpType::kResizeBilinear, {x, size}, dims(ref.shape), o));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    // Source coordinates below 20 computed in fp32 (error 20 ulp of 1) scale a slope of at most 2.
    EXPECT_TRUE(testing::near_all(out[0], ref.values, 64 * kUlp * 2, 64 * kUlp,
                                  "fp32 coordinates and 4-term weights"));
  }
}

TEST(NnOps, DepthToSpace) {
  const std::pair<Nhwc, int> cases[] = {
      {{1, 7, 9, 4}, 2}, {{1, 5, 5, 12}, 2}, {{1, 3, 5, 52}, 2}, {{1, 4, 3, 27}, 3}};
  unsigned seed = 1000;
  for (const auto& [in, block] : cases) {
    SCOPED_TRACE(describe(in) + " block " + std::to_string(block));
    const auto input = random_values(in.size(), -1, 1, seed++);
    const auto ref = naive::depth_to_space(input, in, block);
    TestGraph g;
    const int x = g.input(dims(in));
    OpOptions o;
    o.block_size = block;
    g.output(g.op(OpType::kDepthToSpace, {x}, dims(ref.shape), o));
    const auto out = g.run({input});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(testing::near_all(out[0], ref.values, 0, 0, "data movement is exact"));
  }
}

// CONCATENATION runs on the host between XNNPACK segments: operands from XNNPACK ops, from graph
// inputs and constants; on the last axis and on a middle one; feeding a further XNNPACK op.
TEST(NnOps, ConcatenationBetweenSegments) {
  const Nhwc a{1, 5, 7, 1}, b{1, 5, 7, 3}, c{1, 5, 7, 13};
  const auto xa = random_values(a.size(), -2, 2, 1100);
  const auto xb = random_values(b.size(), -2, 2, 1101);
  const auto xc = random_values(c.size(), -2, 2, 1102);
  TestGraph g;
  const int ta = g.input(dims(a)), tb = g.input(dims(b)), tc = g.input(dims(c));
  const int ra = g.op(OpType::kRelu, {ta}, dims(a));
  const int rb = g.op(OpType::kRelu6, {tb}, dims(b));
  OpOptions last_axis;
  last_axis.axis = 3;
  const int joined = g.op(OpType::kConcatenation, {ra, rb, tc}, {1, 5, 7, 17}, last_axis);
  const int doubled = g.op(OpType::kAdd, {joined, joined}, {1, 5, 7, 17});  // a second segment
  const int flat_a = g.op(OpType::kReshape, {ra, g.ints({3}, {1, 35, 1})}, {1, 35, 1});
  const int flat_c = g.op(OpType::kReshape, {tc, g.ints({3}, {1, 455, 1})}, {1, 455, 1});
  const std::vector<float> k{0.5f, -0.25f, 0.125f};
  OpOptions middle_axis;
  middle_axis.axis = 1;
  const int rows = g.op(OpType::kConcatenation, {flat_a, g.constant({1, 3, 1}, k), flat_c},
                        {1, 493, 1}, middle_axis);
  g.output(doubled);
  g.output(rows);

  std::vector<float> expected_doubled, expected_rows;
  for (size_t p = 0; p < 35; ++p) {
    expected_doubled.push_back(2 * std::max(xa[p], 0.0f));
    for (int i = 0; i < 3; ++i)
      expected_doubled.push_back(2 * std::clamp(xb[p * 3 + i], 0.0f, 6.0f));
    for (int i = 0; i < 13; ++i) expected_doubled.push_back(2 * xc[p * 13 + i]);
  }
  for (size_t p = 0; p < 35; ++p) expected_rows.push_back(std::max(xa[p], 0.0f));
  expected_rows.insert(expected_rows.end(), k.begin(), k.end());
  expected_rows.insert(expected_rows.end(), xc.begin(), xc.end());

  for (int threads : {1, 2}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    const auto out = g.run({xa, xb, xc}, threads);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(
        testing::near_all(out[0], expected_doubled, 0, 0, "copies, clamps and x+x are exact"));
    EXPECT_TRUE(testing::near_all(out[1], expected_rows, 0, 0, "copies are exact"));
  }
}

// ---------------------------------------------------------------------------------------------
// Load-time errors name the op and its output tensor.
void expect_load_error(const TestGraph& g, const std::string& needle) {
  auto runtime = g.create();
  ASSERT_FALSE(runtime);
  EXPECT_NE(runtime.error().message.find(needle), std::string::npos) << runtime.error().message;
}

TEST(NnOpsErrors, RunTimeWeightsAreRejected) {
  TestGraph g;
  const int x = g.input({1, 5, 5, 3});
  const int w = g.input({4, 3, 3, 3});
  g.output(g.op(OpType::kConv2D, {x, w, -1}, {1, 3, 3, 4}));
  expect_load_error(g, "CONV_2D -> 't2'");
}

TEST(NnOpsErrors, MeanOverChannelsIsRejected) {
  TestGraph g;
  const int x = g.input({1, 5, 5, 3});
  g.output(g.op(OpType::kMean, {x, g.ints({1}, {3})}, {1, 5, 5}));
  expect_load_error(g, "MEAN -> 't2': only MEAN over height and width");
}

TEST(NnOpsErrors, WrongOutputShapeIsRejected) {
  TestGraph g;
  const int x = g.input({1, 9, 9, 3});
  OpOptions o;
  o.padding = Padding::kSame;
  o.stride_h = o.stride_w = 2;
  o.filter_h = o.filter_w = 3;
  g.output(g.op(OpType::kMaxPool2D, {x}, {1, 4, 4, 3}, o));  // SAME gives 5x5
  expect_load_error(g, "MAX_POOL_2D -> 't1': output shape (1,4,4,3) but the op gives (1,5,5,3)");
}

TEST(NnOpsErrors, ContradictoryResizeOptionsAreRejected) {
  TestGraph g;
  const int x = g.input({1, 4, 4, 3});
  OpOptions o;
  o.align_corners = o.half_pixel_centers = true;
  g.output(g.op(OpType::kResizeBilinear, {x, g.ints({2}, {8, 8})}, {1, 8, 8, 3}, o));
  expect_load_error(g, "RESIZE_BILINEAR");
}

TEST(NnOpsErrors, ZeroThreadsIsRejected) {
  TestGraph g;
  g.output(g.op(OpType::kRelu, {g.input({1, 2, 2, 1})}, {1, 2, 2, 1}));
  auto runtime = Runtime::create(Model::from_graph(g.graph(), "test"), {.threads = 0});
  ASSERT_FALSE(runtime);
  EXPECT_EQ(runtime.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bodyshape::nn
