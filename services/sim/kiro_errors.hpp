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
/// 403 AccessDeniedException with `message` and a null reason: refusals of
/// the account Kiro gives no reason for ("AWS Builder ID is not supported
/// for this operation.", "User is not authorized to access this feature.").
kiro_reply access_denied(std::string_view message);
/// 403 `AWS Builder ID is not supported for this operation.` (a Builder ID
/// token at ListAvailableProfiles: Kiro IDE log in kirodotdev/Kiro #5143,
/// chaogei/Kiro-account-manager #100).
kiro_reply builder_id_not_supported();
/// 400 ValidationException `profileArn is required for this request.`
/// (AIClient-2-API #605, ZyphrZero/kiro.rs #14).
kiro_reply profile_arn_required();
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
