#include "services/admin/config_store.hpp"

#include "services/common/log.hpp"

namespace kb::admin {

config_store::config_store(service_config initial)
  : current_(std::make_shared<const service_config>(std::move(initial))),
    started_server_(current_->server) {
  // nop
}

std::shared_ptr<const service_config> config_store::current() const {
  std::lock_guard<std::mutex> guard{read_mutex_};
  return current_;
}

void config_store::add_listener(listener l) {
  std::lock_guard<std::mutex> guard{write_mutex_};
  listeners_.push_back(std::move(l));
}

void config_store::publish(std::shared_ptr<const service_config> next) {
  {
    std::lock_guard<std::mutex> guard{read_mutex_};
    current_ = next;
  }
  for (auto& l : listeners_)
    l(*next);
}

edit_outcome config_store::edit_models(
  const std::function<edit_outcome(config::model_mapping&)>& change) {
  std::lock_guard<std::mutex> guard{write_mutex_};
  auto next = std::make_shared<service_config>(*current());
  auto outcome = change(next->models);
  if (outcome.status >= 300)
    return outcome;
  if (auto err = config::save_model_mapping(next->models_path, next->models))
    return {500, err->to_string()};
  publish(std::move(next));
  return outcome;
}

reload_outcome config_store::reload(
  const std::function<std::optional<std::string>(std::string&)>& apply_accounts) {
  std::lock_guard<std::mutex> guard{write_mutex_};
  reload_outcome out;
  auto running = current();
  auto next = std::make_shared<service_config>(*running);
  auto server = config::load_server_config(next->server_path);
  if (!server) {
    out.error = server.error();
    return out;
  }
  auto accounts = config::load_accounts(next->accounts_path);
  if (!accounts) {
    out.error = accounts.error();
    return out;
  }
  auto models = config::load_model_mapping(next->models_path);
  if (!models) {
    out.error = models.error();
    return out;
  }
  // A logDir that cannot hold the logs would leave the bridge logging to
  // stderr only: refused like any bad key, before anything changes.
  if (server.value().log_dir != running->server.log_dir) {
    if (auto err = log::check_writable_dir(server.value().log_dir)) {
      out.error = config::config_error{next->server_path, "logDir", 0, *err};
      return out;
    }
  }
  if (apply_accounts) {
    if (auto err = apply_accounts(out.applied)) {
      out.apply_error = *err;
      return out;
    }
  }
  out.restart_required = restart_keys(started_server_, server.value());
  next->server = std::move(server).value();
  next->accounts = std::move(accounts).value();
  next->models = std::move(models).value();
  publish(std::move(next));
  return out;
}

std::vector<std::string> restart_keys(const config::server_config& running,
                                      const config::server_config& next) {
  std::vector<std::string> out;
  if (running.host != next.host)
    out.push_back("host");
  if (running.port != next.port)
    out.push_back("port");
  return out;
}

} // namespace kb::admin
