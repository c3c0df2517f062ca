#include "shared/config/model_mapping.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <utility>

#include "shared/config/file_io.hpp"
#include "shared/config/json_fields.hpp"

namespace kb::config {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::array<std::string_view, 14> current_kiro_models{
  "auto",
  "claude-sonnet-4",
  "claude-sonnet-4.5",
  "claude-sonnet-4.6",
  "claude-haiku-4.5",
  "claude-opus-4.5",
  "claude-opus-4.6",
  "claude-opus-4.7",
  "claude-opus-4.8", // kiro.rs PR #171, pi-provider-kiro PR #78 (May 2026)
  "deepseek-3.2",
  "glm-5",
  "minimax-m2.1",
  "minimax-m2.5",
  "qwen3-coder-next",
};

constexpr std::array<std::string_view, 3> legacy_kiro_models{
  "CLAUDE_SONNET_4_20250514_V1_0",
  "CLAUDE_3_7_SONNET_20250219_V1_0",
  "CLAUDE_SONNET_4_5_20250929_V1_0",
};

constexpr std::array<std::pair<std::string_view, std::string_view>, 15>
  builtin_mappings{{
    {"claude-opus-4-8", "claude-opus-4.8"},
    {"claude-opus-4-7", "claude-opus-4.7"},
    {"claude-opus-4-6", "claude-opus-4.6"},
    {"claude-opus-4-5", "claude-opus-4.5"},
    {"claude-opus-4-5-20251101", "claude-opus-4.5"},
    {"claude-sonnet-4-6", "claude-sonnet-4.6"},
    {"claude-sonnet-4-5", "claude-sonnet-4.5"},
    {"claude-sonnet-4-5-20250929", "claude-sonnet-4.5"},
    {"claude-sonnet-4-20250514", "claude-sonnet-4"},
    {"claude-haiku-4-5", "claude-haiku-4.5"},
    {"claude-haiku-4-5-20251001", "claude-haiku-4.5"},
    {"claude-3-7-sonnet-20250219", "claude-sonnet-4.5"},
    {"claude-3-7-sonnet-latest", "claude-sonnet-4.5"},
    {"claude-3-5-haiku-20241022", "claude-haiku-4.5"},
    {"claude-3-5-haiku-latest", "claude-haiku-4.5"},
  }};

struct family_fallback {
  std::string_view family;
  std::string_view kiro_model;
};

constexpr std::array<family_fallback, 3> family_fallbacks{{
  {"opus", "claude-opus-4.6"},
  {"sonnet", "claude-sonnet-4.5"},
  {"haiku", "claude-haiku-4.5"},
}};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_letters(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

/// Removes one known suffix; false if none was there.
bool strip_one_suffix(std::string& id) {
  for (std::string_view suffix : {"[1m]", "-thinking", "-latest"}) {
    if (ends_with(id, suffix) && id.size() > suffix.size()) {
      id.resize(id.size() - suffix.size());
      return true;
    }
  }
  // -YYYYMMDD
  if (id.size() > 9 && id[id.size() - 9] == '-' &&
      all_digits(std::string_view(id).substr(id.size() - 8))) {
    id.resize(id.size() - 9);
    return true;
  }
  return false;
}

std::vector<std::string_view> split_dashes(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto dash = s.find('-', start);
    parts.push_back(s.substr(start, dash - start));
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  return parts;
}

/// (major, minor) of `claude-<family>-<major>[.<minor>]`, e.g. claude-opus-4.7.
std::optional<std::pair<int, int>> version_of(std::string_view kiro_model,
                                              std::string_view family) {
  std::string prefix = "claude-" + std::string(family) + "-";
  if (kiro_model.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view version = kiro_model.substr(prefix.size());
  auto dot = version.find('.');
  std::string_view major = version.substr(0, dot);
  std::string_view minor =
    dot == std::string_view::npos ? std::string_view("0") : version.substr(dot + 1);
  if (!all_digits(major) || !all_digits(minor) || major.size() > 3 ||
      minor.size() > 3)
    return std::nullopt;
  return std::pair{std::stoi(std::string(major)), std::stoi(std::string(minor))};
}

std::optional<std::string> newest_of_family(const model_mapping& m,
                                            std::string_view family) {
  std::optional<std::pair<int, int>> best_version;
  std::optional<std::string> best;
  for (const auto& e : m.entries) {
    auto v = version_of(e.kiro_model, family);
    if (v && (!best_version || *v > *best_version)) {
      best_version = v;
      best = e.kiro_model;
    }
  }
  return best;
}

std::optional<std::string> canonical_known_model(std::string_view id) {
  std::string lower = lowercase(id);
  for (auto known : current_kiro_models)
    if (known == lower) return std::string(known);
  for (auto legacy : legacy_kiro_models)
    if (lowercase(legacy) == lower) return std::string(legacy);
  return std::nullopt;
}

// -- reading ------------------------------------------------------------------

using reader = detail::field_reader<ojson>;

void read_entries(reader& r, const ojson& object, std::string_view skip_key,
                  std::vector<mapping_entry>& out) {
  for (const auto& [claude, target] : object.items()) {
    if (claude == skip_key) continue;
    if (!target.is_string()) {
      r.fail_type(claude, "a Kiro model id string", target);
      return;
    }
    if (target.get_ref<const std::string&>().empty()) {
      r.fail_key(claude, "must not be empty");
      return;
    }
    out.push_back({claude, target.get<std::string>()});
  }
}

void read_default(reader& r, std::string_view key, std::string& out) {
  std::string value;
  if (!r.read(key, value)) return;
  if (value.empty()) {
    r.fail_key(key, "must not be empty");
    return;
  }
  out = std::move(value);
}

// -- writing ------------------------------------------------------------------

/// The entries as an object, in the order the original object had them,
/// then new ones; `default_key` (flat shape) keeps its place, or goes last.
ojson entries_object(const model_mapping& m, const ojson& original,
                     std::string_view default_key) {
  ojson out = ojson::object();
  std::set<std::string> written;
  auto write_default = [&] {
    out[std::string(default_key)] = m.default_model;
    written.insert(std::string(default_key));
  };
  if (original.is_object()) {
    for (const auto& [key, value] : original.items()) {
      if (!default_key.empty() && key == default_key) {
        write_default();
      } else if (const std::string* target = m.find(key)) {
        out[key] = *target;
        written.insert(key);
      }
    }
  }
  for (const auto& e : m.entries) {
    if (written.insert(e.claude_model).second) out[e.claude_model] = e.kiro_model;
  }
  if (!default_key.empty() && !written.count(std::string(default_key)))
    write_default();
  return out;
}

} // namespace

const std::string* model_mapping::find(std::string_view claude_model) const {
  for (const auto& e : entries)
    if (e.claude_model == claude_model) return &e.kiro_model;
  return nullptr;
}

void model_mapping::set(std::string claude_model, std::string kiro_model) {
  for (auto& e : entries) {
    if (e.claude_model == claude_model) {
      e.kiro_model = std::move(kiro_model);
      return;
    }
  }
  entries.push_back({std::move(claude_model), std::move(kiro_model)});
}

bool model_mapping::remove(std::string_view claude_model) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) {
    return e.claude_model == claude_model;
  });
  if (it == entries.end()) return false;
  entries.erase(it);
  return true;
}

