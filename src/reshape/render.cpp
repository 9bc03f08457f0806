// render_reshape and warp_mask: apply a planned field at full resolution.
#include <algorithm>
#include <cmath>
#include <vector>

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

// The field applied to `src` over field.roi, written into `into` (field.roi's size, holding
// src(field.roi)). The moved region's bounding box holds much that stays (the frozen face, the
// space between arms and legs): tiles whose grid nodes are all still (kStillPx) keep what they
// hold, the rest are remapped (cv::remap's bicubic or bilinear at an integer position is the
// pixel itself, so the result is that of remapping the whole box).
void remap_moved(const cv::Mat& src, const WarpField& field, int interpolation, cv::Mat into) {
  constexpr int kTile = 64;
  const cv::Rect roi = field.roi;
  const cv::Size2f cell = field.cell_px;
  // The grid nodes whose bilinear weights reach pixels lo..hi along one axis (both ends included).
  auto nodes = [](int lo, int hi, float cell_px, int count) {
    auto below = [&](int px) {
      const float g = (static_cast<float>(px) + 0.5f) / cell_px - 0.5f;
      return std::clamp(static_cast<int>(std::floor(g)), 0, count - 1);
    };
    return cv::Range(below(lo), std::min(count - 1, below(hi) + 1));
  };
  std::vector<cv::Rect> moving;
  for (int y = roi.y; y < roi.y + roi.height; y += kTile) {
    for (int x = roi.x; x < roi.x + roi.width; x += kTile) {
      const cv::Rect tile = cv::Rect(x, y, kTile, kTile) & roi;
      const cv::Range columns = nodes(tile.x, tile.br().x - 1, cell.width, field.dx.cols);
      const cv::Range rows = nodes(tile.y, tile.br().y - 1, cell.height, field.dx.rows);
      bool moves = false;
      for (int j = rows.start; j <= rows.end && !moves; ++j) {
        for (int i = columns.start; i <= columns.end && !moves; ++i) {
          moves = std::abs(field.dx.at<float>(j, i)) + std::abs(field.dy.at<float>(j, i)) >
                  kStillPx;
        }
      }
      if (moves) moving.push_back(tile);
    }
  }
  cv::parallel_for_(cv::Range(0, static_cast<int>(moving.size())), [&](const cv::Range& tiles) {
    cv::Mat map_x, map_y;
    for (int k = tiles.start; k < tiles.end; ++k) {
      const cv::Rect tile = moving[static_cast<size_t>(k)];
      build_maps(field, tile, map_x, map_y);
      cv::Mat out = into(tile - roi.tl());
      cv::remap(src, out, map_x, map_y, interpolation, cv::BORDER_REPLICATE);
    }
  });
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
  if (!field.composite_over_background) {
    remap_moved(rgb, field, cv::INTER_CUBIC, out(roi));
    return out;
  }
  cv::Mat warped = rgb(roi).clone();
  remap_moved(rgb, field, cv::INTER_CUBIC, warped);
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
  cv::Mat warped_alpha = field.person_alpha(roi).clone();
  remap_moved(field.person_alpha, field, cv::INTER_LINEAR, warped_alpha);
  // Around a hand the field moves, the warped image shows through (see WarpField::hand_carry_px)
  // wherever the carry moves pixels by a pixel or more; below that the two agree, so there is
  // no ghost where they blend. Sampled only over the pixels the carrying nodes reach (a
  // full-size upsampling cost ~6 ms at 1080p).
  cv::Mat carried(roi.size(), CV_32F, cv::Scalar(0));
  if (!field.hand_carry_px.empty()) {
    const cv::Mat& carry = field.hand_carry_px;
    const cv::Rect reach = region_of_nodes(carry > kStillPx, field.cell_px, field.image_size) & roi;
    for (int y = reach.y; y < reach.y + reach.height; ++y) {
      float* row = carried.ptr<float>(y - roi.y);
      for (int x = reach.x; x < reach.x + reach.width; ++x) {
        const cv::Point2f p(static_cast<float>(x), static_cast<float>(y));
        row[x - roi.x] = std::min(1.f, sample_grid(carry, p, field.cell_px));
      }
    }
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
  remap_moved(mask, field, cv::INTER_LINEAR, out(field.roi));
  return out;
}

}  // namespace bodyshape::reshape
