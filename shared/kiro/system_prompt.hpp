#pragma once

// The system text sent to Kiro, which has no system field: the client's
// system prompt, the thinking emulation tags and the full text of tool
// descriptions that were cut.

#include <string>
#include <string_view>

#include "shared/common/conversation.hpp"

namespace kb::kiro {

inline constexpr int32_t default_thinking_budget = 20000;
inline constexpr int32_t min_thinking_budget = 1024;
inline constexpr int32_t max_thinking_budget = 24576;

/// The reply of the assistant half of the system pair.
inline constexpr std::string_view system_acknowledgement =
    "I will follow these instructions.";

/// The budget to announce: 20000 when unset (≤ 0), else clamped to
/// 1024..24576.
int32_t thinking_budget(int32_t requested) noexcept;

/// "<thinking_mode>enabled</thinking_mode><max_thinking_length>N</max_thinking_length>"
/// or "<thinking_mode>adaptive</thinking_mode><thinking_effort>E</thinking_effort>"
/// (effort low|medium|high|max, anything else → high); empty when off.
std::string thinking_tags(const thinking_config& thinking);

/// Thinking tags (unless `system` already has `<thinking_mode>`), then the
/// system prompt, then the tool documentation, separated by blank lines.
std::string compose_system_text(std::string_view system,
                                const thinking_config& thinking,
                                std::string_view tool_documentation);

} // namespace kb::kiro
