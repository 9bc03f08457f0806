#include "storage/sqlite_db.h"

namespace bodyshape::storage::sqlite {
namespace {

Error error_of(sqlite3* db, const std::string& context) {
  return make_error(ErrorCode::kUnavailable,
                    context + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Status Statement::bind_text(int index, std::string_view text) {
  if (sqlite3_bind_text(statement_.get(), index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    return error_of(sqlite3_db_handle(statement_.get()), "cannot bind a statement parameter");
  }
  return Ok{};
}

Status Statement::bind_double(int index, double value) {
  if (sqlite3_bind_double(statement_.get(), index, value) != SQLITE_OK) {
    return error_of(sqlite3_db_handle(statement_.get()), "cannot bind a statement parameter");
  }
  return Ok{};
}

Status Statement::bind_int(int index, int64_t value) {
  if (sqlite3_bind_int64(statement_.get(), index, value) != SQLITE_OK) {
    return error_of(sqlite3_db_handle(statement_.get()), "cannot bind a statement parameter");
  }
  return Ok{};
}

Result<bool> Statement::step(int* code) {
  const int result = sqlite3_step(statement_.get());
  if (code != nullptr) *code = result;
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  return error_of(sqlite3_db_handle(statement_.get()), "database query failed");
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), column)));
}

int64_t Statement::column_int(int column) const {
  return sqlite3_column_int64(statement_.get(), column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(statement_.get(), column);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

void Statement::reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

Result<Connection> Connection::open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the owner serialises access, so SQLite's own per-call mutex would be redundant.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int opened = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection connection(raw);  // closes `raw` on every path, even a failed open
  if (opened != SQLITE_OK) {
    return error_of(raw, "cannot open database " + path);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return connection;
}

Status Connection::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = make_error(ErrorCode::kUnavailable,
                             std::string("database statement failed: ") +
                                 (message != nullptr ? message : sqlite3_errmsg(db_.get())));
    sqlite3_free(message);
    return error;
  }
  return Ok{};
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
    sqlite3_finalize(statement);
    return error_of(db_.get(), "cannot prepare a database statement");
  }
  return Statement(statement);
}

int64_t Connection::changes() const {
  return sqlite3_changes64(db_.get());
}

Error Connection::error(const std::string& context) const {
  return error_of(db_.get(), context);
}

}  // namespace bodyshape::storage::sqlite
