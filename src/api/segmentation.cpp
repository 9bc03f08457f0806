#include "api/segmentation.h"

#include <zlib.h>

#include <nlohmann/json.hpp>

#include "api/json_request.h"
#include "image/mask_codec.h"
#include "storage/account_store.h"

namespace bodyshape::api {
namespace {

constexpr std::string_view kImageLoadError = "image load error";  // the contract's literal

Reply error_reply(int status, int state, std::string_view message, std::string_view code,
                  std::string_view detail) {
  const nlohmann::json body = {{"state", state},
                               {"message", message},
                               {"errors", detail},
                               {"data", {{"code", code}, {"detail", detail}}}};
  Reply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (status == 503) reply.retry_after = "1";
  return reply;
}

Reply image_load_error(std::string_view code, std::string_view detail) {
  return error_reply(400, 0, kImageLoadError, code, detail);
}

Reply failure(int status, std::string_view code, const std::string& message) {
  return error_reply(status, -1, message, code, message);
}

}  // namespace

Result<SegmentationRequest> parse_segmentation_request(std::string_view body, bool require_keys) {
  Result<JsonRequest> object = JsonRequest::parse(body);
  if (!object) return object.error();
  SegmentationRequest request;
  Result<std::string> img_src = object->required_string("imgSrc");
  if (!img_src) return img_src.error();
  request.img_src = std::move(*img_src);

  Result<std::optional<std::string>> format = object->optional_string("format");
  if (!format) return format.error();
  const std::string format_name = format->value_or("array");
  if (format_name == "array") {
    request.format = MaskFormat::kArray;
  } else if (format_name == "rle") {
    request.format = MaskFormat::kRle;
  } else if (format_name == "png") {
    request.format = MaskFormat::kPng;
  } else {
    return field_error("format", "must be \"array\", \"rle\" or \"png\"");
  }

  if (require_keys) {
    if (Status keys = object->read_required_strings({{"Email", &request.email},
                                                     {"UserKey", &request.user_key},
                                                     {"APIKey", &request.api_key}});
        !keys) {
      return keys.error();
    }
  }
  return request;
}

Reply segmentation_error(const Error& error, SegmentationStep step) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return failure(400, step == SegmentationStep::kRequest ? "bad_request" : "source_refused",
                     error.message);
    case ErrorCode::kUnauthenticated:
      return failure(401, "unauthenticated", "authentication failed");
    case ErrorCode::kNotFound:
      if (step == SegmentationStep::kLoad) return image_load_error("not_found", error.message);
      break;
    case ErrorCode::kBadImage:
      return image_load_error("not_an_image", error.message);
    case ErrorCode::kResourceExhausted:
      if (step == SegmentationStep::kLoad) return image_load_error("too_large", error.message);
      return failure(503, "busy", error.message);  // e.g. the inference queue is full
    case ErrorCode::kUnavailable:
      return failure(
          503, step == SegmentationStep::kInference ? "model_unavailable" : "store_unavailable",
          error.message);
    case ErrorCode::kDeadlineExceeded:
      return failure(503, "timeout", error.message);
    case ErrorCode::kNoPerson:
    case ErrorCode::kInternal:
      break;
  }
  return failure(500, step == SegmentationStep::kInference ? "inference_failed" : "internal",
                 error.message);
}

Reply SegmentationEndpoint::handle(std::string_view body) const {
  Result<SegmentationRequest> request = parse_segmentation_request(body, deps_.accounts != nullptr);
  if (!request) return segmentation_error(request.error(), SegmentationStep::kRequest);

  if (deps_.accounts) {
    Status auth = deps_.accounts->authenticate(request->email, request->user_key, request->api_key);
    if (!auth) return segmentation_error(auth.error(), SegmentationStep::kRequest);
  }

  Result<storage::ObjectRef> ref = storage::parse_image_source(request->img_src, deps_.policy);
  if (!ref) return segmentation_error(ref.error(), SegmentationStep::kSource);
  // Checked before the download: without models the answer is 503 whatever the image.
  if (!deps_.person_mask) {
    return segmentation_error(make_error(ErrorCode::kUnavailable, "model not available"),
                              SegmentationStep::kInference);
  }

  Result<std::vector<uint8_t>> bytes = deps_.store->get(*ref);
  if (!bytes) return segmentation_error(bytes.error(), SegmentationStep::kLoad);
  if (bytes->empty()) {
    return image_load_error("empty_object",
                            "object " + ref->bucket + "/" + ref->key + " is empty (0 bytes)");
  }
  StageTimer decode_timer(deps_.stages, Stage::kDecode);
  Result<cv::Mat> rgb = image::decode_image(*bytes, deps_.decode);
  decode_timer.stop();
  if (!rgb) return segmentation_error(rgb.error(), SegmentationStep::kDecode);

  Result<cv::Mat> mask = deps_.person_mask(*rgb);
  if (!mask && mask.error().code == ErrorCode::kNoPerson) {
    mask = cv::Mat(rgb->size(), CV_8UC1, cv::Scalar(0));
  }
  if (!mask) return segmentation_error(mask.error(), SegmentationStep::kInference);
  if (mask->type() != CV_8UC1 || mask->size() != rgb->size()) {
    return segmentation_error(
        make_error(ErrorCode::kInternal, "person mask is " + std::to_string(mask->cols) + "x" +
                                             std::to_string(mask->rows) + " type " +
                                             std::to_string(mask->type()) + ", expected CV_8UC1 " +
                                             std::to_string(rgb->cols) + "x" +
                                             std::to_string(rgb->rows)),
        SegmentationStep::kInference);
  }

  // Written by hand: the array is 2 bytes per pixel (24 MB for 12 MP); data goes last so it is
  // appended in place.
  StageTimer encode_timer(deps_.stages, Stage::kEncode);
  std::string out = R"({"state":1,"message":"success","errors":"","data":)";
  switch (request->format) {
    case MaskFormat::kArray:
      out.reserve(out.size() + 2 * mask->total() + 2 * static_cast<size_t>(mask->rows) + 2);
      image::append_mask_rows_json(*mask, out);
      break;
    case MaskFormat::kRle:
      image::append_coco_rle_json(image::mask_to_coco_rle(*mask), out);
      break;
    case MaskFormat::kPng:
      out += '"';
      out += image::base64_encode(image::mask_to_png(*mask));
      out += '"';
      break;
  }
  out += '}';
  return Reply{200, std::move(out), ""};
}

bool gzip_reply_body(Reply& reply, int level) {
  if (reply.body.size() < 1024) return false;
  z_stream stream{};
  // windowBits 15 + 16: a gzip wrapper, which is what "Content-Encoding: gzip" means.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  std::string compressed(deflateBound(&stream, reply.body.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(reply.body.data());
  stream.avail_in = static_cast<uInt>(reply.body.size());
  stream.next_out = reinterpret_cast<Bytef*>(compressed.data());
  stream.avail_out = static_cast<uInt>(compressed.size());
  const int result = deflate(&stream, Z_FINISH);
  compressed.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return false;
  reply.body = std::move(compressed);
  return true;
}

}  // namespace bodyshape::api
