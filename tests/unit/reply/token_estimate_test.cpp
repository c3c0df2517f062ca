#include <doctest/doctest.h>

#include <string>

#include "shared/reply/token_estimate.hpp"

using namespace kb;

namespace {

// Exactly 100 words of ordinary English prose.
constexpr std::string_view paragraph =
    "The history of computing is a story of abstraction. Early machines were programmed "
    "by rewiring panels of cables, and every new problem demanded days of careful physical "
    "work. Stored programs changed that: instructions became data, and data could be "
    "written, copied and corrected like any other text. Compilers followed, translating "
    "readable notation into the long sequences of numbers that processors actually "
    "execute. Each layer hid the one below it, letting people think about larger problems "
    "with fewer details in their heads. Today a single developer can describe a service in "
    "a few hundred lines and deploy it worldwide within minutes. ";

constexpr std::string_view code_sample = R"(#include <vector>

int sum(const std::vector<int>& values) {
  int total = 0;
  for (int v : values) {
    if (v > 0) total += v;
  }
  return total;
}

struct point { double x = 0.0; double y = 0.0; };

double dot(point a, point b) { return a.x * b.x + a.y * b.y; }
)";

std::string thousand_words() {
  std::string text;
  for (int i = 0; i < 10; ++i) text += paragraph;
  return text;
}

} // namespace

TEST_CASE("empty text is zero tokens and a short sentence counts words and punctuation") {
  CHECK(tokens::estimate_text("") == 0);
  // 9 words of at most 6 letters (one token each) and the final period.
  CHECK(tokens::estimate_text("The quick brown fox jumps over the lazy dog.") == 10);
  // "internationalization" is 20 letters: ceil(20/7) = 3 tokens.
  CHECK(tokens::estimate_text("internationalization") == 3);
  // Digits go three to a token; a lone newline is a token.
  CHECK(tokens::estimate_text("1234567\n") == 4);
}

TEST_CASE("a 1,000-word English paragraph estimates near 1,300 tokens") {
  auto estimate = tokens::estimate_text(thousand_words());
  CHECK(estimate == 1340);
  CHECK(estimate >= 1105);
  CHECK(estimate <= 1495);
}

TEST_CASE("symbol-dense code estimates between 2.5 and 4.5 characters per token") {
  auto estimate = tokens::estimate_text(code_sample);
  CHECK(estimate == 102);
  double chars_per_token = static_cast<double>(code_sample.size()) / static_cast<double>(estimate);
  CHECK(chars_per_token > 2.5);
  CHECK(chars_per_token < 4.5);
}

TEST_CASE("CJK text estimates 1.5 characters per token") {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "\xE4\xBD\xA0\xE5\xA5\xBD"; // 你好
  CHECK(tokens::estimate_text(text) == 40);
  // Cyrillic: half a token per letter; an emoji: two tokens.
  CHECK(tokens::estimate_text("\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82") == 3);
  CHECK(tokens::estimate_text("\xF0\x9F\x98\x80") == 2);
}

TEST_CASE("feeding a text in pieces split at every byte gives the same count") {
  std::string text = std::string(code_sample) + "\xE4\xBD\xA0\xE5\xA5\xBD caf\xC3\xA9 \xF0\x9F\x98\x80";
  auto whole = tokens::estimate_text(text);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    tokens::text_counter counter;
    counter.feed(std::string_view(text).substr(0, cut));
    counter.feed(std::string_view(text).substr(cut));
    CHECK(counter.tokens() == whole);
  }
  tokens::text_counter bytewise;
  for (char c : text) bytewise.feed(std::string_view(&c, 1));
  CHECK(bytewise.tokens() == whole);
}

TEST_CASE("invalid UTF-8 is counted without reading past the input") {
  CHECK(tokens::estimate_text("\xFF\xFE") == 1);    // two replacement characters
  CHECK(tokens::estimate_text("ab\xE4\xBD") == 2);  // truncated sequence counts once
}

TEST_CASE("an image costs by its compressed size within 64 and 1,600 tokens") {
  image tiny{"image/png", std::string(100, 'A')};
  image medium{"image/png", std::string(100000, 'A')}; // 75,000 bytes
  image huge{"image/png", std::string(4000000, 'A')};
  CHECK(tokens::estimate_image(tiny) == 64);
  CHECK(tokens::estimate_image(medium) == 400);
  CHECK(tokens::estimate_image(huge) == 1600);
}

TEST_CASE("a conversation counts system, turns, tool calls, outcomes, images and tools") {
  conversation conv;
  conv.system = "You are terse.";            // 4 tokens
  turn user;
  user.role = role::user;
  user.text = "Weather in Paris?";          // 4 tokens
  user.images.push_back(image{"image/png", std::string(100000, 'A')}); // 400
  turn assistant;
  assistant.role = role::assistant;
  assistant.tool_calls.push_back(tool_call{"toolu_1", "get_weather", R"({"city":"Paris"})"});
  turn result;
  result.role = role::user;
  result.tool_outcomes.push_back(tool_outcome{"toolu_1", "Sunny, 21 C", {}, false});
  conv.turns = {user, assistant, result};
  conv.tools.push_back(tool_spec{"get_weather", "Current weather for a city.",
                                 R"({"type":"object","properties":{"city":{"type":"string"}}})"});

  int64_t expected = tokens::estimate_text(conv.system) + 3 +          // priming
                     (4 + tokens::estimate_text(user.text) + 400) +     // user turn
                     (4 + 4 + tokens::estimate_text("get_weather") +
                      tokens::estimate_text(R"({"city":"Paris"})")) +   // assistant turn
                     (4 + 4 + tokens::estimate_text("Sunny, 21 C")) +   // tool result turn
                     346 + 4 + tokens::estimate_text("get_weather") +
                     tokens::estimate_text("Current weather for a city.") +
                     tokens::estimate_text(conv.tools[0].input_schema_json);
  CHECK(tokens::estimate_conversation(conv) == expected);
  CHECK(tokens::estimate_text(conv.system) == 4);
  CHECK(tokens::estimate_text(user.text) == 4);

  conversation empty;
  CHECK(tokens::estimate_conversation(empty) == 3);
}
