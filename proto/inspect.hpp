#pragma once

// CAF serialization for every type that crosses an actor (or daemon)
// boundary. The types themselves live in shared/ and stay CAF-free.

#include <caf/meta/type_name.hpp>

#include "proto/account_status.hpp"
#include "shared/common/api_error.hpp"
#include "shared/common/conversation.hpp"
#include "shared/common/stream_event.hpp"
#include "shared/common/upstream_failure.hpp"

namespace kb {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image& x) {
  return f(caf::meta::type_name("kb::image"), x.media_type, x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tool_call& x) {
  return f(caf::meta::type_name("kb::tool_call"), x.id, x.name, x.input_json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tool_outcome& x) {
  return f(caf::meta::type_name("kb::tool_outcome"), x.tool_use_id, x.text,
           x.images, x.is_error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, turn& x) {
  return f(caf::meta::type_name("kb::turn"), x.role, x.text, x.thinking,
           x.images, x.tool_calls, x.tool_outcomes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tool_spec& x) {
  return f(caf::meta::type_name("kb::tool_spec"), x.name, x.description,
           x.input_schema_json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, thinking_config& x) {
  return f(caf::meta::type_name("kb::thinking_config"), x.mode,
           x.budget_tokens, x.effort);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conversation& x) {
  return f(caf::meta::type_name("kb::conversation"), x.request_id, x.model,
           x.upstream_model, x.system, x.turns, x.tools, x.tool_choice,
           x.tool_choice_name, x.thinking, x.max_tokens, x.stream,
           x.stop_sequences, x.session_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_event& x) {
  return f(caf::meta::type_name("kb::stream_event"), x.kind, x.text,
           x.tool_use_id, x.name, x.stop, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upstream_failure& x) {
  return f(caf::meta::type_name("kb::upstream_failure"), x.cls, x.http_status,
           x.reason, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, api_error& x) {
  return f(caf::meta::type_name("kb::api_error"), x.kind, x.message,
           x.retry_after, x.from_upstream);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_status& x) {
  return f(caf::meta::type_name("kb::account_status"), x.id, x.email, x.state,
           x.auth_method, x.priority, x.percent_used, x.usage_reset_ms,
           x.available_at_ms, x.token_expires_ms, x.last_used_ms, x.last_error,
           x.workers, x.in_flight, x.requests, x.failures, x.refreshes);
}

} // namespace kb
