#include "shared/config/server_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <utility>

#include "shared/common/url.hpp"
#include "shared/config/file_io.hpp"
#include "shared/config/json_fields.hpp"

namespace kb::config {

namespace {

using json = nlohmann::json;
using reader = detail::field_reader<json>;

constexpr std::int64_t max_port = 65535;
constexpr std::int64_t one_day_ms = 86400000;
constexpr std::int64_t max_count = 1000000;
// A Kiro body holds at least the tool list and the current message; more
// than 1 GiB is no real limit.
constexpr std::int64_t min_request_bytes = 16384;
constexpr std::int64_t max_request_bytes = std::int64_t{1} << 30;

constexpr std::array<std::pair<std::string_view, selection_strategy>, 5>
  strategy_names{{
    {"auto", selection_strategy::automatic},
    {"random", selection_strategy::random},
    {"first", selection_strategy::first},
    {"round-robin", selection_strategy::round_robin},
    {"least-inflight", selection_strategy::least_inflight},
  }};

constexpr std::array<std::string_view, 4> log_levels{"debug", "info", "warn",
                                                     "error"};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Runs `read(child_reader)` on the object at `key`, if there is one.
template <class F>
void with_section(reader& parent, std::string_view key, F read) {
  const json* v = parent.find(key);
  if (!v || parent.failed()) return;
  if (!v->is_object()) {
    parent.fail_type(key, "an object", *v);
    return;
  }
  reader child(parent.file(), parent.key_path(key), *v);
  read(child);
  if (child.error()) parent.fail(*child.error());
}

void read_strategy(reader& r, std::string_view key, selection_strategy& out) {
  std::string text;
  if (!r.read(key, text)) return;
  if (auto s = parse_selection_strategy(text)) {
    out = *s;
    return;
  }
  r.fail_key(key, "expected one of auto, random, first, round-robin, "
                  "least-inflight, got \"" + text + "\"");
}

void read_log_level(reader& r, std::string_view key, std::string& out) {
  std::string text;
  if (!r.read(key, text)) return;
  text = lowercase(text);
  if (std::find(log_levels.begin(), log_levels.end(), text) == log_levels.end()) {
    r.fail_key(key, "expected one of debug, info, warn, error");
    return;
  }
  out = text;
}

void read_non_empty(reader& r, std::string_view key, std::string& out) {
  std::string text;
  if (!r.read(key, text)) return;
  if (text.empty()) {
    r.fail_key(key, "must not be empty");
    return;
  }
  out = std::move(text);
}

void read_url(reader& r, std::string_view key, std::string& out) {
  std::string text;
  if (!r.read(key, text)) return;
  if (!parse_url(text)) {
    r.fail_key(key, "expected an http:// or https:// URL with a host (no query or fragment)");
    return;
  }
  out = std::move(text);
}

void read_log_rotation(reader& r, log_rotation_settings& out) {
  r.read_int("maxSize", out.max_size_bytes, 1,
             std::numeric_limits<std::int64_t>::max());
  r.read_int("maxFiles", out.max_files, 0, max_count);
}

void read_connection_pool(reader& r, connection_pool_settings& out) {
  r.read_int("maxSockets", out.max_sockets, 1, max_count);
  r.read_int("maxFreeSockets", out.max_free_sockets, 0, max_count);
  r.read_int("socketTimeout", out.socket_timeout_ms, 1, one_day_ms);
  r.read_int("requestTimeout", out.request_timeout_ms, 1, one_day_ms);
  r.read_int("streamTimeout", out.stream_timeout_ms, 1, one_day_ms);
}

/// The released code's layout: server{}, account{}, token{}, logging{}.
void read_nested_shape(reader& r, server_config& cfg) {
  with_section(r, "server", [&](reader& s) {
    read_non_empty(s, "host", cfg.host);
    s.read_int("port", cfg.port, 1, max_port);
  });
  with_section(r, "account", [&](reader& s) {
    read_strategy(s, "strategy", cfg.strategy);
    s.read("autoSwitchOnError", cfg.auto_switch_on_error);
    s.read("multiAccountEnabled", cfg.multi_account_enabled);
  });
  with_section(r, "token", [&](reader& s) {
    s.read_int("refreshRetryMax", cfg.token_refresh.retry_attempts, 0, 100);
    s.read_int("refreshRetryIntervalMs", cfg.token_refresh.retry_interval_ms, 0,
               one_day_ms);
    std::int64_t minutes = 0;
    if (s.read_int("refreshBufferMinutes", minutes, 0, 1440))
      cfg.token_refresh.buffer_seconds = minutes * 60;
  });
  with_section(r, "logging", [&](reader& s) {
    read_log_level(s, "level", cfg.log_level);
    with_section(s, "rotation",
                 [&](reader& rot) { read_log_rotation(rot, cfg.log_rotation); });
  });
}

void read_api_keys(reader& r, std::vector<std::string>& out) {
  const json* v = r.find("apiKeys");
  if (!v) return;
  if (!v->is_array()) {
    r.fail_type("apiKeys", "an array of strings", *v);
    return;
  }
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& key = (*v)[i];
    std::string path = detail::index_key("apiKeys", i);
    if (!key.is_string()) {
      r.fail(detail::type_error(r.file(), path, "a string", key));
      return;
    }
    if (key.get_ref<const std::string&>().empty()) {
      r.fail(detail::make_error(r.file(), path, "must not be empty"));
      return;
    }
    keys.push_back(key.get<std::string>());
  }
  out = std::move(keys);
}

/// `adminHosts`: host names (a port or path is not part of a name).
void read_admin_hosts(reader& r, std::vector<std::string>& out) {
  const json* v = r.find("adminHosts");
  if (!v) return;
  if (!v->is_array()) {
    r.fail_type("adminHosts", "an array of host names", *v);
    return;
  }
  std::vector<std::string> hosts;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& host = (*v)[i];
    std::string path = detail::index_key("adminHosts", i);
    if (!host.is_string()) {
      r.fail(detail::type_error(r.file(), path, "a string", host));
      return;
    }
    const auto& name = host.get_ref<const std::string&>();
    if (name.empty() || name.find_first_of("/:@ \t") != std::string::npos) {
      r.fail(detail::make_error(r.file(), path,
                                "must be a host name such as bridge.internal (no scheme, "
                                "port or path)"));
      return;
    }
    hosts.push_back(name);
  }
  out = std::move(hosts);
}

