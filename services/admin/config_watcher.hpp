#pragma once

// Optional file watching (`watchConfig`): inotify on the config folder; when
// one of the watched files changes content, `on_change` runs once the
// folder has been quiet for `debounce` (editors and atomic saves write in
// several steps). A file rewritten with the same bytes triggers nothing.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace kb::admin {

class config_watcher {
public:
  config_watcher(std::string dir, std::vector<std::string> file_names,
                 std::chrono::milliseconds debounce, std::function<void()> on_change);
  ~config_watcher(); ///< stops and joins the thread
  config_watcher(const config_watcher&) = delete;
  config_watcher& operator=(const config_watcher&) = delete;

  /// False if inotify could not watch the folder (then nothing runs).
  bool active() const noexcept { return inotify_fd_ >= 0; }

private:
  void run();
  /// Whether any file's bytes differ from the last snapshot (and takes a new one).
  bool contents_changed();

  std::string dir_;
  std::vector<std::string> names_;
  std::chrono::milliseconds debounce_;
  std::function<void()> on_change_;
  std::map<std::string, std::size_t> hashes_;
  int inotify_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

} // namespace kb::admin
