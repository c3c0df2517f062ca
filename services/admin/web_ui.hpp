#pragma once

// The web admin UI (services/admin/web, built by Vite) served at `/`:
// hashed assets under /assets/ are cached for a year, index.html is never
// cached, and any other GET path outside /api, /v1, /metrics and /health
// answers index.html so the single-page app's routes survive a reload.

#include <optional>
#include <string>
#include <string_view>

namespace kb {
class http_server;
}

namespace kb::admin {

/// What a GET path under the UI's surface maps to.
struct web_target {
  enum class kind {
    file,      ///< `relative_path` is a file in the dist folder
    app_shell, ///< answer index.html (SPA fallback)
    not_found  ///< a missing asset or a path that tries to leave the folder
  };
  kind what = kind::not_found;
  std::string relative_path;
};

/// True for paths the UI must leave to other routes (API, Claude side, metrics).
bool is_reserved_path(std::string_view path);

/// Cache-Control for a file served from the dist folder ("assets/x-HASH.js").
std::string_view cache_control_for(std::string_view relative_path);

/// Content-Type from the file extension; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view relative_path);

/// Where a request path goes, given a predicate telling which relative
/// paths exist as regular files in the dist folder.
template <class FileExists>
web_target resolve_web_path(std::string_view path, FileExists&& file_exists);

/// The relative file path for `path`, or nullopt when it is not a safe path
/// (`..` or `.` segments, backslashes, NUL bytes, empty segments).
std::optional<std::string> safe_relative_path(std::string_view path);

/// The folder of the built UI: $KB_WEB_DIR when set and not empty, else
/// `built_default` (kiro-bridge passes its build tree's web folder).
std::string web_dist_dir(std::string_view built_default);

/// Serves `dist_dir` at `/` (see the header comment). Register after the API
/// routes. A missing dist folder serves a page that says how to build it.
void register_web_ui(http_server& server, const std::string& dist_dir);

// -- template definition --------------------------------------------------------

template <class FileExists>
web_target resolve_web_path(std::string_view path, FileExists&& file_exists) {
  if (is_reserved_path(path))
    return {};
  auto rel = safe_relative_path(path);
  if (!rel)
    return {};
  if (rel->empty() || *rel == "index.html")
    return {web_target::kind::app_shell, "index.html"};
  if (file_exists(*rel))
    return {web_target::kind::file, *rel};
  // A missing bundle must fail loudly, not come back as HTML.
  if (rel->rfind("assets/", 0) == 0)
    return {};
  auto last_slash = rel->rfind('/');
  auto last_segment = last_slash == std::string::npos ? *rel : rel->substr(last_slash + 1);
  if (content_type_for(last_segment) != "application/octet-stream")
    return {};
  return {web_target::kind::app_shell, "index.html"};
}

} // namespace kb::admin
