#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "services/common/log.hpp"

using namespace kb::log;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("a log line carries time, level, component, request and account") {
  // 2025-01-02T03:04:05.006Z
  CHECK(format_line(1735787045006, level::warn, "gateway", "req_1", "acct-9", "slow") ==
        "2025-01-02T03:04:05.006Z WARN  [gateway] req=req_1 acct=acct-9 slow");
  CHECK(format_line(1735787045006, level::error, "x", "", "", "a\nb") ==
        "2025-01-02T03:04:05.006Z ERROR [x] req=- acct=- a b");
}

TEST_CASE("rotation shifts every kept file up by one, oldest first") {
  auto r = rotation_renames("logs/a.log", 4);
  REQUIRE(r.size() == 3);
  CHECK(r[0] == std::pair<std::string, std::string>{"logs/a.log.2", "logs/a.log.3"});
  CHECK(r[1] == std::pair<std::string, std::string>{"logs/a.log.1", "logs/a.log.2"});
  CHECK(r[2] == std::pair<std::string, std::string>{"logs/a.log", "logs/a.log.1"});
  CHECK(rotation_renames("a.log", 1).empty());
  CHECK(rotation_renames("a.log", 0).empty());
}

TEST_CASE("a file rotates only when the next line would pass the limit") {
  CHECK_FALSE(needs_rotation(90, 10, 100));
  CHECK(needs_rotation(91, 10, 100));
  CHECK_FALSE(needs_rotation(0, 500, 100));
  CHECK_FALSE(needs_rotation(1000, 10, 0));
}

TEST_CASE("the tail of a log is its last n lines") {
  CHECK(tail_lines("a\nb\nc\n", 2) == "b\nc\n");
  CHECK(tail_lines("a\nb\nc", 2) == "b\nc");
  CHECK(tail_lines("a\nb\nc\n", 10) == "a\nb\nc\n");
  CHECK(tail_lines("a\nb\n", 0) == "");
  CHECK(tail_lines("", 3) == "");
}

TEST_CASE("only the four category files are known by name") {
  CHECK(category_of_file("server-debug.log") == category::server_debug);
  CHECK(category_of_file("kiro-api.log") == category::kiro_api);
  CHECK_FALSE(category_of_file("../server-debug.log"));
  CHECK_FALSE(category_of_file("server-debug.log.1"));
}

TEST_CASE("events land in their category files and rotate at the size limit") {
  auto dir = std::filesystem::temp_directory_path() /
             ("kb-log-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  REQUIRE_FALSE(open_files({dir.string(), 400, 3}));
  set_level(level::debug);
  event(category::claude_code, level::info, "req_a", "acct-1", "hello");
  KB_WARN("supervisor", "trouble");
  KB_INFO("worker", "upstream call");
  auto claude = slurp((dir / "claude-code.log").string());
  CHECK(claude.find("req=req_a acct=acct-1 hello\n") != std::string::npos);
  auto errors = slurp((dir / "server-error.log").string());
  CHECK(errors.find("[supervisor] req=- acct=- trouble") != std::string::npos);
  CHECK(errors.find("hello") == std::string::npos);
  auto upstream = slurp((dir / "kiro-api.log").string());
  CHECK(upstream.find("[worker] req=- acct=- upstream call") != std::string::npos);
  auto debug = slurp((dir / "server-debug.log").string());
  CHECK(debug.find("hello") != std::string::npos);
  CHECK(debug.find("trouble") != std::string::npos);
  for (int i = 0; i < 20; ++i)
    event(category::claude_code, level::info, "req_b", "", std::string(60, 'x'));
  CHECK(std::filesystem::file_size(dir / "claude-code.log") <= 400);
  CHECK(std::filesystem::exists(dir / "claude-code.log.1"));
  CHECK(std::filesystem::exists(dir / "claude-code.log.2"));
  CHECK_FALSE(std::filesystem::exists(dir / "claude-code.log.3"));
  close_files();
  set_level(level::info);
  std::filesystem::remove_all(dir);
}
