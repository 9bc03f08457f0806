// render_reshape and warp_mask: apply a planned field at full resolution.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "reshape/field_math.h"
#include "reshape/reshape.h"

namespace bodyshape::reshape {
namespace {

// Compositing weight of the person layer from its alpha (0..255): the layer is opaque from
// probability 0.5 (where the mask's contour is) and fades out by 0.15, so the mask's own soft
// edge, which already holds the original background's colours, is kept and no halo appears.
float layer_weight(uint8_t alpha) {
  return std::clamp((static_cast<float>(alpha) - 38.f) / (128.f - 38.f), 0.f, 1.f);
}

}  // namespace

cv::Point2f WarpField::displacement_at(cv::Point2f output_px) const {
  if (identity()) return {0, 0};
  return {sample_grid(dx, output_px, cell_px), sample_grid(dy, output_px, cell_px)};
}

cv::Point2f WarpField::forward(cv::Point2f input_px) const {
  // Solve p + d(p) = input_px by fixed-point iteration; converges since |grad d| < 1.
  cv::Point2f p = input_px;
  for (int iteration = 0; iteration < 30; ++iteration) p = input_px - displacement_at(p);
  return p;
}

cv::Mat render_reshape(const cv::Mat& rgb, const WarpField& field) {
  CV_Assert(rgb.type() == CV_8UC3 && rgb.size() == field.image_size);
  cv::Mat out = rgb.clone();
  if (field.identity()) return out;
  const cv::Rect roi = field.roi;
  cv::Mat map_x, map_y, warped;
  build_maps(field, roi, map_x, map_y);
  cv::remap(rgb, warped, map_x, map_y, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  if (!field.composite_over_background) {
    warped.copyTo(out(roi));
    return out;
  }
  // Fattening: the warped person over the untouched background. Where neither the old nor the new
  // body is, the original pixel stays; the push band's squeezed background is never shown.
  // The old body is the mask grown by kOldBodyMargin px: the photo's own edge (its anti-aliased
  // rim) lies a pixel or two outside the mask's soft edge, and where the body moved away from it
  // (an arm carried outwards) the original would show that rim as a thin ghost line.
  constexpr int kOldBodyMargin = 2;
  const cv::Rect grown = cv::Rect(roi.x - kOldBodyMargin, roi.y - kOldBodyMargin,
                                  roi.width + 2 * kOldBodyMargin, roi.height + 2 * kOldBodyMargin) &
                         cv::Rect(cv::Point(0, 0), field.person_alpha.size());
  cv::Mat old_body;
  cv::dilate(field.person_alpha(grown), old_body,
             cv::getStructuringElement(cv::MORPH_ELLIPSE,
                                       cv::Size(2 * kOldBodyMargin + 1, 2 * kOldBodyMargin + 1)));
  const cv::Point old_origin = roi.tl() - grown.tl();
  cv::Mat warped_alpha;
  cv::remap(field.person_alpha, warped_alpha, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  // Around a hand the field moves, the warped image shows through (see WarpField::hand_carry_px)
  // wherever the carry moves pixels by a pixel or more; below that the two agree, so there is
  // no ghost where they blend.
  cv::Mat carried(roi.size(), CV_32F, cv::Scalar(0));
  if (!field.hand_carry_px.empty()) {
    cv::Mat full;
    cv::resize(field.hand_carry_px, full, field.image_size, 0, 0, cv::INTER_LINEAR);
    cv::min(full(roi), 1.0, carried);
  }
  cv::parallel_for_(cv::Range(0, roi.height), [&](const cv::Range& rows) {
    for (int y = rows.start; y < rows.end; ++y) {
      const uint8_t* new_alpha = warped_alpha.ptr<uint8_t>(y);
      const uint8_t* old_alpha = old_body.ptr<uint8_t>(old_origin.y + y) + old_origin.x;
      const float* carry = carried.ptr<float>(y);
      const cv::Vec3b* person = warped.ptr<cv::Vec3b>(y);
      cv::Vec3b* pixel = out.ptr<cv::Vec3b>(roi.y + y) + roi.x;
      for (int x = 0; x < roi.width; ++x) {
        const float background = (1.f - layer_weight(new_alpha[x])) *
                                 (1.f - layer_weight(old_alpha[x])) * (1.f - carry[x]);
        if (background >= 1.f) continue;
        for (int c = 0; c < 3; ++c) {
          const float value = background * pixel[x][c] + (1.f - background) * person[x][c];
          pixel[x][c] = cv::saturate_cast<uint8_t>(value);
        }
      }
    }
  });
  return out;
}

cv::Mat warp_mask(const cv::Mat& mask, const WarpField& field) {
  cv::Mat out = mask.clone();
  if (field.identity()) return out;
  cv::Mat map_x, map_y, warped;
  build_maps(field, field.roi, map_x, map_y);
  cv::remap(mask, warped, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  warped.copyTo(out(field.roi));
  return out;
}

}  // namespace bodyshape::reshape
