#pragma once

#include <string>
#include <string_view>

namespace kb::sim {

/// A non-streaming Kiro reply: HTTP status, the JSON body Kiro sends and the
/// AWS error type announced in `x-amzn-errortype`.
struct kiro_reply {
  int status = 200;
  std::string body;
  std::string error_type;
};

/// 400 `Improperly formed request.` (Kiro never says which rule failed).
kiro_reply improperly_formed();
/// 400 INVALID_MODEL_ID.
kiro_reply invalid_model();
/// 400 CONTENT_LENGTH_EXCEEDS_THRESHOLD `Input is too long.`.
kiro_reply input_too_long();
/// 403 `The bearer token included in the request is invalid.`.
kiro_reply invalid_bearer();
/// 403 AccessDeniedException for a suspended user.
kiro_reply suspended(std::string_view user_id);
/// 402 MONTHLY_REQUEST_COUNT `You have reached the limit.`.
kiro_reply quota_exhausted();
/// 429 `Too many requests, please wait before trying again.`.
kiro_reply throttled();
/// 500 `Encountered unexpectedly high load ...`.
kiro_reply high_load();

/// `{"message":..,"reason":..|null}`; an empty reason becomes null.
std::string kiro_error_body(std::string_view message, std::string_view reason);

} // namespace kb::sim
