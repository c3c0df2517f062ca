#pragma once

// Starts a real kiro-sim for a test and stops it when the test ends.
// Reusable by every integration suite: include "tests/integration/sim/sim_process.hpp".

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace kb::test {

/// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("kb-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

private:
  std::filesystem::path path_;
};

/// Runs a command line through /bin/sh and returns its exit status.
inline int run_shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// A self-signed certificate for 127.0.0.1 made with the openssl CLI.
struct tls_files {
  std::string cert;
  std::string key;
};

inline std::optional<tls_files> make_self_signed_cert(const temp_dir& dir) {
  tls_files f{(dir.path() / "cert.pem").string(), (dir.path() / "key.pem").string()};
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
                    " -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                    f.key + "' -out '" + f.cert + "' >/dev/null 2>&1";
  if (run_shell(cmd) != 0)
    return std::nullopt;
  return f;
}

/// A kiro-sim child process; SIGTERM (then SIGKILL) on destruction.
class sim_process {
public:
  /// `args` follow the program name. Waits up to 10 s for the listening line.
  explicit sim_process(std::vector<std::string> args) {
    std::string bin = std::string(KB_BIN_DIR) + "/kiro-sim";
    int out[2];
    if (::pipe(out) != 0)
      throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> argv_storage{bin};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
      ::close(out[0]);
      throw std::runtime_error("cannot start " + bin);
    }
    stdout_fd_ = out[0];
    line_ = read_line(std::chrono::seconds(10));
    std::smatch m;
    static const std::regex http_re("http=[^ :]+:([0-9]+)");
    static const std::regex https_re("https=[^ :]+:([0-9]+)");
    if (std::regex_search(line_, m, http_re))
      http_port_ = std::stoi(m[1]);
    if (std::regex_search(line_, m, https_re))
      https_port_ = std::stoi(m[1]);
    if (http_port_ <= 0) {
      stop();
      throw std::runtime_error("kiro-sim did not report its ports: '" + line_ + "'");
    }
  }

  ~sim_process() { stop(); }
  sim_process(const sim_process&) = delete;
  sim_process& operator=(const sim_process&) = delete;

  int http_port() const { return http_port_; }
  int https_port() const { return https_port_; }
  const std::string& banner() const { return line_; }

  /// Sends SIGTERM and waits (bounded); returns the exit status or -1.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000)) {
    if (pid_ <= 0)
      return exit_status_;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    while (true) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_)
        break;
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (stdout_fd_ >= 0)
      ::close(stdout_fd_);
    stdout_fd_ = -1;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_status_;
  }

private:
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0)
        continue;
      char c;
      if (::read(stdout_fd_, &c, 1) != 1)
        break;
      if (c == '\n')
        return line;
      line += c;
    }
    return line;
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int http_port_ = -1;
  int https_port_ = -1;
  int exit_status_ = -1;
  std::string line_;
};

} // namespace kb::test
