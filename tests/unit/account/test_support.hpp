#pragma once

#include <string>
#include <string_view>

#include "shared/account/account.hpp"

namespace kb::account::test {

inline constexpr int64_t jan_1_2026_ms = 1'767'225'600'000; // 2026-01-01T00:00:00Z
inline constexpr std::string_view social_refresh_token =
  "aorAAAAAGk1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH";
inline constexpr std::string_view idc_refresh_token =
  "aorIDCAAAAG0987654321zyxwvutsrqponmlkjihgfedcbaZYXW";

inline credentials social_account() {
  credentials c;
  c.access_token = "aoaAAAAAGk-access-0123456789abcdefghij";
  c.refresh_token = std::string{social_refresh_token};
  c.profile_arn = "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";
  return c;
}

inline credentials idc_account() {
  credentials c;
  c.method = auth_method::idc;
  c.access_token = "idc-access";
  c.refresh_token = std::string{idc_refresh_token};
  c.client_id = "client-1";
  c.client_secret = "secret-1";
  c.region = "eu-west-1";
  c.profile_arn = "arn:aws:codewhisperer:us-east-1:1:profile/IGNORED";
  return c;
}

/// The value of the only header named `name`; "<missing>" or "<duplicate>".
inline std::string header(const header_list& hs, std::string_view name) {
  std::string found = "<missing>";
  int count = 0;
  for (auto& [k, v] : hs)
    if (k == name) {
      found = v;
      ++count;
    }
  return count > 1 ? "<duplicate>" : found;
}

inline bool mentions(std::string_view text, std::string_view secret) {
  return text.find(secret) != std::string_view::npos;
}

} // namespace kb::account::test
