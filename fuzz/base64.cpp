// base64: decoding any text never crashes; what decodes re-encodes to text that decodes to the
// same bytes; any bytes survive encode -> decode. (Empty text is refused by design: no image.)
#include "fuzz/fuzz_input.h"
#include "image/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bodyshape;
  Result<std::vector<uint8_t>> decoded = image::base64_decode(fuzz::text_of(data, size));
  if (decoded && !decoded->empty()) {
    Result<std::vector<uint8_t>> again = image::base64_decode(image::base64_encode(*decoded));
    fuzz::check(again && *again == *decoded);
  } else if (!decoded) {
    fuzz::check(decoded.error().code == ErrorCode::kBadImage);
  }
  if (size == 0) return 0;
  const std::string encoded = image::base64_encode(fuzz::bytes_of(data, size));
  Result<std::vector<uint8_t>> round_trip = image::base64_decode(encoded);
  fuzz::check(round_trip && round_trip->size() == size &&
              std::equal(round_trip->begin(), round_trip->end(), data));
  return 0;
}
