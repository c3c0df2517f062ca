#pragma once

// One line per event on stderr: time, level, component, message. Messages
// must never contain tokens (use kb::account::mask_secret for identifiers).

#include <sstream>
#include <string>
#include <string_view>

namespace kb::log {

enum class level : int { debug = 0, info = 1, warn = 2, error = 3 };

/// Parses "debug" | "info" | "warn" | "error" (anything else → info).
level parse_level(std::string_view name);
void set_level(level lvl);
bool enabled(level lvl);
void write(level lvl, std::string_view component, std::string_view message);

} // namespace kb::log

#define KB_LOG(lvl, component, expr)                                           \
  do {                                                                         \
    if (::kb::log::enabled(lvl)) {                                             \
      std::ostringstream kb_log_os_;                                           \
      kb_log_os_ << expr;                                                      \
      ::kb::log::write(lvl, component, kb_log_os_.str());                      \
    }                                                                          \
  } while (false)

#define KB_DEBUG(component, expr) KB_LOG(::kb::log::level::debug, component, expr)
#define KB_INFO(component, expr) KB_LOG(::kb::log::level::info, component, expr)
#define KB_WARN(component, expr) KB_LOG(::kb::log::level::warn, component, expr)
#define KB_ERROR(component, expr) KB_LOG(::kb::log::level::error, component, expr)
