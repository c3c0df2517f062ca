#pragma once

// Who may use the admin API: with an adminToken set, a request needs
// `Authorization: Bearer <adminToken>`; without one, loopback clients only,
// and only while the bridge itself listens on loopback and the request did
// not come through a proxy (X-Forwarded-For / Forwarded / X-Real-IP): a
// same-host reverse proxy makes every client look like 127.0.0.1.
//
// Browsers add two attacks the token and loopback rules do not see: a web
// page the operator opens can send a form POST (CSRF), and a name the
// attacker controls can resolve to 127.0.0.1 (DNS rebinding). So a
// state-changing request (POST/PUT/PATCH/DELETE) with an `Origin` must come
// from the bridge's own origin, a body must be `application/json` (forms
// cannot send it without a CORS preflight, which the bridge never grants),
// and without a token the `Host` must name this bridge.

#include <string>
#include <string_view>
#include <vector>

namespace kb::admin {

enum class access { allowed, unauthorized, forbidden };

/// 127.0.0.0/8, ::1 and IPv4-mapped 127.x addresses.
bool is_loopback(std::string_view addr);

/// Whether a listen address only accepts loopback clients: a loopback
/// address or `localhost`; "0.0.0.0", "::" and any other address do not.
bool is_loopback_listen(std::string_view host);

access check_access(std::string_view admin_token, std::string_view authorization,
                    std::string_view remote_addr);

/// The parts of a request the admin rules look at (header values are empty
/// when the header is absent).
struct admin_request {
  std::string_view method;
  std::string_view authorization;
  std::string_view remote_addr;
  std::string_view host; ///< the Host header
  bool has_origin = false;
  std::string_view origin;
  std::string_view content_type;
  bool has_body = false;
  /// X-Forwarded-For, Forwarded or X-Real-IP present.
  bool forwarded = false;
};

/// What the admin rules are judged against.
struct admin_policy {
  std::string_view admin_token;
  /// The address the HTTP server listens on (as started).
  std::string_view listen_host;
  /// Extra Host names accepted without a token (`adminHosts`); localhost,
  /// 127.0.0.1, [::1] and a specific listen address always are.
  const std::vector<std::string>* extra_hosts = nullptr;
};

/// The refusal, or status 0 when the request may go on. Status 401, 403 or
/// 415; `message` says what to change.
struct admin_verdict {
  int status = 0;
  std::string message;
  bool allowed() const { return status == 0; }
};

admin_verdict judge_admin_request(const admin_request& req, const admin_policy& policy);

/// POST, PUT, PATCH, DELETE (and anything not GET/HEAD/OPTIONS).
bool is_state_changing(std::string_view method);

/// The name in a Host header, lower-cased, without port or IPv6 brackets
/// ("[::1]:3000" → "::1", "LocalHost:80" → "localhost").
std::string host_name(std::string_view host_header);

/// Whether `origin` ("http://127.0.0.1:3000") names the same authority as
/// the Host header (default ports 80/443 may be left out on either side).
/// "null" and anything that is not scheme://authority never match.
bool origin_matches_host(std::string_view origin, std::string_view host_header);

/// Whether a Content-Type is application/json (parameters allowed).
bool is_json_media_type(std::string_view content_type);

/// The line the daemon logs at start about who the admin API answers.
std::string admin_access_summary(const admin_policy& policy);

} // namespace kb::admin
