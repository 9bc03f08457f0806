// The /analyze/segmentation-v2 body parser and imgSrc rules: any bytes give a request or a
// kInvalidArgument; an accepted source never escapes the policy (no "..", no URL, allowed bucket).
#include <algorithm>

#include "api/segmentation.h"
#include "fuzz/fuzz_input.h"
#include "storage/object_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bodyshape;
  if (size == 0) return 0;
  const bool require_keys = (data[0] & 1) != 0;  // the first byte picks segmentation_auth
  Result<api::SegmentationRequest> request =
      api::parse_segmentation_request(fuzz::text_of(data + 1, size - 1), require_keys);
  if (!request) {
    fuzz::check(request.error().code == ErrorCode::kInvalidArgument);
    return 0;
  }
  const storage::SourcePolicy policy{.default_bucket = "images",
                                     .allowed_buckets = {"images", "uploads"}};
  Result<storage::ObjectRef> source = storage::parse_image_source(request->img_src, policy);
  if (!source) {
    fuzz::check(source.error().code == ErrorCode::kInvalidArgument);
    return 0;
  }
  fuzz::check(source->bucket == "images" || source->bucket == "uploads");
  fuzz::check(!source->key.empty() && source->key.size() <= 1024);
  for (size_t begin = 0; begin <= source->key.size();) {  // no "", "." or ".." path segment
    const size_t end = std::min(source->key.find('/', begin), source->key.size());
    const std::string_view segment = std::string_view(source->key).substr(begin, end - begin);
    fuzz::check(!segment.empty() && segment != "." && segment != "..");
    begin = end + 1;
  }
  fuzz::check(storage::validate_object_ref(*source).ok());
  return 0;
}
