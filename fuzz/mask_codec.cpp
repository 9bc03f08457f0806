// The mask encoders and decoders. The first byte picks one:
//   0: JSON rows text -> mask; an accepted mask survives rows, RLE and PNG round trips;
//   1: PNG bytes -> mask;
//   2: a small height x width and 16-bit run counts -> RLE -> mask (sizes kept small: the decoder
//      allocates height*width, which a client chooses only in its own process).
#include <cstring>

#include "fuzz/fuzz_input.h"
#include "image/mask_codec.h"

namespace {

using namespace bodyshape;

void check_round_trips(const cv::Mat& mask) {
  fuzz::check(mask.type() == CV_8UC1 && !mask.empty());
  std::string rows;
  image::append_mask_rows_json(mask, rows);
  fuzz::check(rows.size() == 2 * mask.total() + 2 * static_cast<size_t>(mask.rows) + 1);
  Result<cv::Mat> from_rows = image::mask_from_rows_json(rows);
  fuzz::check(from_rows && cv::countNonZero(*from_rows != mask) == 0);

  const image::CocoRle rle = image::mask_to_coco_rle(mask);
  Result<cv::Mat> from_rle = image::mask_from_coco_rle(rle);
  fuzz::check(from_rle && cv::countNonZero(*from_rle != mask) == 0);
  std::string rle_json;
  image::append_coco_rle_json(rle, rle_json);

  Result<cv::Mat> from_png = image::mask_from_png(image::mask_to_png(mask));
  fuzz::check(from_png && cv::countNonZero(*from_png != mask) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  ++data;
  --size;
  if (mode == 0) {
    Result<cv::Mat> mask = image::mask_from_rows_json(fuzz::text_of(data, size));
    if (mask) {
      check_round_trips(*mask);
    } else {
      fuzz::check(mask.error().code == ErrorCode::kInvalidArgument);
    }
  } else if (mode == 1) {
    Result<cv::Mat> mask = image::mask_from_png(fuzz::bytes_of(data, size));
    if (mask) {
      fuzz::check(mask->type() == CV_8UC1);
      if (mask->total() <= 1'000'000) check_round_trips(*mask);
    }
  } else if (size >= 2) {
    image::CocoRle rle{.height = data[0] % 65, .width = data[1] % 65};
    for (size_t i = 2; i + 1 < size; i += 2) {
      rle.counts.push_back(static_cast<uint32_t>(data[i]) | static_cast<uint32_t>(data[i + 1])
                                                                << 8);
    }
    Result<cv::Mat> mask = image::mask_from_coco_rle(rle);
    if (mask && !mask->empty()) {
      fuzz::check(mask->rows == rle.height && mask->cols == rle.width);
      check_round_trips(*mask);
    }
  }
  return 0;
}
