#pragma once

// The bodies of `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/common/result.hpp"

namespace kb::claude {

struct model_entry {
  std::string id;
  std::string display_name;
  std::string created_at; ///< RFC 3339
  int64_t max_input_tokens = 0; ///< the context window; 0 = unknown (omitted)
  int64_t max_tokens = 0;       ///< the max_tokens ceiling; 0 = unknown (omitted)
};

/// `{"type":"model","id":..,"display_name":..,"created_at":..
/// [,"max_input_tokens":..][,"max_tokens":..]}` (Anthropic's ModelInfo has
/// both, nullable: platform.claude.com/docs/en/api models list).
std::string render_model(const model_entry& model);

/// One page of the model list. `query_string` is the raw URL query (with or
/// without the leading '?'): `limit` (1–1000, default 20), `after_id` (the
/// page after that model) or `before_id` (the page just before it). Unknown
/// parameters are ignored; a bad limit, an unknown cursor id or both cursors
/// at once are 400s.
result<std::string> render_model_list(const std::vector<model_entry>& newest_first,
                                      std::string_view query_string);

} // namespace kb::claude
