#include "shared/claude/models.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "shared/common/json_text.hpp"

namespace kb::claude {

namespace {

constexpr int default_page_size = 20;
constexpr int max_page_size = 1000;

struct page_query {
  int limit = default_page_size;
  std::optional<std::string> after_id;
  std::optional<std::string> before_id;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// application/x-www-form-urlencoded decoding; malformed escapes stay literal.
std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

result<int> parse_limit(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size())
    return invalid_request("limit: Input should be a valid integer");
  if (ec == std::errc::result_out_of_range)
    return invalid_request(text.front() == '-'
                               ? "limit: Input should be greater than or equal to 1"
                               : "limit: Input should be less than or equal to 1000");
  if (value < 1) return invalid_request("limit: Input should be greater than or equal to 1");
  if (value > max_page_size)
    return invalid_request("limit: Input should be less than or equal to 1000");
  return value;
}

result<page_query> parse_page_query(std::string_view query) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  page_query out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    const std::string key = url_decode(pair.substr(0, eq));
    const std::string value =
        eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (key == "limit") {
      auto limit = parse_limit(value);
      if (!limit) return limit.error();
      out.limit = *limit;
    } else if (key == "after_id") {
      out.after_id = value;
    } else if (key == "before_id") {
      out.before_id = value;
    }
  }
  if (out.after_id && out.before_id)
    return invalid_request("after_id and before_id cannot be used together");
  return out;
}

std::optional<std::size_t> index_of(const std::vector<model_entry>& models,
                                    std::string_view id) {
  const auto it = std::find_if(models.begin(), models.end(),
                               [id](const model_entry& m) { return m.id == id; });
  if (it == models.end()) return std::nullopt;
  return static_cast<std::size_t>(it - models.begin());
}

void append_model(std::string& out, const model_entry& model) {
  out += R"({"type":"model","id":)";
  append_json_string(out, model.id);
  out += R"(,"display_name":)";
  append_json_string(out, model.display_name);
  out += R"(,"created_at":)";
  append_json_string(out, model.created_at);
  if (model.max_input_tokens > 0)
    out += R"(,"max_input_tokens":)" + std::to_string(model.max_input_tokens);
  if (model.max_tokens > 0)
    out += R"(,"max_tokens":)" + std::to_string(model.max_tokens);
  out += '}';
}

void append_id_or_null(std::string& out, const model_entry* model) {
  if (model == nullptr) {
    out += "null";
  } else {
    append_json_string(out, model->id);
  }
}

} // namespace

std::string render_model(const model_entry& model) {
  std::string out;
  append_model(out, model);
  return out;
}

result<std::string> render_model_list(const std::vector<model_entry>& newest_first,
                                      std::string_view query_string) {
  auto query = parse_page_query(query_string);
  if (!query) return query.error();
  const std::size_t limit = static_cast<std::size_t>(query->limit);

  // The page is [begin, end) of newest_first; has_more says whether more
  // models lie beyond it in the direction of travel.
  std::size_t begin = 0;
  std::size_t end = 0;
  bool has_more = false;
  if (query->before_id) {
    const auto cursor = index_of(newest_first, *query->before_id);
    if (!cursor) return invalid_request("before_id: unknown model id '" + *query->before_id + "'");
    end = *cursor;
    begin = end > limit ? end - limit : 0;
    has_more = begin > 0;
  } else {
    if (query->after_id) {
      const auto cursor = index_of(newest_first, *query->after_id);
      if (!cursor) return invalid_request("after_id: unknown model id '" + *query->after_id + "'");
      begin = *cursor + 1;
    }
    end = std::min(newest_first.size(), begin + limit);
    has_more = end < newest_first.size();
  }

  std::string out = R"({"data":[)";
  for (std::size_t i = begin; i < end; ++i) {
    if (i != begin) out += ',';
    append_model(out, newest_first[i]);
  }
  out += R"(],"has_more":)";
  out += has_more ? "true" : "false";
  out += R"(,"first_id":)";
  append_id_or_null(out, begin < end ? &newest_first[begin] : nullptr);
  out += R"(,"last_id":)";
  append_id_or_null(out, begin < end ? &newest_first[end - 1] : nullptr);
  out += '}';
  return out;
}

} // namespace kb::claude
