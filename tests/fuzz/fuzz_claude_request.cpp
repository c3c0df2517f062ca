// libFuzzer target: any byte string given to the Claude request parsers must
// yield a conversation or a 400, never a crash, a leak or UB.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shared/claude/messages_request.hpp"

namespace {

void check_outcome(const kb::result<kb::conversation>& parsed) {
  if (!parsed.ok() && parsed.error().status() != 400) std::abort();
  if (parsed.ok() && (parsed->model.empty() || parsed->turns.empty())) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check_outcome(kb::claude::parse_messages_request(body));
  check_outcome(kb::claude::parse_count_tokens_request(body));
  return 0;
}
