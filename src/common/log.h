// The one logger: one line per event to stderr, plain text or JSON lines. Never pass keys, image
// bytes or other personal data to it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bodyshape::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

void configure(Level min_level, Format format);

// Fields are name/value pairs, printed as name=value (text) or JSON members.
using Fields = std::vector<std::pair<std::string_view, std::string>>;
void write(Level level, std::string_view message, const Fields& fields = {});

inline void info(std::string_view message, const Fields& fields = {}) {
  write(Level::kInfo, message, fields);
}
inline void warn(std::string_view message, const Fields& fields = {}) {
  write(Level::kWarn, message, fields);
}
inline void error(std::string_view message, const Fields& fields = {}) {
  write(Level::kError, message, fields);
}

}  // namespace bodyshape::log
