#include "services/supervisor/worker.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/common/quick_wake_actor.hpp"
#include "services/supervisor/messages.hpp"

namespace kb::sup {

namespace {

/// A detached actor: it blocks in the upstream call. Built on
/// quick_wake_actor, so a dispatch wakes its thread once, not twice.
class worker_actor final : public quick_wake_actor {
public:
  worker_actor(caf::actor_config& cfg, std::shared_ptr<upstream_line> line)
    : quick_wake_actor(cfg), line_(std::move(line)) {
    // nop
  }

  const char* name() const override {
    return "account-worker";
  }

  void act() override {
    bool running = true;
    receive_while(running)(
      [this](atom::run, dispatch& d) -> call_outcome { return line_->call(d); },
      [&](caf::exit_msg& msg) {
        running = false;
        fail_state(std::move(msg.reason));
      },
      drop_unmatched());
  }

private:
  std::shared_ptr<upstream_line> line_;
};

} // namespace

spawned_worker spawn_worker(caf::actor_system& sys, worker_config cfg) {
  auto line = std::make_shared<upstream_line>(std::move(cfg));
  return {sys.spawn<worker_actor>(line), line};
}

} // namespace kb::sup
