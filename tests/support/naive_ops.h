// Naive NHWC references of TFLite's float ops, computed in double precision, for engine tests
// (../shared/STYLE.md: each op's test computes its own reference on random, awkward shapes).
// Written from TFLite's reference semantics, one loop nest per op, no shortcuts.
#pragma once

#include <cstddef>
#include <vector>

namespace bodyshape::testing::naive {

struct Nhwc {
  int n = 1, h = 1, w = 1, c = 1;
  size_t size() const { return static_cast<size_t>(n) * h * w * c; }
};

// A reference result, and the largest sum of |terms| behind any one output value (for rounding
// bounds: an fp32 sum of K terms is off by ~sqrt(K) * 2^-24 * that sum).
struct Reference {
  std::vector<float> values;
  Nhwc shape;
  double max_abs_sum = 0;
};

struct Window {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  bool same = false;  // TFLite SAME padding; false = VALID
};

struct Clamp {
  double min = -1e300, max = 1e300;
};

// filter OHWI (out_c, kernel_h, kernel_w, in_c / groups); bias empty or out_c values.
Reference conv_2d(const std::vector<float>& input, Nhwc in, const std::vector<float>& filter,
                  int out_c, const std::vector<float>& bias, Window window, Clamp clamp);
// filter 1HWC with in.c * multiplier channels.
Reference depthwise_conv_2d(const std::vector<float>& input, Nhwc in,
                            const std::vector<float>& filter, int multiplier,
                            const std::vector<float>& bias, Window window, Clamp clamp);
// TFLite TRANSPOSE_CONV with bias: filter OHWI, output (out_h, out_w) given; SAME pads as a
// forward convolution from the output size.
Reference transpose_conv(const std::vector<float>& input, Nhwc in, const std::vector<float>& filter,
                         int out_c, const std::vector<float>& bias, int kernel_h, int kernel_w,
                         int stride_h, int stride_w, bool same, int out_h, int out_w);
// Pools ignore padded pixels (the average divides by the pixels inside the image).
Reference max_pool(const std::vector<float>& input, Nhwc in, Window window, Clamp clamp);
Reference average_pool(const std::vector<float>& input, Nhwc in, Window window, Clamp clamp);
Reference mean_hw(const std::vector<float>& input, Nhwc in);
Reference resize_bilinear(const std::vector<float>& input, Nhwc in, int out_h, int out_w,
                          bool align_corners, bool half_pixel_centers);
Reference depth_to_space(const std::vector<float>& input, Nhwc in, int block);
// pads: before/after per axis N, H, W, C.
Reference pad(const std::vector<float>& input, Nhwc in, const std::vector<int>& pads);

}  // namespace bodyshape::testing::naive
