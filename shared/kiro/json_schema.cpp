#include "shared/kiro/json_schema.hpp"

#include <algorithm>
#include <vector>

#include <boost/json.hpp>

namespace kb::kiro {

namespace json = boost::json;

namespace {

constexpr size_t max_parse_depth = 512;
constexpr size_t max_schema_depth = 128;
// Bounds the output of schemas whose definitions reference each other
// many times over (exponential expansion).
constexpr size_t max_ref_expansions = 2000;

bool is_schema_map_keyword(std::string_view key) {
  return key == "properties" || key == "patternProperties" ||
         key == "dependentSchemas";
}

bool is_schema_list_keyword(std::string_view key) {
  return key == "items" || key == "anyOf" || key == "oneOf" ||
         key == "allOf" || key == "prefixItems";
}

bool is_subschema_keyword(std::string_view key) {
  return key == "not" || key == "if" || key == "then" || key == "else" ||
         key == "contains" || key == "additionalItems" ||
         key == "propertyNames" || key == "unevaluatedItems";
}

/// Kiro answers 400 "Improperly formed request." for `$`-prefixed keys in a
/// tool schema: keywords (`$id`, `$comment`, `$anchor`, ...) and property
/// names such as OData's `$select`/`$top` (a Go port's analysis of 799
/// failed requests, fix de683c0 "sanitizeToolSchema").
bool is_dollar_key(std::string_view key) { return key.starts_with('$'); }

bool is_dropped_keyword(std::string_view key, const json::value& value) {
  if (is_dollar_key(key) || key == "additionalProperties" || key == "definitions")
    return true;
  if (key == "required")
    return value.is_array() && value.get_array().empty();
  if (is_schema_map_keyword(key))
    return value.is_object() && value.get_object().empty();
  return false;
}

std::string unescape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() &&
        (token[i + 1] == '0' || token[i + 1] == '1')) {
      out.push_back(token[i + 1] == '0' ? '~' : '/');
      ++i;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

// Cleans a parsed schema in place; referenced definitions are copied in
// (cleaned) where a `$ref` points at them.
class schema_cleaner {
public:
  schema_cleaner(json::value dollar_defs, json::value definitions)
      : dollar_defs_(std::move(dollar_defs)),
        definitions_(std::move(definitions)) {}

  void clean(json::value& schema, size_t depth) {
    if (!schema.is_object())
      return; // boolean schemas and anything odd pass through
    if (depth > max_schema_depth) {
      schema = json::object(schema.storage());
      return;
    }
    clean_object(schema, depth);
  }

private:
  void clean_object(json::value& schema, size_t depth) {
    json::object& object = schema.get_object();
    json::value ref;
    if (auto it = object.find("$ref"); it != object.end()) {
      ref = std::move(it->value());
      object.stable_erase(it);
    }
    std::vector<std::string> dropped_properties;
    for (auto it = object.begin(); it != object.end();) {
      if (is_schema_map_keyword(it->key()) && it->value().is_object())
        drop_dollar_names(it->value().get_object(),
                          it->key() == "properties" ? &dropped_properties : nullptr);
      if (is_dropped_keyword(it->key(), it->value())) {
        it = object.stable_erase(it);
      } else {
        clean_keyword(it->key(), it->value(), depth);
        ++it;
      }
    }
    if (!dropped_properties.empty())
      forget_required(object, dropped_properties);
    if (!ref.is_null())
      substitute_reference(schema, ref, depth);
  }

  static void drop_dollar_names(json::object& map, std::vector<std::string>* dropped) {
    for (auto it = map.begin(); it != map.end();) {
      if (is_dollar_key(it->key())) {
        if (dropped)
          dropped->emplace_back(it->key());
        it = map.stable_erase(it);
      } else {
        ++it;
      }
    }
  }

  /// `required` without the dropped property names (gone when empty).
  static void forget_required(json::object& object, const std::vector<std::string>& names) {
    auto it = object.find("required");
    if (it == object.end() || !it->value().is_array())
      return;
    json::array& required = it->value().get_array();
    for (auto r = required.begin(); r != required.end();) {
      if (r->is_string() &&
          std::find(names.begin(), names.end(), std::string_view(r->get_string())) != names.end())
        r = required.erase(r);
      else
        ++r;
    }
    if (required.empty())
      object.stable_erase(it);
  }

  void clean_keyword(std::string_view key, json::value& value, size_t depth) {
    if (is_schema_map_keyword(key) && value.is_object()) {
      for (auto& entry : value.get_object())
        clean(entry.value(), depth + 1);
    } else if (is_schema_list_keyword(key)) {
      if (value.is_array())
        for (auto& item : value.get_array())
          clean(item, depth + 1);
      else
        clean(value, depth + 1);
    } else if (is_subschema_keyword(key)) {
      clean(value, depth + 1);
    }
  }

  // `schema` (already cleaned, without its `$ref`) becomes the referenced
  // schema with `schema`'s remaining keywords laid over it.
  void substitute_reference(json::value& schema, const json::value& ref,
                            size_t depth) {
    json::value resolved = resolve(ref, schema.storage(), depth);
    if (!resolved.is_object()) {
      schema = std::move(resolved);
      return;
    }
    for (auto& entry : schema.get_object())
      resolved.get_object().insert_or_assign(entry.key(),
                                             std::move(entry.value()));
    schema = std::move(resolved);
  }

  json::value resolve(const json::value& ref, const json::storage_ptr& storage,
                      size_t depth) {
    const json::value* target = lookup(ref);
    if (!target || ++expansions_ > max_ref_expansions)
      return json::object(storage);
    std::string name(ref.get_string());
    if (std::find(resolving_.begin(), resolving_.end(), name) !=
        resolving_.end())
      return json::object(storage); // cyclic: stop here
    resolving_.push_back(std::move(name));
    json::value copy(*target, storage);
    clean(copy, depth + 1);
    resolving_.pop_back();
    return copy;
  }

  const json::value* lookup(const json::value& ref) const {
    if (!ref.is_string())
      return nullptr;
    std::string_view path = ref.get_string();
    const json::value* defs = nullptr;
    if (path.starts_with("#/$defs/")) {
      defs = &dollar_defs_;
      path.remove_prefix(8);
    } else if (path.starts_with("#/definitions/")) {
      defs = &definitions_;
      path.remove_prefix(14);
    }
    if (!defs || !defs->is_object())
      return nullptr;
    return defs->get_object().if_contains(unescape_pointer_token(path));
  }

  json::value dollar_defs_;
  json::value definitions_;
  std::vector<std::string> resolving_;
  size_t expansions_ = 0;
};

json::value take_member(json::object& object, std::string_view key) {
  json::value taken;
  if (auto it = object.find(key); it != object.end()) {
    taken = std::move(it->value());
    object.stable_erase(it);
  }
  return taken;
}

std::string empty_object_schema() {
  return R"({"type":"object","properties":{}})";
}

} // namespace

std::string clean_json_schema(std::string_view schema_json) {
  json::parse_options options;
  options.max_depth = max_parse_depth;
  // Every value lives in one arena released at once: schemas are many
  // small objects and this runs for every tool of every request.
  unsigned char buffer[8192];
  json::storage_ptr storage = json::make_shared_resource<json::monotonic_resource>(
      buffer, sizeof buffer);
  boost::system::error_code ec;
  json::value schema = json::parse(schema_json, ec, storage, options);
  if (ec || !schema.is_object())
    return empty_object_schema();
  json::value dollar_defs = take_member(schema.get_object(), "$defs");
  json::value definitions = take_member(schema.get_object(), "definitions");
  schema_cleaner(std::move(dollar_defs), std::move(definitions))
      .clean(schema, 0);
  if (!schema.is_object())
    return empty_object_schema();
  json::object& root = schema.get_object();
  if (!root.contains("type"))
    root.emplace("type", "object");
  const json::value* type = root.if_contains("type");
  if (type->is_string() && type->get_string() == "object" &&
      !root.contains("properties"))
    root.emplace("properties", json::object(storage));
  return json::serialize(schema);
}

} // namespace kb::kiro
