#include <doctest/doctest.h>

#include "services/sim/validation.hpp"
#include "tests/support/image_files.hpp"
#include "tests/unit/sim/request_bodies.hpp"

using namespace kb::sim;
using namespace kb::sim::test;
namespace json = boost::json;

namespace {

validation_result check(const json::object& body, validation_context ctx = {}) {
  return validate_request(text(body), ctx);
}

void expect_malformed(const json::object& body, std::string_view reason) {
  auto r = check(body);
  CHECK(r.outcome == verdict::malformed);
  CHECK(r.reason == reason);
}

} // namespace

TEST_CASE("a well-formed body with a finished tool round trip is accepted") {
  auto r = check(valid_body());
  CHECK(r.ok());
  CHECK(r.reason.empty());
  CHECK(r.summary.conversation_id == "7f0c6a38-3d39-4c55-9d1c-2b1c4ef0a001");
  CHECK(r.summary.model_id == "claude-sonnet-4.5");
  CHECK(r.summary.content == "thanks, now summarize");
  CHECK(r.summary.has_tools);
  CHECK_FALSE(r.summary.has_tool_results);
  CHECK(r.summary.history_length == 4);
  CHECK(r.summary.has_profile_arn);
  CHECK(r.summary.tool_names == std::vector<std::string>{"Read"});
  CHECK(r.summary.estimated_input_tokens == estimate_tokens(text(valid_body()).size()));
}

TEST_CASE("a body that is not JSON is improperly formed") {
  auto r = validate_request("{\"conversationState\":", {});
  CHECK(r.outcome == verdict::malformed);
  CHECK(r.reason == "invalid_json");
}

TEST_CASE("a body above the size limit is input too long, checked before parsing") {
  validation_context ctx;
  ctx.max_body_bytes = 100;
  auto r = validate_request(std::string(101, 'x'), ctx);
  CHECK(r.outcome == verdict::input_too_long);
  CHECK(r.reason == "body_too_large");
  CHECK(validate_request(std::string(100, 'x'), ctx).reason == "invalid_json");
}

TEST_CASE("the default size limit is today's Kiro: 4,047,768 bytes pass, one more fails") {
  CHECK(validation_context{}.max_body_bytes == 4'047'768);
  validation_context ctx;
  ctx.max_input_tokens = INT64_MAX;
  auto body = valid_body();
  current_of(body)["content"] = "";
  size_t base = text(body).size();
  current_of(body)["content"] = std::string(4'047'768 - base, 'a');
  REQUIRE(text(body).size() == 4'047'768);
  CHECK(check(body, ctx).ok());
  current_of(body)["content"] = std::string(4'047'769 - base, 'a');
  auto r = check(body, ctx);
  CHECK(r.outcome == verdict::input_too_long);
  CHECK(r.reason == "body_too_large");
}

TEST_CASE("an estimated input above the token cap is too long") {
  validation_context ctx;
  ctx.max_input_tokens = 50;
  auto r = check(valid_body(), ctx);
  CHECK(r.outcome == verdict::input_too_long);
  CHECK(r.reason == "input_too_long");
}

TEST_CASE("a missing conversationState is improperly formed") {
  expect_malformed(json::object{{"profileArn", "x"}}, "conversation_state_missing");
}

TEST_CASE("a missing or empty conversationId is improperly formed") {
  auto body = valid_body();
  state_of(body).erase("conversationId");
  expect_malformed(body, "conversation_id_missing");
  state_of(body)["conversationId"] = "";
  expect_malformed(body, "conversation_id_missing");
}

TEST_CASE("an unknown chatTriggerType is improperly formed") {
  auto body = valid_body();
  state_of(body)["chatTriggerType"] = "AUTO";
  expect_malformed(body, "chat_trigger_type_invalid");
  state_of(body)["chatTriggerType"] = "INLINE_CHAT";
  CHECK(check(body).ok());
}

TEST_CASE("a missing current userInputMessage is improperly formed") {
  auto body = valid_body();
  state_of(body)["currentMessage"] = json::object{};
  expect_malformed(body, "current_message_missing");
}

TEST_CASE("an empty current content is improperly formed") {
  auto body = valid_body();
  current_of(body)["content"] = "";
  expect_malformed(body, "current_content_empty");
}

TEST_CASE("an unknown modelId is an INVALID_MODEL_ID error") {
  auto body = valid_body();
  current_of(body)["modelId"] = "claude-sonnet-4-5";
  auto r = check(body);
  CHECK(r.outcome == verdict::invalid_model);
  CHECK(r.reason == "invalid_model_id");
  current_of(body).erase("modelId");
  CHECK(check(body).outcome == verdict::invalid_model);
}

