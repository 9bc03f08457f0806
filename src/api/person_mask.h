// POST /api/person-mask (an extension used by the playground at GET /): the person mask of an
// uploaded photo, with the same keys and errors as /api/analysis-future-shape.
//
//   PersonMaskEndpoint endpoint({.accounts = &store, .person_mask = mask_fn});
//   Reply reply = endpoint.handle(R"({"Email":..,"UserKey":..,"APIKey":..,"base64Image":..})");
//
// Success (200): {"state":true,"message":"success","maskImage":"<base64 1-bit PNG>"}, the mask at
// the upright image's size, person = white (all people; an empty photo gives an all-black mask).
// Failures: as future_shape_error (api/reply.h): 400 "wrong image", field errors, 401, 503.
#pragma once

#include <string>
#include <string_view>

#include "api/reply.h"
#include "api/segmentation.h"
#include "common/stage_timer.h"
#include "image/image.h"

namespace bodyshape::storage {
class AccountStore;
}

namespace bodyshape::api {

struct PersonMaskRequest {
  std::string email;
  std::string user_key;
  std::string api_key;
  std::string base64_image;
};

Result<PersonMaskRequest> parse_person_mask_request(std::string_view body);

struct PersonMaskDeps {
  storage::AccountStore* accounts = nullptr;
  image::DecodeOptions decode{};
  PersonMaskFn person_mask{};   // empty = models not loaded
  StageSink* stages = nullptr;  // decode and encode durations; null = not measured
};

class PersonMaskEndpoint {
 public:
  explicit PersonMaskEndpoint(PersonMaskDeps deps) : deps_(std::move(deps)) {}
  Reply handle(std::string_view body) const;

 private:
  PersonMaskDeps deps_;
};

}  // namespace bodyshape::api
