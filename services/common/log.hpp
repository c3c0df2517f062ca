#pragma once

// One line per event: time, level, component, request id, account id,
// message. Always on stderr; once open_files() ran, also in the category
// files of logDir:
//   server-debug.log  every event at or above the level
//   server-error.log  WARN and ERROR
//   claude-code.log   client requests/responses (event(category::claude_code))
//   kiro-api.log      upstream calls (component "worker"/"maintainer", or
//                     event(category::kiro_api))
// Files rotate by size: name → name.1 → … → name.(maxFiles-1), dropped after.
// Messages must never contain tokens (use mask_secret for identifiers).

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::log {

enum class level : int { debug = 0, info = 1, warn = 2, error = 3 };

enum class category { server_debug, server_error, claude_code, kiro_api };

/// Parses "debug" | "info" | "warn" | "error" (anything else → info).
level parse_level(std::string_view name);
std::string_view level_name(level lvl);
void set_level(level lvl);
level current_level();
bool enabled(level lvl);
void write(level lvl, std::string_view component, std::string_view message);

/// A category event with its request and account (either may be empty).
/// Also goes to server-debug.log (and server-error.log for WARN/ERROR).
void event(category cat, level lvl, std::string_view request_id,
           std::string_view account_id, std::string_view message);

// -- files -------------------------------------------------------------------

struct file_settings {
  std::string dir = "logs";
  std::int64_t max_size_bytes = 10485760;
  int max_files = 5;
};

/// Creates `dir` and opens the four files for appending (created 0640,
/// forced to 0640, never through a symlink, regular files only); an error
/// message otherwise, and then the files open before keep being written
/// (stderr logging goes on either way). Replaces earlier settings.
std::optional<std::string> open_files(const file_settings& settings);
/// Creates `dir` if needed and checks that a file can be created in it;
/// the reason otherwise ("/proc/self is not a writable directory: …").
std::optional<std::string> check_writable_dir(const std::string& dir);
/// Stops writing files (the stderr line stays).
void close_files();
/// The directory open_files() was given; empty when files are off.
std::string files_dir();

/// The last `max_bytes` of a log file, read only when `path` itself is a
/// regular file (not a symlink, FIFO or device).
struct tail_read {
  enum class state { ok, missing, not_regular } result = state::missing;
  std::string text;
};
tail_read read_file_tail(const std::string& path, std::size_t max_bytes);

std::string_view file_name(category cat);
/// The category whose file is called exactly `name`.
std::optional<category> category_of_file(std::string_view name);

// -- pure helpers (tested) ---------------------------------------------------

/// `2025-01-02T03:04:05.006Z INFO  [gateway] req=req_x acct=a1 text`; an
/// empty request or account id is written as `-`. Line breaks in `message`
/// become spaces so that every event stays one line.
std::string format_line(std::int64_t epoch_ms, level lvl,
                        std::string_view component, std::string_view request_id,
                        std::string_view account_id, std::string_view message);

/// The renames that rotate `path` keeping `max_files` files in all (the
/// live one included), oldest first: {path.3→path.4, …, path→path.1}. With
/// max_files ≤ 1 there is nothing to keep: the list is empty (truncate).
std::vector<std::pair<std::string, std::string>>
rotation_renames(const std::string& path, int max_files);

/// Whether appending `incoming` bytes to a file of `current` bytes must
/// rotate first (a single oversized line in an empty file is still written).
bool needs_rotation(std::int64_t current, std::int64_t incoming,
                    std::int64_t max_size);

/// The last `n` lines of `text` (a final newline does not start a line).
std::string tail_lines(std::string_view text, std::size_t n);

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
