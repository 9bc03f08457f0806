// The pepper: a server-side secret mixed into every key hash, kept outside the database so that a
// stolen database alone cannot be used to test guessed keys.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.h"

namespace bodyshape::storage {

// A pepper shorter than this is refused (32 hex chars = 128 bits).
inline constexpr std::size_t kMinPepperChars = 32;

// Reads the pepper from `path` (surrounding whitespace trimmed). If the file does not exist,
// creates it (mode 0600) holding 32 random bytes as 64 hex chars, atomically: two processes that
// start at once end up with the same pepper. The returned text itself is the HMAC key, so a
// replica may be given the file's content as its `auth_pepper` setting and hash identically.
// Errors: kUnavailable (cannot read or create), kInvalidArgument (file holds a too-short pepper).
Result<std::string> load_or_create_pepper(const std::string& path);

}  // namespace bodyshape::storage
