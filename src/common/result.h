// Result<T>: a value or an Error. Errors a client can cause travel as values; the api/ layer maps
// each ErrorCode to the contract's HTTP status and message in one place (../shared/STYLE.md).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace bodyshape {

enum class ErrorCode {
  kInvalidArgument,   // a request field is missing, ill-typed or out of range
  kUnauthenticated,   // unknown account or wrong key
  kBadImage,          // bytes that are not a decodable image, or too many pixels
  kNoPerson,          // the image decodes but no body is found
  kNotFound,          // a stored object or account does not exist
  kUnavailable,       // a model, the database or the object store cannot serve now
  kDeadlineExceeded,  // the work took longer than allowed
  kResourceExhausted, // a size or rate limit was reached
  kInternal,          // a bug or a broken install
};

struct Error {
  ErrorCode code;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace bodyshape
