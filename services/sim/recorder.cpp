#include "services/sim/recorder.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/json.hpp>

namespace kb::sim {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 4> secret_keys{"accessToken", "refreshToken",
                                                      "clientSecret", "bytes"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// Masks token-bearing fields wherever they occur (image bytes are shortened
/// too: they only bloat the log).
void mask_secrets(json::value& v) {
  if (auto* obj = v.if_object()) {
    for (auto& [key, child] : *obj) {
      const bool secret = std::find(secret_keys.begin(), secret_keys.end(), key) != secret_keys.end();
      if (secret && child.is_string())
        child = mask_secret(child.get_string());
      else
        mask_secrets(child);
    }
  } else if (auto* arr = v.if_array()) {
    for (auto& child : *arr)
      mask_secrets(child);
  }
}

json::value body_json(const std::string& body, size_t limit) {
  if (body.empty())
    return nullptr;
  if (body.size() <= limit) {
    json::error_code ec;
    auto v = json::parse(body, ec);
    if (!ec) {
      mask_secrets(v);
      return v;
    }
  }
  // Raw text is never shown: it could carry a secret the masking cannot see.
  return json::string("<" + std::to_string(body.size()) + " bytes, not shown as JSON>");
}

json::object to_json(const recorded_request& r, size_t body_limit) {
  json::object headers;
  for (const auto& [name, value] : r.headers)
    headers[name] = iequals(name, "authorization") ? mask_authorization(value) : value;
  return json::object{
      {"sequence", r.sequence},
      {"time", r.time},
      {"method", r.method},
      {"path", r.path},
      {"endpoint", r.endpoint},
      {"headers", std::move(headers)},
      {"body", body_json(r.body, body_limit)},
      {"bodyBytes", r.body.size()},
      {"status", r.status},
      {"verdict", r.verdict},
      {"reason", r.reason},
      {"detail", r.detail},
      {"accountId", r.account_id},
  };
}

} // namespace

std::string mask_secret(std::string_view value) {
  if (value.size() < 8)
    return "****";
  return "****" + std::string(value.substr(value.size() - 4));
}

std::string mask_authorization(std::string_view header_value) {
  auto space = header_value.find(' ');
  if (space == std::string_view::npos)
    return mask_secret(header_value);
  return std::string(header_value.substr(0, space + 1)) +
         mask_secret(header_value.substr(space + 1));
}

request_log::request_log(size_t capacity, size_t max_body_bytes)
    : capacity_(std::max<size_t>(capacity, 1)), max_body_bytes_(max_body_bytes) {}

void request_log::record(recorded_request r) {
  r.sequence = ++total_;
  ++by_endpoint_[r.endpoint];
  ++by_status_[r.status];
  if (!r.account_id.empty())
    ++by_account_[r.account_id][r.endpoint];
  if (r.body.size() > max_body_bytes_) {
    // Keep the size for assertions but not the megabytes.
    r.detail += r.detail.empty() ? "" : "; ";
    r.detail += "body of " + std::to_string(r.body.size()) + " bytes not kept";
    r.body.clear();
  }
  ring_.push_back(std::move(r));
  if (ring_.size() > capacity_)
    ring_.pop_front();
}

void request_log::clear() {
  ring_.clear();
  total_ = 0;
  by_endpoint_.clear();
  by_status_.clear();
  by_account_.clear();
}

std::string request_log::render_requests(std::string_view account,
                                         std::string_view endpoint) const {
  json::array list;
  for (const auto& r : ring_) {
    if (!account.empty() && r.account_id != account)
      continue;
    if (!endpoint.empty() && r.endpoint != endpoint)
      continue;
    list.emplace_back(to_json(r, max_body_bytes_));
  }
  json::object out{{"total", total_}, {"requests", std::move(list)}};
  return json::serialize(out);
}

std::string request_log::render_stats() const {
  json::object endpoints;
  for (const auto& [name, n] : by_endpoint_)
    endpoints[name] = n;
  json::object statuses;
  for (const auto& [status, n] : by_status_)
    statuses[std::to_string(status)] = n;
  json::object accounts;
  for (const auto& [id, per_endpoint] : by_account_) {
    json::object counts;
    uint64_t sum = 0;
    for (const auto& [name, n] : per_endpoint) {
      counts[name] = n;
      sum += n;
    }
    accounts[id] = json::object{{"total", sum}, {"byEndpoint", std::move(counts)}};
  }
  json::object out{{"total", total_},
                   {"byEndpoint", std::move(endpoints)},
                   {"byStatus", std::move(statuses)},
                   {"byAccount", std::move(accounts)}};
  return json::serialize(out);
}

} // namespace kb::sim
