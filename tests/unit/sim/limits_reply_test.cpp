// kiro-sim's answers for the size and image limits: Kiro's status and text,
// the precise rule recorded, the limit scriptable through /__sim/config.

#include <doctest/doctest.h>

#include <memory>

#include <boost/json.hpp>

#include "services/sim/simulator.hpp"
#include "tests/support/image_files.hpp"
#include "tests/unit/sim/request_bodies.hpp"

using namespace kb::sim;
using namespace kb::sim::test;
namespace json = boost::json;

namespace {

constexpr int64_t t0 = 2'000'000;

std::unique_ptr<simulator> sim_with_account() {
  auto sim = std::make_unique<simulator>();
  REQUIRE_FALSE(sim->load_accounts(
      R"([{"id":"a1","accessToken":"token-a1-abcd","refreshToken":"refresh-a1"}])", t0));
  return sim;
}

http_request_view chat(std::string body) {
  http_request_view v;
  v.method = "POST";
  v.path = "/generateAssistantResponse";
  v.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer token-a1-abcd"}};
  v.body = std::move(body);
  return v;
}

json::object last_record(const simulator& sim) {
  http_request_view q;
  auto listing = json::parse(sim.requests(q).body);
  return listing.at("requests").as_array().back().as_object();
}

} // namespace

TEST_CASE("a body over maxBodyBytes answers 400 Input is too long, the limit set at run time") {
  auto owner = sim_with_account();
  auto& sim = *owner;
  CHECK(json::parse(sim.config().body).at("maxBodyBytes") == 4'047'768);
  std::string body = text(valid_body());
  CHECK(sim.generate(chat(body), t0).status == 200);
  auto configured = sim.configure(R"({"maxBodyBytes":)" + std::to_string(body.size() - 1) + "}");
  REQUIRE(configured.status == 200);
  auto a = sim.generate(chat(body), t0);
  CHECK(a.status == 400);
  CHECK(json::parse(a.body) ==
        json::parse(R"({"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"})"));
  auto r = last_record(sim);
  CHECK(r.at("verdict") == "input_too_long");
  CHECK(r.at("reason") == "body_too_large");
}

TEST_CASE("an image over a limit answers Kiro's own message") {
  auto owner = sim_with_account();
  auto& sim = *owner;
  auto body = valid_body();
  current_of(body)["images"] = json::array{json::object{
      {"format", "png"},
      {"source", json::object{{"bytes", kb::test::base64_encode(kb::test::png_file(9000, 10))}}}}};
  auto a = sim.generate(chat(text(body)), t0);
  CHECK(a.status == 400);
  CHECK(json::parse(a.body) ==
        json::parse(R"({"message":"image dimensions exceed max allowed size: 8000 pixels","reason":null})"));
  auto r = last_record(sim);
  CHECK(r.at("verdict") == "malformed");
  CHECK(r.at("reason") == "image_dimensions_too_large");
  CHECK(r.at("detail") == "currentMessage.images[0] is 9000x10");
}
