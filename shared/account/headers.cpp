#include <cctype>
#include <charconv>

#include "shared/account/account.hpp"
#include "shared/common/sha256.hpp"

namespace kb::account {

namespace {

constexpr std::string_view streaming_sdk_version = "1.0.34";

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i])
      return false;
  return true;
}

} // namespace

// §1.3 lists `Connection: close`, which kiro.rs sends because it opens a
// connection per request. Workers keep one connection alive per account,
// so it is deliberately absent. Content-Type is absent too: the HTTP client
// sets it together with the body, and a second copy would be sent twice.
header_list chat_headers(const credentials& c, std::string_view machine_id,
                         std::string_view kiro_version,
                         std::string_view invocation_id) {
  std::string ide = "KiroIDE-" + std::string{kiro_version} + "-" + std::string{machine_id};
  std::string sdk{streaming_sdk_version};
  return {
    {"Authorization", "Bearer " + c.access_token},
    {"x-amzn-codewhisperer-optout", "true"},
    {"x-amzn-kiro-agent-mode", "vibe"},
    {"x-amz-user-agent", "aws-sdk-js/" + sdk + " " + ide},
    {"user-agent", "aws-sdk-js/" + sdk + " ua/2.1 os/linux#6.1 lang/js md/nodejs#22.22.0 " +
                     "api/codewhispererstreaming#" + sdk + " m/E " + ide},
    {"amz-sdk-invocation-id", std::string{invocation_id}},
    {"amz-sdk-request", "attempt=1; max=3"},
  };
}

std::string machine_id(std::string_view account_id) {
  std::string input = "kiro-bridge/";
  input += account_id;
  auto digest = sha256(input);
  return hex_lower(digest.data(), digest.size());
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

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
  for (char ch : host)
    if (std::isspace(static_cast<unsigned char>(ch)) || std::iscntrl(static_cast<unsigned char>(ch)))
      return std::nullopt;
  parts.host = std::string{host};
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  parts.path_prefix = std::string{path};
  return parts;
}

std::string mask_secret(std::string_view secret) {
  constexpr size_t min_length_to_show = 12;
  if (secret.size() < min_length_to_show)
    return "****";
  return "****" + std::string{secret.substr(secret.size() - 4)};
}

} // namespace kb::account
