#pragma once

// What a worker forwards to the gateway while Kiro answers: one value per
// decoded upstream event, already neutral (tool names mapped back to the
// client's names). The gateway's assembler turns them into Claude output.

#include <cstdint>
#include <string>

namespace kb {

enum class stream_event_kind : uint8_t {
  text,          ///< assistant text chunk (`text`)
  tool_use,      ///< tool-use fragment (`tool_use_id`, `tool_name`, `text` = input JSON fragment, `stop`)
  context_usage, ///< `value` = contextUsagePercentage
  metering,      ///< `value` = credits charged
  exception,     ///< upstream exception frame mid-stream (`name` = exception type, `text` = message)
  reasoning,           ///< native thinking text (`text`)
  reasoning_signature, ///< signature of the native thinking so far (`text`)
  redacted_reasoning,  ///< redacted thinking (`text` = the opaque data, base64)
  token_usage,   ///< one real token count: `name` = Claude usage field, `value` = tokens
  stop_reason,   ///< the upstream's stop reason as sent (`text`, e.g. "content_filtered")
  reference,     ///< citations/code references (`name` = "citation" | "code_reference", `value` = count)
};

struct stream_event {
  stream_event_kind kind = stream_event_kind::text;
  std::string text;
  std::string tool_use_id;
  std::string name; ///< tool name, or exception type
  bool stop = false;
  double value = 0;
};

} // namespace kb
