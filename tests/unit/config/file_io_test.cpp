#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

#include "shared/config/file_io.hpp"
#include "tests/unit/config/test_dir.hpp"

using namespace kb::config;
using kb::config::test::temp_dir;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void write_plain(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::size_t entries_in(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
    ++n;
  return n;
}

} // namespace

TEST_CASE("an atomic write replaces the file, keeps its mode and leaves no temp file") {
  temp_dir dir;
  const auto path = dir.file("server-config.json");
  write_plain(path, "{\"old\":true}");
  REQUIRE(::chmod(path.c_str(), 0640) == 0);

  auto err = atomic_write_file(path, "{\"new\":true}\n");
  REQUIRE_FALSE(err.has_value());

  auto back = read_file(path);
  REQUIRE(back.ok());
  CHECK(*back == "{\"new\":true}\n");
  CHECK(mode_of(path) == 0640);
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("a new file gets the requested mode whatever the umask") {
  temp_dir dir;
  const auto path = dir.file("kiro-accounts.json");
  mode_t old_mask = ::umask(0);
  auto err = atomic_write_file(path, "[]", secret_file_mode);
  ::umask(old_mask);
  REQUIRE_FALSE(err.has_value());
  CHECK(mode_of(path) == 0600);
}

TEST_CASE("repeated writes each replace the content completely") {
  temp_dir dir;
  const auto path = dir.file("m.json");
  REQUIRE_FALSE(atomic_write_file(path, std::string(1000, 'a')).has_value());
  REQUIRE_FALSE(atomic_write_file(path, "b").has_value());
  CHECK(*read_file(path) == "b");
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("a write into a missing directory is an error value naming the file") {
  temp_dir dir;
  const auto path = dir.file("missing/sub/x.json");
  auto err = atomic_write_file(path, "{}");
  REQUIRE(err.has_value());
  CHECK(err->file == path);
  CHECK(err->message ==
        "cannot create temporary file: No such file or directory");
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a write over a directory is refused and leaves it alone") {
  temp_dir dir;
  auto err = atomic_write_file(dir.path(), "{}");
  REQUIRE(err.has_value());
  CHECK(err->message == "not a regular file");
  CHECK(std::filesystem::is_directory(dir.path()));
}

TEST_CASE("reading a missing file is an error but the optional read gives nothing") {
  temp_dir dir;
  const auto path = dir.file("none.json");
  auto plain = read_file(path);
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().message == "cannot open: No such file or directory");
  auto optional = read_optional_file(path);
  REQUIRE(optional.ok());
  CHECK_FALSE(optional->has_value());
}

TEST_CASE("a file larger than the size cap is refused") {
  temp_dir dir;
  const auto path = dir.file("huge.json");
  write_plain(path, "");
  REQUIRE(::truncate(path.c_str(), max_config_file_bytes + 1) == 0);
  auto text = read_file(path);
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().message == "file larger than 16777216 bytes");
}

TEST_CASE("reading a directory is an error") {
  temp_dir dir;
  auto text = read_file(dir.path());
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().message == "not a regular file");
}

namespace {

/// Sets a file's modification time `seconds` into the past.
void age_file(const std::string& path, int seconds) {
  auto t = std::filesystem::last_write_time(path);
  std::filesystem::last_write_time(path, t - std::chrono::seconds(seconds));
}

/// A pid no process has: just past the kernel's pid_max.
long dead_pid() {
  std::ifstream in("/proc/sys/kernel/pid_max");
  long max = 4194304;
  in >> max;
  return max + 1;
}

} // namespace

TEST_CASE("a secret file is 0600 after a save whatever mode the old file had") {
  temp_dir dir;
  auto path = dir.file("kiro-accounts.json");
  write_plain(path, "{}");
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  mode_t old_mask = ::umask(0);
  auto err = atomic_write_secret_file(path, "{\"accounts\":[]}");
  ::umask(old_mask);
  REQUIRE_FALSE(err.has_value());
  CHECK(mode_of(path) == 0600);
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("stale temporary copies of a file are removed, a write in progress is kept") {
  temp_dir dir;
  auto path = dir.file("kiro-accounts.json");
  write_plain(path, "{}");
  auto dead = dir.file("kiro-accounts.json.tmp." + std::to_string(dead_pid()) + ".0");
  auto old_live = dir.file("kiro-accounts.json.tmp.1.3");
  auto fresh_ours = dir.file("kiro-accounts.json.tmp." + std::to_string(::getpid()) + ".9");
  auto fresh_dead = dir.file("kiro-accounts.json.tmp." + std::to_string(dead_pid()) + ".1");
  auto other = dir.file("model-mapping.json.tmp.1.0");
  for (auto& f : {dead, old_live, fresh_ours, fresh_dead, other})
    write_plain(f, "{\"accessToken\":\"secret\"}");
  age_file(dead, 5);
  age_file(old_live, 120);
  age_file(other, 120);
  CHECK(remove_stale_temp_files(path) == 2);
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK_FALSE(std::filesystem::exists(old_live));
  CHECK(std::filesystem::exists(fresh_ours)); // maybe being written right now
  CHECK(std::filesystem::exists(fresh_dead)); // too young to judge
  CHECK(std::filesystem::exists(other));      // another file's
  CHECK(std::filesystem::exists(path));
}
