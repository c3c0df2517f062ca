#include "services/common/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kb::metrics {

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

namespace {

template <class A, class B>
bool lexicographic_less(const A& a, const B& b) {
  return std::lexicographical_compare(
    a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
      auto first = std::string_view{x.first}.compare(y.first);
      return first != 0 ? first < 0 : std::string_view{x.second} < std::string_view{y.second};
    });
}

/// The series for `l`, created (labels copied) when it is new.
template <class Map>
auto& series(Map& m, label_refs l) {
  auto it = m.find(l);
  if (it == m.end()) {
    labels owned;
    owned.reserve(l.size());
    for (auto& [k, v] : l)
      owned.emplace_back(std::string{k}, std::string{v});
    it = m.emplace(std::move(owned), typename Map::mapped_type{}).first;
  }
  return it->second;
}

} // namespace

bool labels_less::operator()(const labels& a, label_refs b) const {
  return lexicographic_less(a, b);
}

bool labels_less::operator()(label_refs a, const labels& b) const {
  return lexicographic_less(a, b);
}

registry::family& registry::family_of(std::string_view name, kind k) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    family f;
    f.k = k;
    if (k == kind::histogram)
      f.buckets = default_buckets();
    it = families_.emplace(std::string{name}, std::move(f)).first;
  }
  return it->second;
}

void registry::describe(std::string_view name, kind k, std::string help,
                        std::vector<double> buckets) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& f = family_of(name, k);
  f.k = k;
  f.help = std::move(help);
  if (k == kind::histogram && f.histograms.empty()) {
    std::sort(buckets.begin(), buckets.end());
    f.buckets = std::move(buckets);
  }
}

void registry::add(std::string_view name, label_refs l, double v) {
  std::lock_guard<std::mutex> guard{mutex_};
  series(family_of(name, kind::counter).values, l) += v;
}

void registry::set(std::string_view name, label_refs l, double v) {
  std::lock_guard<std::mutex> guard{mutex_};
  series(family_of(name, kind::gauge).values, l) = v;
}

void registry::observe(std::string_view name, label_refs l, double v) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& f = family_of(name, kind::histogram);
  auto& h = series(f.histograms, l);
  if (h.counts.size() != f.buckets.size())
    h.counts.assign(f.buckets.size(), 0);
  auto bucket = std::lower_bound(f.buckets.begin(), f.buckets.end(), v);
  if (bucket != f.buckets.end())
    ++h.counts[static_cast<size_t>(bucket - f.buckets.begin())];
  ++h.count;
  h.sum += v;
}

void registry::clear(std::string_view name) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = families_.find(name);
  if (it != families_.end()) {
    it->second.values.clear();
    it->second.histograms.clear();
  }
}

double registry::value(std::string_view name, label_refs l) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = families_.find(name);
  if (it == families_.end())
    return 0;
  auto v = it->second.values.find(l);
  return v == it->second.values.end() ? 0 : v->second;
}

namespace {

std::string_view type_name(kind k) {
  switch (k) {
    case kind::counter: return "counter";
    case kind::gauge: return "gauge";
    case kind::histogram: return "histogram";
  }
  return "untyped";
}

labels with_label(labels l, std::string key, std::string value) {
  l.emplace_back(std::move(key), std::move(value));
  return l;
}

} // namespace

std::string registry::render() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::string out;
  for (auto& [name, f] : families_) {
    if (f.values.empty() && f.histograms.empty())
      continue;
    if (!f.help.empty())
      out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + std::string{type_name(f.k)} + "\n";
    for (auto& [l, v] : f.values)
      out += name + render_labels(l) + " " + format_number(v) + "\n";
    for (auto& [l, h] : f.histograms) {
      std::uint64_t cumulative = 0;
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += i < h.counts.size() ? h.counts[i] : 0;
        out += name + "_bucket" +
               render_labels(with_label(l, "le", format_number(f.buckets[i]))) + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + render_labels(with_label(l, "le", "+Inf")) + " " +
             std::to_string(h.count) + "\n";
      out += name + "_sum" + render_labels(l) + " " + format_number(h.sum) + "\n";
      out += name + "_count" + render_labels(l) + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

void describe_bridge_metrics(registry& r) {
  using namespace names;
  r.describe(requests, kind::counter, "Claude API requests by route, status and Kiro model.");
  r.describe(request_duration, kind::histogram, "Claude API request latency by route.");
  r.describe(tokens, kind::counter,
             "Tokens by direction (input, output, cache_read, cache_write) and Kiro model.");
  r.describe(upstream_errors, kind::counter, "Failed requests by Anthropic error class.");
  r.describe(accounts, kind::gauge, "Accounts by state.");
  r.describe(account_state, kind::gauge, "1 for each account's current state.");
  r.describe(account_requests, kind::counter, "Upstream calls per account.");
  r.describe(account_failures, kind::counter, "Failed upstream calls per account.");
  r.describe(token_refreshes, kind::counter, "Token refreshes per account.");
  r.describe(account_usage, kind::gauge, "Quota used per account, in percent.");
  r.describe(account_in_flight, kind::gauge, "Upstream calls in flight per account.");
  r.describe(queue_depth, kind::gauge, "Requests waiting for a free account worker.");
  r.describe(pending_requests, kind::gauge, "Requests the supervisor is handling.");
  r.describe(upstream_in_flight, kind::gauge, "Upstream calls in flight, all accounts.");
  r.describe(tool_calls_truncated, kind::counter,
             "Tool calls Kiro cut before their arguments ended, by Kiro model.");
  r.describe(upstream_references, kind::counter,
             "Citations and code references Kiro sent, by kind (citation/code_reference).");
  r.describe(credits, kind::counter, "Kiro credits charged (meteringEvent), by Kiro model.");
  // Health and error classes (issue 19).
  r.describe(health_status, kind::gauge,
             "1 for the current /api/health status (ok, degraded, down), 0 for the others.");
  r.describe(client_errors, kind::counter,
             "Claude API requests refused for the client's mistake (4xx), by error class.");
  r.describe(service_errors, kind::counter,
             "Claude API requests the bridge failed before any upstream call, by error class.");
}

registry& global() {
  static registry instance;
  return instance;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string render_labels(const labels& l) {
  if (l.empty())
    return {};
  std::string out = "{";
  for (size_t i = 0; i < l.size(); ++i) {
    if (i > 0)
      out += ',';
    out += l[i].first + "=\"" + escape_label_value(l[i].second) + "\"";
  }
  out += '}';
  return out;
}

std::string format_number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  // Shortest text that reads back as v.
  for (int precision = 1; precision <= 17; ++precision) {
    char shorter[64];
    std::snprintf(shorter, sizeof(shorter), "%.*g", precision, v);
    if (std::strtod(shorter, nullptr) == v)
      return shorter;
  }
  return buf;
}

} // namespace kb::metrics
