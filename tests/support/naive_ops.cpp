#include "support/naive_ops.h"

#include <algorithm>
#include <cmath>

namespace bodyshape::testing::naive {

namespace {

size_t at(Nhwc s, int n, int y, int x, int c) {
  return ((static_cast<size_t>(n) * s.h + y) * s.w + x) * s.c + c;
}

// TFLite: SAME gives ceil(in / stride) outputs with the odd padding pixel after; VALID none.
struct Axis {
  int out = 0, pad_before = 0;
};
Axis window_axis(int in, int kernel, int stride, int dilation, bool same) {
  const int effective = (kernel - 1) * dilation + 1;
  if (!same) return {(in - effective) / stride + 1, 0};
  const int out = (in + stride - 1) / stride;
  return {out, std::max((out - 1) * stride + effective - in, 0) / 2};
}

float clamped(double v, Clamp clamp) {
  return static_cast<float>(std::clamp(v, clamp.min, clamp.max));
}

}  // namespace

Reference conv_2d(const std::vector<float>& input, Nhwc in, const std::vector<float>& filter,
                  int out_c, const std::vector<float>& bias, Window win, Clamp clamp) {
  const int group_in_c =
      static_cast<int>(filter.size() / (static_cast<size_t>(out_c) * win.kernel_h * win.kernel_w));
  const int groups = in.c / group_in_c;
  const int group_out_c = out_c / groups;
  const Axis ay = window_axis(in.h, win.kernel_h, win.stride_h, win.dilation_h, win.same);
  const Axis ax = window_axis(in.w, win.kernel_w, win.stride_w, win.dilation_w, win.same);
  Reference r;
  r.shape = {in.n, ay.out, ax.out, out_c};
  r.values.resize(r.shape.size());
  for (int n = 0; n < in.n; ++n)
    for (int oy = 0; oy < ay.out; ++oy)
      for (int ox = 0; ox < ax.out; ++ox)
        for (int oc = 0; oc < out_c; ++oc) {
          const int g = oc / group_out_c;
          double sum = bias.empty() ? 0.0 : bias[static_cast<size_t>(oc)];
          double abs_sum = std::abs(sum);
          for (int ky = 0; ky < win.kernel_h; ++ky)
            for (int kx = 0; kx < win.kernel_w; ++kx) {
              const int iy = oy * win.stride_h - ay.pad_before + ky * win.dilation_h;
              const int ix = ox * win.stride_w - ax.pad_before + kx * win.dilation_w;
              if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
              for (int ic = 0; ic < group_in_c; ++ic) {
                const double term =
                    static_cast<double>(input[at(in, n, iy, ix, g * group_in_c + ic)]) *
                    filter[((static_cast<size_t>(oc) * win.kernel_h + ky) * win.kernel_w + kx) *
                               group_in_c +
                           ic];
                sum += term;
                abs_sum += std::abs(term);
              }
            }
          r.values[at(r.shape, n, oy, ox, oc)] = clamped(sum, clamp);
          r.max_abs_sum = std::max(r.max_abs_sum, abs_sum);
        }
  return r;
}

Reference depthwise_conv_2d(const std::vector<float>& input, Nhwc in,
                            const std::vector<float>& filter, int multiplier,
                            const std::vector<float>& bias, Window win, Clamp clamp) {
  const int out_c = in.c * multiplier;
  const Axis ay = window_axis(in.h, win.kernel_h, win.stride_h, win.dilation_h, win.same);
  const Axis ax = window_axis(in.w, win.kernel_w, win.stride_w, win.dilation_w, win.same);
  Reference r;
  r.shape = {in.n, ay.out, ax.out, out_c};
  r.values.resize(r.shape.size());
  for (int n = 0; n < in.n; ++n)
    for (int oy = 0; oy < ay.out; ++oy)
      for (int ox = 0; ox < ax.out; ++ox)
        for (int oc = 0; oc < out_c; ++oc) {
          double sum = bias.empty() ? 0.0 : bias[static_cast<size_t>(oc)];
          double abs_sum = std::abs(sum);
          for (int ky = 0; ky < win.kernel_h; ++ky)
            for (int kx = 0; kx < win.kernel_w; ++kx) {
              const int iy = oy * win.stride_h - ay.pad_before + ky * win.dilation_h;
              const int ix = ox * win.stride_w - ax.pad_before + kx * win.dilation_w;
              if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
              const double term =
                  static_cast<double>(input[at(in, n, iy, ix, oc / multiplier)]) *
                  filter[(static_cast<size_t>(ky) * win.kernel_w + kx) * out_c + oc];
              sum += term;
              abs_sum += std::abs(term);
            }
          r.values[at(r.shape, n, oy, ox, oc)] = clamped(sum, clamp);
          r.max_abs_sum = std::max(r.max_abs_sum, abs_sum);
        }
  return r;
}

Reference transpose_conv(const std::vector<float>& input, Nhwc in, const std::vector<float>& filter,
                         int out_c, const std::vector<float>& bias, int kernel_h, int kernel_w,
                         int stride_h, int stride_w, bool same, int out_h, int out_w) {
  const int pad_top = same ? window_axis(out_h, kernel_h, stride_h, 1, true).pad_before : 0;
  const int pad_left = same ? window_axis(out_w, kernel_w, stride_w, 1, true).pad_before : 0;
  Reference r;
  r.shape = {in.n, out_h, out_w, out_c};
  std::vector<double> sum(r.shape.size()), abs_sum(r.shape.size());
  for (int n = 0; n < in.n; ++n)
    for (int iy = 0; iy < in.h; ++iy)
      for (int ix = 0; ix < in.w; ++ix)
        for (int ky = 0; ky < kernel_h; ++ky)
          for (int kx = 0; kx < kernel_w; ++kx) {
            const int oy = iy * stride_h - pad_top + ky;
            const int ox = ix * stride_w - pad_left + kx;
            if (oy < 0 || oy >= out_h || ox < 0 || ox >= out_w) continue;
            for (int oc = 0; oc < out_c; ++oc)
              for (int ic = 0; ic < in.c; ++ic) {
                const double term =
                    static_cast<double>(input[at(in, n, iy, ix, ic)]) *
                    filter[((static_cast<size_t>(oc) * kernel_h + ky) * kernel_w + kx) * in.c + ic];
                sum[at(r.shape, n, oy, ox, oc)] += term;
                abs_sum[at(r.shape, n, oy, ox, oc)] += std::abs(term);
              }
          }
  r.values.resize(r.shape.size());
  for (size_t i = 0; i < sum.size(); ++i) {
    const double b = bias.empty() ? 0.0 : bias[i % static_cast<size_t>(out_c)];
    r.values[i] = static_cast<float>(sum[i] + b);
    r.max_abs_sum = std::max(r.max_abs_sum, abs_sum[i] + std::abs(b));
  }
  return r;
}

namespace {

template <class Reduce>
Reference pool(const std::vector<float>& input, Nhwc in, Window win, Clamp clamp, Reduce reduce) {
  const Axis ay = window_axis(in.h, win.kernel_h, win.stride_h, 1, win.same);
  const Axis ax = window_axis(in.w, win.kernel_w, win.stride_w, 1, win.same);
  Reference r;
  r.shape = {in.n, ay.out, ax.out, in.c};
  r.values.resize(r.shape.size());
  std::vector<double> window;
  for (int n = 0; n < in.n; ++n)
    for (int oy = 0; oy < ay.out; ++oy)
      for (int ox = 0; ox < ax.out; ++ox)
        for (int c = 0; c < in.c; ++c) {
          window.clear();
          for (int ky = 0; ky < win.kernel_h; ++ky)
            for (int kx = 0; kx < win.kernel_w; ++kx) {
              const int iy = oy * win.stride_h - ay.pad_before + ky;
              const int ix = ox * win.stride_w - ax.pad_before + kx;
              if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w)
                window.push_back(input[at(in, n, iy, ix, c)]);
            }
          r.values[at(r.shape, n, oy, ox, c)] = clamped(reduce(window), clamp);
          double abs_sum = 0;
          for (double v : window) abs_sum += std::abs(v);
          r.max_abs_sum = std::max(r.max_abs_sum, abs_sum);
        }
  return r;
}

}  // namespace

