#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/config/config_error.hpp"

namespace kb::config {

/// Which of the seed's two model-mapping.json layouts a file uses.
enum class mapping_shape {
  flat,     ///< README: {"<claude id>": "<kiro id>", ..., "default": "<kiro id>"}
  released, ///< code: {"description", "mappings": {...}, "defaultModel", "notes"}
};

struct mapping_entry {
  std::string claude_model;
  std::string kiro_model;

  bool operator==(const mapping_entry&) const = default;
};

inline constexpr std::string_view default_kiro_model = "claude-sonnet-4.5";

struct model_mapping {
  /// In file order; new entries are appended.
  std::vector<mapping_entry> entries;
  std::string default_model{default_kiro_model};
  mapping_shape shape = mapping_shape::flat;
  /// The document as read; the released shape's description, notes and
  /// unknown keys are written back from it. Null for mappings built in memory.
  nlohmann::ordered_json original;

  /// The Kiro id mapped to exactly this Claude id, or nullptr.
  const std::string* find(std::string_view claude_model) const;
  /// Adds the mapping, or replaces the target of an existing one.
  void set(std::string claude_model, std::string kiro_model);
  /// False if there was no such mapping.
  bool remove(std::string_view claude_model);
};

/// Parses either shape; `file_name` only labels errors.
loaded<model_mapping> parse_model_mapping(std::string_view text,
                                          const std::string& file_name);

/// Reads `path`; a missing file gives default_model_mapping().
loaded<model_mapping> load_model_mapping(const std::string& path);

/// The built-in table (the same as the shipped config/model-mapping.json).
model_mapping default_model_mapping();

/// The file's text in the shape it was read in, pretty-printed (2 spaces).
std::string render_model_mapping(const model_mapping& mapping);

/// render_model_mapping + atomic_write_file.
std::optional<config_error> save_model_mapping(const std::string& path,
                                               const model_mapping& mapping);

/// Lowercased, with trailing `[1m]`, `-thinking`, `-latest` and `-YYYYMMDD`
/// removed (in any order and combination) and `claude-<family>-<major>-<minor>`
/// written as `claude-<family>-<major>.<minor>`; `auto-kiro` becomes `auto`.
/// `-thinking` is only dropped for resolution: a caller that turns thinking
/// on by model name checks has_thinking_suffix on the id the client sent.
std::string normalize_model_id(std::string_view model);

/// True if the id (before `[1m]`) ends in `-thinking`, case-insensitively.
bool has_thinking_suffix(std::string_view claude_model);

/// The Kiro model for a Claude model id, trying in order:
/// 1. an exact mapping entry;
/// 2. an entry whose Claude id normalises to the same id;
/// 3. the normalised id itself if it is a known Kiro model (a legacy
///    CLAUDE_* id is matched case-insensitively);
/// 4. by family, if the id names opus, sonnet or haiku: the newest version
///    of that family among the mapping's targets, else claude-opus-4.6,
///    claude-sonnet-4.5 or claude-haiku-4.5;
/// 5. the mapping's default.
std::string resolve(const model_mapping& mapping, std::string_view claude_model);

/// Kiro's model ids (kiro-protocol.md §3), current first, then legacy ids.
std::vector<std::string> known_kiro_models();
bool is_known_kiro_model(std::string_view kiro_model);

/// Input context window in tokens: 1,000,000 for claude-sonnet-4.6,
/// claude-opus-4.6, claude-opus-4.8 and auto, 200,000 for every other
/// model. A fallback: Kiro's ListAvailableModels limits come first.
std::int64_t context_window(std::string_view kiro_model);

} // namespace kb::config
