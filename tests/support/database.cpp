#include "support/database.h"

#include <sqlite3.h>

#include <memory>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <stdexcept>

namespace bodyshape::testing {
namespace {

bool is_postgres(const std::string& location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

struct CloseSqlite {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

std::unique_ptr<sqlite3, CloseSqlite> open_sqlite(const std::string& path) {
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open(path.c_str(), &raw);
  std::unique_ptr<sqlite3, CloseSqlite> db(raw);
  if (opened != SQLITE_OK) throw std::runtime_error("cannot open " + path);
  return db;
}

}  // namespace

void run_sql_on(const std::string& location, const std::string& sql) {
  if (is_postgres(location)) {
    pqxx::connection other(location);
    pqxx::nontransaction statement(other);
    statement.exec(sql);
    return;
  }
  auto db = open_sqlite(location);
  char* message = nullptr;
  if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error(sql + ": " + why);
  }
}

int64_t query_int_on(const std::string& location, const std::string& sql) {
  if (is_postgres(location)) {
    pqxx::connection other(location);
    pqxx::nontransaction statement(other);
    return statement.exec1(sql)[0].as<int64_t>();
  }
  auto db = open_sqlite(location);
  sqlite3_stmt* query = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &query, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(db.get()));
  }
  const bool has_row = sqlite3_step(query) == SQLITE_ROW;
  const int64_t value = has_row ? sqlite3_column_int64(query, 0) : 0;
  sqlite3_finalize(query);
  if (!has_row) throw std::runtime_error(sql + ": no row");
  return value;
}

}  // namespace bodyshape::testing
