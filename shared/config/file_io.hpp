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

/// atomic_write_file for a file of secrets: the temporary file is created
/// 0600 and the result is 0600 whatever mode the old file had (a 0644
/// accounts file becomes 0600 on its next save).
std::optional<config_error>
atomic_write_secret_file(const std::string& path, std::string_view content);

/// Removes the `path.tmp.<pid>.<n>` files a killed writer left behind: those
/// older than 30 s, or older than 2 s whose pid names no live process here
/// (a write in progress takes milliseconds). Returns how many went.
int remove_stale_temp_files(const std::string& path);

} // namespace kb::config
