#pragma once

// ListAvailableModels as pure functions: the paged call, one page's answer
// with each model's token limits, and the loop that gathers every page
// (kiro-protocol.md §1.2). Smithy SDK (aws/amazon-q-developer-cli
// amzn-codewhisperer-client list_available_models): query origin,
// maxResults, nextToken, profileArn; output {models, defaultModel,
// nextToken}; Model.tokenLimits {maxInputTokens, maxOutputTokens}; its
// paginator continues while nextToken is non-empty and stops on a repeated
// token.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "shared/account/account.hpp"

namespace kb::account {

/// One model an account may use, as Kiro lists it.
struct kiro_model {
  std::string id;   ///< modelId, e.g. "claude-opus-4.7"
  std::string name; ///< modelName, may be empty
  int64_t max_input_tokens = 0;  ///< tokenLimits.maxInputTokens; 0 = not given
  int64_t max_output_tokens = 0; ///< tokenLimits.maxOutputTokens; 0 = not given

  bool operator==(const kiro_model&) const = default;
};

struct model_page {
  std::vector<kiro_model> models;
  std::string next_token; ///< empty: the last page
};

/// Kiro-Go asks for 50 per page (proxy/kiro_api.go).
inline constexpr int models_page_size = 50;
/// A guard against an upstream that never stops paging.
inline constexpr int max_model_pages = 20;

/// GET {base}/ListAvailableModels?origin=AI_EDITOR&maxResults=N
/// [&nextToken=..][&profileArn=..] with the getUsageLimits headers.
http_call models_page_call(const credentials& c, std::string_view api_base_url,
                           std::string_view machine_id,
                           std::string_view kiro_version,
                           std::string_view next_token,
                           int max_results = models_page_size);

/// One page: its models (entries without a string modelId are skipped) and
/// nextToken. Non-2xx answers are classified like chat failures.
std::variant<model_page, upstream_failure>
parse_model_page(int http_status, std::string_view body);

/// Status and body of one performed call; an empty `error` means the call
/// got an answer.
struct http_result {
  int status = 0;
  std::string body;
  std::string error; ///< transport failure, no answer
};

/// Every page of the account's list, in Kiro's order, through `perform`.
/// Stops at an empty or repeated nextToken or after max_model_pages; the
/// first failing page fails the whole list.
std::variant<std::vector<kiro_model>, upstream_failure>
fetch_model_list(const credentials& c, std::string_view api_base_url,
                 std::string_view machine_id, std::string_view kiro_version,
                 const std::function<http_result(const http_call&)>& perform);

} // namespace kb::account