loaded<model_mapping> parse_model_mapping(std::string_view text,
                                          const std::string& file_name) {
  auto doc = detail::parse_document<ojson>(text, file_name);
  if (!doc) return doc.error();
  if (!doc->is_object())
    return detail::type_error(file_name, "", "an object", *doc);

  model_mapping m;
  reader r(file_name, "", *doc);
  if (doc->contains("mappings") || doc->contains("defaultModel")) {
    m.shape = mapping_shape::released;
    std::string description;
    r.read("description", description);
    if (const ojson* mappings = r.find("mappings")) {
      if (!mappings->is_object()) {
        r.fail_type("mappings", "an object", *mappings);
      } else {
        reader entries(file_name, "mappings", *mappings);
        read_entries(entries, *mappings, "", m.entries);
        if (entries.error()) r.fail(*entries.error());
      }
    }
    read_default(r, "defaultModel", m.default_model);
    if (const ojson* notes = r.find("notes"); notes && !notes->is_object())
      r.fail_type("notes", "an object", *notes);
  } else {
    m.shape = mapping_shape::flat;
    read_entries(r, *doc, "default", m.entries);
    read_default(r, "default", m.default_model);
  }
  if (r.error()) return *r.error();
  m.original = std::move(*doc);
  return m;
}

loaded<model_mapping> load_model_mapping(const std::string& path) {
  auto text = read_optional_file(path);
  if (!text) return text.error();
  if (!text.value()) return default_model_mapping();
  return parse_model_mapping(*text.value(), path);
}

