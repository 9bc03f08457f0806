#include "storage/account_store.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/account_schema.h"
#include "storage/account_store_backend.h"
#include "storage/secrets.h"

namespace bodyshape::storage {
namespace {

constexpr std::size_t kKeyBytes = 32;  // 256 bits, over the 128 required
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kMaxEmailChars = 254;
constexpr const char* kAuthenticationFailed = "authentication failed";

// Hashed in place of a missing account's, so an unknown e-mail costs the same two HMACs and two
// comparisons as a known one and response time does not reveal which e-mails exist.
constexpr std::string_view kDummySalt = "00000000000000000000000000000000";
constexpr std::string_view kDummyHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

}  // namespace

Result<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && is_space(email.front())) email.remove_prefix(1);
  while (!email.empty() && is_space(email.back())) email.remove_suffix(1);
  std::string normalized;
  normalized.reserve(email.size());
  for (const char c : email) {
    normalized.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  const std::size_t at = normalized.find('@');
  const bool one_at = at != std::string::npos && normalized.find('@', at + 1) == std::string::npos;
  bool printable = true;
  for (const char c : normalized) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) printable = false;
  }
  if (normalized.empty() || normalized.size() > kMaxEmailChars || !one_at || at == 0 ||
      at + 1 == normalized.size() || !printable) {
    return make_error(ErrorCode::kInvalidArgument,
                      "malformed e-mail address (want name@domain, no spaces, at most 254 chars)");
  }
  return normalized;
}

namespace {

// The counters of the account database, whichever backend keeps the rows: keys are cut to
// kMaxCounterKeyBytes, and every kTakesBetweenBucketCleanups-th take deletes the buckets that
// are full again (best effort: a failed cleanup only leaves rows that equal no row).
class BackendCounters : public CounterStore {
 public:
  explicit BackendCounters(AccountBackend& backend) : backend_(backend) {}

  Result<TokenTake> take_token(std::string_view key, const TokenBucketLimit& limit,
                               double now_unix_s) override {
    Result<TokenTake> take = backend_.take_token(cut(key), limit, now_unix_s);
    if (take && ++takes_ % kTakesBetweenBucketCleanups == 0) {
      (void)backend_.delete_full_buckets(now_unix_s);
    }
    return take;
  }
  Status add_requests(std::string_view email, std::string_view utc_day,
                      int64_t requests) override {
    return backend_.add_requests(cut(email), utc_day, requests);
  }
  Result<std::vector<DailyUsage>> usage() override { return backend_.usage(); }

 private:
  static std::string cut(std::string_view key) {
    return std::string(key.substr(0, kMaxCounterKeyBytes));
  }

  AccountBackend& backend_;
  std::atomic<uint64_t> takes_{0};  // successful takes
};

}  // namespace

struct AccountStore::Impl {
  Impl(std::string pepper_in, std::unique_ptr<AccountBackend> backend_in)
      : pepper(std::move(pepper_in)), backend(std::move(backend_in)), counters(*backend) {}
  std::string pepper;
  std::unique_ptr<AccountBackend> backend;  // thread-safe itself
  BackendCounters counters;
};

AccountStore::AccountStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AccountStore::~AccountStore() = default;

Result<std::unique_ptr<AccountStore>> AccountStore::open_with(
    std::string pepper,
    const std::function<Result<std::unique_ptr<AccountBackend>>()>& open_backend) {
  if (pepper.size() < kMinPepperChars) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "the pepper must be at least " + std::to_string(kMinPepperChars) + " characters");
  }
  Result<std::unique_ptr<AccountBackend>> backend = open_backend();
  if (!backend) return backend.error();
  return std::unique_ptr<AccountStore>(new AccountStore(
      std::make_unique<Impl>(std::move(pepper), std::move(backend).value())));
}

Result<std::unique_ptr<AccountStore>> AccountStore::open_sqlite(const std::string& db_path,
                                                                std::string pepper,
                                                                SqliteOptions options) {
  return open_with(std::move(pepper), [&] { return open_sqlite_backend(db_path, options); });
}

Result<std::unique_ptr<AccountStore>> AccountStore::open_postgres(const std::string& url,
                                                                  std::string pepper,
                                                                  PostgresOptions options) {
  return open_with(std::move(pepper), [&] { return open_postgres_backend(url, options); });
}

Result<IssuedKeys> AccountStore::create(std::string_view email) {
  Result<std::string> normalized = normalize_email(email);
  if (!normalized) return normalized.error();
  Result<std::string> user_key = random_hex(kKeyBytes);
  if (!user_key) return user_key.error();
  Result<std::string> api_key = random_hex(kKeyBytes);
  if (!api_key) return api_key.error();
  Result<std::string> salt = random_hex(kSaltBytes);
  if (!salt) return salt.error();
  AccountRow row{.email = *normalized,
                 .salt = *salt,
                 .user_key_hash = hmac_sha256_hex(impl_->pepper, *salt, *user_key),
                 .api_key_hash = hmac_sha256_hex(impl_->pepper, *salt, *api_key),
                 .created_at = now_iso8601_utc()};
  Result<bool> inserted = impl_->backend->insert(row);
  if (!inserted) return inserted.error();
  if (!*inserted) {
    return make_error(ErrorCode::kInvalidArgument,
                      "an active account already exists for " + *normalized);
  }
  return IssuedKeys{std::move(*normalized), std::move(*user_key), std::move(*api_key)};
}

Result<std::vector<AccountSummary>> AccountStore::list() {
  return impl_->backend->list();
}

Status AccountStore::revoke(std::string_view email) {
  Result<std::string> normalized = normalize_email(email);
  if (!normalized) return normalized.error();
  Result<bool> revoked = impl_->backend->revoke(*normalized, now_iso8601_utc());
  if (!revoked) return revoked.error();
  if (!*revoked) return make_error(ErrorCode::kNotFound, "no active account for " + *normalized);
  return Ok{};
}

Status AccountStore::authenticate(std::string_view email, std::string_view user_key,
                                  std::string_view api_key) {
  StoredKeys stored{std::string(kDummySalt), std::string(kDummyHash), std::string(kDummyHash)};
  bool found = false;
  if (Result<std::string> normalized = normalize_email(email)) {
    Result<std::optional<StoredKeys>> row = impl_->backend->find_active(*normalized);
    if (!row) return row.error();
    if (row->has_value()) {
      found = true;
      stored = std::move(**row);
    }
  }
  // Both keys are always hashed and compared, so the time does not tell which one was wrong.
  const bool user_key_matches = constant_time_equal(
      hmac_sha256_hex(impl_->pepper, stored.salt, user_key), stored.user_key_hash);
  const bool api_key_matches = constant_time_equal(
      hmac_sha256_hex(impl_->pepper, stored.salt, api_key), stored.api_key_hash);
  if (found && user_key_matches && api_key_matches) return Ok{};
  return make_error(ErrorCode::kUnauthenticated, kAuthenticationFailed);
}

Status AccountStore::ping() {
  return impl_->backend->ping();
}

CounterStore& AccountStore::counters() {
  return impl_->counters;
}

}  // namespace bodyshape::storage
