// The few cryptographic primitives the account store needs: OS randomness, hex, HMAC-SHA256 and a
// constant-time comparison. Everything is hex-encoded (lowercase): one encoding for keys, salts,
// hashes and the pepper file, URL- and JSON-safe, and portable as TEXT across SQL databases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bodyshape::storage {

// `byte_count` bytes from getrandom(2) (the kernel CSPRNG), hex-encoded (2 * byte_count chars).
// kUnavailable only if the kernel refuses, which means a broken system.
Result<std::string> random_hex(std::size_t byte_count);

std::string to_hex(std::span<const uint8_t> bytes);

// hex(HMAC-SHA256(key, salt || message)): 64 lowercase hex chars.
std::string hmac_sha256_hex(std::string_view key, std::string_view salt, std::string_view message);

// CRYPTO_memcmp: the time taken does not depend on where a and b differ. Lengths are compared
// first (they are not secret: every stored hash has the same length).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace bodyshape::storage
