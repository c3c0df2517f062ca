#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "shared/config/config_error.hpp"

namespace kb::config {

/// Largest config file read_file accepts.
inline constexpr std::size_t max_config_file_bytes = 16u * 1024 * 1024;

/// The whole file, or an error (missing, unreadable, larger than
/// max_config_file_bytes, not a regular file).
loaded<std::string> read_file(const std::string& path);

/// Like read_file, but a missing file is `std::nullopt` instead of an error.
loaded<std::optional<std::string>> read_optional_file(const std::string& path);

/// Permission bits for files that hold secrets (the accounts file).
inline constexpr unsigned secret_file_mode = 0600;
inline constexpr unsigned default_file_mode = 0644;

/// Replaces `path` with `content` so that readers see the old or the new
/// file, never a mix: writes `path.tmp.<pid>.<n>` in the same directory,
/// fsyncs it, renames it over `path` and fsyncs the directory. An existing
/// file keeps its permission bits; a new one gets `create_mode`. On failure
/// the temporary file is removed and `path` is untouched.
std::optional<config_error>
atomic_write_file(const std::string& path, std::string_view content,
                  unsigned create_mode = default_file_mode);

} // namespace kb::config
