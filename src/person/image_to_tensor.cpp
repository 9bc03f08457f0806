#include "person/image_to_tensor.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace bodyshape::person {

RotatedRectPx letterbox_rect(int image_width, int image_height, int tensor_width,
                             int tensor_height) {
  // ImageToTensor's PadRoi: grow the short side of the whole-image rect to the tensor's aspect.
  const float w = static_cast<float>(image_width);
  const float h = static_cast<float>(image_height);
  const float tensor_aspect = static_cast<float>(tensor_height) / tensor_width;
  RotatedRectPx rect{w / 2, h / 2, w, h, 0};
  if (tensor_aspect > h / w) {
    rect.height = w * tensor_aspect;
  } else {
    rect.width = h / tensor_aspect;
  }
  return rect;
}

cv::Matx23d tensor_to_image(const RotatedRectPx& rect, int tensor_width, int tensor_height) {
  const double c = std::cos(static_cast<double>(rect.rotation));
  const double s = std::sin(static_cast<double>(rect.rotation));
  const double sx = rect.width / static_cast<double>(tensor_width);
  const double sy = rect.height / static_cast<double>(tensor_height);
  // point(i, j) = centre + R * ((i + 0.5) * sx - w/2, (j + 0.5) * sy - h/2); index = point - 0.5
  const double ox = 0.5 * sx - rect.width / 2.0;
  const double oy = 0.5 * sy - rect.height / 2.0;
  return {c * sx, -s * sy, rect.center_x + c * ox - s * oy - 0.5,
          s * sx, c * sy,  rect.center_y + s * ox + c * oy - 0.5};
}

void extract_tensor(const cv::Mat& rgb, const RotatedRectPx& rect, int tensor_width,
                    int tensor_height, const TensorRange& range, std::span<float> out) {
  CV_Assert(rgb.type() == CV_8UC3 && !rgb.empty());
  CV_Assert(out.size() >= static_cast<size_t>(tensor_width) * tensor_height * 3);
  const cv::Matx23d m = tensor_to_image(rect, tensor_width, tensor_height);
  const int w = rgb.cols, h = rgb.rows;
  const float scale = (range.range_max - range.range_min) / 255.0f;
  const float offset = range.range_min;
  const bool zero_border = range.border == BorderMode::kZero;
  float* dst = out.data();
  for (int j = 0; j < tensor_height; ++j) {
    for (int i = 0; i < tensor_width; ++i, dst += 3) {
      const double sx = m(0, 0) * i + m(0, 1) * j + m(0, 2);
      const double sy = m(1, 0) * i + m(1, 1) * j + m(1, 2);
      // The GL path's custom zero border: black wherever the sample point leaves the texture.
      if (zero_border && (sx < -0.5 || sx > w - 0.5 || sy < -0.5 || sy > h - 0.5)) {
        dst[0] = dst[1] = dst[2] = offset;
        continue;
      }
      // Bilinear with clamp-to-edge (GL_CLAMP_TO_EDGE).
      const double fx0 = std::floor(sx), fy0 = std::floor(sy);
      const float ax = static_cast<float>(sx - fx0), ay = static_cast<float>(sy - fy0);
      const int x0 = std::clamp(static_cast<int>(fx0), 0, w - 1);
      const int x1 = std::clamp(static_cast<int>(fx0) + 1, 0, w - 1);
      const int y0 = std::clamp(static_cast<int>(fy0), 0, h - 1);
      const int y1 = std::clamp(static_cast<int>(fy0) + 1, 0, h - 1);
      const uint8_t* r0 = rgb.ptr<uint8_t>(y0);
      const uint8_t* r1 = rgb.ptr<uint8_t>(y1);
      for (int ch = 0; ch < 3; ++ch) {
        const float top = r0[3 * x0 + ch] + ax * (r0[3 * x1 + ch] - r0[3 * x0 + ch]);
        const float bottom = r1[3 * x0 + ch] + ax * (r1[3 * x1 + ch] - r1[3 * x0 + ch]);
        dst[ch] = (top + ay * (bottom - top)) * scale + offset;
      }
    }
  }
}

cv::Mat warp_mask_to_image(const cv::Mat& tensor_mask, const RotatedRectPx& rect,
                           cv::Size image_size) {
  CV_Assert(tensor_mask.type() == CV_32FC1 && !tensor_mask.empty());
  cv::Mat image_mask = cv::Mat::zeros(image_size, CV_32FC1);
  // Image pixel index -> tensor pixel index.
  cv::Matx23d to_tensor;
  cv::invertAffineTransform(tensor_to_image(rect, tensor_mask.cols, tensor_mask.rows), to_tensor);
  if (!cv::checkRange(to_tensor)) return image_mask;

  // Bilinear with zero outside the tensor, as cv::warpAffine(INTER_LINEAR, BORDER_CONSTANT) but
  // in exact float and only over each row's span inside the rect: the mask is zero elsewhere, so
  // this costs the ROI's area rather than the image's (about 4x faster than warpAffine on 1080p).
  // A one-pixel zero frame keeps all four taps in bounds for samples in (-1, size).
  cv::Mat framed;
  cv::copyMakeBorder(tensor_mask, framed, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  const int tw = tensor_mask.cols, th = tensor_mask.rows;
  const double a = to_tensor(0, 0), b = to_tensor(0, 1), c = to_tensor(0, 2);
  const double d = to_tensor(1, 0), e = to_tensor(1, 1), f = to_tensor(1, 2);
  const size_t stride = framed.step1();
  const float* base = framed.ptr<float>();
  for (int y = 0; y < image_size.height; ++y) {
    // u(x) = a x + u0 must lie in (-1, tw); v(x) = d x + v0 in (-1, th).
    const double u0 = b * y + c, v0 = e * y + f;
    double lo = 0, hi = image_size.width - 1;
    auto clip = [&](double slope, double offset, double min, double max) {
      if (std::abs(slope) < 1e-12) {
        if (offset <= min || offset >= max) hi = -1;
        return;
      }
      double x0 = (min - offset) / slope, x1 = (max - offset) / slope;
      if (x0 > x1) std::swap(x0, x1);
      lo = std::max(lo, std::floor(x0) + 1);
      hi = std::min(hi, std::ceil(x1) - 1);
    };
    clip(a, u0, -1.0, tw);
    clip(d, v0, -1.0, th);
    if (hi < lo) continue;
    float* out = image_mask.ptr<float>(y);
    for (int x = static_cast<int>(lo); x <= static_cast<int>(hi); ++x) {
      const float u = static_cast<float>(a * x + u0) + 1.0f;  // framed coordinates, in (0, tw + 1)
      const float v = static_cast<float>(d * x + v0) + 1.0f;
      const int ix = std::clamp(static_cast<int>(u), 0, tw);
      const int iy = std::clamp(static_cast<int>(v), 0, th);
      const float fx = u - ix, fy = v - iy;
      const float* r0 = base + iy * stride + ix;
      const float* r1 = r0 + stride;
      const float top = r0[0] + fx * (r0[1] - r0[0]);
      const float bottom = r1[0] + fx * (r1[1] - r1[0]);
      out[x] = top + fy * (bottom - top);
    }
  }
  return image_mask;
}

}  // namespace bodyshape::person
