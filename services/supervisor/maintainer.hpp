#pragma once

// The maintainer performs an account's control-plane calls: token refresh
// (social or IdC) and usage-limit polls. Blocking I/O, so spawned detached;
// one per supervisor, since these calls are rare and short.
// `(refresh, credentials)` → refresh_outcome; `(usage, credentials)` →
// usage_outcome; `(profiles, credentials)` → (true, profile ARN) or
// (false, why).

#include <string>

#include <caf/fwd.hpp>

#include "services/common/http_client.hpp"

namespace kb::sup {

struct maintainer_config {
  std::string social_refresh_url;
  /// The default for kiro.region is replaced per account by its own
  /// region; any other URL is an override (account::idc_refresh_url).
  std::string idc_refresh_url;
  std::string usage_base_url;
  std::string region = "us-east-1"; ///< kiro.region
  std::string kiro_version;
  http_client_options http;
};

caf::actor spawn_maintainer(caf::actor_system& sys, maintainer_config cfg);

/// Writes accounts files atomically (0600) in order: `(persist, path,
/// content)` → true once fsynced and renamed into place, false on failure.
caf::actor spawn_persister(caf::actor_system& sys);

} // namespace kb::sup
