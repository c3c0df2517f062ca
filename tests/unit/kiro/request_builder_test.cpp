#include <doctest/doctest.h>

#include "kiro_test_support.hpp"
#include "shared/kiro/tool_catalog.hpp"

using namespace kb;
using namespace kb::kiro;
using namespace kb::kiro::test;

TEST_CASE("a single user message becomes the current message with no history") {
  auto body = body_of(make_conversation({user_turn("hi")}));
  CHECK(body == json_of(R"J({"conversationState":{"agentTaskType":"vibe",
      "chatTriggerType":"MANUAL","conversationId":"c-1",
      "currentMessage":{"userInputMessage":{"content":"hi","modelId":"m",
                                            "origin":"AI_EDITOR"}}}})J"));
}

TEST_CASE("the system prompt becomes a first history pair") {
  auto conv = make_conversation({user_turn("hi")});
  conv.system = "Be brief.";
  auto body = body_of(conv);
  CHECK(body == json_of(R"J({"conversationState":{"agentTaskType":"vibe",
      "chatTriggerType":"MANUAL","conversationId":"c-1",
      "currentMessage":{"userInputMessage":{"content":"hi","modelId":"m","origin":"AI_EDITOR"}},
      "history":[
        {"userInputMessage":{"content":"Be brief.","modelId":"m","origin":"AI_EDITOR"}},
        {"assistantResponseMessage":{"content":"I will follow these instructions."}}]}})J"));
}

TEST_CASE("profileArn is sent only when given") {
  auto conv = make_conversation({user_turn("hi")});
  CHECK_FALSE(body_of(conv).as_object().contains("profileArn"));
  auto options = fixed_options();
  options.profile_arn =
      "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK";
  CHECK(body_of(conv, options).at("profileArn") ==
        "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK");
}

TEST_CASE("agentContinuationId is sent when the caller gives one") {
  auto conv = make_conversation({user_turn("hi")});
  CHECK_FALSE(state_of(body_of(conv)).as_object().contains("agentContinuationId"));
  auto options = fixed_options();
  options.agent_continuation_id = "0c5e4a8b-7f1d-4e2a-9b3c-d4e5f6a7b8c9";
  CHECK(state_of(body_of(conv, options)).at("agentContinuationId") ==
        "0c5e4a8b-7f1d-4e2a-9b3c-d4e5f6a7b8c9");
}

TEST_CASE("without a caller id the conversation id comes from the session") {
  auto conv = make_conversation({user_turn("hi")});
  conv.session_id = "0f2b8c1e-3d4a-4b5c-9d6e-7f8091a2b3c4";
  build_options options;
  CHECK(state_of(body_of(conv, options)).at("conversationId") ==
        "0f2b8c1e-3d4a-4b5c-9d6e-7f8091a2b3c4");

  conv.session_id = "not-a-uuid";
  std::string id = conversation_id_for(conv);
  CHECK(id.size() == 36);
  CHECK(id[8] == '-');
  CHECK(id[14] == '4');
  CHECK(id == conversation_id_for(conv));
  auto other = conv;
  other.session_id = "another";
  CHECK(conversation_id_for(other) != id);
}

TEST_CASE("two consecutive assistant turns from an interrupted stream are merged") {
  auto body = body_of(make_conversation(
      {user_turn("q1"), assistant_turn("partial"), assistant_turn("retry"),
       user_turn("q2")}));
  CHECK(history_of(body) == json_of(R"J([
      {"userInputMessage":{"content":"q1","modelId":"m","origin":"AI_EDITOR"}},
      {"assistantResponseMessage":{"content":"partial\nretry"}}])J"));
  CHECK(current_of(body).at("content") == "q2");
}

TEST_CASE("back-to-back user turns are merged into one") {
  auto body = body_of(make_conversation(
      {user_turn("a"), user_turn("b"), assistant_turn("x"), user_turn("c"),
       user_turn("d")}));
  CHECK(history_of(body) == json_of(R"J([
      {"userInputMessage":{"content":"a\nb","modelId":"m","origin":"AI_EDITOR"}},
      {"assistantResponseMessage":{"content":"x"}}])J"));
  CHECK(current_of(body).at("content") == "c\nd");
}

