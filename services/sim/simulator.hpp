#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/sim/accounts.hpp"
#include "services/sim/plan.hpp"
#include "services/sim/recorder.hpp"
#include "services/sim/script.hpp"
#include "services/sim/validation.hpp"

namespace kb::sim {

/// Limits the simulator enforces; changeable through `/__sim/config`.
struct sim_limits {
  size_t max_body_bytes = kiro_max_body_bytes;
  int64_t max_input_tokens = 150'000;
};

/// A transport-neutral HTTP request.
struct http_request_view {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> query;
  std::string body;

  /// Case-insensitive header lookup; empty when absent.
  std::string_view header(std::string_view name) const;
  std::string_view query_param(std::string_view name) const;
};

/// A transport-neutral answer: a plain body, or a stream plan.
struct http_answer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set for a 200 event-stream answer.
  std::optional<response_plan> stream;
};

inline constexpr std::string_view eventstream_content_type = "application/vnd.amazon.eventstream";
inline constexpr std::string_view sdk_generate_target =
    "AmazonCodeWhispererStreamingService.GenerateAssistantResponse";

/// Everything kiro-sim knows and does, behind one mutex. Time comes in as
/// epoch seconds so tests control it.
class simulator {
public:
  explicit simulator(sim_limits limits = {}, uint64_t seed = 0x51a1);

  // -- Kiro endpoints --------------------------------------------------------
  http_answer generate(const http_request_view& req, int64_t now);
  http_answer refresh_social(const http_request_view& req, int64_t now);
  http_answer refresh_idc(const http_request_view& req, int64_t now);
  http_answer usage_limits(const http_request_view& req, int64_t now);
  http_answer list_models(const http_request_view& req, int64_t now);
  http_answer list_profiles(const http_request_view& req, int64_t now);

  // -- control API (/__sim/...) ---------------------------------------------
  http_answer add_accounts(std::string_view body, int64_t now);
  http_answer add_script(std::string_view body);
  http_answer reset();
  http_answer requests(const http_request_view& req) const;
  http_answer expire(std::string_view body, int64_t now);
  http_answer stats() const;
  http_answer configure(std::string_view body);
  http_answer config() const;

  /// Loads accounts at start-up; the error says why the list is bad.
  std::optional<std::string> load_accounts(std::string_view json_text, int64_t now);

private:
  struct auth_outcome {
    std::string account_id;
    std::string reason; ///< empty when authenticated
    bool idc = false;
    std::string user_id;
    account_kind kind = account_kind::social;
    std::string profile_arn;
  };

  auth_outcome authenticate(const http_request_view& req, int64_t now) const;
  http_answer kiro_answer(const kiro_reply& reply);
  void record(const http_request_view& req, std::string_view endpoint, int64_t now,
              const http_answer& answer, std::string_view account_id,
              std::string_view verdict = {}, std::string_view reason = {},
              std::string_view detail = {});
  http_answer config_locked() const;

  mutable std::mutex mutex_;
  sim_limits limits_;
  uint64_t seed_;
  uint64_t sequence_ = 0;
  account_book accounts_;
  script_book scripts_;
  request_log log_;
};

/// Bearer credential of an `Authorization` header (empty if none).
std::string_view bearer_token(std::string_view authorization);

} // namespace kb::sim