bool is_region(std::string_view region) {
  return !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

void derive_kiro_urls(kiro_settings& k) {
  k.api_base_url = "https://q." + k.region + ".amazonaws.com";
  k.social_refresh_url =
    "https://prod." + k.region + ".auth.desktop.kiro.dev/refreshToken";
  k.idc_refresh_url = "https://oidc." + k.region + ".amazonaws.com/token";
}

void read_kiro(reader& r, kiro_settings& k) {
  std::string region;
  if (r.read("region", region)) {
    if (!is_region(region)) {
      r.fail_key("region", "expected an AWS region such as us-east-1");
      return;
    }
    k.region = std::move(region);
    derive_kiro_urls(k);
  }
  read_url(r, "apiBaseUrl", k.api_base_url);
  read_url(r, "socialRefreshUrl", k.social_refresh_url);
  read_url(r, "idcRefreshUrl", k.idc_refresh_url);
  k.usage_url = k.api_base_url;
  read_url(r, "usageUrl", k.usage_url);
  r.read("caFile", k.ca_file);
  read_non_empty(r, "kiroVersion", k.kiro_version);
  r.read_int("maxRequestBytes", k.max_request_bytes, min_request_bytes, max_request_bytes);
  r.read("chunkedWriteGuidance", k.chunked_write_guidance);
}

void read_cluster(reader& r, cluster_settings& c) {
  read_non_empty(r, "supervisorHost", c.supervisor_host);
  r.read_int("supervisorPort", c.supervisor_port, 1, max_port);
  int gateway_port = 0;
  if (r.read_int("gatewayPort", gateway_port, 1, max_port))
    c.gateway_port = gateway_port;
  read_non_empty(r, "bindHost", c.bind_host);
  // Above a CAF handshake (64 KiB), below BASP's 32-bit length field.
  r.read_int("maxMessageBytes", c.max_message_bytes, 65536, 0xffffffffLL);
  with_section(r, "tls", [&](reader& t) {
    t.read("caFile", c.tls.ca_file);
    t.read("certFile", c.tls.cert_file);
    t.read("keyFile", c.tls.key_file);
    bool any = !c.tls.ca_file.empty() || !c.tls.cert_file.empty() || !c.tls.key_file.empty();
    bool all = !c.tls.ca_file.empty() && !c.tls.cert_file.empty() && !c.tls.key_file.empty();
    if (any && !all && !t.failed())
      t.fail_key("caFile", "caFile, certFile and keyFile go together: set all three "
                           "for mutual TLS, or none");
  });
}

/// The README's flat layout (and our own additions), read after the nested
/// one so that flat keys win.
void read_flat_shape(reader& r, server_config& cfg) {
  read_non_empty(r, "host", cfg.host);
  r.read_int("port", cfg.port, 1, max_port);
  read_strategy(r, "strategy", cfg.strategy);
  r.read("autoSwitchOnError", cfg.auto_switch_on_error);
  r.read("multiAccountEnabled", cfg.multi_account_enabled);
  with_section(r, "connectionPool",
               [&](reader& s) { read_connection_pool(s, cfg.connection_pool); });
  with_section(r, "tokenRefresh", [&](reader& s) {
    s.read_int("bufferSeconds", cfg.token_refresh.buffer_seconds, 0, 86400);
    s.read_int("retryAttempts", cfg.token_refresh.retry_attempts, 0, 100);
    s.read_int("retryIntervalMs", cfg.token_refresh.retry_interval_ms, 0,
               one_day_ms);
  });
  read_log_level(r, "logLevel", cfg.log_level);
  r.read_int("workersPerAccount", cfg.workers_per_account, 1, 1024);
  r.read_int("queueTimeoutMs", cfg.queue_timeout_ms, 0, one_day_ms);
  read_api_keys(r, cfg.api_keys);
  r.read("adminToken", cfg.admin_token);
  read_admin_hosts(r, cfg.admin_hosts);
  read_non_empty(r, "logDir", cfg.log_dir);
  with_section(r, "logRotation",
               [&](reader& s) { read_log_rotation(s, cfg.log_rotation); });
  r.read("watchConfig", cfg.watch_config);
  with_section(r, "kiro", [&](reader& s) { read_kiro(s, cfg.kiro); });
  with_section(r, "cluster", [&](reader& s) { read_cluster(s, cfg.cluster); });
  with_section(r, "http", [&](reader& s) {
    s.read_int("headerTimeoutMs", cfg.http.header_timeout_ms, 100, 600000);
    s.read_int("maxConnections", cfg.http.max_connections, 1, 1000000);
    s.read_int("maxBodyBytesInFlight", cfg.http.max_body_bytes_in_flight, 1ll << 20,
               1ll << 40);
  });
}

} // namespace