TEST_CASE("an assistant turn with only tool calls gets non-empty content") {
  auto conv = make_conversation(
      {user_turn("read it"),
       assistant_turn("", {call("t1", "Read", R"J({"path":"a.txt"})J")}),
       user_turn("", {outcome("t1", "file body")})});
  conv.tools = {spec("Read", "Reads a file")};
  auto body = body_of(conv);
  CHECK(history_of(body) == json_of(R"J([
      {"userInputMessage":{"content":"read it","modelId":"m","origin":"AI_EDITOR"}},
      {"assistantResponseMessage":{"content":"(empty)",
        "toolUses":[{"toolUseId":"t1","name":"Read","input":{"path":"a.txt"}}]}}])J"));
  CHECK(current_of(body) == json_of(R"J({"content":"Tool results provided.",
      "modelId":"m","origin":"AI_EDITOR","userInputMessageContext":{
        "tools":[{"toolSpecification":{"name":"Read","description":"Reads a file",
                  "inputSchema":{"json":{"type":"object","properties":{}}}}}],
        "toolResults":[{"toolUseId":"t1","content":[{"text":"file body"}],
                        "status":"success"}]}})J"));
}

TEST_CASE("a trailing assistant prefill goes to history and the current message is Continue") {
  auto body = body_of(make_conversation(
      {user_turn("write a haiku"), assistant_turn("Autumn")}));
  CHECK(history_of(body) == json_of(R"J([
      {"userInputMessage":{"content":"write a haiku","modelId":"m","origin":"AI_EDITOR"}},
      {"assistantResponseMessage":{"content":"Autumn"}}])J"));
  CHECK(current_of(body) == json_of(R"J({"content":"Continue","modelId":"m",
      "origin":"AI_EDITOR"})J"));
}

TEST_CASE("a conversation opening with an assistant turn gets a placeholder user first") {
  auto conv = make_conversation({assistant_turn("Hello!"), user_turn("hi")});
  conv.system = "S";
  auto body = body_of(conv);
  CHECK(history_of(body) == json_of(R"J([
      {"userInputMessage":{"content":"S","modelId":"m","origin":"AI_EDITOR"}},
      {"assistantResponseMessage":{"content":"I will follow these instructions."}},
      {"userInputMessage":{"content":"(empty)","modelId":"m","origin":"AI_EDITOR"}},
      {"assistantResponseMessage":{"content":"Hello!"}}])J"));
}

TEST_CASE("history tool calls with no client tools get placeholder specs") {
  auto conv = make_conversation(
      {user_turn("ls"), assistant_turn("", {call("t1", "Bash", R"J({"command":"ls"})J")}),
       user_turn("", {outcome("t1", "a b")}), assistant_turn("done"),
       user_turn("thanks")});
  auto body = body_of(conv);
  CHECK(current_of(body) == json_of(R"J({"content":"thanks","modelId":"m",
      "origin":"AI_EDITOR","userInputMessageContext":{"tools":[
        {"toolSpecification":{"name":"Bash","description":"Tool used in conversation history",
         "inputSchema":{"json":{"type":"object","properties":{},"additionalProperties":true}}}}]}})J"));
  CHECK(history_of(body).at(2) == json_of(R"J({"userInputMessage":{
      "content":"Tool results provided.","modelId":"m","origin":"AI_EDITOR",
      "userInputMessageContext":{"toolResults":[{"toolUseId":"t1",
        "content":[{"text":"a b"}],"status":"success"}]}}})J"));
}

TEST_CASE("history tool names match client tools case-insensitively") {
  auto conv = make_conversation(
      {user_turn("go"), assistant_turn("", {call("t1", "read")}),
       user_turn("", {outcome("t1", "x")})});
  conv.tools = {spec("Read")};
  auto tools = current_of(body_of(conv)).at("userInputMessageContext").at("tools");
  REQUIRE(tools.as_array().size() == 1);
  CHECK(tools.at(0).at("toolSpecification").at("name") == "Read");
}

