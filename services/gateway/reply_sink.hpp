#pragma once

// The actor a worker streams one reply to. The HTTP thread serving the
// request drives it (receive), so it has no thread of its own; sinks are
// pooled and reused across requests.

#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/scoped_execution_unit.hpp>

#include "services/common/quick_wake_actor.hpp"

namespace kb::gw {

class reply_sink final : public quick_wake_actor {
public:
  explicit reply_sink(caf::actor_config& cfg);
  const char* name() const override;
};

/// A reply sink and the execution unit its sends leave from, used by one
/// HTTP thread at a time (like caf::scoped_actor, with a quicker wake-up).
class sink_slot {
public:
  explicit sink_slot(caf::actor_system& sys);
  ~sink_slot();
  sink_slot(const sink_slot&) = delete;
  sink_slot& operator=(const sink_slot&) = delete;

  reply_sink* operator->() const;
  const caf::actor& handle() const { return handle_; }

private:
  caf::scoped_execution_unit context_;
  caf::actor handle_;
};

/// Sinks waiting for their next request. A sink per request would cost a
/// spawn, a monitor and a wake-up of CAF's clock thread on destruction. A
/// sink goes back once its request got its final message (`done` or
/// `failed`); a late message for an earlier request names that request and
/// is dropped by the gateway.
class sink_pool {
public:
  explicit sink_pool(caf::actor_system& sys);
  std::unique_ptr<sink_slot> take();
  void give_back(std::unique_ptr<sink_slot> sink);

private:
  static constexpr size_t max_idle = 1024;
  caf::actor_system& sys_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<sink_slot>> idle_;
};

} // namespace kb::gw
