#include "services/common/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace kb::log {

namespace {

std::atomic<int> current_level{static_cast<int>(level::info)};
std::mutex output_mutex;

const char* level_name(level lvl) {
  switch (lvl) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warn: return "WARN";
    case level::error: return "ERROR";
  }
  return "INFO";
}

} // namespace

level parse_level(std::string_view name) {
  if (name == "debug") return level::debug;
  if (name == "warn" || name == "warning") return level::warn;
  if (name == "error") return level::error;
  return level::info;
}

void set_level(level lvl) {
  current_level = static_cast<int>(lvl);
}

bool enabled(level lvl) {
  return static_cast<int>(lvl) >= current_level.load(std::memory_order_relaxed);
}

void write(level lvl, std::string_view component, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::lock_guard<std::mutex> guard{output_mutex};
  std::fprintf(stderr, "%s %-5s [%.*s] %.*s\n", stamp, level_name(lvl),
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
}

} // namespace kb::log
