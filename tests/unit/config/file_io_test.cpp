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
