#include "services/common/log.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kb::log {

namespace {

constexpr mode_t file_mode = 0640;

std::atomic<int> current_level_value{static_cast<int>(level::info)};
std::mutex output_mutex;

constexpr std::array<category, 4> all_categories{
  category::server_debug, category::server_error, category::claude_code,
  category::kiro_api};

struct log_file {
  std::string path;
  std::FILE* handle = nullptr;
  std::int64_t size = 0;
};

/// Guarded by output_mutex.
struct file_state {
  file_settings settings;
  bool open = false;
  std::array<log_file, 4> files;
} files_state;

log_file& file_of(category cat) {
  return files_state.files[static_cast<size_t>(cat)];
}

void close_file(log_file& f) {
  if (f.handle)
    std::fclose(f.handle);
  f.handle = nullptr;
  f.size = 0;
}

/// Log files are 0640 whatever the umask or an older file said, opened
/// without following a symlink (a link planted in logDir must not redirect
/// our writes), and only when they are regular files.
std::optional<std::string> open_file(log_file& f) {
  int fd = ::open(f.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
                                    O_NONBLOCK,
                  file_mode);
  if (fd < 0)
    return "cannot open log file " + f.path + ": " +
           (errno == ELOOP ? std::string{"it is a symbolic link"} : std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return "cannot open log file " + f.path + ": not a regular file";
  }
  ::fchmod(fd, file_mode);
  f.handle = ::fdopen(fd, "a");
  if (!f.handle) {
    ::close(fd);
    return "cannot open log file " + f.path + ": " + std::strerror(errno);
  }
  f.size = static_cast<std::int64_t>(st.st_size);
  return std::nullopt;
}

void rotate(log_file& f) {
  auto renames = rotation_renames(f.path, files_state.settings.max_files);
  if (renames.empty()) {
    // Truncated through our own descriptor: the path may now be a link.
    if (::ftruncate(::fileno(f.handle), 0) == 0)
      f.size = 0;
    return;
  }
  close_file(f);
  std::error_code ec;
  std::filesystem::remove(renames.front().second, ec);
  for (auto& [from, to] : renames)
    std::filesystem::rename(from, to, ec);
  (void)open_file(f); // on failure the handle stays null: this file stops
}

void append(log_file& f, const std::string& line) {
  if (!f.handle)
    return;
  auto bytes = static_cast<std::int64_t>(line.size());
  if (needs_rotation(f.size, bytes, files_state.settings.max_size_bytes)) {
    rotate(f);
    if (!f.handle)
      return;
  }
  std::fwrite(line.data(), 1, line.size(), f.handle);
  std::fflush(f.handle);
  f.size += bytes;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool is_upstream_component(std::string_view component) {
  return component == "worker" || component == "maintainer" ||
         component == "upstream";
}

/// Writes one formatted line to stderr and the files it belongs in.
void emit(level lvl, std::string_view component, std::string_view request_id,
          std::string_view account_id, std::string_view message,
          std::optional<category> extra) {
  auto line = format_line(now_ms(), lvl, component, request_id, account_id, message);
  line += '\n';
  std::lock_guard<std::mutex> guard{output_mutex};
  std::fwrite(line.data(), 1, line.size(), stderr);
  if (!files_state.open)
    return;
  append(file_of(category::server_debug), line);
  if (lvl >= level::warn)
    append(file_of(category::server_error), line);
  if (extra && *extra != category::server_debug && *extra != category::server_error)
    append(file_of(*extra), line);
}

} // namespace

level parse_level(std::string_view name) {
  if (name == "debug") return level::debug;
  if (name == "warn" || name == "warning") return level::warn;
  if (name == "error") return level::error;
  return level::info;
}

std::string_view level_name(level lvl) {
  switch (lvl) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warn: return "WARN";
    case level::error: return "ERROR";
  }
  return "INFO";
}

void set_level(level lvl) {
  current_level_value = static_cast<int>(lvl);
}

level current_level() {
  return static_cast<level>(current_level_value.load(std::memory_order_relaxed));
}

bool enabled(level lvl) {
  return static_cast<int>(lvl) >= current_level_value.load(std::memory_order_relaxed);
}

void write(level lvl, std::string_view component, std::string_view message) {
  std::optional<category> extra;
  if (is_upstream_component(component))
    extra = category::kiro_api;
  emit(lvl, component, {}, {}, message, extra);
}

void event(category cat, level lvl, std::string_view request_id,
           std::string_view account_id, std::string_view message) {
  if (!enabled(lvl))
    return;
  std::string_view component = cat == category::claude_code ? "claude"
                               : cat == category::kiro_api  ? "kiro-api"
                                                            : "server";
  emit(lvl, component, request_id, account_id, message, cat);
}

