#include "services/supervisor/supervisor_setup.hpp"

namespace kb::sup {

pool::strategy to_pool_strategy(config::selection_strategy s) {
  switch (s) {
    case config::selection_strategy::automatic: return pool::strategy::auto_;
    case config::selection_strategy::random: return pool::strategy::random;
    case config::selection_strategy::first: return pool::strategy::first;
    case config::selection_strategy::round_robin: return pool::strategy::round_robin;
    case config::selection_strategy::least_inflight: return pool::strategy::least_inflight;
  }
  return pool::strategy::auto_;
}

supervisor_config make_supervisor_config(const service_config& sc) {
  auto& s = sc.server;
  supervisor_config cfg;
  cfg.accounts_path = sc.accounts_path;
  cfg.server_config_path = sc.server_path;
  cfg.accounts = sc.accounts;
  cfg.strategy = to_pool_strategy(s.strategy);
  cfg.auto_switch = s.auto_switch_on_error;
  cfg.workers_per_account = s.workers_per_account;
  cfg.queue_timeout_ms = s.queue_timeout_ms;
  cfg.refresh_buffer_seconds = s.token_refresh.buffer_seconds;
  cfg.refresh_retry_attempts = s.token_refresh.retry_attempts;
  http_client_options http;
  http.ca_file = s.kiro.ca_file;
  http.read_timeout_ms = static_cast<int>(s.connection_pool.socket_timeout_ms);
  cfg.worker.api_base_url = s.kiro.api_base_url;
  cfg.worker.http = http;
  cfg.worker.kiro_version = s.kiro.kiro_version;
  cfg.worker.max_body_bytes = static_cast<size_t>(s.kiro.max_request_bytes);
  cfg.worker.chunked_write_guidance = s.kiro.chunked_write_guidance;
  cfg.maintainer.social_refresh_url = s.kiro.social_refresh_url;
  cfg.maintainer.idc_refresh_url = s.kiro.idc_refresh_url;
  cfg.maintainer.usage_base_url = s.kiro.usage_url;
  cfg.maintainer.region = s.kiro.region;
  cfg.worker.region = s.kiro.region;
  cfg.maintainer.kiro_version = s.kiro.kiro_version;
  cfg.maintainer.http = http;
  cfg.maintainer.http.read_timeout_ms = 30000;
  return cfg;
}

} // namespace kb::sup
