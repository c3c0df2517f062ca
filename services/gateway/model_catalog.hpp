#pragma once

#include <vector>

#include "shared/claude/models.hpp"
#include "shared/config/model_mapping.hpp"

namespace kb::gw {

/// The models /v1/models lists: every Claude id the mapping knows, newest
/// first (by the date in the id, then by version), in Anthropic's shape.
std::vector<claude::model_entry> model_catalog(const config::model_mapping& m);

/// "claude-sonnet-4-5-20250929" → "Claude Sonnet 4.5".
std::string display_name(std::string_view id);

} // namespace kb::gw
