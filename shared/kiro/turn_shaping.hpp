#pragma once

// Reshaping the neutral turns into a sequence Kiro's validator accepts.
// Each step is a pure function over `kb::turn`s; the request builder runs
// them in the order they are declared here.
//
// Placeholder choices: Kiro rejects empty `content`. An assistant turn that
// has only tool calls (or nothing) gets "(empty)" as jwadow does; kiro.rs's
// " " works today but whitespace is the first thing a stricter validator
// would trim, and "(empty)" reads as metadata rather than something the
// model should imitate.

#include <string>
#include <string_view>
#include <vector>

#include "shared/common/conversation.hpp"

namespace kb::kiro {

inline constexpr std::string_view empty_assistant_content = "(empty)";
inline constexpr std::string_view empty_user_content = "(empty)";
inline constexpr std::string_view tool_results_content =
    "Tool results provided.";
inline constexpr std::string_view continue_content = "Continue";
inline constexpr std::string_view empty_tool_result_text = "(empty result)";

/// Moves the images inside a turn's tool outcomes onto the turn itself
/// (Kiro carries images only in `userInputMessage.images`).
void hoist_tool_result_images(turn& t);

/// Runs of same-role turns become one turn: text and thinking "\n"-joined
/// (empty parts skipped), images, tool calls and outcomes concatenated.
/// Two turns left by an interrupted stream are the classic case.
std::vector<turn> merge_same_role_turns(std::vector<turn> turns);

/// Makes a merged sequence start and end with a user turn: a leading
/// assistant gets an empty user turn before it, a trailing assistant
/// (a prefill) gets an empty user turn after it (later "Continue"), an
/// empty sequence becomes one empty user turn.
void frame_with_user_turns(std::vector<turn>& turns);

/// Enforces Kiro's pairing rules on an alternating sequence that starts
/// and ends with a user turn:
/// - outcomes repeated for the same id keep only the first;
/// - outcomes that answer no call of the immediately preceding assistant
///   turn are orphans: their text moves into the user text, so nothing is
///   lost, and they leave `tool_outcomes`;
/// - calls repeated for the same id keep only the first;
/// - calls the next user turn does not answer leave `tool_calls`, and a
///   one-line mention stays in the assistant text.
void pair_tool_calls(std::vector<turn>& turns);

/// "[image omitted: image/png]".
std::string image_placeholder(std::string_view media_type);

/// Replaces the turn's images by placeholder text, one line each.
void omit_images(turn& t);

/// Replaces the images of every user turn older than the last
/// `keep_last` user turns by placeholder text. The last element of
/// `history_and_current` is the current message and always keeps its images.
void omit_old_images(std::vector<turn>& history_and_current, size_t keep_last);

/// The assistant's content: prior thinking re-sent as
/// "<thinking>..</thinking>\n\n" before the text; "(empty)" when nothing.
std::string assistant_content(const turn& t);

/// A history user turn's content, never empty.
std::string history_user_content(const turn& t);

/// The current message's content, never empty.
std::string current_user_content(const turn& t);

/// A tool outcome's text, never empty.
std::string_view tool_result_text(const tool_outcome& o);

} // namespace kb::kiro
