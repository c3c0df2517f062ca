#include "services/supervisor/upstream_line.hpp"

#include <caf/send.hpp>

#include "proto/atoms.hpp"
#include "proto/inspect.hpp"
#include "services/common/ids.hpp"
#include "services/common/log.hpp"
#include "services/supervisor/messages.hpp"
#include "shared/kiro/request_builder.hpp"
#include "shared/upstream/events.hpp"
#include "shared/upstream/failures.hpp"

namespace kb::sup {

namespace {

/// Messages to the sink go without a sender: the sink never answers, and a
/// sender makes every remote gateway build a proxy of the worker that BASP
/// then monitors (its down message could keep the worker alive at shutdown).
template <class... Ts>
void tell_sink(const caf::actor& sink, Ts&&... xs) {
  caf::anon_send(sink, std::forward<Ts>(xs)...);
}

/// Renames tool uses back to the client's names (shortened by the builder).
void map_tool_names(std::vector<stream_event>& events,
                    const std::vector<std::pair<std::string, std::string>>& names) {
  if (names.empty())
    return;
  for (auto& ev : events) {
    if (ev.kind != stream_event_kind::tool_use)
      continue;
    for (auto& [kiro_name, client_name] : names) {
      if (ev.name == kiro_name) {
        ev.name = client_name;
        break;
      }
    }
  }
}

} // namespace

call_outcome upstream_line::call(dispatch& d) {
  call_outcome out;
  // The account's own API region (its apiRegion or profile ARN's) picks
  // the host; the line reconnects when a fetched profile moves it.
  use_base(account::api_base_url_for(d.creds, cfg_.api_base_url, cfg_.region));
  if (!client_->valid()) {
    out.result = call_result::upstream_failed;
    out.failure = {failure_class::network, 0, "", "invalid Kiro API URL " + base_url_};
    return out;
  }
  kiro::build_options opts;
  opts.profile_arn = account::profile_arn_for_request(d.creds, base_url_);
  opts.max_body_bytes = cfg_.max_body_bytes;
  opts.chunked_write_guidance = cfg_.chunked_write_guidance;
  opts.agent_continuation_id = random_uuid();
  auto built = kiro::build_request(*d.conv, opts);
  if (!built) {
    tell_sink(d.sink, atom::failed::value, d.conv->request_id, built.error());
    out.result = call_result::sink_failed;
    return out;
  }
  auto headers = account::chat_headers(d.creds, cfg_.machine_id,
                                       cfg_.kiro_version, random_uuid());
  upstream::event_reader reader;
  // A stream forwards events as they arrive; a JSON reply needs them only
  // at the end, so they ride along with `done` (one wake-up of the sink
  // instead of one per frame, and a broken upstream can still fail over).
  const bool incremental = d.conv->stream;
  std::vector<stream_event> fresh;
  std::vector<stream_event> held;
  bool forwarded = false;
  bool stream_broken = false;
  auto on_chunk = [&](const char* data, size_t len) {
    if (d.cancel->cancelled())
      return false;
    auto status = reader.feed(std::string_view{data, len}, fresh);
    if (status == eventstream::decode_status::failed) {
      stream_broken = true;
      return false;
    }
    if (fresh.empty())
      return true;
    for (auto& ev : fresh) {
      if (ev.kind == stream_event_kind::metering)
        out.credits += ev.value;
      else if (ev.kind == stream_event_kind::context_usage)
        out.context_percent = ev.value;
    }
    map_tool_names(fresh, built->tool_name_map);
    if (incremental) {
      forwarded = true;
      tell_sink(d.sink, atom::events::value, d.conv->request_id, std::move(fresh));
      fresh = {}; // most batches hold a few events: grow as needed
    } else {
      held.insert(held.end(), std::make_move_iterator(fresh.begin()),
                  std::make_move_iterator(fresh.end()));
      fresh.clear();
    }
    return true;
  };
  auto res = client_->stream_post(path_prefix_ + "/generateAssistantResponse",
                                    headers, built->body, "application/json",
                                    on_chunk, d.cancel.get());
  if (d.cancel->cancelled()) {
    out.result = call_result::aborted;
    return out;
  }
  auto fail_sink = [&](std::string why) {
    KB_WARN("worker", d.account_id << ": upstream stream broke after output: "
                                    << why);
    tell_sink(d.sink, atom::failed::value, d.conv->request_id,
               api_error{error_kind::overloaded,
                         "the upstream Kiro stream broke mid-answer (" + why +
                           "); retry the request"});
    out.result = call_result::sink_failed;
  };
  if (!res.error.empty() || stream_broken) {
    auto why = stream_broken ? std::string{"corrupt event-stream frames"}
                             : "network error: " + res.error;
    if (forwarded) {
      fail_sink(why);
    } else {
      out.result = call_result::upstream_failed;
      out.failure = {failure_class::network, 0, "", why};
    }
    return out;
  }
  if (res.status != 200) {
    out.result = call_result::upstream_failed;
    out.failure = upstream::classify_http_failure(res.status, res.body);
    return out;
  }
  if (reader.has_partial()) {
    if (forwarded) {
      fail_sink("the stream ended inside a frame");
    } else {
      out.result = call_result::upstream_failed;
      out.failure = {failure_class::network, 200, "",
                     "the upstream stream ended inside a frame"};
    }
    return out;
  }
  tell_sink(d.sink, atom::done::value, d.conv->request_id, std::move(held),
             d.account_id);
  out.result = call_result::completed;
  return out;
}

void upstream_line::use_base(const std::string& url) {
  if (client_ && url == base_url_)
    return;
  base_url_ = url;
  auto [base, prefix] = split_url(base_url_);
  path_prefix_ = prefix == "/" ? "" : prefix;
  client_ = std::make_unique<http_client>(base, cfg_.http);
}

upstream_line::upstream_line(worker_config cfg) : cfg_(std::move(cfg)) {
  use_base(cfg_.api_base_url);
}

} // namespace kb::sup
