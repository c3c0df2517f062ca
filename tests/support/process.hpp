#pragma once

// Real processes for integration tests: start a daemon, wait for its ready
// line, stop it, always within a bound. Also temp dirs and test certs.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace kb::test {

class child_process {
public:
  /// Starts `argv[0]` with arguments; stdout is read by wait_for_line,
  /// stderr goes to `stderr_path` (or is inherited when empty).
  child_process(std::vector<std::string> argv, std::string stderr_path = "");
  ~child_process(); ///< kills the process if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool started() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }

  /// The first stdout line containing `needle`, or nullopt on timeout/EOF.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout);

  /// Sends `sig` and waits up to `timeout` for exit; returns the exit
  /// status (WEXITSTATUS) or -1 on timeout (then the process is killed),
  /// or 128+signal when it died of a signal.
  int stop(int sig, std::chrono::milliseconds timeout);

  /// Whether the process is still alive.
  bool running();

private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  int exit_status_ = -2;
};

/// A fresh directory under /tmp, removed with its contents on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const noexcept { return path_; }
  /// The path of `name` inside the directory.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Writes `content` to `name` inside the directory; returns its path.
  std::string file(const std::string& name, const std::string& content) const;

private:
  std::string path_;
};

/// Writes `content` to `path` (truncating).
void write_text(const std::string& path, const std::string& content);
std::string read_text(const std::string& path);

struct tls_files {
  std::string cert;
  std::string key;
};

/// A self-signed certificate for 127.0.0.1 made with the openssl CLI in
/// `dir`, or nullopt if that failed.
std::optional<tls_files> make_self_signed_cert(const temp_dir& dir);

/// The value after `key=` in a line like "x listening http=127.0.0.1:80".
std::string field_after(const std::string& line, const std::string& key);

/// The port at the end of "host:port" or "http://host:port".
int port_of(const std::string& host_port);

} // namespace kb::test
