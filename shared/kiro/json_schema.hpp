#pragma once

#include <string>
#include <string_view>

namespace kb::kiro {

/// A tool input schema Kiro accepts, serialized.
///
/// Kiro's hidden validation rejects some valid JSON Schema, so, like the
/// jwadow/sub2api peers (and unlike kiro.rs, which forces
/// `required:[]`/`additionalProperties:true`), this strips instead of adds:
/// - every `$`-prefixed key Kiro rejects is removed at every level: keywords
///   (`$schema`, `$id`, `$comment`, `$anchor`, `$dynamicRef`, ...) and
///   property names (`$select`), which also leave `required`;
/// - `additionalProperties` is removed at every level;
/// - local `$ref`s (`#/$defs/X`, `#/definitions/X`) are replaced by the
///   referenced schema (sibling keywords kept); a cyclic, unknown or remote
///   `$ref` becomes the empty schema `{}`; `$defs`/`definitions` are dropped;
/// - empty `required` arrays and empty nested `properties` are removed;
/// - the root always has `type:"object"` and `properties` (the shape the
///   Claude API requires), so invalid JSON or a non-object becomes
///   `{"type":"object","properties":{}}`.
/// Keywords that hold data (`enum`, `const`, `default`, `examples`) and
/// property names are never touched. Never fails.
std::string clean_json_schema(std::string_view schema_json);

} // namespace kb::kiro
