#include <doctest/doctest.h>

#include <string>

#include "shared/reply/assembler.hpp"
#include "shared/reply/reply_ids.hpp"
#include "shared/reply/text_filters.hpp"
#include "tests/unit/reply/sse_support.hpp"

using namespace kb;
using namespace kb::reply;
using namespace kb::reply::test;

namespace {

struct recorder final : bracket_listener {
  std::string log;
  void on_text(std::string_view text) override { log += "T(" + std::string(text) + ")"; }
  void on_call(std::string_view name, std::string_view input) override {
    log += "C(" + std::string(name) + "," + std::string(input) + ")";
  }
};

/// Text pieces merged, so that the log does not depend on chunking.
std::string extract(const std::vector<std::string>& chunks, std::vector<std::string> names = {}) {
  bracket_extractor extractor(std::move(names));
  struct merger final : bracket_listener {
    std::string log, pending;
    void on_text(std::string_view text) override { pending += text; }
    void on_call(std::string_view name, std::string_view input) override {
      if (!pending.empty()) log += "T(" + pending + ")";
      pending.clear();
      log += "C(" + std::string(name) + "," + std::string(input) + ")";
    }
  } m;
  for (const auto& c : chunks) extractor.feed(c, m);
  extractor.flush(m);
  if (!m.pending.empty()) m.log += "T(" + m.pending + ")";
  return m.log;
}

const std::string call_text =
    R"(Let me check. [Called get_weather with args: {"city":"Pa]ris","q":"{x}\"" , "n":{"d":1}}] Done.)";

} // namespace

TEST_CASE("a bracket call becomes a tool_use block and leaves the surrounding text") {
  auto sse = run(options(), {text(call_text)});
  bool ok = false;
  auto content = content_of(sse, ok);
  REQUIRE(ok);
  auto id = derived_tool_id("msg_1", 0);
  CHECK(id.size() == 30);
  CHECK(id.starts_with("toolu_"));
  CHECK(boost::json::serialize(content) ==
        R"([{"type":"text","text":"Let me check. "},{"type":"tool_use","id":")" + id +
            R"(","name":"get_weather","input":{"city":"Pa]ris","q":"{x}\"","n":{"d":1}}},{"type":"text","text":" Done."}])");
}

TEST_CASE("a bracket call split at every chunk boundary is found the same way") {
  auto expected = extract({call_text});
  CHECK(expected ==
        R"(T(Let me check. )C(get_weather,{"city":"Pa]ris","q":"{x}\"","n":{"d":1}})T( Done.))");
  for (size_t i = 0; i <= call_text.size(); ++i) {
    CHECK(extract({call_text.substr(0, i), call_text.substr(i)}) == expected);
    auto sse = run(options(), {text(call_text.substr(0, i)), text(call_text.substr(i))});
    bool ok = false;
    auto content = content_of(sse, ok);
    REQUIRE(ok);
    CHECK(content.size() == 3);
  }
  std::vector<std::string> bytes;
  for (char c : call_text) bytes.emplace_back(1, c);
  CHECK(extract(bytes) == expected);
}

TEST_CASE("identical bracket calls are reported once") {
  CHECK(extract({R"([Called Read with args: {"p":1}][Called Read with args: {"p": 1}] [Called Read with args: {"p":2}])"}) ==
        R"(C(Read,{"p":1})T( )C(Read,{"p":2}))");
}

TEST_CASE("bracket calls are only recognized for the request's tools") {
  std::string input = R"([Called rm_rf with args: {"path":"/"}])";
  CHECK(extract({input}, {"Read"}) == "T(" + input + ")");
  CHECK(extract({input}, {"Read", "rm_rf"}) == R"(C(rm_rf,{"path":"/"}))");
}

TEST_CASE("text that only looks like a bracket call stays text") {
  for (std::string input : {std::string("[Callback] array[0] [Called]"),
                            std::string(R"([Called Read with args: {"p":1})"),        // never closed
                            std::string(R"([Called Read with args: {"p":1} extra])"), // junk before ]
                            std::string(R"([Called Read with args: ["p"]])"),         // not an object
                            std::string(R"([Called Read with args: {"p":1,}])")}) {   // invalid JSON
    CHECK(extract({input}) == "T(" + input + ")");
  }
}

TEST_CASE("a bracket call nested in brackets keeps the outer brackets as text") {
  CHECK(extract({R"([[Called Read with args: {}]])"}) == "T([)C(Read,{})T(])");
}

TEST_CASE("text without brackets passes through in the chunks it came in") {
  bracket_extractor extractor;
  recorder r;
  extractor.feed("hello ", r);
  extractor.feed("world", r);
  extractor.flush(r);
  CHECK(r.log == "T(hello )T(world)");
}

TEST_CASE("an unclosed bracket call longer than the cap is given up as text") {
  bracket_extractor extractor;
  recorder r;
  std::string big = R"([Called Write with args: {"content":")" +
                    std::string(bracket_extractor::max_call_bytes, 'x');
  extractor.feed(big, r);
  extractor.feed("y", r);
  // "T([)", then the rest of the candidate and the next chunk as text.
  CHECK(r.log == "T([)T(" + big.substr(1) + ")T(y)");
}
