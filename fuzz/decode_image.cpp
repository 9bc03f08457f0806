// The image decoder's front door with a small pixel limit (4 MP): every format, EXIF orientation,
// GIF and TIFF readers. Bytes give an 8-bit RGB image within the limit, or kBadImage.
#include "fuzz/fuzz_input.h"
#include "image/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bodyshape;
  constexpr int64_t kMaxPixels = 4'000'000;
  Result<cv::Mat> rgb = image::decode_image(fuzz::bytes_of(data, size), {.max_pixels = kMaxPixels});
  if (!rgb) {
    fuzz::check(rgb.error().code == ErrorCode::kBadImage);
    return 0;
  }
  fuzz::check(rgb->type() == CV_8UC3 && !rgb->empty());
  fuzz::check(static_cast<int64_t>(rgb->rows) * rgb->cols <= kMaxPixels);
  return 0;
}
