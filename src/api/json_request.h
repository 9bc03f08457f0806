// Reading a request's JSON body: the one way both endpoints do it. simdjson, because a future-shape
// request carries megabytes of base64 (6 MB: ~1 ms here vs ~35 ms with a DOM like nlohmann's).
//
//   auto object = JsonRequest::parse(body);          // kInvalidArgument if not a JSON object
//   auto email = object->required_string("Email");   // "field 'Email' is required" / "... string"
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bodyshape::api {

class JsonRequest {
 public:
  static Result<JsonRequest> parse(std::string_view body);
  ~JsonRequest();
  JsonRequest(JsonRequest&&) noexcept;
  JsonRequest& operator=(JsonRequest&&) noexcept;

  // A string field that must be present and not null.
  Result<std::string> required_string(std::string_view field) const;
  // Several required string fields into their targets; the first missing or ill-typed one fails.
  Status read_required_strings(
      std::initializer_list<std::pair<std::string_view, std::string*>> fields) const;
  // Absent or null -> nullopt; present with another type -> kInvalidArgument.
  Result<std::optional<std::string>> optional_string(std::string_view field) const;
  Result<std::optional<double>> optional_number(std::string_view field) const;

 private:
  struct Parsed;
  explicit JsonRequest(std::unique_ptr<Parsed> parsed);
  std::unique_ptr<Parsed> parsed_;
};

Error field_error(std::string_view field, std::string_view why);

}  // namespace bodyshape::api
