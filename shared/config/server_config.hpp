#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/config/config_error.hpp"

namespace kb::config {

/// How the supervisor picks an account for a request.
enum class selection_strategy {
  automatic,      ///< "auto": the supervisor's default policy
  random,         ///< "random"
  first,          ///< "first": the first usable account in file order
  round_robin,    ///< "round-robin"
  least_inflight, ///< "least-inflight"
};

std::string_view to_string(selection_strategy s) noexcept;
std::optional<selection_strategy> parse_selection_strategy(std::string_view s);

struct connection_pool_settings {
  int max_sockets = 256;
  int max_free_sockets = 64;
  std::int64_t socket_timeout_ms = 120000;
  std::int64_t request_timeout_ms = 600000;
  /// `streamTimeout`: total time a streamed answer may run (requestTimeout
  /// bounds non-streamed ones; socketTimeout bounds a silent upstream).
  std::int64_t stream_timeout_ms = 1800000;
};

struct token_refresh_settings {
  /// Refresh this long before the access token expires.
  std::int64_t buffer_seconds = 300;
  int retry_attempts = 3;
  std::int64_t retry_interval_ms = 1000;
};

struct log_rotation_settings {
  std::int64_t max_size_bytes = 10485760;
  int max_files = 5;
};

/// Upstream endpoints; defaults are the real AWS ones for us-east-1.
struct kiro_settings {
  std::string region = "us-east-1";
  std::string api_base_url = "https://q.us-east-1.amazonaws.com";
  std::string social_refresh_url =
    "https://prod.us-east-1.auth.desktop.kiro.dev/refreshToken";
  std::string idc_refresh_url = "https://oidc.us-east-1.amazonaws.com/token";
  /// getUsageLimits host; defaults to api_base_url.
  std::string usage_url = "https://q.us-east-1.amazonaws.com";
  /// Extra CA bundle (PEM) trusted for upstream TLS; empty = system store.
  std::string ca_file;
  std::string kiro_version = "0.11.107";
  /// `maxRequestBytes`: the largest generateAssistantResponse body sent;
  /// longer conversations are shaped to fit. Default: today's Kiro limit
  /// (= kiro::default_max_body_bytes, 4,047,768 bytes).
  std::int64_t max_request_bytes = 4'047'768;
  /// `chunkedWriteGuidance`: tell the model, in the Write/Edit tool
  /// descriptions, to write large files in chunks (Kiro cuts tool arguments
  /// at ~9 KB).
  bool chunked_write_guidance = true;
};

/// Bounds of the HTTP server the bridge and gateway listen with.
struct http_settings {
  /// `headerTimeoutMs`: the whole header block must arrive within this.
  std::int64_t header_timeout_ms = 20000;
  /// `maxConnections`: open client connections; beyond them 503 and close.
  std::int64_t max_connections = 10000;
  /// `maxBodyBytesInFlight`: request bodies being read at once; a request
  /// beyond it gets 503 before its body is read.
  std::int64_t max_body_bytes_in_flight = 512ll << 20;
};

/// Where split daemons find each other.
struct cluster_settings {
  std::string supervisor_host = "127.0.0.1";
  int supervisor_port = 4100;
  std::optional<int> gateway_port;
  /// `bindHost`: the address the supervisor's inter-daemon port binds to
  /// (kiro-supervisor --bind overrides it); loopback unless configured.
  std::string bind_host = "127.0.0.1";
  /// `maxMessageBytes`: the largest BASP message a connected daemon may
  /// announce; a peer that has not shaken hands may announce at most 64 KiB.
  std::int64_t max_message_bytes = 64 * 1024 * 1024;
  /// `tls`: mutual TLS between the daemons (CAF's OpenSSL module). All
  /// three PEM files or none; every daemon shows a certificate the CA
  /// signed and accepts only peers that do.
  struct tls_settings {
    std::string ca_file;   ///< `caFile`
    std::string cert_file; ///< `certFile` (chain, PEM)
    std::string key_file;  ///< `keyFile` (PEM, unencrypted)
    bool enabled() const { return !ca_file.empty(); }
  } tls;
};

/// server-config.json. Both the README's flat shape and the released code's
/// nested shape (`server`, `account`, `token`, `logging`) are read; a flat
/// key wins over its nested twin.
struct server_config {
  // Loopback by default: beyond it the admin API needs adminToken (issue 17)
  // and the Claude API is open to the network unless apiKeys are set.
  std::string host = "127.0.0.1";
  int port = 3000;
  selection_strategy strategy = selection_strategy::automatic;
  bool auto_switch_on_error = true;
  /// Released shape's `account.multiAccountEnabled`.
  bool multi_account_enabled = true;
  connection_pool_settings connection_pool;
  token_refresh_settings token_refresh;
  std::string log_level = "info"; ///< debug | info | warn | error
  int workers_per_account = 8;
  std::int64_t queue_timeout_ms = 30000;
  /// Client keys accepted on /v1; empty = any key is accepted.
  std::vector<std::string> api_keys;
  /// Bearer token for the admin API; empty = admin API is open.
  std::string admin_token;
  /// `adminHosts`: extra Host names the admin API answers without an
  /// adminToken (localhost, 127.0.0.1, [::1] and the listen address always
  /// are); any other name is refused against DNS rebinding.
  std::vector<std::string> admin_hosts;
  std::string log_dir = "logs";
  log_rotation_settings log_rotation;
  bool watch_config = false;
  kiro_settings kiro;
  cluster_settings cluster;
  http_settings http;

  /// The document as parsed (unknown keys included). Holds secrets: serve
  /// masked_view() to operators, never this.
  nlohmann::json raw = nlohmann::json::object();
};

/// Parses and validates server-config.json text; `file_name` only labels
/// errors.
loaded<server_config> parse_server_config(std::string_view text,
                                          const std::string& file_name);

/// Reads `path`; a missing file gives the defaults (every key is optional).
loaded<server_config> load_server_config(const std::string& path);

/// The effective configuration in the flat shape, with `apiKeys` and
/// `adminToken` masked by mask_secret.
nlohmann::json masked_view(const server_config& config);

/// `"****abcd"`: the last four characters of secrets of 12 or more
/// characters, nothing of shorter ones; "" stays "" (not set).
std::string mask_secret(std::string_view secret);

} // namespace kb::config
