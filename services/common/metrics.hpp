#pragma once

// A thread-safe metrics registry rendered in the Prometheus text format
// (version 0.0.4): counters, gauges and histograms, each a family of series
// told apart by labels. Label values must never be secrets.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;
/// Labels as a caller passes them: views, copied only when a series is new.
using label_refs = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// Orders stored labels, and finds them by label_refs without a copy.
struct labels_less {
  using is_transparent = void;
  bool operator()(const labels& a, const labels& b) const { return a < b; }
  bool operator()(const labels& a, label_refs b) const;
  bool operator()(label_refs a, const labels& b) const;
};

enum class kind { counter, gauge, histogram };

/// Request latency buckets in seconds.
std::vector<double> default_buckets();

class registry {
public:
  /// Declares a family (help text, type, and buckets for histograms). Using
  /// an undeclared name declares it with an empty help text.
  void describe(std::string_view name, kind k, std::string help,
                std::vector<double> buckets = default_buckets());

  void add(std::string_view name, label_refs l, double v = 1);
  void set(std::string_view name, label_refs l, double v);
  void observe(std::string_view name, label_refs l, double v);
  /// Drops every series of a gauge family (before setting fresh values).
  void clear(std::string_view name);

  /// The value of a counter or gauge series (0 when absent); for tests.
  double value(std::string_view name, label_refs l) const;

  std::string render() const;

private:
  struct histogram_data {
    std::vector<std::uint64_t> counts; ///< per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct family {
    kind k = kind::counter;
    std::string help;
    std::vector<double> buckets;
    std::map<labels, double, labels_less> values;
    std::map<labels, histogram_data, labels_less> histograms;
  };
  family& family_of(std::string_view name, kind k);

  mutable std::mutex mutex_;
  std::map<std::string, family, std::less<>> families_; ///< found by string_view
};

/// The process-wide registry the daemon's components share.
registry& global();

/// The bridge's metric names (one place, so gateway and admin agree).
namespace names {
inline constexpr const char* requests = "kiro_bridge_requests_total";
inline constexpr const char* request_duration = "kiro_bridge_request_duration_seconds";
inline constexpr const char* tokens = "kiro_bridge_tokens_total";
inline constexpr const char* upstream_errors = "kiro_bridge_upstream_errors_total";
inline constexpr const char* accounts = "kiro_bridge_accounts";
inline constexpr const char* account_state = "kiro_bridge_account_state";
inline constexpr const char* account_requests = "kiro_bridge_account_requests_total";
inline constexpr const char* account_failures = "kiro_bridge_account_failures_total";
inline constexpr const char* token_refreshes = "kiro_bridge_token_refreshes_total";
inline constexpr const char* account_usage = "kiro_bridge_account_usage_percent";
inline constexpr const char* account_in_flight = "kiro_bridge_account_in_flight";
inline constexpr const char* queue_depth = "kiro_bridge_queue_depth";
inline constexpr const char* pending_requests = "kiro_bridge_pending_requests";
inline constexpr const char* upstream_in_flight = "kiro_bridge_upstream_in_flight";
inline constexpr const char* tool_calls_truncated = "kiro_bridge_tool_calls_truncated_total";
inline constexpr const char* upstream_references = "kiro_bridge_upstream_references_total";
inline constexpr const char* credits = "kiro_bridge_credits_total";
} // namespace names

/// Health and error classes (issue 19).
namespace names {
inline constexpr const char* health_status = "kiro_bridge_health_status";
inline constexpr const char* client_errors = "kiro_bridge_client_errors_total";
inline constexpr const char* service_errors = "kiro_bridge_service_errors_total";
} // namespace names

/// Declares every family above with its type and help text.
void describe_bridge_metrics(registry& r);

/// `a\"b\\c\n` escaping of a label value.
std::string escape_label_value(std::string_view v);
/// `{a="1",b="2"}`, or "" for no labels.
std::string render_labels(const labels& l);
/// Prometheus number text: integers without a fraction, +Inf, NaN.
std::string format_number(double v);

} // namespace kb::metrics
