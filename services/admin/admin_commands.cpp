#include "services/admin/admin_commands.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "proto/inspect.hpp"

namespace kb::admin {

namespace {

using std::chrono::seconds;

/// Upstream work (test, refresh) may take as long as a Kiro answer.
constexpr seconds quick_timeout{15};
constexpr seconds upstream_timeout{120};

template <class... Ts>
command_reply ask(caf::actor_system& sys, const caf::actor& sup, seconds timeout,
                  Ts&&... xs) {
  command_reply out;
  if (!sup) {
    out.message = "this daemon has no account supervisor";
    return out;
  }
  caf::scoped_actor self{sys};
  self->request(sup, timeout, std::forward<Ts>(xs)...)
    .receive(
      [&](bool ok, std::string& message) {
        out.answered = true;
        out.ok = ok;
        out.message = std::move(message);
      },
      [&](caf::error& err) {
        out.message = "the account supervisor did not answer (" + sys.render(err) + ")";
      });
  return out;
}

} // namespace

command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup,
                                 atom::reload a) {
  return ask(sys, sup, quick_timeout, a);
}

command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::add a,
                                 const std::string& account_json) {
  return ask(sys, sup, quick_timeout, a, account_json);
}

command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup,
                                 atom::remove a, const std::string& id) {
  return ask(sys, sup, quick_timeout, a, id);
}

command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup,
                                 atom::update a, const std::string& id,
                                 const std::string& patch_json) {
  return ask(sys, sup, quick_timeout, a, id, patch_json);
}

command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup, atom::test a,
                                 const std::string& id) {
  return ask(sys, sup, upstream_timeout, a, id);
}

command_reply supervisor_command(caf::actor_system& sys, const caf::actor& sup,
                                 atom::refresh a, const std::string& id) {
  return ask(sys, sup, upstream_timeout, a, id);
}

std::optional<std::vector<std::string>> live_kiro_models(caf::actor_system& sys,
                                                         const caf::actor& sup) {
  auto reply = ask(sys, sup, seconds{30}, caf::get_atom::value, atom::models::value);
  if (!reply.ok)
    return std::nullopt;
  auto ids = nlohmann::json::parse(reply.message, nullptr, false);
  if (!ids.is_array())
    return std::nullopt;
  std::vector<std::string> out;
  for (auto& id : ids)
    if (id.is_string())
      out.push_back(id.get<std::string>());
  return out;
}

std::optional<std::vector<account_status>> fetch_accounts(caf::actor_system& sys,
                                                          const caf::actor& admin) {
  if (!admin)
    return std::nullopt;
  caf::scoped_actor self{sys};
  std::optional<std::vector<account_status>> out;
  self->request(admin, seconds(5), caf::get_atom::value, atom::accounts::value)
    .receive([&](std::vector<account_status>& xs) { out = std::move(xs); },
             [&](caf::error&) {});
  return out;
}

std::optional<std::string> supervisor_status(caf::actor_system& sys, const caf::actor& sup) {
  if (!sup)
    return std::nullopt;
  caf::scoped_actor self{sys};
  std::optional<std::string> out;
  self->request(sup, seconds(5), caf::get_atom::value, atom::status::value)
    .receive([&](std::string& s) { out = std::move(s); }, [&](caf::error&) {});
  return out;
}

} // namespace kb::admin