std::string_view to_string(selection_strategy s) noexcept {
  for (const auto& [name, value] : strategy_names)
    if (value == s) return name;
  return "auto";
}

std::optional<selection_strategy> parse_selection_strategy(std::string_view s) {
  for (const auto& [name, value] : strategy_names)
    if (name == s) return value;
  return std::nullopt;
}

loaded<server_config> parse_server_config(std::string_view text,
                                          const std::string& file_name) {
  auto doc = detail::parse_document<json>(text, file_name);
  if (!doc) return doc.error();
  if (!doc->is_object())
    return detail::type_error(file_name, "", "an object", *doc);

  server_config cfg;
  reader r(file_name, "", *doc);
  read_nested_shape(r, cfg);
  read_flat_shape(r, cfg);
  if (r.error()) return *r.error();
  cfg.raw = std::move(*doc);
  return cfg;
}

loaded<server_config> load_server_config(const std::string& path) {
  auto text = read_optional_file(path);
  if (!text) return text.error();
  if (!text.value()) return server_config{};
  return parse_server_config(*text.value(), path);
}

std::string mask_secret(std::string_view secret) {
  if (secret.empty()) return "";
  if (secret.size() < 12) return "****";
  return "****" + std::string(secret.substr(secret.size() - 4));
}

nlohmann::json masked_view(const server_config& c) {
  json keys = json::array();
  for (const auto& key : c.api_keys) keys.push_back(mask_secret(key));
  return json{
    {"host", c.host},
    {"port", c.port},
    {"strategy", to_string(c.strategy)},
    {"autoSwitchOnError", c.auto_switch_on_error},
    {"multiAccountEnabled", c.multi_account_enabled},
    {"connectionPool",
     {{"maxSockets", c.connection_pool.max_sockets},
      {"maxFreeSockets", c.connection_pool.max_free_sockets},
      {"socketTimeout", c.connection_pool.socket_timeout_ms},
      {"requestTimeout", c.connection_pool.request_timeout_ms},
      {"streamTimeout", c.connection_pool.stream_timeout_ms}}},
    {"tokenRefresh",
     {{"bufferSeconds", c.token_refresh.buffer_seconds},
      {"retryAttempts", c.token_refresh.retry_attempts},
      {"retryIntervalMs", c.token_refresh.retry_interval_ms}}},
    {"logLevel", c.log_level},
    {"workersPerAccount", c.workers_per_account},
    {"queueTimeoutMs", c.queue_timeout_ms},
    {"apiKeys", std::move(keys)},
    {"adminToken", mask_secret(c.admin_token)},
    {"adminHosts", c.admin_hosts},
    {"logDir", c.log_dir},
    {"logRotation",
     {{"maxSize", c.log_rotation.max_size_bytes},
      {"maxFiles", c.log_rotation.max_files}}},
    {"watchConfig", c.watch_config},
    {"kiro",
     {{"region", c.kiro.region},
      {"apiBaseUrl", c.kiro.api_base_url},
      {"socialRefreshUrl", c.kiro.social_refresh_url},
      {"idcRefreshUrl", c.kiro.idc_refresh_url},
      {"usageUrl", c.kiro.usage_url},
      {"caFile", c.kiro.ca_file},
      {"kiroVersion", c.kiro.kiro_version},
      {"maxRequestBytes", c.kiro.max_request_bytes},
      {"chunkedWriteGuidance", c.kiro.chunked_write_guidance}}},
    {"cluster",
     {{"supervisorHost", c.cluster.supervisor_host},
      {"supervisorPort", c.cluster.supervisor_port},
      {"gatewayPort", c.cluster.gateway_port ? json(*c.cluster.gateway_port)
                                             : json(nullptr)},
      {"bindHost", c.cluster.bind_host},
      {"maxMessageBytes", c.cluster.max_message_bytes},
      {"tls",
       {{"caFile", c.cluster.tls.ca_file},
        {"certFile", c.cluster.tls.cert_file},
        {"keyFile", c.cluster.tls.key_file}}}}},
    {"http",
     {{"headerTimeoutMs", c.http.header_timeout_ms},
      {"maxConnections", c.http.max_connections},
      {"maxBodyBytesInFlight", c.http.max_body_bytes_in_flight}}},
  };
}

} // namespace kb::config