TEST_CASE("a missing origin is improperly formed") {
  auto body = valid_body();
  current_of(body).erase("origin");
  expect_malformed(body, "origin_missing");
}

TEST_CASE("a history entry with both roles is improperly formed") {
  auto body = valid_body();
  history_of(body)[1].as_object()["userInputMessage"] = user_message("x");
  expect_malformed(body, "history_entry_malformed");
}

TEST_CASE("a history starting with the assistant is improperly formed") {
  auto body = valid_body();
  auto& h = history_of(body);
  h.erase(h.begin());
  expect_malformed(body, "history_must_start_with_user");
}

TEST_CASE("two consecutive assistant messages in history are improperly formed") {
  auto body = valid_body();
  auto& h = history_of(body);
  h.erase(h.begin() + 2);
  h.emplace_back(json::object{{"userInputMessage", user_message("more")}});
  h.emplace_back(json::object{{"assistantResponseMessage", json::object{{"content", "ok"}}}});
  expect_malformed(body, "history_not_alternating");
}

TEST_CASE("a history ending with a user message is improperly formed") {
  auto body = valid_body();
  history_of(body).pop_back();
  expect_malformed(body, "history_must_end_with_assistant");
}

TEST_CASE("an empty history content is improperly formed") {
  auto body = valid_body();
  history_of(body)[3].as_object()["assistantResponseMessage"].as_object()["content"] = "";
  expect_malformed(body, "history_empty_content");
}

TEST_CASE("tool results answering a tool use the preceding assistant did not make are rejected") {
  auto body = valid_body();
  current_of(body)["userInputMessageContext"].as_object()["toolResults"] = json::array{
      json::object{{"toolUseId", "tooluse_1"},
                   {"content", json::array{json::object{{"text", "again"}}}},
                   {"status", "success"}}};
  // tooluse_1 belongs to history[1], not to history[3] (the preceding one).
  expect_malformed(body, "tool_result_without_tool_use");
}

TEST_CASE("tool results answering the preceding assistant's tool use are accepted") {
  auto body = valid_body();
  auto& last = history_of(body)[3].as_object()["assistantResponseMessage"].as_object();
  last["toolUses"] = json::array{json::object{
      {"toolUseId", "tooluse_2"}, {"name", "read"}, {"input", json::object{}}}};
  current_of(body)["userInputMessageContext"].as_object()["toolResults"] = json::array{
      json::object{{"toolUseId", "tooluse_2"},
                   {"content", json::array{json::object{{"text", "contents"}}}},
                   {"status", "success"}}};
  auto r = check(body);
  CHECK(r.ok());
  CHECK(r.summary.has_tool_results);
  CHECK(r.summary.first_tool_result_text == "contents");
}

TEST_CASE("a history tool absent from the current tools is improperly formed") {
  auto body = valid_body();
  current_of(body).erase("userInputMessageContext");
  expect_malformed(body, "tool_not_declared");
}

TEST_CASE("history tool names match current tools case-insensitively") {
  auto body = valid_body();
  current_of(body)["userInputMessageContext"].as_object()["tools"] =
      json::array{tool_spec("READ")};
  CHECK(check(body).ok());
}

TEST_CASE("a tool name longer than 64 characters is improperly formed") {
  auto body = valid_body();
  auto& tools = current_of(body)["userInputMessageContext"].as_object()["tools"].as_array();
  tools.emplace_back(tool_spec(std::string(65, 'n')));
  expect_malformed(body, "tool_name_too_long");
  tools.back() = tool_spec(std::string(64, 'n'));
  CHECK(check(body).ok());
}

TEST_CASE("an empty tool name is improperly formed") {
  auto body = valid_body();
  current_of(body)["userInputMessageContext"].as_object()["tools"].as_array().emplace_back(
      tool_spec(""));
  expect_malformed(body, "tool_name_empty");
}

