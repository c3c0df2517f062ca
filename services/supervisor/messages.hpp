#pragma once

// Messages that stay inside the supervisor's process (supervisor ↔ its
// workers, maintainers and persister). They carry shared pointers and
// credentials, so they are deliberately not serializable.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "services/http/call_cancel.hpp"
#include "shared/account/account.hpp"
#include "shared/account/models.hpp"
#include "shared/common/conversation.hpp"
#include "shared/common/upstream_failure.hpp"

namespace kb::sup {

/// One upstream call handed to a worker.
struct dispatch {
  std::shared_ptr<const conversation> conv;
  caf::actor sink;
  std::string account_id;
  account::credentials creds;
  /// Cancelled by the supervisor when the sink dies (client went away).
  std::shared_ptr<call_cancel> cancel;
};

enum class call_result : uint8_t {
  completed,       ///< the sink got every event and `done`
  aborted,         ///< cancelled: the client went away
  sink_failed,     ///< the worker already sent `failed` to the sink
  upstream_failed, ///< nothing reached the sink; `failure` says why
};

struct call_outcome {
  call_result result = call_result::completed;
  upstream_failure failure;
  double credits = 0;
  double context_percent = 0;
};

struct refresh_outcome {
  bool ok = false;
  account::refreshed value;
  upstream_failure failure;
};

struct usage_outcome {
  bool ok = false;
  account::usage_limits value;
  upstream_failure failure;
};

/// An account's ListAvailableModels answer, every page.
struct models_outcome {
  bool ok = false;
  std::vector<account::kiro_model> models;
  upstream_failure failure;
};

} // namespace kb::sup

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kb::sup::dispatch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kb::sup::call_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kb::sup::refresh_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kb::sup::usage_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kb::sup::models_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kb::account::credentials)