TEST_CASE("an orphan tool result becomes text in the user message") {
  auto conv = make_conversation(
      {user_turn("q"), assistant_turn("plain answer"),
       user_turn("next", {outcome("toolu_lost", "42", true)})});
  auto current = current_of(body_of(conv));
  CHECK(current == json_of(R"J({"content":"[Tool error for call toolu_lost]\n42\n\nnext",
      "modelId":"m","origin":"AI_EDITOR"})J"));
}

TEST_CASE("a tool call never answered is stripped and mentioned in the assistant content") {
  auto conv = make_conversation(
      {user_turn("q"),
       assistant_turn("Let me look.", {call("t1", "Read"), call("t2", "Grep")}),
       user_turn("stop, do something else", {outcome("t1", "r")})});
  conv.tools = {spec("Read"), spec("Grep")};
  auto body = body_of(conv);
  CHECK(history_of(body).at(1) == json_of(R"J({"assistantResponseMessage":{
      "content":"Let me look.\n(tool Grep was called but no result was recorded)",
      "toolUses":[{"toolUseId":"t1","name":"Read","input":{}}]}})J"));
  CHECK(current_of(body).at("userInputMessageContext").at("toolResults") ==
        json_of(R"J([{"toolUseId":"t1","content":[{"text":"r"}],"status":"success"}])J"));
}

TEST_CASE("tool results repeated for one id are sent once") {
  auto conv = make_conversation(
      {user_turn("q"), assistant_turn("", {call("t1", "Read")}),
       user_turn("", {outcome("t1", "first"), outcome("t1", "second")})});
  conv.tools = {spec("Read")};
  CHECK(current_of(body_of(conv)).at("userInputMessageContext").at("toolResults") ==
        json_of(R"J([{"toolUseId":"t1","content":[{"text":"first"}],"status":"success"}])J"));
}

TEST_CASE("an error tool result is flagged, empty text is filled and its images move to the message") {
  auto conv = make_conversation(
      {user_turn("q"), assistant_turn("", {call("t1", "Shot"), call("t2", "Run")}),
       user_turn("", {outcome("t1", ""), outcome("t2", "boom", true)})});
  conv.turns[2].tool_outcomes[0].images.push_back({"image/png", "iVBOR"});
  conv.tools = {spec("Shot"), spec("Run")};
  auto current = current_of(body_of(conv));
  CHECK(current.at("images") ==
        json_of(R"J([{"format":"png","source":{"bytes":"iVBOR"}}])J"));
  CHECK(current.at("userInputMessageContext").at("toolResults") == json_of(R"J([
      {"toolUseId":"t1","content":[{"text":"(empty result)"}],"status":"success"},
      {"toolUseId":"t2","content":[{"text":"boom"}],"status":"error"}])J"));
}

TEST_CASE("a 70-character tool name is shortened everywhere and mapped back") {
  std::string long_name =
      "mcp__a_very_long_server_name_used_for_tests__and_a_long_tool_name_abcd";
  std::string kiro_name =
      "mcp__a_very_long_server_name_used_for_tests__and_a_long_869d2b26";
  auto conv = make_conversation(
      {user_turn("q"), assistant_turn("", {call("t1", long_name)}),
       user_turn("", {outcome("t1", "ok")})});
  conv.tools = {spec(long_name, "long one")};
  conv.tool_choice = tool_choice_mode::tool;
  conv.tool_choice_name = long_name;
  auto built = build_request(conv, fixed_options());
  REQUIRE(built.ok());
  CHECK(built->tool_name_map ==
        std::vector<std::pair<std::string, std::string>>{{kiro_name, long_name}});
  auto body = boost::json::parse(built->body);
  CHECK(history_of(body).at(1).at("assistantResponseMessage").at("toolUses").at(0).at(
            "name") == kiro_name.c_str());
  auto tools = current_of(body).at("userInputMessageContext").at("tools");
  REQUIRE(tools.as_array().size() == 1);
  CHECK(tools.at(0).at("toolSpecification").at("name") == kiro_name.c_str());
  CHECK(current_of(body).at("content") ==
        ("Tool results provided.\n\nYou must call the tool `" + kiro_name + "` now.").c_str());
}

