#include "person/image_to_tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

namespace {

// cv::Mat storage from calloc (see zero_mask). Mirrors OpenCV's StdMatAllocator otherwise.
class ZeroedAllocator final : public cv::MatAllocator {
 public:
  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data0, size_t* step,
                         cv::AccessFlag, cv::UMatUsageFlags) const override {
    size_t total = CV_ELEM_SIZE(type);
    for (int i = dims - 1; i >= 0; --i) {
      if (step) {
        if (data0 && step[i] != cv::Mat::AUTO_STEP) {
          total = step[i];
        } else {
          step[i] = total;
        }
      }
      total *= static_cast<size_t>(sizes[i]);
    }
    void* data = data0 ? data0 : std::calloc(std::max<size_t>(total, 1), 1);
    if (!data) throw std::bad_alloc();
    auto* u = new cv::UMatData(this);
    u->data = u->origdata = static_cast<uchar*>(data);
    u->size = total;
    if (data0) u->flags |= cv::UMatData::USER_ALLOCATED;
    return u;
  }
  bool allocate(cv::UMatData* u, cv::AccessFlag, cv::UMatUsageFlags) const override {
    return u != nullptr;
  }
  void deallocate(cv::UMatData* u) const override {
    if (!u) return;
    if (!(u->flags & cv::UMatData::USER_ALLOCATED)) std::free(u->origdata);
    delete u;
  }
};

