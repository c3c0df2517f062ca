#pragma once

// A real kiro-sim for a test, stopped when the test ends.

#include <chrono>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace kb::test {

class sim_process {
public:
  /// `args` follow the program name (KB_BIN_DIR/kiro-sim). Waits up to
  /// 10 s for the listening line and reads the ports from it.
  explicit sim_process(std::vector<std::string> args,
                       std::string stderr_path = "") {
    args.insert(args.begin(), std::string{KB_BIN_DIR} + "/kiro-sim");
    proc_ = std::make_unique<child_process>(std::move(args), std::move(stderr_path));
    auto line = proc_->wait_for_line("kiro-sim listening", std::chrono::seconds(10));
    if (line)
      banner_ = *line;
    http_port_ = port_of(field_after(banner_, "http"));
    auto https = field_after(banner_, "https");
    https_port_ = https.empty() ? -1 : port_of(https);
    if (http_port_ <= 0)
      throw std::runtime_error("kiro-sim did not report its ports: '" + banner_ + "'");
  }

  int http_port() const { return http_port_; }
  int https_port() const { return https_port_; }
  const std::string& banner() const { return banner_; }

  /// SIGTERM, bounded wait; the exit status or -1.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000)) {
    return proc_->stop(SIGTERM, grace);
  }

private:
  std::unique_ptr<child_process> proc_;
  std::string banner_;
  int http_port_ = -1;
  int https_port_ = -1;
};

} // namespace kb::test