Reference max_pool(const std::vector<float>& input, Nhwc in, Window win, Clamp clamp) {
  return pool(input, in, win, clamp,
              [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
}

Reference average_pool(const std::vector<float>& input, Nhwc in, Window win, Clamp clamp) {
  return pool(input, in, win, clamp, [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  });
}

Reference mean_hw(const std::vector<float>& input, Nhwc in) {
  Reference r;
  r.shape = {in.n, 1, 1, in.c};
  r.values.resize(r.shape.size());
  for (int n = 0; n < in.n; ++n)
    for (int c = 0; c < in.c; ++c) {
      double sum = 0, abs_sum = 0;
      for (int y = 0; y < in.h; ++y)
        for (int x = 0; x < in.w; ++x) {
          sum += input[at(in, n, y, x, c)];
          abs_sum += std::abs(input[at(in, n, y, x, c)]);
        }
      r.values[at(r.shape, n, 0, 0, c)] = static_cast<float>(sum / (in.h * in.w));
      r.max_abs_sum = std::max(r.max_abs_sum, abs_sum / (in.h * in.w));
    }
  return r;
}

Reference resize_bilinear(const std::vector<float>& input, Nhwc in, int out_h, int out_w,
                          bool align_corners, bool half_pixel_centers) {
  auto scale = [&](int in_size, int out_size) {
    return align_corners && out_size > 1 ? (in_size - 1.0) / (out_size - 1.0)
                                         : static_cast<double>(in_size) / out_size;
  };
  // TFLite's reference: lower = max(floor(v), 0), upper = min(ceil(v), size - 1), weight v - lower.
  struct Sample {
    int lower, upper;
    double frac;
  };
  auto sample = [&](int o, double s, int size) {
    const double v = half_pixel_centers ? (o + 0.5) * s - 0.5 : o * s;
    const int lower = std::max(static_cast<int>(std::floor(v)), 0);
    const int upper = std::min(static_cast<int>(std::ceil(v)), size - 1);
    return Sample{lower, upper, v - lower};
  };
  const double sy = scale(in.h, out_h), sx = scale(in.w, out_w);
  Reference r;
  r.shape = {in.n, out_h, out_w, in.c};
  r.values.resize(r.shape.size());
  for (int n = 0; n < in.n; ++n)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox)
        for (int c = 0; c < in.c; ++c) {
          const Sample y = sample(oy, sy, in.h), x = sample(ox, sx, in.w);
          const double v = input[at(in, n, y.lower, x.lower, c)] * (1 - y.frac) * (1 - x.frac) +
                           input[at(in, n, y.upper, x.lower, c)] * y.frac * (1 - x.frac) +
                           input[at(in, n, y.lower, x.upper, c)] * (1 - y.frac) * x.frac +
                           input[at(in, n, y.upper, x.upper, c)] * y.frac * x.frac;
          r.values[at(r.shape, n, oy, ox, c)] = static_cast<float>(v);
        }
  return r;
}

Reference depth_to_space(const std::vector<float>& input, Nhwc in, int block) {
  Reference r;
  r.shape = {in.n, in.h * block, in.w * block, in.c / (block * block)};
  r.values.resize(r.shape.size());
  for (int n = 0; n < r.shape.n; ++n)
    for (int y = 0; y < r.shape.h; ++y)
      for (int x = 0; x < r.shape.w; ++x)
        for (int c = 0; c < r.shape.c; ++c) {
          const int source_c = ((y % block) * block + x % block) * r.shape.c + c;
          r.values[at(r.shape, n, y, x, c)] = input[at(in, n, y / block, x / block, source_c)];
        }
  return r;
}

Reference pad(const std::vector<float>& input, Nhwc in, const std::vector<int>& pads) {
  Reference r;
  r.shape = {in.n + pads[0] + pads[1], in.h + pads[2] + pads[3], in.w + pads[4] + pads[5],
             in.c + pads[6] + pads[7]};
  r.values.assign(r.shape.size(), 0.0f);
  for (int n = 0; n < in.n; ++n)
    for (int y = 0; y < in.h; ++y)
      for (int x = 0; x < in.w; ++x)
        for (int c = 0; c < in.c; ++c) {
          r.values[at(r.shape, n + pads[0], y + pads[2], x + pads[4], c + pads[6])] =
              input[at(in, n, y, x, c)];
        }
  return r;
}

}  // namespace bodyshape::testing::naive