TEST_CASE("a 30 KB description is cut in the spec and kept whole in the system text") {
  std::string description(30000, 'd');
  auto conv = make_conversation({user_turn("q")});
  conv.system = "System.";
  conv.tools = {spec("Big", description)};
  auto body = body_of(conv);
  std::string spec_description(
      current_of(body).at("userInputMessageContext").at("tools").at(0).at(
          "toolSpecification").at("description").as_string());
  CHECK(spec_description ==
        std::string(10000 - description_cut_note.size(), 'd') +
            std::string(description_cut_note));
  CHECK(spec_description.size() == 10000);
  CHECK(history_of(body).at(0).at("userInputMessage").at("content") ==
        ("System.\n\n# Tool documentation\n\n## Big\n" + description).c_str());
}

TEST_CASE("a description cut never splits a UTF-8 character") {
  std::string description;
  for (int i = 0; i < 100; ++i)
    description += "\xE2\x82\xAC"; // €, 3 bytes
  std::string cut = shorten_description(description, 100);
  // 100 - 59 note bytes = 41 → 13 whole euro signs (39 bytes).
  REQUIRE(description_cut_note.size() == 59);
  CHECK(cut == description.substr(0, 39) + std::string(description_cut_note));
  CHECK(shorten_description("short", 100) == "short");
}

TEST_CASE("an empty tool description becomes the tool name") {
  auto conv = make_conversation({user_turn("q")});
  conv.tools = {spec("Glob", "")};
  CHECK(current_of(body_of(conv)).at("userInputMessageContext").at("tools").at(0) ==
        json_of(R"J({"toolSpecification":{"name":"Glob","description":"Glob",
          "inputSchema":{"json":{"type":"object","properties":{}}}}})J"));
}

TEST_CASE("a $ref schema is resolved in the tool spec") {
  auto conv = make_conversation({user_turn("q")});
  conv.tools = {spec("Edit", "edit",
                     R"J({"$schema":"https://json-schema.org/draft/2020-12/schema",
                        "type":"object","additionalProperties":false,
                        "$defs":{"Range":{"type":"object","properties":{"start":{"type":"integer"}}}},
                        "properties":{"range":{"$ref":"#/$defs/Range"}},"required":["range"]})J")};
  CHECK(current_of(body_of(conv)).at("userInputMessageContext").at("tools").at(0).at(
            "toolSpecification").at("inputSchema") ==
        json_of(R"J({"json":{"type":"object","properties":{"range":{"type":"object",
          "properties":{"start":{"type":"integer"}}}},"required":["range"]}})J"));
}

TEST_CASE("duplicate client tool names are sent once") {
  auto conv = make_conversation({user_turn("q")});
  conv.tools = {spec("Read", "first"), spec("READ", "second")};
  auto tools = current_of(body_of(conv)).at("userInputMessageContext").at("tools");
  REQUIRE(tools.as_array().size() == 1);
  CHECK(tools.at(0).at("toolSpecification").at("description") == "first");
}

TEST_CASE("tools are sent only on the current message") {
  auto conv = make_conversation(
      {user_turn("q"), assistant_turn("a"), user_turn("q2")});
  conv.tools = {spec("Read")};
  auto body = body_of(conv);
  CHECK(history_of(body).at(0) == json_of(R"J({"userInputMessage":{"content":"q",
      "modelId":"m","origin":"AI_EDITOR"}})J"));
  CHECK(current_of(body).at("userInputMessageContext").at("tools").as_array().size() == 1);
}

