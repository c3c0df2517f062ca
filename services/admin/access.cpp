#include "services/admin/access.hpp"

#include <algorithm>
#include <cctype>

#include "shared/common/secret_compare.hpp"

namespace kb::admin {

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// `authority` lower-cased, without the scheme's default port.
std::string normal_authority(std::string_view authority, std::string_view scheme) {
  auto out = lower(authority);
  std::string_view default_port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  if (!default_port.empty() && out.size() > default_port.size() &&
      out.compare(out.size() - default_port.size(), default_port.size(), default_port) == 0)
    out.resize(out.size() - default_port.size());
  return out;
}

bool allowed_host(std::string_view host_header, const admin_policy& policy) {
  auto name = host_name(host_header);
  if (name == "localhost" || name == "::1" || is_loopback(name))
    return true;
  if (!policy.listen_host.empty() && name == host_name(policy.listen_host))
    return true;
  if (policy.extra_hosts)
    for (auto& extra : *policy.extra_hosts)
      if (name == host_name(extra))
        return true;
  return false;
}

} // namespace

bool is_loopback(std::string_view addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" ||
         addr.rfind("::ffff:127.", 0) == 0;
}

bool is_loopback_listen(std::string_view host) {
  auto name = host_name(host);
  return name == "localhost" || is_loopback(name);
}

access check_access(std::string_view admin_token, std::string_view authorization,
                    std::string_view remote_addr) {
  if (!admin_token.empty()) {
    constexpr std::string_view prefix = "Bearer ";
    if (authorization.substr(0, prefix.size()) != prefix)
      return access::unauthorized;
    return same_secret(authorization.substr(prefix.size()), admin_token)
             ? access::allowed
             : access::unauthorized;
  }
  return is_loopback(remote_addr) ? access::allowed : access::forbidden;
}

bool is_state_changing(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string host_name(std::string_view host_header) {
  auto h = trim(host_header);
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    return lower(h.substr(1, close == std::string_view::npos ? h.npos : close - 1));
  }
  // One colon is a port; more are an unbracketed IPv6 address.
  auto colon = h.find(':');
  if (colon != std::string_view::npos && h.find(':', colon + 1) == std::string_view::npos)
    h = h.substr(0, colon);
  auto out = lower(h);
  if (!out.empty() && out.back() == '.')
    out.pop_back();
  return out;
}

bool origin_matches_host(std::string_view origin, std::string_view host_header) {
  origin = trim(origin);
  auto sep = origin.find("://");
  if (sep == std::string_view::npos || sep == 0)
    return false;
  auto scheme = lower(origin.substr(0, sep));
  auto authority = origin.substr(sep + 3);
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos)
    return false;
  auto host = trim(host_header);
  if (host.empty())
    return false;
  return normal_authority(authority, scheme) == normal_authority(host, scheme);
}

bool is_json_media_type(std::string_view content_type) {
  auto type = trim(content_type.substr(0, content_type.find(';')));
  return lower(type) == "application/json";
}

admin_verdict judge_admin_request(const admin_request& req, const admin_policy& policy) {
  if (!policy.admin_token.empty()) {
    if (check_access(policy.admin_token, req.authorization, req.remote_addr) !=
        access::allowed)
      return {401, "admin API requires Authorization: Bearer <adminToken>"};
  } else {
    if (req.forwarded)
      return {403, "this request came through a proxy (X-Forwarded-For/Forwarded), so "
                   "the loopback rule cannot tell who sent it: set adminToken to use "
                   "the admin API behind a proxy"};
    if (!is_loopback_listen(policy.listen_host))
      return {403, "kiro-bridge listens on " + std::string{policy.listen_host} +
                     ", beyond loopback, and no adminToken is configured: set "
                     "adminToken to use the admin API"};
    if (!is_loopback(req.remote_addr))
      return {403, "no adminToken is configured, so the admin API answers loopback "
                   "clients only"};
    if (!req.host.empty() && !allowed_host(req.host, policy))
      return {403, "Host " + host_name(req.host) +
                     " is not a name of this bridge (localhost, 127.0.0.1, [::1], the "
                     "listen address or adminHosts); without adminToken other names are "
                     "refused (DNS rebinding)"};
  }
  if (!is_state_changing(req.method))
    return {};
  if (req.has_origin && !origin_matches_host(req.origin, req.host))
    return {403, "Origin " + std::string{trim(req.origin)} +
                   " is not this bridge's own; cross-site admin requests are refused"};
  if (req.has_body && !is_json_media_type(req.content_type))
    return {415, "an admin request body must be Content-Type: application/json"};
  return {};
}

std::string admin_access_summary(const admin_policy& policy) {
  if (!policy.admin_token.empty())
    return "admin API: every request needs Authorization: Bearer <adminToken>";
  if (!is_loopback_listen(policy.listen_host))
    return "admin API: no adminToken while listening on " + std::string{policy.listen_host} +
           " (beyond loopback): every admin request is refused (403) until adminToken is set";
  std::string names = "localhost, 127.0.0.1, [::1]";
  if (policy.extra_hosts)
    for (auto& extra : *policy.extra_hosts)
      names += ", " + extra;
  return "admin API: no adminToken, so loopback clients only (Host " + names +
         "); requests through a proxy (X-Forwarded-For/Forwarded) are refused: set "
         "adminToken behind a proxy";
}

} // namespace kb::admin
