#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "services/common/log.hpp"

using namespace kb::log;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("kb-log-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

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

TEST_CASE("log files are created 0640, and an older 0644 file is made 0640") {
  auto dir = fresh_dir("mode");
  { std::ofstream old{dir / "server-error.log"}; old << "old line\n"; }
  ::chmod((dir / "server-error.log").c_str(), 0644);
  auto mask = ::umask(0); // the widest umask: the mode must not depend on it
  auto err = open_files({dir.string(), 1 << 20, 2});
  ::umask(mask);
  REQUIRE_FALSE(err);
  for (auto name : {"server-debug.log", "server-error.log", "claude-code.log", "kiro-api.log"})
    CHECK_MESSAGE(mode_of(dir / name) == 0640, name);
  CHECK(slurp((dir / "server-error.log").string()) == "old line\n");
  close_files();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a symlink where a log file goes is refused, and its target is not written") {
  auto dir = fresh_dir("link");
  auto target = dir / "kiro-accounts.json";
  { std::ofstream t{target}; t << "{\"secret\":1}"; }
  std::filesystem::create_symlink(target, dir / "kiro-api.log");
  auto err = open_files({dir.string(), 1 << 20, 2});
  REQUIRE(err);
  CHECK(*err == "cannot open log file " + (dir / "kiro-api.log").string() +
                  ": it is a symbolic link");
  KB_WARN("worker", "must not reach the link's target");
  CHECK(slurp(target.string()) == "{\"secret\":1}");
  CHECK(files_dir().empty());
  close_files();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a folder that refuses the new files leaves the running ones open") {
  auto good = fresh_dir("keep");
  REQUIRE_FALSE(open_files({good.string(), 1 << 20, 2}));
  auto err = open_files({"/proc/self", 1 << 20, 2});
  REQUIRE(err);
  CHECK(files_dir() == good.string());
  KB_WARN("supervisor", "still logged to the old folder");
  CHECK(slurp((good / "server-error.log").string()).find("still logged to the old folder") !=
        std::string::npos);
  close_files();
  std::filesystem::remove_all(good);
}

TEST_CASE("a log tail is read only from a regular file") {
  auto dir = fresh_dir("tail");
  { std::ofstream f{dir / "server-debug.log"}; f << "one\ntwo\nthree\n"; }
  auto ok = read_file_tail((dir / "server-debug.log").string(), 6);
  CHECK(ok.result == tail_read::state::ok);
  CHECK(ok.text == "three\n");
  std::filesystem::create_symlink(dir / "server-debug.log", dir / "claude-code.log");
  auto link = read_file_tail((dir / "claude-code.log").string(), 1 << 20);
  CHECK(link.result == tail_read::state::not_regular);
  CHECK(link.text.empty());
  REQUIRE(::mkfifo((dir / "kiro-api.log").c_str(), 0600) == 0);
  CHECK(read_file_tail((dir / "kiro-api.log").string(), 1 << 20).result ==
        tail_read::state::not_regular);
  std::filesystem::create_directory(dir / "server-error.log");
  CHECK(read_file_tail((dir / "server-error.log").string(), 1 << 20).result ==
        tail_read::state::not_regular);
  CHECK(read_file_tail((dir / "nothing.log").string(), 1 << 20).result ==
        tail_read::state::missing);
  std::filesystem::remove_all(dir);
}

TEST_CASE("logDir must be a directory a file can be created in") {
  auto dir = fresh_dir("writable");
  CHECK_FALSE(check_writable_dir(dir.string()));
  CHECK_FALSE(check_writable_dir((dir / "made" / "on" / "demand").string()));
  CHECK(std::filesystem::is_directory(dir / "made" / "on" / "demand"));
  CHECK(std::distance(std::filesystem::directory_iterator{dir / "made" / "on" / "demand"},
                      std::filesystem::directory_iterator{}) == 0); // the probe is gone
  auto proc = check_writable_dir("/proc/self");
  REQUIRE(proc);
  CHECK(proc->rfind("/proc/self is not a writable directory: ", 0) == 0);
  { std::ofstream f{dir / "a-file"}; f << "x"; }
  auto file = check_writable_dir((dir / "a-file").string());
  REQUIRE(file);
  CHECK(file->find("cannot be created") != std::string::npos);
  std::filesystem::remove_all(dir);
}
