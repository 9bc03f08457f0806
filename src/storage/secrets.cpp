#include "storage/secrets.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace bodyshape::storage {

Result<std::string> random_hex(std::size_t byte_count) {
  std::vector<uint8_t> bytes(byte_count);
  std::size_t filled = 0;
  while (filled < byte_count) {
    // Flags 0: blocks only until the kernel pool is first seeded, then never.
    const ssize_t got = getrandom(bytes.data() + filled, byte_count - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kUnavailable,
                        std::string("getrandom failed: ") + std::strerror(errno));
    }
    filled += static_cast<std::size_t>(got);
  }
  std::string hex = to_hex(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return hex;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const uint8_t byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view salt, std::string_view message) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  std::string input;
  input.reserve(salt.size() + message.size());
  input.append(salt).append(message);
  // One-shot HMAC() is not deprecated in OpenSSL 3 (only HMAC_CTX is); it cannot fail for SHA-256
  // with in-memory arguments, so a null result would be a broken libcrypto.
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data(),
           &digest_size) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed: broken libcrypto");
  }
  OPENSSL_cleanse(input.data(), input.size());
  return to_hex(std::span<const uint8_t>(digest.data(), digest_size));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace bodyshape::storage