model_mapping default_model_mapping() {
  model_mapping m;
  for (const auto& [claude, kiro] : builtin_mappings)
    m.entries.push_back({std::string(claude), std::string(kiro)});
  return m;
}

std::string render_model_mapping(const model_mapping& m) {
  ojson doc;
  if (m.shape == mapping_shape::flat) {
    doc = entries_object(m, m.original, "default");
  } else {
    doc = m.original.is_object() ? m.original : ojson::object();
    ojson original_mappings =
      doc.contains("mappings") ? doc["mappings"] : ojson::object();
    doc["mappings"] = entries_object(m, original_mappings, "");
    doc["defaultModel"] = m.default_model;
  }
  return doc.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

std::optional<config_error> save_model_mapping(const std::string& path,
                                               const model_mapping& mapping) {
  return atomic_write_file(path, render_model_mapping(mapping));
}

std::string normalize_model_id(std::string_view model) {
  std::string id = lowercase(model);
  auto first = id.find_first_not_of(" \t\r\n");
  auto last = id.find_last_not_of(" \t\r\n");
  id = first == std::string::npos ? std::string() : id.substr(first, last - first + 1);
  while (strip_one_suffix(id)) {
  }
  if (id == "auto-kiro") return "auto";
  auto parts = split_dashes(id);
  if (parts.size() == 4 && parts[0] == "claude" && all_letters(parts[1]) &&
      all_digits(parts[2]) && all_digits(parts[3]) && parts[2].size() <= 2 &&
      parts[3].size() <= 2) {
    return "claude-" + std::string(parts[1]) + "-" + std::string(parts[2]) +
           "." + std::string(parts[3]);
  }
  return id;
}

bool has_thinking_suffix(std::string_view claude_model) {
  std::string id = lowercase(claude_model);
  if (ends_with(id, "[1m]")) id.resize(id.size() - 4);
  return ends_with(id, "-thinking");
}

std::string resolve(const model_mapping& m, std::string_view claude_model) {
  if (const std::string* exact = m.find(claude_model)) return *exact;

  const std::string normalized = normalize_model_id(claude_model);
  for (const auto& e : m.entries)
    if (normalize_model_id(e.claude_model) == normalized) return e.kiro_model;

  if (auto known = canonical_known_model(claude_model)) return *known;
  if (auto known = canonical_known_model(normalized)) return *known;

  for (const auto& fallback : family_fallbacks) {
    if (normalized.find(fallback.family) == std::string::npos) continue;
    if (auto newest = newest_of_family(m, fallback.family)) return *newest;
    return std::string(fallback.kiro_model);
  }
  return m.default_model;
}

std::vector<std::string> known_kiro_models() {
  std::vector<std::string> out;
  for (auto id : current_kiro_models) out.emplace_back(id);
  for (auto id : legacy_kiro_models) out.emplace_back(id);
  return out;
}

bool is_known_kiro_model(std::string_view kiro_model) {
  auto matches = [&](std::string_view id) { return id == kiro_model; };
  return std::any_of(current_kiro_models.begin(), current_kiro_models.end(),
                     matches) ||
         std::any_of(legacy_kiro_models.begin(), legacy_kiro_models.end(),
                     matches);
}

std::int64_t context_window(std::string_view kiro_model) {
  // Opus 4.8: 1M (kiro.rs PR #171). Kiro's own ListAvailableModels limits
  // outrank this table wherever the pool has them (gateway model_catalog).
  if (kiro_model == "claude-sonnet-4.6" || kiro_model == "claude-opus-4.6" ||
      kiro_model == "claude-opus-4.8" || kiro_model == "auto")
    return 1000000;
  return 200000;
}

} // namespace kb::config
