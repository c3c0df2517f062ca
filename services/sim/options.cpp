#include "services/sim/options.hpp"

#include <charconv>

namespace kb::sim {

namespace {

template <class Int>
bool parse_int(std::string_view text, Int& out, Int min, Int max) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
    return false;
  out = value;
  return true;
}

} // namespace

std::string_view usage_text() noexcept {
  return "usage: kiro-sim --host HOST --port N [--tls-port M --cert FILE --key FILE]\n"
         "                [--accounts FILE] [--threads N] [--max-input-tokens N]\n"
         "                [--max-body-bytes N] [--refresh-grace-seconds N]\n"
         "                [--rotate-refresh-tokens] [--seed N]\n";
}

result<sim_options> parse_options(std::span<const std::string_view> args) {
  sim_options o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      o.help = true;
      continue;
    }
    if (flag == "--rotate-refresh-tokens") {
      o.policy.rotate_refresh_token = true;
      continue;
    }
    if (i + 1 >= args.size())
      return invalid_request("option " + std::string(flag) + " needs a value");
    std::string_view value = args[++i];
    bool ok = true;
    if (flag == "--host")
      o.host = std::string(value);
    else if (flag == "--port")
      ok = parse_int(value, o.port, 0, 65535);
    else if (flag == "--tls-port")
      ok = parse_int(value, o.tls_port, 0, 65535);
    else if (flag == "--cert")
      o.cert_file = std::string(value);
    else if (flag == "--key")
      o.key_file = std::string(value);
    else if (flag == "--accounts")
      o.accounts_file = std::string(value);
    else if (flag == "--threads")
      ok = parse_int(value, o.threads, 1, 20'000);
    else if (flag == "--max-input-tokens")
      ok = parse_int<int64_t>(value, o.limits.max_input_tokens, 1, INT64_MAX);
    else if (flag == "--max-body-bytes")
      ok = parse_int<size_t>(value, o.limits.max_body_bytes, 1, SIZE_MAX);
    else if (flag == "--refresh-grace-seconds")
      ok = parse_int<int64_t>(value, o.policy.old_token_grace_seconds, 0, INT64_MAX);
    else if (flag == "--seed")
      ok = parse_int<uint64_t>(value, o.seed, 0, UINT64_MAX);
    else
      return invalid_request("unknown option " + std::string(flag));
    if (!ok)
      return invalid_request("bad value for " + std::string(flag) + ": " + std::string(value));
  }
  if (o.tls_port >= 0 && (o.cert_file.empty() || o.key_file.empty()))
    return invalid_request("--tls-port needs --cert and --key");
  return o;
}

} // namespace kb::sim
