#include "services/supervisor/maintainer.hpp"

#include <map>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>

#include "proto/atoms.hpp"
#include "services/common/log.hpp"
#include "services/supervisor/messages.hpp"
#include "shared/config/file_io.hpp"

namespace kb::sup {

namespace {

struct maintainer_state {
  static inline const char* name = "account-maintainer";
  maintainer_config cfg;
  std::map<std::string, std::unique_ptr<http_client>> clients;

  std::string api_base(const account::credentials& c) const {
    return account::api_base_url_for(c, cfg.usage_base_url, cfg.region);
  }

  http_response perform(const account::http_call& call) {
    auto [base, path] = split_url(call.url);
    auto& client = clients[base];
    if (!client)
      client = std::make_unique<http_client>(base, cfg.http);
    kb::http_headers headers;
    std::string content_type = "application/json";
    for (auto& [k, v] : call.headers) {
      if (k == "Content-Type" || k == "content-type")
        content_type = v;
      else
        headers.emplace_back(k, v);
    }
    return client->send(call.method, path, headers, call.body, content_type);
  }
};

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}


caf::behavior maintainer_behavior(caf::stateful_actor<maintainer_state>* self,
                                  maintainer_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [self](atom::refresh, const std::string& account_id,
           const account::credentials& creds) -> refresh_outcome {
      auto& st = self->state;
      refresh_outcome out;
      auto call = account::refresh_call(creds, st.cfg.social_refresh_url,
                                        account::idc_refresh_url(creds, st.cfg.idc_refresh_url,
                                                                 st.cfg.region),
                                        account::machine_id(account_id),
                                        st.cfg.kiro_version);
      auto res = st.perform(call);
      if (!res.error.empty()) {
        out.failure = {failure_class::refresh_failed, 0, "",
                       "token refresh failed: " + res.error};
        return out;
      }
      auto parsed = account::parse_refresh_response(creds.method, res.status,
                                                    res.body, now_ms());
      if (auto* ok = std::get_if<account::refreshed>(&parsed)) {
        out.ok = true;
        out.value = std::move(*ok);
      } else {
        out.failure = std::get<upstream_failure>(parsed);
      }
      return out;
    },
    [self](atom::usage, const std::string& account_id,
           const account::credentials& creds) -> usage_outcome {
      auto& st = self->state;
      usage_outcome out;
      auto call = account::usage_call(creds, st.api_base(creds),
                                      account::machine_id(account_id),
                                      st.cfg.kiro_version);
      auto res = st.perform(call);
      if (!res.error.empty()) {
        out.failure = {failure_class::network, 0, "",
                       "usage poll failed: " + res.error};
        return out;
      }
      auto parsed = account::parse_usage_limits(res.status, res.body);
      if (auto* ok = std::get_if<account::usage_limits>(&parsed)) {
        out.ok = true;
        out.value = std::move(*ok);
      } else {
        out.failure = std::get<upstream_failure>(parsed);
      }
      return out;
    },
    [self](atom::profiles, const std::string& account_id,
           const account::credentials& creds) -> caf::result<bool, std::string> {
      auto& st = self->state;
      auto call = account::profiles_call(creds, st.api_base(creds),
                                         account::machine_id(account_id),
                                         st.cfg.kiro_version);
      auto res = st.perform(call);
      if (!res.error.empty())
        return {false, "ListAvailableProfiles failed: " + res.error};
      auto parsed = account::parse_available_profiles(res.status, res.body);
      if (auto* arns = std::get_if<std::vector<std::string>>(&parsed))
        return {true, arns->front()};
      return {false, std::get<upstream_failure>(parsed).message};
    },
    [self](atom::model_list, const std::string& account_id,
           const account::credentials& creds) -> models_outcome {
      auto& st = self->state;
      auto list = account::fetch_model_list(
        creds, st.api_base(creds), account::machine_id(account_id), st.cfg.kiro_version,
        [&](const account::http_call& call) {
          auto res = st.perform(call);
          return account::http_result{res.status, std::move(res.body), std::move(res.error)};
        });
      models_outcome out;
      if (auto* models = std::get_if<std::vector<account::kiro_model>>(&list)) {
        out.ok = true;
        out.models = std::move(*models);
      } else {
        out.failure = std::get<upstream_failure>(list);
      }
      return out;
    },
    [self](atom::models, const std::string& account_id,
           const account::credentials& creds) -> caf::result<bool, std::string> {
      auto& st = self->state;
      auto call = account::models_call(creds, st.api_base(creds),
                                       account::machine_id(account_id),
                                       st.cfg.kiro_version);
      auto res = st.perform(call);
      if (!res.error.empty())
        return {false, "ListAvailableModels failed: " + res.error};
      auto parsed = account::parse_available_models(res.status, res.body);
      if (auto* ids = std::get_if<std::vector<std::string>>(&parsed))
        return {true, nlohmann::json(*ids).dump()};
      return {false, std::get<upstream_failure>(parsed).message};
    },
  };
}

caf::behavior persister_behavior(caf::event_based_actor*) {
  return {
    // Accounts files hold tokens: 0600 whatever the old file's mode. The
    // answer tells the supervisor the file is on disk (or is not).
    [](atom::persist, const std::string& path, const std::string& content) {
      auto err = config::atomic_write_secret_file(path, content);
      if (err)
        KB_ERROR("persister", "cannot save " << path << ": " << err->to_string());
      else
        config::remove_stale_temp_files(path);
      return !err;
    },
  };
}

} // namespace

caf::actor spawn_maintainer(caf::actor_system& sys, maintainer_config cfg) {
  return sys.spawn<caf::detached>(maintainer_behavior, std::move(cfg));
}

caf::actor spawn_persister(caf::actor_system& sys) {
  return sys.spawn<caf::detached>(persister_behavior);
}

} // namespace kb::sup