// Bilinear samples of a framed tensor mask (see warp_mask_max_into) along one image row span:
// value[i] at framed coordinates (u0 + a i, v0 + d i), all inside the frame. Written so that the
// AVX2 version computes bit-identical values (no FMA, same order), whatever a pixel's lane.
void sample_span(const float* base, int stride, float u0, float v0, float a, float d, int n,
                 float* values) {
  for (int i = 0; i < n; ++i) {
    const float fi = static_cast<float>(i);
    const float u = u0 + a * fi, v = v0 + d * fi;
    const int ix = static_cast<int>(u), iy = static_cast<int>(v);  // u, v > -1e-3: trunc = floor
    const float fx = u - static_cast<float>(ix), fy = v - static_cast<float>(iy);
    const float* r0 = base + iy * stride + ix;
    const float* r1 = r0 + stride;
    const float top = r0[0] + fx * (r0[1] - r0[0]);
    const float bottom = r1[0] + fx * (r1[1] - r1[0]);
    values[i] = top + fy * (bottom - top);
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BODYSHAPE_HAVE_AVX2_SAMPLER 1
__attribute__((target("avx2"))) void sample_span_avx2(const float* base, int stride, float u0,
                                                      float v0, float a, float d, int n,
                                                      float* values) {
  const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 last = _mm256_set1_ps(static_cast<float>(n - 1));
  const __m256 vu0 = _mm256_set1_ps(u0), vv0 = _mm256_set1_ps(v0);
  const __m256 va = _mm256_set1_ps(a), vd = _mm256_set1_ps(d);
  const __m256i vstride = _mm256_set1_epi32(stride);
  const __m256i one = _mm256_set1_epi32(1), six = _mm256_set1_epi32(6);
  for (int i = 0; i < n; i += 8) {
    // Past the end, lanes repeat the last pixel: in bounds, and never stored.
    const __m256 fi = _mm256_min_ps(_mm256_add_ps(_mm256_set1_ps(static_cast<float>(i)), lane), last);
    const __m256 u = _mm256_add_ps(vu0, _mm256_mul_ps(va, fi));
    const __m256 v = _mm256_add_ps(vv0, _mm256_mul_ps(vd, fi));
    const __m256i ix = _mm256_cvttps_epi32(u), iy = _mm256_cvttps_epi32(v);
    const __m256 fx = _mm256_sub_ps(u, _mm256_cvtepi32_ps(ix));
    const __m256 fy = _mm256_sub_ps(v, _mm256_cvtepi32_ps(iy));
    // Upsampled (the usual case: an ROI wider than 256 px), 8 neighbours span at most 7 columns
    // and 2 rows of cells: pick the taps from 3 row loads by permutes instead of 4 gathers.
    const int ix_min = std::min(_mm256_extract_epi32(ix, 0), _mm256_extract_epi32(ix, 7));
    const int iy_min = std::min(_mm256_extract_epi32(iy, 0), _mm256_extract_epi32(iy, 7));
    const __m256i dx = _mm256_sub_epi32(ix, _mm256_set1_epi32(ix_min));
    const __m256i dy = _mm256_sub_epi32(iy, _mm256_set1_epi32(iy_min));
    __m256 p00, p01, p10, p11;
    if (_mm256_testz_si256(_mm256_or_si256(_mm256_cmpgt_epi32(dx, six), _mm256_cmpgt_epi32(dy, one)),
                           _mm256_set1_epi32(-1))) {
      const float* row = base + iy_min * stride + ix_min;
      const __m256 r0 = _mm256_loadu_ps(row), r1 = _mm256_loadu_ps(row + stride);
      const __m256 r2 = _mm256_loadu_ps(row + 2 * stride);
      // Each lane's columns from every row first, then each lane's row (blends are lane-wise).
      const __m256 second = _mm256_castsi256_ps(_mm256_cmpeq_epi32(dy, one));
      const __m256i dx1 = _mm256_add_epi32(dx, one);
      const __m256 r1x = _mm256_permutevar8x32_ps(r1, dx), r1x1 = _mm256_permutevar8x32_ps(r1, dx1);
      p00 = _mm256_blendv_ps(_mm256_permutevar8x32_ps(r0, dx), r1x, second);
      p01 = _mm256_blendv_ps(_mm256_permutevar8x32_ps(r0, dx1), r1x1, second);
      p10 = _mm256_blendv_ps(r1x, _mm256_permutevar8x32_ps(r2, dx), second);
      p11 = _mm256_blendv_ps(r1x1, _mm256_permutevar8x32_ps(r2, dx1), second);
    } else {
      const __m256i at = _mm256_add_epi32(_mm256_mullo_epi32(iy, vstride), ix);
      p00 = _mm256_i32gather_ps(base, at, 4);
      p01 = _mm256_i32gather_ps(base + 1, at, 4);
      p10 = _mm256_i32gather_ps(base + stride, at, 4);
      p11 = _mm256_i32gather_ps(base + stride + 1, at, 4);
    }
    const __m256 top = _mm256_add_ps(p00, _mm256_mul_ps(fx, _mm256_sub_ps(p01, p00)));
    const __m256 bottom = _mm256_add_ps(p10, _mm256_mul_ps(fx, _mm256_sub_ps(p11, p10)));
    const __m256 value = _mm256_add_ps(top, _mm256_mul_ps(fy, _mm256_sub_ps(bottom, top)));
    if (i + 8 <= n) {
      _mm256_storeu_ps(values + i, value);
    } else {
      alignas(32) float tail[8];
      _mm256_store_ps(tail, value);
      std::memcpy(values + i, tail, sizeof(float) * static_cast<size_t>(n - i));
    }
  }
}
#endif

using SpanSampler = void (*)(const float*, int, float, float, float, float, int, float*);

SpanSampler span_sampler() {
#ifdef BODYSHAPE_HAVE_AVX2_SAMPLER
  static const SpanSampler sampler =
      __builtin_cpu_supports("avx2") ? &sample_span_avx2 : &sample_span;
  return sampler;
#else
  return &sample_span;
#endif
}

}  // namespace

int mask_type(MaskFormat format) {
  return format == MaskFormat::kProbability ? CV_32FC1 : CV_8UC1;
}

cv::Mat zero_mask(cv::Size size, int type) {
  // Never destroyed: masks may outlive static destruction.
  static ZeroedAllocator* const allocator = new ZeroedAllocator;
  cv::Mat mask;
  mask.allocator = allocator;
  mask.create(size, type);
  return mask;
}

cv::Mat warp_mask_to_image(const cv::Mat& tensor_mask, const RotatedRectPx& rect,
                           cv::Size image_size) {
  cv::Mat image_mask = zero_mask(image_size, CV_32FC1);
  warp_mask_max_into(tensor_mask, rect, MaskFormat::kProbability, 0.5f, image_mask);
  return image_mask;
}

void warp_mask_max_into(const cv::Mat& tensor_mask, const RotatedRectPx& rect, MaskFormat format,
                        float threshold, cv::Mat& image_mask) {
  CV_Assert(tensor_mask.type() == CV_32FC1 && !tensor_mask.empty());
  CV_Assert(image_mask.type() == mask_type(format));
  const cv::Size image_size = image_mask.size();
  // Image pixel index -> tensor pixel index.
  cv::Matx23d to_tensor;
  cv::invertAffineTransform(tensor_to_image(rect, tensor_mask.cols, tensor_mask.rows), to_tensor);
  if (!cv::checkRange(to_tensor)) return;

  // Bilinear with zero outside the tensor, as cv::warpAffine(INTER_LINEAR, BORDER_CONSTANT) but
  // in float and only over each row's span inside the rect: the mask is zero elsewhere, so this
  // costs the ROI's area rather than the image's. A zero frame (one pixel before, two after)
  // keeps all four taps in bounds for samples in (-1, size) without clamping, float rounding
  // at the span's ends included; the AVX2 sampler's row loads read 8 columns and 3 rows.
  cv::Mat framed;
  cv::copyMakeBorder(tensor_mask, framed, 1, 3, 1, 8, cv::BORDER_CONSTANT, cv::Scalar(0));
  const int tw = tensor_mask.cols, th = tensor_mask.rows;
  const double a = to_tensor(0, 0), b = to_tensor(0, 1), c = to_tensor(0, 2);
  const double d = to_tensor(1, 0), e = to_tensor(1, 1), f = to_tensor(1, 2);
  const int stride = static_cast<int>(framed.step1());
  const float* base = framed.ptr<float>();
  const SpanSampler sample = span_sampler();
  std::vector<float> values(static_cast<size_t>(image_size.width));
  std::vector<uint8_t> bytes(format == MaskFormat::kProbabilityU8 ? values.size() : 0);
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
    const int x_lo = static_cast<int>(lo);
    const int n = static_cast<int>(hi) - x_lo + 1;
    // Framed coordinates at the span's first pixel, in double; along the span only i <= n.
    sample(base, stride, static_cast<float>(a * x_lo + u0 + 1.0),
           static_cast<float>(d * x_lo + v0 + 1.0), static_cast<float>(a),
           static_cast<float>(d), n, values.data());
    switch (format) {
      case MaskFormat::kProbability: {
        float* out = image_mask.ptr<float>(y) + x_lo;
        for (int i = 0; i < n; ++i) out[i] = std::max(out[i], values[i]);
        break;
      }
      case MaskFormat::kProbabilityU8: {
        // The conversion reshape's mask_to_u8 applies to a CV_32F mask, on this span only.
        cv::Mat(1, n, CV_32FC1, values.data()).convertTo(cv::Mat(1, n, CV_8UC1, bytes.data()),
                                                         CV_8U, 255.0);
        uint8_t* out = image_mask.ptr<uint8_t>(y) + x_lo;
        for (int i = 0; i < n; ++i) out[i] = std::max(out[i], bytes[i]);
        break;
      }
      case MaskFormat::kBinary: {
        uint8_t* out = image_mask.ptr<uint8_t>(y) + x_lo;
        for (int i = 0; i < n; ++i) out[i] |= static_cast<uint8_t>(values[i] > threshold);
        break;
      }
    }
  }
}

}  // namespace bodyshape::person
