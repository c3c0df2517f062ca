#include "services/gateway/model_catalog.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

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

namespace {

const served_model* find_served(const std::vector<served_model>& served,
                                std::string_view kiro_id) {
  auto it = std::find_if(served.begin(), served.end(),
                         [&](auto& x) { return x.kiro_id == kiro_id; });
  return it == served.end() ? nullptr : &*it;
}

void add_limits(claude::model_entry& e, const served_model* s) {
  if (!s)
    return;
  e.max_input_tokens = s->max_input_tokens;
  e.max_tokens = s->max_output_tokens;
}

/// The Claude id a client sends for a served Claude Kiro model, in
/// Claude's dash form (claude-opus-4.7 → claude-opus-4-7), when the mapping
/// resolves it back; "" otherwise (auto and the non-Claude models have no
/// Claude id: /v1/models lists Claude models only).
std::string claude_id_for(const config::model_mapping& m, const std::string& kiro_id) {
  if (kiro_id.rfind("claude-", 0) != 0)
    return {};
  auto dashed = kiro_id;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return config::resolve(m, dashed) == kiro_id ? dashed : std::string{};
}

} // namespace

std::vector<served_model> parse_served_models(std::string_view json) {
  std::vector<served_model> out;
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_array())
    return out;
  for (auto& m : doc["models"]) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string())
      continue;
    served_model s;
    s.kiro_id = m["id"].get<std::string>();
    s.name = m.value("name", std::string{});
    s.max_input_tokens = m.value("maxInputTokens", int64_t{0});
    s.max_output_tokens = m.value("maxOutputTokens", int64_t{0});
    out.push_back(std::move(s));
  }
  return out;
}

int64_t context_window(const std::vector<served_model>& served, std::string_view kiro_model) {
  if (auto* s = find_served(served, kiro_model); s && s->max_input_tokens > 0)
    return s->max_input_tokens;
  return config::context_window(kiro_model);
}

std::vector<claude::model_entry> model_catalog(const config::model_mapping& m,
                                               const std::vector<served_model>& served) {
  std::vector<claude::model_entry> out;
  std::vector<std::string> targeted;
  for (auto& e : m.entries) {
    if (e.claude_model == "default")
      continue;
    claude::model_entry entry{e.claude_model, display_name(e.claude_model),
                              rfc3339(date_suffix(e.claude_model))};
    add_limits(entry, find_served(served, e.kiro_model));
    out.push_back(std::move(entry));
    targeted.push_back(e.kiro_model);
  }
  for (auto& s : served) {
    if (std::find(targeted.begin(), targeted.end(), s.kiro_id) != targeted.end())
      continue;
    auto id = claude_id_for(m, s.kiro_id);
    if (id.empty() || std::any_of(out.begin(), out.end(), [&](auto& x) { return x.id == id; }))
      continue;
    claude::model_entry entry{id, s.name.empty() ? display_name(id) : s.name,
                              rfc3339(date_suffix(id))};
    add_limits(entry, &s);
    out.push_back(std::move(entry));
  }
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) {
    if (a.created_at != b.created_at)
      return a.created_at > b.created_at;
    return a.id > b.id;
  });
  return out;
}

std::shared_ptr<const std::vector<served_model>> served_models_cache::get() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return models_;
}

void served_models_cache::set(std::vector<served_model> models, clock::time_point at) {
  auto next = std::make_shared<const std::vector<served_model>>(std::move(models));
  std::lock_guard<std::mutex> guard{mutex_};
  models_ = std::move(next);
  updated_ = at;
}

bool served_models_cache::stale(clock::time_point now, clock::duration max_age) const {
  std::lock_guard<std::mutex> guard{mutex_};
  return models_->empty() || now - updated_ >= max_age;
}

bool served_models_cache::claim_refresh(clock::time_point now, clock::duration spacing) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (refresh_claimed_ != clock::time_point{} && now - refresh_claimed_ < spacing)
    return false;
  refresh_claimed_ = now;
  return true;
}

} // namespace kb::gw
