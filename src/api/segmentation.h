// POST /analyze/segmentation-v2 as a plain function: JSON body in, Reply out.
//
//   SegmentationEndpoint endpoint({.store = store.get(), .policy = policy,
//                                  .decode = {.max_pixels = config.max_pixels},
//                                  .person_mask = mask_fn});
//   Reply reply = endpoint.handle(R"({"imgSrc": "2024/a.jpg"})");  // never throws for a client
//   bool gzipped = accepts_gzip && gzip_reply_body(reply);          // then Content-Encoding: gzip
//
// Request: {"imgSrc": key | "s3://bucket/key" | "bucket/key", "format": "array" (default) |
// "rle" | "png"}; with segmentation_auth = keys also Email, UserKey, APIKey as for
// /api/analysis-future-shape.
//
// Success (200): {"state":1,"message":"success","errors":"","data":D} where D is
//   array: [[0,1,...],...], exactly height rows x width columns of the upright (EXIF-rotated)
//          image, 1 = person (the contract's format);
//   rle:   {"size":[h,w],"counts":[...]}, COCO's uncompressed RLE (column-major, background first);
//   png:   "<base64 of a 1-bit greyscale PNG>", person = white.
// An image with nobody in it is a success with an all-zero mask.
//
// Failures: {"state":S,"message":M,"errors":M or detail,"data":{"code":C,"detail":D}}
//   state 0, message "image load error" (the contract's literal), HTTP 400, code:
//     not_found (no such object), empty_object, not_an_image (undecodable, too many pixels),
//     too_large (object over max_object_bytes)
//   state -1, message = the precise reason:
//     400 bad_request (body not JSON, imgSrc missing, bad format), 400 source_refused (imgSrc is a
//     URL, has "..", names a foreign bucket ...), 401 unauthenticated, 503 + Retry-After
//     store_unavailable (unreachable, credentials refused), timeout, model_unavailable, busy;
//     500 inference_failed / internal.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "api/reply.h"
#include "common/result.h"
#include "common/stage_timer.h"
#include "image/image.h"
#include "storage/object_store.h"

namespace bodyshape::storage {
class AccountStore;
}

namespace bodyshape::api {

enum class MaskFormat { kArray, kRle, kPng };

struct SegmentationRequest {
  std::string img_src{};
  MaskFormat format = MaskFormat::kArray;
  std::string email{};  // only read when keys are required
  std::string user_key{};
  std::string api_key{};
};

// kInvalidArgument with a message naming the field and what is wrong.
Result<SegmentationRequest> parse_segmentation_request(std::string_view body, bool require_keys);

// The person pipeline's combined mask at 0.5 for an RGB image: CV_8UC1 0/1 at the image's size.
// kNoPerson is read as "nobody here" (an all-zero mask).
using PersonMaskFn = std::function<Result<cv::Mat>(const cv::Mat& rgb)>;

struct SegmentationDeps {
  storage::ObjectStore* store = nullptr;
  storage::SourcePolicy policy{};
  image::DecodeOptions decode{};
  PersonMaskFn person_mask{};                 // empty = models not loaded
  storage::AccountStore* accounts = nullptr;  // set = segmentation_auth "keys"
  // Decode and encode durations (server/metrics.h); person_mask times its own queue and person
  // stages. Null = not measured.
  StageSink* stages = nullptr;
};

class SegmentationEndpoint {
 public:
  explicit SegmentationEndpoint(SegmentationDeps deps) : deps_(std::move(deps)) {}
  Reply handle(std::string_view body) const;

 private:
  SegmentationDeps deps_;
};

// Where a failure happened decides its code: the same kInvalidArgument is "bad_request" from the
// body and "source_refused" from imgSrc.
enum class SegmentationStep { kRequest, kSource, kLoad, kDecode, kInference };
Reply segmentation_error(const Error& error, SegmentationStep step);

// Replaces reply.body by its gzip (zlib level 1) when it is at least 1 KiB; true = compressed, so
// the HTTP edge must send "Content-Encoding: gzip". A 4000x3000 array mask (24 MB) compresses
// to under 1 % (bench/segmentation.cpp has the cost).
bool gzip_reply_body(Reply& reply, int level = 1);

}  // namespace bodyshape::api
