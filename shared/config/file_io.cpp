#include "shared/config/file_io.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>

#include <chrono>
#include <filesystem>
#include <signal.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kb::config {

namespace {

config_error io_error(const std::string& path, std::string what, int err) {
  config_error e;
  e.file = path;
  e.message = std::move(what) + ": " + std::strerror(err);
  return e;
}

config_error plain_error(const std::string& path, std::string what) {
  config_error e;
  e.file = path;
  e.message = std::move(what);
  return e;
}

/// Closes a descriptor on scope exit unless released.
class fd_guard {
public:
  explicit fd_guard(int fd) : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now and reports the close error, if any.
  int close_now() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

private:
  int fd_;
};

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." +
         std::to_string(counter.fetch_add(1));
}

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<config_error> fsync_directory(const std::string& dir,
                                            const std::string& path) {
  fd_guard fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error(path, "cannot open directory " + dir, errno);
  if (::fsync(fd.get()) != 0)
    return io_error(path, "cannot fsync directory " + dir, errno);
  return std::nullopt;
}

} // namespace

loaded<std::optional<std::string>> read_optional_file(const std::string& path) {
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return io_error(path, "cannot open", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return plain_error(path, "not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_config_file_bytes)
    return plain_error(path, "file larger than " +
                               std::to_string(max_config_file_bytes) + " bytes");
  std::string content;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path, "cannot read", errno);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    // The file may grow after fstat.
    if (content.size() > max_config_file_bytes)
      return plain_error(path, "file larger than " +
                                 std::to_string(max_config_file_bytes) +
                                 " bytes");
  }
  return std::optional<std::string>{std::move(content)};
}

loaded<std::string> read_file(const std::string& path) {
  auto content = read_optional_file(path);
  if (!content) return content.error();
  if (!content.value()) {
    return io_error(path, "cannot open", ENOENT);
  }
  return std::move(*content.value());
}

namespace {

std::optional<config_error> write_replacing(const std::string& path,
                                            std::string_view content,
                                            unsigned create_mode, bool force_mode) {
  mode_t mode = static_cast<mode_t>(create_mode & 07777);
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) {
    if (!S_ISREG(existing.st_mode))
      return plain_error(path, "not a regular file");
    if (!force_mode)
      mode = existing.st_mode & 07777;
  } else if (errno != ENOENT) {
    return io_error(path, "cannot stat", errno);
  }

  const std::string temp = temp_path_for(path);
  fd_guard fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                     mode));
  if (fd.get() < 0) return io_error(path, "cannot create temporary file", errno);

  auto fail = [&](std::string what) {
    int err = errno;
    ::unlink(temp.c_str());
    return io_error(path, std::move(what), err);
  };
  // open() applied the umask; the file must carry exactly `mode`.
  if (::fchmod(fd.get(), mode) != 0) return fail("cannot set permissions");
  if (!write_all(fd.get(), content)) return fail("cannot write");
  if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  if (fd.close_now() != 0) return fail("cannot close");
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("cannot rename");
  return fsync_directory(directory_of(path), path);
}

/// The pid in "<name>.tmp.<pid>.<n>" after `prefix` ("<name>.tmp."), or -1.
long temp_file_pid(const std::string& file_name, const std::string& prefix) {
  if (file_name.rfind(prefix, 0) != 0) return -1;
  auto rest = file_name.substr(prefix.size());
  auto dot = rest.find('.');
  if (dot == 0 || dot == std::string::npos) return -1;
  long pid = 0;
  for (std::size_t i = 0; i < dot; ++i) {
    if (rest[i] < '0' || rest[i] > '9' || pid > 1'000'000'000) return -1;
    pid = pid * 10 + (rest[i] - '0');
  }
  return pid;
}

} // namespace

std::optional<config_error> atomic_write_file(const std::string& path,
                                              std::string_view content,
                                              unsigned create_mode) {
  return write_replacing(path, content, create_mode, false);
}

std::optional<config_error> atomic_write_secret_file(const std::string& path,
                                                     std::string_view content) {
  return write_replacing(path, content, secret_file_mode, true);
}

int remove_stale_temp_files(const std::string& path) {
  namespace fs = std::filesystem;
  auto dir = directory_of(path);
  auto slash = path.rfind('/');
  auto prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  std::error_code ec;
  int removed = 0;
  auto now = std::chrono::system_clock::now();
  for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    long pid = temp_file_pid(name, prefix);
    if (pid < 0) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    auto age = now - std::chrono::system_clock::from_time_t(st.st_mtime);
    bool writer_gone = pid != ::getpid() &&
                       (pid == 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH));
    if (age >= std::chrono::seconds(30) || (writer_gone && age >= std::chrono::seconds(2))) {
      if (::unlink(it->path().c_str()) == 0) ++removed;
    }
  }
  return removed;
}

} // namespace kb::config
