#include "api/future_shape.h"

#include <vector>

#include "api/json_request.h"
#include "reshape/from_person.h"
#include "storage/account_store.h"

namespace bodyshape::api {

Result<FutureShapeRequest> parse_future_shape_request(std::string_view body) {
  Result<JsonRequest> object = JsonRequest::parse(body);
  if (!object) return object.error();

  FutureShapeRequest request;
  if (Status fields = object->read_required_strings({{"Email", &request.email},
                                                       {"UserKey", &request.user_key},
                                                       {"APIKey", &request.api_key},
                                                       {"base64Image", &request.base64_image}});
      !fields) {
    return fields.error();
  }

  Result<std::string> goal = object->required_string("requestMessage");
  if (!goal) return goal.error();
  if (*goal == "best") {
    request.reshape.goal = reshape::Goal::kSlimmer;
  } else if (*goal == "worst") {
    request.reshape.goal = reshape::Goal::kFatter;
  } else {
    return field_error("requestMessage", "must be \"best\" or \"worst\"");
  }

  Result<std::string> gender = object->required_string("gender");
  if (!gender) return gender.error();
  if (*gender == "male") {
    request.reshape.gender = reshape::Gender::kMale;
  } else if (*gender == "female") {
    request.reshape.gender = reshape::Gender::kFemale;
  } else {
    return field_error("gender", "must be \"male\" or \"female\"");
  }

  Result<std::optional<double>> intensity = object->optional_number("intensity");
  if (!intensity || (intensity->has_value() && !(**intensity >= 0.0 && **intensity <= 2.0))) {
    return field_error("intensity", "must be a number from 0 to 2");
  }
  request.reshape.intensity = static_cast<float>(intensity->value_or(1.0));

  Result<std::optional<std::string>> format = object->optional_string("outputFormat");
  const std::string format_name = format ? format->value_or("png") : "";
  if (format_name == "png") {
    request.output_format = image::ImageFormat::kPng;
  } else if (format_name == "jpeg" || format_name == "jpg") {
    request.output_format = image::ImageFormat::kJpeg;
  } else if (format_name == "webp") {
    request.output_format = image::ImageFormat::kWebp;
  } else {
    return field_error("outputFormat", "must be \"png\", \"jpeg\" or \"webp\"");
  }
  return request;
}

std::string future_shape_success_body(std::string_view image_base64) {
  // Written by hand: the image is megabytes of base64, which needs no escaping.
  std::string body;
  body.reserve(2 * image_base64.size() + 96);
  body += R"({"state":true,"message":"success","resultImage":")";
  body += image_base64;
  body += R"(","result_image":")";
  body += image_base64;
  body += "\"}";
  return body;
}

Result<cv::Mat> predict_future_shape(person::PoseEstimator& estimator, const cv::Mat& rgb,
                                     const reshape::ReshapeRequest& request,
                                     person::LandmarkModel model, StageSink* stages) {
  StageTimer person_timer(stages, Stage::kPerson);
  Result<person::PoseResult> pose = estimator.estimate(rgb, model, person::MaskOutput::kRoiOnly);
  person_timer.stop();
  if (!pose) return pose.error();
  if (pose->persons.empty()) {
    return make_error(ErrorCode::kNoPerson, "no person's body was found in the image");
  }
  const person::Person& largest = pose->persons.front();
  const reshape::BodyLandmarks body = reshape::body_landmarks(largest, rgb.size());
  // The others' face, hands and feet stay as they are (a head leaning on the shoulder).
  std::vector<reshape::BodyLandmarks> others;
  for (size_t k = 1; k < pose->persons.size(); ++k) {
    others.push_back(reshape::body_landmarks(pose->persons[k], rgb.size()));
  }
  StageTimer reshape_timer(stages, Stage::kReshape);
  const cv::Mat mask = largest.roi_mask.to_image(person::MaskFormat::kProbabilityU8);
  Result<reshape::WarpField> field =
      reshape::plan_reshape(body, mask, rgb.size(), request, others);
  if (!field) return field.error();
  // The person is found, but none of the body the reshape changes is in the picture (a face or
  // head-and-shoulders close-up: the face and the joints stay as they are). Sending the photo
  // back unchanged as a "result" would show the user a before as their after. A tiny intensity
  // may move nothing by itself; the default one tells whether there is a body to change.
  if (request.intensity > 0.f && field->identity()) {
    // At the default intensity or above, the field just planned already is the answer.
    bool nothing_to_change = true;
    if (request.intensity < 1.f) {
      reshape::ReshapeRequest at_default = request;
      at_default.intensity = 1.f;
      Result<reshape::WarpField> probe =
          reshape::plan_reshape(body, mask, rgb.size(), at_default, others);
      nothing_to_change = probe && probe->identity();
    }
    if (nothing_to_change) {
      // With several people, say whose body it is about: the largest is the one reshaped.
      const std::string who = pose->persons.size() > 1
                                  ? "the largest person (the one reshaped) shows"
                                  : "the photo shows";
      return make_error(ErrorCode::kNoPerson,
                        "no body to reshape is visible: " + who +
                            " the head and shoulders only, or the photo's edges cut off the "
                            "body's sides; send a photo that shows the torso and its outline");
    }
  }
  return reshape::render_reshape(rgb, *field);
}

Reply FutureShapeEndpoint::handle(std::string_view body) const {
  Result<FutureShapeRequest> request = parse_future_shape_request(body);
  if (!request) return future_shape_error(request.error());

  if (Status auth = deps_.accounts->authenticate(request->email, request->user_key,
                                                 request->api_key);
      !auth) {
    return future_shape_error(auth.error());
  }

  StageTimer decode_timer(deps_.stages, Stage::kDecode);
  Result<std::vector<uint8_t>> bytes = image::base64_decode(request->base64_image);
  if (!bytes) return future_shape_error(bytes.error());
  Result<cv::Mat> rgb = image::decode_image(*bytes, deps_.decode);
  if (!rgb) return future_shape_error(rgb.error());
  decode_timer.stop();

  if (!deps_.estimators) {
    return future_shape_error(make_error(ErrorCode::kUnavailable, "model not available"));
  }
  StageTimer queue_timer(deps_.stages, Stage::kQueue);
  Result<WorkerPool<person::PoseEstimator>::Lease> worker =
      deps_.estimators->acquire(deps_.queue_timeout);
  queue_timer.stop();
  if (!worker) return future_shape_error(worker.error());
  Result<cv::Mat> predicted =
      predict_future_shape(**worker, *rgb, request->reshape, deps_.landmark_model, deps_.stages);
  if (!predicted) return future_shape_error(predicted.error());

  StageTimer encode_timer(deps_.stages, Stage::kEncode);
  const std::vector<uint8_t> encoded = image::encode_image(*predicted, request->output_format);
  return Reply{200, future_shape_success_body(image::base64_encode(encoded)), ""};
}

}  // namespace bodyshape::api