TEST_CASE("tool_choice none sends no client tools but keeps history placeholders") {
  auto conv = make_conversation(
      {user_turn("q"), assistant_turn("", {call("t1", "Read")}),
       user_turn("summarize", {outcome("t1", "text")})});
  conv.tools = {spec("Read", "Reads"), spec("Write", "Writes")};
  conv.tool_choice = tool_choice_mode::none;
  auto current = current_of(body_of(conv));
  CHECK(current.at("content") == "summarize");
  CHECK(current.at("userInputMessageContext").at("tools") == json_of(R"J([
      {"toolSpecification":{"name":"Read","description":"Tool used in conversation history",
       "inputSchema":{"json":{"type":"object","properties":{},"additionalProperties":true}}}}])J"));
}

TEST_CASE("tool_choice any adds an instruction to the current message") {
  auto conv = make_conversation({user_turn("weather?")});
  conv.tools = {spec("get_weather")};
  conv.tool_choice = tool_choice_mode::any;
  CHECK(current_of(body_of(conv)).at("content") ==
        "weather?\n\nYou must call at least one of the available tools now.");
  conv.tool_choice = tool_choice_mode::tool;
  conv.tool_choice_name = "get_weather";
  CHECK(current_of(body_of(conv)).at("content") ==
        "weather?\n\nYou must call the tool `get_weather` now.");
}

TEST_CASE("enabled thinking puts clamped budget tags at the start of the system text") {
  auto conv = make_conversation({user_turn("q")});
  conv.system = "S";
  conv.thinking.mode = thinking_mode::enabled;
  conv.thinking.budget_tokens = 100000;
  CHECK(history_of(body_of(conv)).at(0).at("userInputMessage").at("content") ==
        "<thinking_mode>enabled</thinking_mode><max_thinking_length>24576"
        "</max_thinking_length>\n\nS");
  conv.thinking.budget_tokens = 10;
  CHECK(history_of(body_of(conv)).at(0).at("userInputMessage").at("content") ==
        "<thinking_mode>enabled</thinking_mode><max_thinking_length>1024"
        "</max_thinking_length>\n\nS");
  conv.thinking.budget_tokens = 0;
  conv.system.clear();
  CHECK(history_of(body_of(conv)).at(0).at("userInputMessage").at("content") ==
        "<thinking_mode>enabled</thinking_mode><max_thinking_length>20000"
        "</max_thinking_length>");
}

TEST_CASE("adaptive thinking announces its effort unless the system already has tags") {
  auto conv = make_conversation({user_turn("q")});
  conv.system = "S";
  conv.thinking.mode = thinking_mode::adaptive;
  conv.thinking.effort = "medium";
  CHECK(history_of(body_of(conv)).at(0).at("userInputMessage").at("content") ==
        "<thinking_mode>adaptive</thinking_mode><thinking_effort>medium"
        "</thinking_effort>\n\nS");
  conv.system = "<thinking_mode>enabled</thinking_mode> S";
  CHECK(history_of(body_of(conv)).at(0).at("userInputMessage").at("content") ==
        "<thinking_mode>enabled</thinking_mode> S");
}

TEST_CASE("prior assistant thinking is re-sent before the text") {
  auto conv = make_conversation({user_turn("q"), assistant_turn("42"), user_turn("why")});
  conv.turns[1].thinking = "6 times 7";
  CHECK(history_of(body_of(conv)).at(1) == json_of(R"J({"assistantResponseMessage":{
      "content":"<thinking>6 times 7</thinking>\n\n42"}})J"));
}

TEST_CASE("images are sent as format and base64 bytes on user messages") {
  auto conv = make_conversation({user_turn("what is this")});
  conv.turns[0].images = {{"image/jpeg", "/9j/4AAQ"}, {"image/webp", "UklGR"},
                          {"image/gif", "R0lGOD"}};
  CHECK(current_of(body_of(conv)).at("images") == json_of(R"J([
      {"format":"jpeg","source":{"bytes":"/9j/4AAQ"}},
      {"format":"webp","source":{"bytes":"UklGR"}},
      {"format":"gif","source":{"bytes":"R0lGOD"}}])J"));
}

