#include "api/person_mask.h"

#include "api/json_request.h"
#include "image/mask_codec.h"
#include "storage/account_store.h"

namespace bodyshape::api {

Result<PersonMaskRequest> parse_person_mask_request(std::string_view body) {
  Result<JsonRequest> object = JsonRequest::parse(body);
  if (!object) return object.error();
  PersonMaskRequest request;
  if (Status fields = object->read_required_strings({{"Email", &request.email},
                                                       {"UserKey", &request.user_key},
                                                       {"APIKey", &request.api_key},
                                                       {"base64Image", &request.base64_image}});
      !fields) {
    return fields.error();
  }
  return request;
}

Reply PersonMaskEndpoint::handle(std::string_view body) const {
  Result<PersonMaskRequest> request = parse_person_mask_request(body);
  if (!request) return future_shape_error(request.error());
  if (Status auth =
          deps_.accounts->authenticate(request->email, request->user_key, request->api_key);
      !auth) {
    return future_shape_error(auth.error());
  }

  StageTimer decode_timer(deps_.stages, Stage::kDecode);
  Result<std::vector<uint8_t>> bytes = image::base64_decode(request->base64_image);
  if (!bytes) return future_shape_error(bytes.error());
  Result<cv::Mat> rgb = image::decode_image(*bytes, deps_.decode);
  if (!rgb) return future_shape_error(rgb.error());
  decode_timer.stop();

  if (!deps_.person_mask) {
    return future_shape_error(make_error(ErrorCode::kUnavailable, "model not available"));
  }
  Result<cv::Mat> mask = deps_.person_mask(*rgb);
  if (!mask && mask.error().code == ErrorCode::kNoPerson) {
    mask = cv::Mat(rgb->size(), CV_8UC1, cv::Scalar(0));
  }
  if (!mask) return future_shape_error(mask.error());

  StageTimer encode_timer(deps_.stages, Stage::kEncode);
  std::string out = R"({"state":true,"message":"success","maskImage":")";
  out += image::base64_encode(image::mask_to_png(*mask));
  out += "\"}";
  return Reply{200, std::move(out), ""};
}

}  // namespace bodyshape::api
