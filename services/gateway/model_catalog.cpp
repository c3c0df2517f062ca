#include "services/gateway/model_catalog.hpp"

#include <algorithm>
#include <cctype>

namespace kb::gw {

namespace {

/// The YYYYMMDD date an id ends with, or "".
std::string date_suffix(std::string_view id) {
  if (id.size() < 9 || id[id.size() - 9] != '-')
    return {};
  auto tail = id.substr(id.size() - 8);
  if (!std::all_of(tail.begin(), tail.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return {};
  return std::string{tail};
}

std::string rfc3339(const std::string& yyyymmdd) {
  if (yyyymmdd.empty())
    return "2025-01-01T00:00:00Z";
  return yyyymmdd.substr(0, 4) + "-" + yyyymmdd.substr(4, 2) + "-" +
         yyyymmdd.substr(6, 2) + "T00:00:00Z";
}

} // namespace

std::string display_name(std::string_view id) {
  auto date = date_suffix(id);
  if (!date.empty())
    id = id.substr(0, id.size() - 9);
  std::string out;
  std::string word;
  auto flush = [&] {
    if (word.empty())
      return;
    if (!out.empty()) {
      bool both_digits = std::isdigit(static_cast<unsigned char>(out.back())) &&
                         std::isdigit(static_cast<unsigned char>(word[0]));
      out += both_digits ? "." : " ";
    }
    word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    out += word;
    word.clear();
  };
  for (char c : id) {
    if (c == '-')
      flush();
    else
      word.push_back(c);
  }
  flush();
  return out;
}

std::vector<claude::model_entry> model_catalog(const config::model_mapping& m) {
  std::vector<claude::model_entry> out;
  for (auto& e : m.entries) {
    if (e.claude_model == "default")
      continue;
    out.push_back({e.claude_model, display_name(e.claude_model),
                   rfc3339(date_suffix(e.claude_model))});
  }
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) {
    if (a.created_at != b.created_at)
      return a.created_at > b.created_at;
    return a.id > b.id;
  });
  return out;
}

} // namespace kb::gw