TEST_CASE("an unsupported image type is refused with a 400") {
  auto conv = make_conversation({user_turn("q")});
  conv.turns[0].images = {{"image/bmp", "Qk0"}};
  auto built = build_request(conv, fixed_options());
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().status() == 400);
  CHECK(built.error().message ==
        "image media type \"image/bmp\" is not supported; use image/png, "
        "image/jpeg, image/gif or image/webp");
}

TEST_CASE("images older than the last N history user messages become placeholders") {
  std::vector<turn> turns;
  for (int i = 0; i < 3; ++i) {
    turns.push_back(user_turn("look " + std::to_string(i)));
    turns.back().images = {{"image/png", "P" + std::to_string(i)}};
    turns.push_back(assistant_turn("seen"));
  }
  turns.push_back(user_turn("and now?"));
  auto options = fixed_options();
  options.max_history_images = 1;
  auto history = history_of(body_of(make_conversation(turns), options));
  CHECK(history.at(0) == json_of(R"J({"userInputMessage":{
      "content":"look 0\n[image omitted: image/png]","modelId":"m","origin":"AI_EDITOR"}})J"));
  CHECK(history.at(2).at("userInputMessage").at("content") ==
        "look 1\n[image omitted: image/png]");
  CHECK(history.at(4) == json_of(R"J({"userInputMessage":{"content":"look 2",
      "modelId":"m","origin":"AI_EDITOR",
      "images":[{"format":"png","source":{"bytes":"P2"}}]}})J"));
}

TEST_CASE("the size guard drops history images before refusing") {
  std::string big_image(5000, 'A');
  auto conv = make_conversation({user_turn("see"), assistant_turn("ok"),
                                 user_turn("again")});
  conv.turns[0].images = {{"image/png", big_image}};
  auto options = fixed_options();
  options.max_body_bytes = 2000;
  auto built = build_request(conv, options);
  REQUIRE(built.ok());
  auto body = boost::json::parse(built->body);
  CHECK(built->body.size() <= 2000);
  CHECK(history_of(body).at(0) == json_of(R"J({"userInputMessage":{
      "content":"see\n[image omitted: image/png]","modelId":"m","origin":"AI_EDITOR"}})J"));
}

TEST_CASE("a body over the size limit is refused with a precise 400") {
  auto conv = make_conversation({user_turn(std::string(3000, 'x'))});
  auto options = fixed_options();
  options.max_body_bytes = 1000;
  auto built = build_request(conv, options);
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().kind == error_kind::invalid_request);
  CHECK(built.error().message ==
        "prompt is too long: the translated request is 3184 bytes, Kiro "
        "accepts at most 1000; shorten the conversation (e.g. /compact in "
        "Claude Code)");
}

TEST_CASE("the body stays valid JSON for quotes, control characters and invalid UTF-8") {
  auto conv = make_conversation(
      {user_turn("say \"hi\"\n\t\x01 \xFF\xFE end"),
       assistant_turn("", {call("t\"1", "Read", "not json")}),
       user_turn("", {outcome("t\"1", "\\back\\slash")})});
  conv.system = "</thinking> \x7F";
  auto body = body_of(conv);
  CHECK(history_of(body).at(2).at("userInputMessage").at("content") ==
        "say \"hi\"\n\t\x01 \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK(history_of(body).at(3).at("assistantResponseMessage").at("toolUses") ==
        json_of(R"J([{"toolUseId":"t\"1","name":"Read","input":{}}])J"));
  CHECK(current_of(body).at("userInputMessageContext").at("toolResults").at(0).at(
            "content") == json_of(R"J([{"text":"\\back\\slash"}])J"));
}

TEST_CASE("a conversation without a mapped Kiro model is refused") {
  auto conv = make_conversation({user_turn("q")});
  conv.upstream_model.clear();
  auto built = build_request(conv, fixed_options());
  REQUIRE_FALSE(built.ok());
  CHECK(built.error().message ==
        "model: no Kiro model is mapped for \"claude-sonnet-4-5\"");
}
