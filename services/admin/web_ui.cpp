#include "services/admin/web_ui.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <httplib.h>

#include "services/common/log.hpp"
#include "services/http/http_server.hpp"

namespace kb::admin {

namespace {

bool has_prefix_segment(std::string_view path, std::string_view prefix) {
  if (path.rfind(prefix, 0) != 0)
    return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::string_view extension_of(std::string_view name) {
  auto slash = name.rfind('/');
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return {};
  return name.substr(dot + 1);
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

bool is_file(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

constexpr std::string_view not_built_page =
  "<!doctype html><html><head><meta charset=\"utf-8\"><title>kiro-bridge</title></head>"
  "<body style=\"font-family:sans-serif;margin:3rem\"><h1>kiro-bridge</h1>"
  "<p>The web admin UI is not built. Run <code>make run</code> or <code>make build</code> "
  "(needs node and npm), or start kiro-bridge with the environment variable "
  "<code>KB_WEB_DIR=DIR</code> naming a built UI (the folder holding index.html).</p>"
  "<p>The admin API is at <code>/api/</code>.</p></body></html>";

} // namespace

bool is_reserved_path(std::string_view path) {
  for (auto prefix : {"/api", "/v1", "/metrics", "/health"})
    if (has_prefix_segment(path, prefix))
      return true;
  return false;
}

std::optional<std::string> safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return std::nullopt;
  std::string rel{path.substr(1)};
  if (rel.find('\\') != std::string::npos || rel.find('\0') != std::string::npos)
    return std::nullopt;
  if (rel.empty())
    return rel;
  // A trailing slash names the same app route as without it.
  if (rel.back() == '/')
    rel.pop_back();
  std::string_view rest = rel;
  while (true) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..")
      return std::nullopt;
    if (slash == std::string_view::npos)
      break;
    rest.remove_prefix(slash + 1);
  }
  return rel;
}

std::string_view cache_control_for(std::string_view relative_path) {
  if (relative_path.rfind("assets/", 0) == 0)
    return "public, max-age=31536000, immutable";
  if (relative_path == "index.html")
    return "no-cache";
  return "public, max-age=3600";
}

std::string_view content_type_for(std::string_view relative_path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> types{{
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"ico", "image/x-icon"},
    {"jpg", "image/jpeg"},
    {"webp", "image/webp"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"txt", "text/plain; charset=utf-8"},
  }};
  auto ext = extension_of(relative_path);
  for (auto& [e, type] : types)
    if (e == ext)
      return type;
  return "application/octet-stream";
}

std::string web_dist_dir(std::string_view built_default) {
  const char* env = std::getenv("KB_WEB_DIR");
  if (env != nullptr && *env != '\0')
    return env;
  return std::string{built_default};
}

void register_web_ui(http_server& server, const std::string& dist_dir) {
  std::filesystem::path root{dist_dir};
  if (!is_file(root / "index.html"))
    KB_WARN("web", "no built web UI in " << dist_dir << ": / explains how to build it");
  // Every path the UI may own; reserved prefixes are refused inside, so
  // their own 404s keep the API's JSON shape.
  server.Get(R"(/.*)", [root](const httplib::Request& req, httplib::Response& res) {
    auto target = resolve_web_path(req.path, [&root](const std::string& rel) {
      return is_file(root / rel);
    });
    if (target.what == web_target::kind::not_found) {
      res.status = 404;
      return;
    }
    auto body = read_file(root / target.relative_path);
    if (!body) {
      if (target.what == web_target::kind::app_shell) {
        res.status = 503;
        res.set_header("Cache-Control", "no-cache");
        res.set_content(std::string{not_built_page}, "text/html; charset=utf-8");
      } else {
        res.status = 404;
      }
      return;
    }
    res.status = 200;
    res.set_header("Cache-Control", std::string{cache_control_for(target.relative_path)});
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(std::move(*body),
                    std::string{content_type_for(target.relative_path)});
  });
}

} // namespace kb::admin
