#pragma once

// Upstream base URLs read into their parts (Kiro API, refresh and usage
// endpoints are settings, so a region or a test simulator is a config edit).

#include <optional>
#include <string>
#include <string_view>

namespace kb {

struct url_parts {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path_prefix; ///< "" or "/base" (no trailing slash)
};

/// "https://q.us-east-1.amazonaws.com" → {true, host, 443, ""};
/// "http://127.0.0.1:8080/base/" → {false, "127.0.0.1", 8080, "/base"}.
/// Other schemes, an empty host, a bad port, credentials, a query or
/// fragment, whitespace or control characters → nullopt. Config validation
/// uses it too: a URL setting is accepted only if the client can call it.
std::optional<url_parts> parse_url(std::string_view url);

} // namespace kb
