#include "api/json_request.h"

#include <simdjson.h>

namespace bodyshape::api {

struct JsonRequest::Parsed {
  simdjson::dom::parser parser;  // owns the document's memory
  simdjson::dom::object object;
};

JsonRequest::JsonRequest(std::unique_ptr<Parsed> parsed) : parsed_(std::move(parsed)) {}
JsonRequest::~JsonRequest() = default;
JsonRequest::JsonRequest(JsonRequest&&) noexcept = default;
JsonRequest& JsonRequest::operator=(JsonRequest&&) noexcept = default;

Error field_error(std::string_view field, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument,
                    "field '" + std::string(field) + "' " + std::string(why));
}

Result<JsonRequest> JsonRequest::parse(std::string_view body) {
  auto parsed = std::make_unique<Parsed>();
  simdjson::dom::element root;
  if (auto error = parsed->parser.parse(body.data(), body.size(), true).get(root); error) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("request body is not valid JSON (") +
                          simdjson::error_message(error) + ")");
  }
  if (root.get(parsed->object) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kInvalidArgument, "request body must be a JSON object");
  }
  return JsonRequest(std::move(parsed));
}

Result<std::optional<std::string>> JsonRequest::optional_string(std::string_view field) const {
  simdjson::dom::element value;
  if (parsed_->object.at_key(field).get(value) != simdjson::SUCCESS || value.is_null()) {
    return std::optional<std::string>();
  }
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) return field_error(field, "must be a string");
  return std::optional<std::string>(std::string(text));
}

Result<std::string> JsonRequest::required_string(std::string_view field) const {
  Result<std::optional<std::string>> value = optional_string(field);
  if (!value) return value.error();
  if (!value->has_value()) return field_error(field, "is required");
  return std::move(**value);
}

Status JsonRequest::read_required_strings(
    std::initializer_list<std::pair<std::string_view, std::string*>> fields) const {
  for (const auto& [name, target] : fields) {
    Result<std::string> value = required_string(name);
    if (!value) return value.error();
    *target = std::move(value).value();
  }
  return Ok{};
}

Result<std::optional<double>> JsonRequest::optional_number(std::string_view field) const {
  simdjson::dom::element value;
  if (parsed_->object.at_key(field).get(value) != simdjson::SUCCESS || value.is_null()) {
    return std::optional<double>();
  }
  if (!value.is_number()) return field_error(field, "must be a number");
  double number = 0;
  if (value.is_double()) {
    number = value.get_double().value_unsafe();
  } else if (value.is_int64()) {
    number = static_cast<double>(value.get_int64().value_unsafe());
  } else {
    number = static_cast<double>(value.get_uint64().value_unsafe());
  }
  return std::optional<double>(number);
}

}  // namespace bodyshape::api
