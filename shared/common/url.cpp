#include "shared/common/url.hpp"

#include <cctype>
#include <charconv>

#include "shared/common/ascii.hpp"

namespace kb {

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return equals_ci(s.substr(0, prefix.size()), prefix);
}

} // namespace

std::optional<url_parts> parse_url(std::string_view url) {
  url_parts parts;
  if (starts_with_ci(url, "https://")) {
    parts.tls = true;
    url.remove_prefix(8);
  } else if (starts_with_ci(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (url.find_first_of("?#") != std::string_view::npos)
    return std::nullopt;
  for (char ch : url) // a request line or Host field must not break
    if (std::isspace(static_cast<unsigned char>(ch)) || std::iscntrl(static_cast<unsigned char>(ch)))
      return std::nullopt;
  auto slash = url.find('/');
  auto authority = url.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return std::nullopt; // credentials in URLs would end up in logs
  std::string_view host = authority;
  parts.port = parts.tls ? 443 : 80;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return std::nullopt;
    authority = rest;
  } else {
    host = authority.substr(0, authority.find(':'));
    authority.remove_prefix(host.size());
  }
  if (!authority.empty()) { // ":port"
    auto digits = authority.substr(1);
    int port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        port < 1 || port > 65535)
      return std::nullopt;
    parts.port = port;
  }
  if (host.empty())
    return std::nullopt;
  parts.host = std::string{host};
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  parts.path_prefix = std::string{path};
  return parts;
}

} // namespace kb
