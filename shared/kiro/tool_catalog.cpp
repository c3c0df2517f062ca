#include "shared/kiro/tool_catalog.hpp"

#include <algorithm>

#include "shared/kiro/json_schema.hpp"
#include "shared/kiro/tool_names.hpp"

namespace kb::kiro {

namespace {

bool has_tool(const tool_catalog& catalog, std::string_view kiro_name) {
  return std::any_of(catalog.tools.begin(), catalog.tools.end(),
                     [&](const kiro_tool& t) {
                       return same_tool_name(t.name, kiro_name);
                     });
}

void record_rename(tool_catalog& catalog, const std::string& kiro_name,
                   std::string_view client_name) {
  if (kiro_name != client_name)
    catalog.name_map.emplace_back(kiro_name, std::string(client_name));
}

void document_full_description(tool_catalog& catalog,
                               std::string_view kiro_name,
                               std::string_view description) {
  if (catalog.documentation.empty())
    catalog.documentation = tool_documentation_heading;
  catalog.documentation += "\n\n## ";
  catalog.documentation += kiro_name;
  catalog.documentation += '\n';
  catalog.documentation += description;
}

void add_client_tool(tool_catalog& catalog, const tool_spec& spec,
                     const catalog_options& options) {
  std::string name = shorten_tool_name(spec.name);
  if (has_tool(catalog, name))
    return;
  std::string_view guidance =
      options.chunked_write_guidance ? write_guidance_for(spec.name) : std::string_view{};
  if (guidance.size() + 1 >= options.max_description_bytes)
    guidance = {};
  size_t room = options.max_description_bytes - (guidance.empty() ? 0 : guidance.size() + 1);
  kiro_tool tool;
  if (spec.description.empty()) {
    tool.description = std::string(utf8_prefix(spec.name, room));
  } else {
    tool.description = shorten_description(spec.description, room);
    if (tool.description.size() != spec.description.size())
      document_full_description(catalog, name, spec.description);
  }
  if (!guidance.empty()) {
    if (!tool.description.empty())
      tool.description += '\n';
    tool.description += guidance;
  }
  tool.schema_json = clean_json_schema(spec.input_schema_json);
  record_rename(catalog, name, spec.name);
  tool.name = std::move(name);
  catalog.tools.push_back(std::move(tool));
}

void add_placeholder_tool(tool_catalog& catalog, std::string_view client_name) {
  std::string name = shorten_tool_name(client_name);
  if (has_tool(catalog, name))
    return;
  record_rename(catalog, name, client_name);
  catalog.tools.push_back(kiro_tool{std::move(name),
                                    std::string(placeholder_tool_description),
                                    std::string(placeholder_tool_schema)});
}

} // namespace

std::string shorten_description(std::string_view description,
                                size_t max_bytes) {
  if (description.size() <= max_bytes)
    return std::string(description);
  if (max_bytes <= description_cut_note.size())
    return std::string(utf8_prefix(description, max_bytes));
  std::string out(
      utf8_prefix(description, max_bytes - description_cut_note.size()));
  out += description_cut_note;
  return out;
}

std::string_view write_guidance_for(std::string_view tool_name) {
  if (same_tool_name(tool_name, "Write"))
    return chunked_write_guidance;
  if (same_tool_name(tool_name, "Edit") || same_tool_name(tool_name, "MultiEdit"))
    return chunked_edit_guidance;
  return {};
}

tool_catalog build_tool_catalog(
    const std::vector<tool_spec>& client_tools, bool send_client_tools,
    const std::vector<std::string_view>& history_tool_names,
    const catalog_options& options) {
  tool_catalog catalog;
  if (send_client_tools)
    for (const auto& spec : client_tools)
      add_client_tool(catalog, spec, options);
  for (auto name : history_tool_names)
    add_placeholder_tool(catalog, name);
  return catalog;
}

} // namespace kb::kiro
