#include "services/common/service_config.hpp"

#include <filesystem>
#include <iostream>

#include "services/common/ids.hpp"
#include "services/common/log.hpp"
#include "shared/config/file_io.hpp"

namespace kb {

service_config_result load_service_config(const std::string& dir) {
  service_config_result out;
  service_config sc;
  sc.dir = dir;
  sc.server_path = (std::filesystem::path{dir} / "server-config.json").string();
  sc.accounts_path = (std::filesystem::path{dir} / "kiro-accounts.json").string();
  sc.models_path = (std::filesystem::path{dir} / "model-mapping.json").string();
  if (!std::filesystem::is_directory(dir)) {
    out.error = "config directory " + dir + " does not exist";
    return out;
  }
  auto server = config::load_server_config(sc.server_path);
  if (!server) {
    out.error = server.error().to_string();
    return out;
  }
  sc.server = std::move(server).value();
  if (auto err = log::check_writable_dir(sc.server.log_dir)) {
    out.error = config::config_error{sc.server_path, "logDir", 0, *err}.to_string();
    return out;
  }
  // A writer killed mid-save leaves a temporary copy full of tokens.
  if (int stale = config::remove_stale_temp_files(sc.accounts_path); stale > 0)
    KB_INFO("config", "removed " << stale << " stale temporary copies of " << sc.accounts_path);
  auto accounts = config::load_accounts(sc.accounts_path);
  if (!accounts) {
    out.error = accounts.error().to_string();
    return out;
  }
  sc.accounts = std::move(accounts).value();
  bool save = !std::filesystem::exists(sc.accounts_path);
  for (auto& a : sc.accounts.accounts) {
    if (a.needs_id || a.id.empty()) {
      a.id = random_uuid();
      a.needs_id = false;
      save = true;
    }
  }
  if (save) {
    if (auto err = config::save_accounts(sc.accounts_path, sc.accounts)) {
      out.error = err->to_string();
      return out;
    }
    KB_INFO("config", "wrote " << sc.accounts_path << " ("
                               << sc.accounts.accounts.size() << " account(s))");
  }
  auto models = config::load_model_mapping(sc.models_path);
  if (!models) {
    out.error = models.error().to_string();
    return out;
  }
  sc.models = std::move(models).value();
  out.value = std::move(sc);
  return out;
}

void start_logging(const config::server_config& server, const std::string& subdir,
                   const std::string& program) {
  log::set_level(log::parse_level(server.log_level));
  auto dir = subdir.empty() ? server.log_dir : server.log_dir + "/" + subdir;
  if (auto err = log::open_files({dir, server.log_rotation.max_size_bytes,
                                  server.log_rotation.max_files}))
    std::cerr << program << ": " << *err << " (logging to stderr only)\n";
}

} // namespace kb
