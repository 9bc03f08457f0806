// SQL behind a store's back on a test database, on a connection of its own (as another process
// would run it): `location` is a SQLite file path or a PostgreSQL URL (postgresql://...).
// Failures throw std::runtime_error, so a test cannot mistake a broken query for a result.
#pragma once

#include <cstdint>
#include <string>

namespace bodyshape::testing {

// One or more statements separated by ';'.
void run_sql_on(const std::string& location, const std::string& sql);
// The first column of the first row, as an integer.
int64_t query_int_on(const std::string& location, const std::string& sql);

}  // namespace bodyshape::testing
