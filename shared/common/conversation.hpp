#pragma once

// The neutral conversation: what a Claude request means, with nothing of
// Claude's JSON shape or Kiro's wire format. The gateway builds it
// (shared/claude), a worker turns it into a Kiro request (shared/kiro).

#include <cstdint>
#include <string>
#include <vector>

namespace kb {

enum class role : uint8_t { user, assistant };

/// An inline image (Claude `image` block with a base64 source).
struct image {
  std::string media_type; ///< "image/png", "image/jpeg", "image/gif", "image/webp"
  std::string data;       ///< base64, without any `data:` prefix
};

/// A tool call made by the assistant.
struct tool_call {
  std::string id;
  std::string name;
  std::string input_json; ///< serialized JSON object, "{}" when empty
};

/// The answer to a tool call, carried by a user turn.
struct tool_outcome {
  std::string tool_use_id;
  std::string text; ///< all text content joined with "\n"; may be empty
  std::vector<image> images;
  bool is_error = false;
};

/// One message of the conversation after parsing. Runs of same-role
/// messages are kept as sent; merging is the Kiro builder's job.
struct turn {
  kb::role role = role::user;
  std::string text;     ///< text blocks joined with "\n"
  std::string thinking; ///< prior thinking blocks (assistant only), joined
  std::vector<image> images;
  std::vector<tool_call> tool_calls;       ///< assistant only
  std::vector<tool_outcome> tool_outcomes; ///< user only
};

struct tool_spec {
  std::string name;
  std::string description;
  std::string input_schema_json; ///< serialized JSON Schema object
};

enum class thinking_mode : uint8_t { off, enabled, adaptive };

struct thinking_config {
  thinking_mode mode = thinking_mode::off;
  int32_t budget_tokens = 0; ///< enabled mode
  std::string effort;        ///< adaptive mode: "low" | "medium" | "high"
};

enum class tool_choice_mode : uint8_t { auto_, any, tool, none };

struct conversation {
  std::string request_id;      ///< "req_..." assigned by the gateway
  std::string model;           ///< as the client sent it (echoed in replies)
  std::string upstream_model;  ///< Kiro model id after mapping
  std::string system;          ///< system prompt, incl. folded system turns
  std::vector<turn> turns;
  std::vector<tool_spec> tools;
  tool_choice_mode tool_choice = tool_choice_mode::auto_;
  std::string tool_choice_name; ///< for tool_choice_mode::tool
  thinking_config thinking;
  int32_t max_tokens = 0;
  bool stream = false;
  std::vector<std::string> stop_sequences;
  std::string session_id; ///< from metadata.user_id when present; may be empty
};

} // namespace kb
