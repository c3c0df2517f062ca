#include "services/admin/config_watcher.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "services/common/log.hpp"

namespace kb::admin {

namespace {

std::size_t hash_of_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return 0;
  std::stringstream ss;
  ss << in.rdbuf();
  return std::hash<std::string>{}(ss.str());
}

} // namespace

config_watcher::config_watcher(std::string dir, std::vector<std::string> file_names,
                               std::chrono::milliseconds debounce,
                               std::function<void()> on_change)
  : dir_(std::move(dir)),
    names_(std::move(file_names)),
    debounce_(debounce),
    on_change_(std::move(on_change)) {
  contents_changed();
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0)
    return;
  if (inotify_add_watch(inotify_fd_, dir_.c_str(),
                        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0 ||
      pipe(stop_pipe_) != 0) {
    close(inotify_fd_);
    inotify_fd_ = -1;
    return;
  }
  thread_ = std::thread{[this] { run(); }};
}

config_watcher::~config_watcher() {
  if (thread_.joinable()) {
    char byte = 1;
    [[maybe_unused]] auto n = write(stop_pipe_[1], &byte, 1);
    thread_.join();
  }
  for (int fd : {inotify_fd_, stop_pipe_[0], stop_pipe_[1]})
    if (fd >= 0)
      close(fd);
}

bool config_watcher::contents_changed() {
  bool changed = false;
  for (auto& name : names_) {
    auto h = hash_of_file(dir_ + "/" + name);
    auto& old = hashes_[name];
    if (old != h)
      changed = true;
    old = h;
  }
  return changed;
}

void config_watcher::run() {
  bool pending = false;
  while (true) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    int timeout = pending ? static_cast<int>(debounce_.count()) : -1;
    int n = poll(fds, 2, timeout);
    if (n < 0)
      continue;
    if (fds[1].revents)
      return;
    if (n == 0) {
      // Quiet for the debounce time: act on what changed.
      pending = false;
      if (contents_changed())
        on_change_();
      continue;
    }
    alignas(inotify_event) char buf[4096];
    ssize_t len;
    while ((len = read(inotify_fd_, buf, sizeof(buf))) > 0) {
      for (char* p = buf; p < buf + len;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        std::string name = ev->len ? ev->name : "";
        if (std::find(names_.begin(), names_.end(), name) != names_.end())
          pending = true;
        p += sizeof(inotify_event) + ev->len;
      }
    }
  }
}

} // namespace kb::admin