TEST_CASE("a tool description above 10240 bytes is improperly formed") {
  auto body = valid_body();
  auto& tools = current_of(body)["userInputMessageContext"].as_object()["tools"].as_array();
  auto& spec = tools[0].as_object()["toolSpecification"].as_object();
  spec["description"] = std::string(10'241, 'd');
  expect_malformed(body, "tool_description_too_long");
  spec["description"] = std::string(10'240, 'd');
  CHECK(check(body).ok());
}

TEST_CASE("a tool schema that is not an object is improperly formed") {
  auto body = valid_body();
  auto& tools = current_of(body)["userInputMessageContext"].as_object()["tools"].as_array();
  tools[0].as_object()["toolSpecification"].as_object()["inputSchema"] =
      json::object{{"json", "{\"type\":\"object\"}"}};
  expect_malformed(body, "tool_schema_not_object");
}

TEST_CASE("tools on a history user message are improperly formed") {
  auto body = valid_body();
  history_of(body)[0].as_object()["userInputMessage"].as_object()["userInputMessageContext"] =
      json::object{{"tools", json::array{tool_spec("Read")}}};
  expect_malformed(body, "tools_in_history");
}

TEST_CASE("an image with an unknown format is improperly formed") {
  auto body = valid_body();
  current_of(body)["images"] = json::array{
      json::object{{"format", "bmp"}, {"source", json::object{{"bytes", "aGVsbG8="}}}}};
  expect_malformed(body, "image_format_invalid");
}

TEST_CASE("an image whose bytes are not base64 is improperly formed") {
  auto body = valid_body();
  current_of(body)["images"] = json::array{
      json::object{{"format", "png"}, {"source", json::object{{"bytes", "data:image/png;base64,xx"}}}}};
  expect_malformed(body, "image_bytes_invalid");
  current_of(body)["images"] = json::array{
      json::object{{"format", "png"}, {"source", json::object{{"bytes", "aGVsbG8="}}}}};
  CHECK(check(body).ok());
}

TEST_CASE("a Builder ID token sent with profileArn is refused like a bad bearer") {
  validation_context ctx;
  ctx.kind = account_kind::builder_id;
  auto r = check(valid_body(), ctx);
  CHECK(r.outcome == verdict::bearer_rejected);
  CHECK(r.reason == "profile_arn_with_builder_id");
  auto body = valid_body();
  body.erase("profileArn");
  CHECK(check(body, ctx).ok());
}

TEST_CASE("an enterprise IdC token needs its own profileArn") {
  validation_context ctx;
  ctx.kind = account_kind::enterprise;
  auto body = valid_body();
  ctx.profile_arn = body.at("profileArn").as_string().c_str();
  CHECK(check(body, ctx).ok());
  body["profileArn"] = "arn:aws:codewhisperer:us-east-1:111122223333:profile/OTHER";
  auto foreign = check(body, ctx);
  CHECK(foreign.outcome == verdict::bearer_rejected);
  CHECK(foreign.reason == "profile_arn_foreign");
  body.erase("profileArn");
  auto missing = check(body, ctx);
  CHECK(missing.outcome == verdict::profile_required);
  CHECK(missing.reason == "profile_arn_missing");
}

TEST_CASE("a social account is accepted with and without profileArn") {
  auto body = valid_body();
  CHECK(check(body).ok());
  body.erase("profileArn");
  auto r = check(body);
  CHECK(r.ok());
  CHECK_FALSE(r.summary.has_profile_arn);
}

TEST_CASE("strict base64 requires padding and the standard alphabet") {
  CHECK(is_base64("aGVsbG8="));
  CHECK(is_base64("aGVsbG8h"));
  CHECK_FALSE(is_base64(""));
  CHECK_FALSE(is_base64("aGVsbG8"));
  CHECK_FALSE(is_base64("aGVs-G8="));
  CHECK_FALSE(is_base64("a==="));
}

TEST_CASE("a $-prefixed key anywhere in a tool schema is improperly formed") {
  auto with_schema = [](std::string_view schema) {
    auto body = valid_body();
    current_of(body)["userInputMessageContext"].as_object()["tools"].as_array()[0]
        .as_object()["toolSpecification"].as_object()["inputSchema"].as_object()["json"] =
        json::parse(schema);
    return body;
  };
  for (std::string_view schema :
       {R"({"type":"object","$id":"x"})",
        R"({"type":"object","properties":{"a":{"type":"string","$comment":"c"}}})",
        R"({"type":"object","properties":{"$select":{"type":"string"}}})",
        R"({"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{}}})",
        R"({"type":"object","properties":{"l":{"type":"array","items":[{"$anchor":"i"}]}}})",
        R"({"type":"object","properties":{"a":{"$schema":"http://json-schema.org/draft-07/schema#"}}})"}) {
    CAPTURE(schema);
    expect_malformed(with_schema(schema), "tool_schema_dollar_key");
  }
  // kiro.rs forwards Claude Code's root $schema unchanged and works daily.
  CHECK(check(with_schema(R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"object"})")).ok());
  // Data keywords hold values, not schema keys.
  CHECK(check(with_schema(R"({"type":"object","default":{"$top":1},"enum":[{"$k":1}]})")).ok());
}

namespace {

json::object image_of(const std::string& file, std::string format = "png") {
  return json::object{{"format", std::move(format)},
                      {"source", json::object{{"bytes", kb::test::base64_encode(file)}}}};
}

json::array images_of(size_t n, const std::string& file) {
  json::array out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(image_of(file));
  return out;
}

void expect_image_rejection(const json::object& body, std::string_view reason,
                            std::string_view kiro_message, validation_context ctx = {}) {
  auto r = check(body, ctx);
  CHECK(r.outcome == verdict::malformed);
  CHECK(r.reason == reason);
  CHECK(r.kiro_message == kiro_message);
}

} // namespace

TEST_CASE("an image over 5 MiB of base64 is refused with Kiro's message") {
  // Only a body limit above today's 4 MB lets such an image through to this rule.
  validation_context ctx;
  ctx.max_body_bytes = 8 << 20;
  ctx.max_input_tokens = INT64_MAX;
  auto body = valid_body();
  current_of(body)["images"] = json::array{json::object{
      {"format", "png"}, {"source", json::object{{"bytes", std::string(5 * 1024 * 1024 + 4, 'A')}}}}};
  expect_image_rejection(body, "image_too_large",
                         "image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes", ctx);
  current_of(body)["images"] = json::array{json::object{
      {"format", "png"}, {"source", json::object{{"bytes", std::string(5 * 1024 * 1024, 'A')}}}}};
  CHECK(check(body, ctx).ok());
}

TEST_CASE("an image over 8000 px, in history or the current message, is refused") {
  auto body = valid_body();
  history_of(body)[0].as_object()["userInputMessage"].as_object()["images"] =
      json::array{image_of(kb::test::jpeg_file(8001, 600, 5000), "jpeg")};
  expect_image_rejection(body, "image_dimensions_too_large",
                         "image dimensions exceed max allowed size: 8000 pixels");
  history_of(body)[0].as_object()["userInputMessage"].as_object()["images"] =
      json::array{image_of(kb::test::jpeg_file(8000, 600, 5000), "jpeg")};
  CHECK(check(body).ok());
}

TEST_CASE("more than 20 images in a request: each at most 2000 px") {
  auto body = valid_body();
  auto images = images_of(20, kb::test::png_file(1000, 1000));
  images.push_back(image_of(kb::test::webp_file("VP8X", 2001, 50), "webp"));
  current_of(body)["images"] = images;
  expect_image_rejection(body, "image_many_dimensions_too_large",
                         "At least one of the image dimensions exceed max allowed size for "
                         "many-image requests: 2000 pixels");
  images.erase(images.begin()); // 20 images: the many-image limit does not apply
  current_of(body)["images"] = images;
  CHECK(check(body).ok());
}

TEST_CASE("more than 100 images in a request are refused, history and current counted together") {
  auto body = valid_body();
  history_of(body)[0].as_object()["userInputMessage"].as_object()["images"] =
      images_of(60, kb::test::png_file(10, 10));
  current_of(body)["images"] = images_of(41, kb::test::png_file(10, 10));
  expect_image_rejection(body, "too_many_images", "too many images and documents: 101 + 0 > 100");
  current_of(body)["images"] = images_of(40, kb::test::png_file(10, 10));
  auto r = check(body);
  CHECK(r.ok());
  CHECK(r.summary.image_count == 100);
}

TEST_CASE("an image costs its pixels in the token estimate, not its base64 length") {
  auto body = valid_body();
  size_t without = text(body).size();
  auto png = kb::test::png_file(1500, 1000, 300000);
  current_of(body)["images"] = json::array{image_of(png)};
  auto r = check(body);
  REQUIRE(r.ok());
  size_t base64 = kb::test::base64_encode(png).size();
  CHECK(r.summary.estimated_input_tokens ==
        estimate_tokens(text(body).size() - base64) + image_tokens(1500, 1000));
  CHECK(image_tokens(1500, 1000) == 2000);
  CHECK(r.summary.estimated_input_tokens < estimate_tokens(without) + 2100);
}

TEST_CASE("agentContinuationId is recorded, and must be a non-empty string") {
  auto body = valid_body();
  CHECK(check(body).summary.agent_continuation_id.empty());
  state_of(body)["agentContinuationId"] = "3f8d2c1b-0a9e-4d7c-8b6a-5e4f3d2c1b0a";
  auto r = check(body);
  CHECK(r.ok());
  CHECK(r.summary.agent_continuation_id == "3f8d2c1b-0a9e-4d7c-8b6a-5e4f3d2c1b0a");
  state_of(body)["agentContinuationId"] = 42;
  expect_malformed(body, "agent_continuation_id_invalid");
  state_of(body)["agentContinuationId"] = "";
  expect_malformed(body, "agent_continuation_id_invalid");
}
