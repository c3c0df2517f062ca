#include "services/supervisor/ticket_pool.hpp"

#include <algorithm>

namespace kb::sup {

std::optional<ticket> ticket_pool::take() {
  std::lock_guard<std::mutex> guard{mutex_};
  if (tickets_.empty())
    return std::nullopt;
  auto t = std::move(tickets_.front());
  tickets_.pop_front();
  return t;
}

std::optional<ticket> ticket_pool::take(std::string_view kiro_model) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = std::find_if(tickets_.begin(), tickets_.end(), [&](const ticket& t) {
    return pool::lacks_model(t.access, kiro_model).empty();
  });
  if (it == tickets_.end())
    return std::nullopt;
  auto t = std::move(*it);
  tickets_.erase(it);
  return t;
}

void ticket_pool::add(ticket t) {
  std::lock_guard<std::mutex> guard{mutex_};
  tickets_.push_back(std::move(t));
}

std::vector<uint64_t> ticket_pool::revoke(const std::function<bool(const ticket&)>& which) {
  std::vector<uint64_t> ids;
  std::lock_guard<std::mutex> guard{mutex_};
  auto kept = std::stable_partition(tickets_.begin(), tickets_.end(),
                                    [&](const ticket& t) { return !which(t); });
  for (auto i = kept; i != tickets_.end(); ++i)
    ids.push_back(i->id);
  tickets_.erase(kept, tickets_.end());
  return ids;
}

size_t ticket_pool::untaken(const std::string& account_id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  return static_cast<size_t>(std::count_if(tickets_.begin(), tickets_.end(), [&](const ticket& t) {
    return t.account_id == account_id;
  }));
}

} // namespace kb::sup
