// A thin RAII layer over the SQLite C API: a connection, prepared statements, and the mapping of
// SQLite failures to Error values (kUnavailable: the database cannot serve now). Not thread-safe:
// the owner serialises access.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bodyshape::storage::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}

  // Binds text to the 1-based parameter `index`; the text is copied.
  Status bind_text(int index, std::string_view text);
  Status bind_double(int index, double value);
  Status bind_int(int index, int64_t value);
  // true: a row is ready to read; false: the statement is done. `code` receives the raw SQLite
  // result code so callers can tell a constraint violation from other failures.
  Result<bool> step(int* code = nullptr);
  std::string column_text(int column) const;  // "" for NULL
  int64_t column_int(int column) const;
  double column_double(int column) const;
  bool column_is_null(int column) const;
  // Returns the statement to its initial state and releases its read snapshot; run after each use
  // (an unreset SELECT would keep a WAL read transaction open and block checkpoints).
  void reset();

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
};

// Resets a statement when the scope ends, whichever way it ends.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& statement_;
};

class Connection {
 public:
  // Opens (creating if missing) the database file and sets busy_timeout. Fails with kUnavailable
  // when the file cannot be opened or created (missing or unwritable directory, not a database).
  static Result<Connection> open(const std::string& path, int busy_timeout_ms);

  // Runs one or more statements that return no rows we need (pragmas, DDL, BEGIN/COMMIT).
  Status exec(const std::string& sql);
  // Prepared once and kept for the connection's life.
  Result<Statement> prepare(std::string_view sql);
  int64_t changes() const;

  // kUnavailable with "<context>: <SQLite's message>".
  Error error(const std::string& context) const;

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit Connection(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Close> db_;
};

}  // namespace bodyshape::storage::sqlite