std::optional<std::string> open_files(const file_settings& settings) {
  std::error_code ec;
  std::filesystem::create_directories(settings.dir, ec);
  if (ec)
    return "cannot create log directory " + settings.dir + ": " + ec.message();
  // The new files open before the old ones close: a folder that refuses
  // them leaves the running files in place.
  std::array<log_file, 4> next;
  for (auto cat : all_categories) {
    auto& f = next[static_cast<size_t>(cat)];
    f.path = (std::filesystem::path{settings.dir} / std::string{file_name(cat)}).string();
    if (auto err = open_file(f)) {
      for (auto& g : next)
        close_file(g);
      return err;
    }
  }
  std::lock_guard<std::mutex> guard{output_mutex};
  for (auto& f : files_state.files)
    close_file(f);
  files_state.files = next;
  files_state.settings = settings;
  files_state.open = true;
  return std::nullopt;
}

std::optional<std::string> check_writable_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return dir + " cannot be created: " + ec.message();
  if (!std::filesystem::is_directory(dir, ec))
    return dir + " is not a directory";
  // access(W_OK) says yes to root everywhere (even /proc/self): try a file.
  auto probe = (std::filesystem::path{dir} /
                (".kiro-bridge-write-probe-" + std::to_string(::getpid())))
                 .string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return dir + " is not a writable directory: " + std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return std::nullopt;
}

void close_files() {
  std::lock_guard<std::mutex> guard{output_mutex};
  for (auto& f : files_state.files)
    close_file(f);
  files_state.open = false;
}

tail_read read_file_tail(const std::string& path, std::size_t max_bytes) {
  tail_read out;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    out.result = errno == ELOOP ? tail_read::state::not_regular : tail_read::state::missing;
    return out;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    out.result = tail_read::state::not_regular;
    return out;
  }
  auto size = static_cast<std::size_t>(st.st_size);
  auto start = size > max_bytes ? size - max_bytes : 0;
  out.text.resize(size - start);
  std::size_t got = 0;
  while (got < out.text.size()) {
    auto n = ::pread(fd, out.text.data() + got, out.text.size() - got,
                     static_cast<off_t>(start + got));
    if (n <= 0)
      break;
    got += static_cast<std::size_t>(n);
  }
  out.text.resize(got);
  ::close(fd);
  out.result = tail_read::state::ok;
  return out;
}

std::string files_dir() {
  std::lock_guard<std::mutex> guard{output_mutex};
  return files_state.open ? files_state.settings.dir : std::string{};
}

std::string_view file_name(category cat) {
  switch (cat) {
    case category::server_debug: return "server-debug.log";
    case category::server_error: return "server-error.log";
    case category::claude_code: return "claude-code.log";
    case category::kiro_api: return "kiro-api.log";
  }
  return "server-debug.log";
}

std::optional<category> category_of_file(std::string_view name) {
  for (auto cat : all_categories)
    if (file_name(cat) == name)
      return cat;
  return std::nullopt;
}

std::string format_line(std::int64_t epoch_ms, level lvl,
                        std::string_view component, std::string_view request_id,
                        std::string_view account_id, std::string_view message) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(epoch_ms % 1000));
  std::string line = stamp;
  line += ' ';
  auto name = level_name(lvl);
  line += name;
  line.append(5 - name.size() + 1, ' ');
  line += '[';
  line += component;
  line += "] req=";
  line += request_id.empty() ? std::string_view{"-"} : request_id;
  line += " acct=";
  line += account_id.empty() ? std::string_view{"-"} : account_id;
  line += ' ';
  for (char c : message)
    line += (c == '\n' || c == '\r') ? ' ' : c;
  return line;
}

std::vector<std::pair<std::string, std::string>>
rotation_renames(const std::string& path, int max_files) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = max_files - 1; i >= 1; --i) {
    auto from = i == 1 ? path : path + "." + std::to_string(i - 1);
    out.emplace_back(from, path + "." + std::to_string(i));
  }
  return out;
}

bool needs_rotation(std::int64_t current, std::int64_t incoming,
                    std::int64_t max_size) {
  return max_size > 0 && current > 0 && current + incoming > max_size;
}

std::string tail_lines(std::string_view text, std::size_t n) {
  if (n == 0 || text.empty())
    return {};
  auto end = text.size();
  if (text[end - 1] == '\n')
    --end;
  std::size_t pos = end;
  std::size_t found = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++found == n)
      break;
    --pos;
  }
  return std::string{text.substr(pos)};
}

} // namespace kb::log
