// The /api/analysis-future-shape body parser: any bytes give a request or a kInvalidArgument, and
// the base64 of a parsed request decodes or fails as kBadImage.
#include "api/future_shape.h"
#include "fuzz/fuzz_input.h"
#include "image/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bodyshape;
  Result<api::FutureShapeRequest> request =
      api::parse_future_shape_request(fuzz::text_of(data, size));
  if (!request) {
    fuzz::check(request.error().code == ErrorCode::kInvalidArgument);
    fuzz::check(!request.error().message.empty());
    return 0;
  }
  Result<std::vector<uint8_t>> image = image::base64_decode(request->base64_image);
  if (!image) fuzz::check(image.error().code == ErrorCode::kBadImage);
  return 0;
}
