#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::sim {

/// One request as `GET /__sim/requests` shows it.
struct recorded_request {
  uint64_t sequence = 0; ///< assigned by the log
  int64_t time = 0;      ///< epoch seconds
  std::string method;
  std::string path;
  std::string endpoint; ///< logical name, e.g. generateAssistantResponse
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int status = 0;
  std::string verdict; ///< validation verdict (chat) or empty
  std::string reason;  ///< precise internal rule id
  std::string detail;
  std::string account_id;
};

/// `****` + the last 4 characters (all stars when shorter than 8).
std::string mask_secret(std::string_view value);
/// `Bearer ****wxyz`: the scheme stays, the credential is masked.
std::string mask_authorization(std::string_view header_value);

/// Bounded ring of recent requests plus all-time counters.
class request_log {
public:
  explicit request_log(size_t capacity = 1000, size_t max_body_bytes = 256 * 1024);

  void record(recorded_request r);
  void clear();

  /// `{"total":N,"requests":[...]}`, oldest first, optionally filtered by
  /// account id and endpoint (empty = any).
  std::string render_requests(std::string_view account, std::string_view endpoint) const;
  /// `{"total":N,"byEndpoint":{..},"byStatus":{..},"byAccount":{id:{endpoint:N}}}`.
  std::string render_stats() const;

  size_t size() const noexcept { return ring_.size(); }
  uint64_t total() const noexcept { return total_; }

private:
  size_t capacity_;
  size_t max_body_bytes_;
  std::deque<recorded_request> ring_;
  uint64_t total_ = 0;
  std::map<std::string, uint64_t> by_endpoint_;
  std::map<int, uint64_t> by_status_;
  std::map<std::string, std::map<std::string, uint64_t>> by_account_;
};

} // namespace kb::sim
