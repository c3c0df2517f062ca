#include "services/gateway/reply_sink.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_actor.hpp>

namespace kb::gw {

reply_sink::reply_sink(caf::actor_config& cfg) : quick_wake_actor(cfg) {
  // Never launched: no thread runs act(), the serving HTTP thread receives.
  setf(is_detached_flag);
}

const char* reply_sink::name() const {
  return "reply-sink";
}

sink_slot::sink_slot(caf::actor_system& sys) : context_(&sys) {
  caf::actor_config cfg{&context_};
  handle_ = caf::make_actor<reply_sink, caf::actor>(sys.next_actor_id(), sys.node(), &sys, cfg);
  (*this)->register_at_system();
}

sink_slot::~sink_slot() {
  (*this)->cleanup(caf::exit_reason::normal, &context_);
}

reply_sink* sink_slot::operator->() const {
  return static_cast<reply_sink*>(caf::actor_cast<caf::abstract_actor*>(handle_));
}

sink_pool::sink_pool(caf::actor_system& sys) : sys_(sys) {
  // nop
}

std::unique_ptr<sink_slot> sink_pool::take() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!idle_.empty()) {
      auto sink = std::move(idle_.back());
      idle_.pop_back();
      return sink;
    }
  }
  return std::make_unique<sink_slot>(sys_);
}

void sink_pool::give_back(std::unique_ptr<sink_slot> sink) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (idle_.size() < max_idle)
    idle_.push_back(std::move(sink));
}

} // namespace kb::gw
