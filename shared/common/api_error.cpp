#include "shared/common/api_error.hpp"

#include "shared/common/json_text.hpp"

namespace kb {

int api_error::status() const noexcept {
  switch (kind) {
    case error_kind::invalid_request: return 400;
    case error_kind::authentication: return 401;
    case error_kind::billing: return 402;
    case error_kind::permission: return 403;
    case error_kind::not_found: return 404;
    case error_kind::request_too_large: return 413;
    case error_kind::rate_limit: return 429;
    case error_kind::api: return 500;
    case error_kind::overloaded: return 529;
    case error_kind::unavailable: return 503;
  }
  return 500;
}

std::string_view api_error::type() const noexcept {
  switch (kind) {
    case error_kind::invalid_request: return "invalid_request_error";
    case error_kind::authentication: return "authentication_error";
    case error_kind::billing: return "billing_error";
    case error_kind::permission: return "permission_error";
    case error_kind::not_found: return "not_found_error";
    case error_kind::request_too_large: return "request_too_large";
    case error_kind::rate_limit: return "rate_limit_error";
    case error_kind::api: return "api_error";
    case error_kind::overloaded: return "overloaded_error";
    case error_kind::unavailable: return "api_error";
  }
  return "api_error";
}

api_error invalid_request(std::string message) {
  return api_error{error_kind::invalid_request, std::move(message)};
}

std::string to_json(const api_error& err, std::string_view request_id) {
  std::string out = R"({"type":"error","error":{"type":)";
  append_json_string(out, err.type());
  out += R"(,"message":)";
  append_json_string(out, err.message);
  out += "}";
  if (!request_id.empty()) {
    out += R"(,"request_id":)";
    append_json_string(out, request_id);
  }
  out += "}";
  return out;
}

std::string to_sse(const api_error& err, std::string_view request_id) {
  return "event: error\ndata: " + to_json(err, request_id) + "\n\n";
}

error_kind error_kind_for_status(int status) noexcept {
  switch (status) {
    case 401: return error_kind::authentication;
    case 402: return error_kind::billing;
    case 403: return error_kind::permission;
    case 404: return error_kind::not_found;
    case 413: return error_kind::request_too_large;
    case 429: return error_kind::rate_limit;
    case 529: return error_kind::overloaded;
    default:
      return status >= 500 ? error_kind::api : error_kind::invalid_request;
  }
}

} // namespace kb
