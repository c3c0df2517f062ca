#include "services/sim/kiro_errors.hpp"

#include "shared/common/json_text.hpp"

namespace kb::sim {

std::string kiro_error_body(std::string_view message, std::string_view reason) {
  std::string out = "{\"message\":";
  append_json_string(out, message);
  out += ",\"reason\":";
  if (reason.empty())
    out += "null";
  else
    append_json_string(out, reason);
  out += '}';
  return out;
}

kiro_reply improperly_formed() {
  return {400, kiro_error_body("Improperly formed request.", ""), "ValidationException"};
}

kiro_reply invalid_model() {
  return {400,
          kiro_error_body("Invalid model. Please select a different model to continue.",
                          "INVALID_MODEL_ID"),
          "ValidationException"};
}

kiro_reply input_too_long() {
  return {400, kiro_error_body("Input is too long.", "CONTENT_LENGTH_EXCEEDS_THRESHOLD"),
          "ValidationException"};
}

kiro_reply invalid_bearer() {
  return {403, kiro_error_body("The bearer token included in the request is invalid.", ""),
          "AccessDeniedException"};
}

kiro_reply access_denied(std::string_view message) {
  return {403, kiro_error_body(message, ""), "AccessDeniedException"};
}

kiro_reply builder_id_not_supported() {
  return access_denied("AWS Builder ID is not supported for this operation.");
}

kiro_reply profile_arn_required() {
  return {400, kiro_error_body("profileArn is required for this request.", ""),
          "ValidationException"};
}

kiro_reply suspended(std::string_view user_id) {
  std::string message = "Your User ID (";
  message += user_id;
  message += ") temporarily is suspended. We've locked your account as a security "
             "precaution. To unlock your account, please contact AWS Support.";
  return {403, kiro_error_body(message, "TEMPORARILY_SUSPENDED"), "AccessDeniedException"};
}

kiro_reply quota_exhausted() {
  return {402, kiro_error_body("You have reached the limit.", "MONTHLY_REQUEST_COUNT"),
          "ServiceQuotaExceededException"};
}

kiro_reply throttled() {
  return {429, kiro_error_body("Too many requests, please wait before trying again.", ""),
          "ThrottlingException"};
}

kiro_reply high_load() {
  return {500,
          kiro_error_body("Encountered unexpectedly high load when processing the request, "
                          "please try again.",
                          ""),
          "InternalServerException"};
}

} // namespace kb::sim
