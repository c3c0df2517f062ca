#include "shared/kiro/tool_names.hpp"

#include <algorithm>
#include <optional>

#include "shared/common/ascii.hpp"
#include "shared/common/sha256.hpp"

namespace kb::kiro {

namespace {

constexpr size_t hash_hex_digits = 8;
constexpr size_t kept_prefix_bytes = max_tool_name_bytes - 1 - hash_hex_digits;

bool is_utf8_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::string sha256_hex_prefix(std::string_view s, size_t digits) {
  auto digest = sha256(s);
  return hex_lower(digest.data(), digest.size()).substr(0, digits);
}

bool is_identifier_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

struct mention {
  size_t at;
  size_t name; ///< index into the map
};

/// The longest client name of `renamed` standing alone at `at`, if any.
std::optional<size_t> mention_at(std::string_view text, size_t at,
                                 const tool_name_map& renamed) {
  if (at > 0 && is_identifier_char(text[at - 1]))
    return std::nullopt;
  std::optional<size_t> best;
  for (size_t i = 0; i < renamed.size(); ++i) {
    std::string_view client = renamed[i].second;
    if (best && client.size() <= renamed[*best].second.size())
      continue;
    if (text.substr(at, client.size()) != client)
      continue;
    size_t end = at + client.size();
    if (end < text.size() && is_identifier_char(text[end]))
      continue;
    best = i;
  }
  return best;
}

} // namespace

void rename_tool_mentions(std::string& text, const tool_name_map& renamed) {
  if (renamed.empty() || text.empty())
    return;
  // Renamed names are longer than 64 bytes and usually share their start
  // ("mcp__..."): one scan per distinct 4-byte start keeps a multi-megabyte
  // text cheap.
  std::vector<std::string_view> starts;
  for (const auto& [kiro_name, client_name] : renamed) {
    std::string_view start = std::string_view(client_name).substr(0, 4);
    if (!start.empty() && std::find(starts.begin(), starts.end(), start) == starts.end())
      starts.push_back(start);
  }
  std::vector<mention> mentions;
  std::string_view view = text;
  for (std::string_view start : starts)
    for (size_t at = view.find(start); at != std::string_view::npos;
         at = view.find(start, at + 1))
      if (auto name = mention_at(view, at, renamed))
        mentions.push_back({at, *name});
  if (mentions.empty())
    return;
  std::sort(mentions.begin(), mentions.end(),
            [](const mention& a, const mention& b) { return a.at < b.at; });
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  for (const auto& m : mentions) {
    if (m.at < copied)
      continue; // inside the mention replaced just before
    out.append(view.substr(copied, m.at - copied));
    out += renamed[m.name].first;
    copied = m.at + renamed[m.name].second.size();
  }
  out.append(view.substr(copied));
  text = std::move(out);
}

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) noexcept {
  if (s.size() <= max_bytes)
    return s;
  size_t cut = max_bytes;
  while (cut > 0 && is_utf8_continuation(s[cut]))
    --cut;
  return s.substr(0, cut);
}

std::string shorten_tool_name(std::string_view name) {
  if (name.size() <= max_tool_name_bytes)
    return std::string(name);
  std::string out(utf8_prefix(name, kept_prefix_bytes));
  out.push_back('_');
  out += sha256_hex_prefix(name, hash_hex_digits);
  return out;
}

bool same_tool_name(std::string_view a, std::string_view b) noexcept {
  return equals_ci(a, b);
}

} // namespace kb::kiro
