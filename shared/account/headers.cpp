#include <cctype>

#include "shared/account/account.hpp"
#include "shared/common/sha256.hpp"

namespace kb::account {

namespace {

constexpr std::string_view streaming_sdk_version = "1.0.34";

} // namespace

// §1.3 lists `Connection: close`, which kiro.rs sends because it opens a
// connection per request. Workers keep one connection alive per account,
// so it is deliberately absent. Content-Type is absent too: the HTTP client
// sets it together with the body, and a second copy would be sent twice.
header_list chat_headers(const credentials& c, std::string_view machine_id,
                         std::string_view kiro_version,
                         std::string_view invocation_id) {
  // Built by appending: chains of operator+ made a temporary per step, and
  // this runs for every call.
  auto joined = [](std::initializer_list<std::string_view> parts) {
    size_t n = 0;
    for (auto p : parts)
      n += p.size();
    std::string out;
    out.reserve(n);
    for (auto p : parts)
      out.append(p);
    return out;
  };
  std::string_view sdk = streaming_sdk_version;
  return {
    {"Authorization", joined({"Bearer ", c.access_token})},
    {"x-amzn-codewhisperer-optout", "true"},
    {"x-amzn-kiro-agent-mode", "vibe"},
    {"x-amz-user-agent",
     joined({"aws-sdk-js/", sdk, " KiroIDE-", kiro_version, "-", machine_id})},
    {"user-agent", joined({"aws-sdk-js/", sdk,
                           " ua/2.1 os/linux#6.1 lang/js md/nodejs#22.22.0 "
                           "api/codewhispererstreaming#",
                           sdk, " m/E KiroIDE-", kiro_version, "-", machine_id})},
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

std::string mask_secret(std::string_view secret) {
  constexpr size_t min_length_to_show = 12;
  if (secret.size() < min_length_to_show)
    return "****";
  return "****" + std::string{secret.substr(secret.size() - 4)};
}

} // namespace kb::account
