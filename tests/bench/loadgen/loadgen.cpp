// kb-loadgen: a thread-per-connection HTTP load client for the load
// benchmarks (tests/bench/load.sh). Every connection first runs its warm-up
// requests (so TCP connects and upstream keep-alive connections exist;
// --ramp-ms spreads their starts, since httplib listens with a backlog of 5), then
// all connections wait at one barrier and fire their measured requests at
// the same instant. Per request it records the time to the first body byte,
// the time until the body first contains a marker string, and the time to
// completion. Prints one "name value" line per metric. With --idle-s, the
// warmed-up connections first sit idle (keep-alive, no request) for that
// long while the CPU time of --watch-pid is measured. With --rate, the
// measured requests leave on a fixed schedule (R per second over all
// connections, open loop) and each latency counts from its scheduled start,
// so a slow answer that delays the next send is not hidden.

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <httplib.h>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/";
  std::string body;
  httplib::Headers headers;
  int connections = 1;
  int requests = 1;        ///< measured requests per connection
  int warmup_requests = 0; ///< unmeasured requests per connection
  /// Spreads the connections' warm-up starts evenly over this many ms, so
  /// that N new TCP connections do not hit a small listen backlog at once.
  int ramp_ms = 0;
  std::string marker;      ///< time-to-marker is measured when set
  std::string expect;      ///< a body without it counts as an error
  int timeout_s = 60;
  int idle_s = 0;      ///< idle keep-alive time between warm-up and measured round
  int watch_pid = 0;   ///< whose CPU time the idle window measures
  int rate = 0;        ///< measured requests per second in all, 0 = back to back
};

struct sample {
  double ttfb_ms = -1;
  double marker_ms = -1;
  double total_ms = -1;
  bool ok = false;
};

struct run_stats {
  std::vector<sample> samples;
  std::vector<std::string> errors;
  double wall_s = 0;
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool parse_header(const std::string& line, httplib::Headers& out) {
  auto colon = line.find(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  auto value = line.substr(colon + 1);
  value.erase(0, value.find_first_not_of(' '));
  out.emplace(line.substr(0, colon), value);
  return true;
}

bool parse_int(const char* text, int min, int& out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > 1'000'000)
    return false;
  out = static_cast<int>(v);
  return true;
}

void usage() {
  std::cerr << "usage: kb-loadgen --port N --path P --body-file F [--host H]\n"
               "  [--header 'K: V']... [--connections N] [--requests M]\n"
               "  [--warmup-requests K] [--ramp-ms R] [--marker S] [--expect S]\n"
               "  [--timeout-s T] [--idle-s S --watch-pid PID] [--rate R]\n";
}

std::optional<options> parse_args(int argc, char** argv) {
  options o;
  bool have_body = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "kb-loadgen: " << a << " needs a value\n";
      return std::nullopt;
    }
    const char* v = argv[++i];
    bool good = true;
    if (a == "--host")
      o.host = v;
    else if (a == "--port")
      good = parse_int(v, 1, o.port) && o.port <= 65535;
    else if (a == "--path")
      o.path = v;
    else if (a == "--body-file") {
      auto body = read_file(v);
      good = body.has_value();
      if (good)
        o.body = std::move(*body);
      have_body = good;
    } else if (a == "--header")
      good = parse_header(v, o.headers);
    else if (a == "--connections")
      good = parse_int(v, 1, o.connections);
    else if (a == "--requests")
      good = parse_int(v, 1, o.requests);
    else if (a == "--warmup-requests")
      good = parse_int(v, 0, o.warmup_requests);
    else if (a == "--ramp-ms")
      good = parse_int(v, 0, o.ramp_ms);
    else if (a == "--marker")
      o.marker = v;
    else if (a == "--expect")
      o.expect = v;
    else if (a == "--timeout-s")
      good = parse_int(v, 1, o.timeout_s);
    else if (a == "--idle-s")
      good = parse_int(v, 0, o.idle_s);
    else if (a == "--watch-pid")
      good = parse_int(v, 1, o.watch_pid);
    else if (a == "--rate")
      good = parse_int(v, 1, o.rate);
    else {
      std::cerr << "kb-loadgen: unknown argument " << a << "\n";
      return std::nullopt;
    }
    if (!good) {
      std::cerr << "kb-loadgen: bad value for " << a << ": " << v << "\n";
      return std::nullopt;
    }
  }
  if (o.port == 0 || !have_body) {
    usage();
    return std::nullopt;
  }
  return o;
}

/// utime + stime of `pid` in clock ticks, or -1.
long cpu_ticks(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>(in), {}};
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return -1;
  std::istringstream fields{text.substr(close + 2)};
  std::string skip;
  for (int i = 0; i < 11; ++i)
    fields >> skip; // state .. cmajflt
  long utime = -1, stime = -1;
  fields >> utime >> stime;
  return utime < 0 || stime < 0 ? -1 : utime + stime;
}

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

/// One POST on `client`, timed from `start`; `error` says why it failed.
sample run_one(httplib::Client& client, const options& o, std::string& error,
               clock_type::time_point start = clock_type::now()) {
  sample s;
  std::string body;
  int status = 0;
  httplib::Request req;
  req.method = "POST";
  req.path = o.path;
  req.headers = o.headers;
  req.body = o.body;
  req.response_handler = [&](const httplib::Response& res) {
    status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (s.ttfb_ms < 0)
      s.ttfb_ms = ms_since(start);
    // Only the tail can complete a marker that was not there before.
    const size_t tail = body.size() >= o.marker.size() ? body.size() - o.marker.size() : 0;
    body.append(data, len);
    if (!o.marker.empty() && s.marker_ms < 0 && body.find(o.marker, tail) != std::string::npos)
      s.marker_ms = ms_since(start);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  s.total_ms = ms_since(start);
  if (!sent) {
    error = "transport error: " + httplib::to_string(err);
  } else if (status != 200) {
    error = "HTTP " + std::to_string(status) + ": " + body.substr(0, 300);
  } else if (!o.expect.empty() && body.find(o.expect) == std::string::npos) {
    error = "body lacks \"" + o.expect + "\" (" + std::to_string(body.size()) +
            " bytes): " + body.substr(body.size() > 300 ? body.size() - 300 : 0);
  } else {
    s.ok = true;
  }
  return s;
}

httplib::Client make_client(const options& o) {
  httplib::Client client{o.host, o.port};
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_decompress(false);
  client.set_connection_timeout(o.timeout_s, 0);
  client.set_read_timeout(o.timeout_s, 0);
  client.set_write_timeout(o.timeout_s, 0);
  return client;
}

struct shared_state {
  std::mutex mutex;
  run_stats warmup;
  run_stats measured;
};

void record(run_stats& into, std::mutex& mutex, const sample& s, const std::string& error) {
  std::lock_guard guard{mutex};
  into.samples.push_back(s);
  if (!s.ok)
    into.errors.push_back(error);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty())
    return -1;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

void print_metric(const std::string& prefix, const std::string& name, double value) {
  std::printf("%s%s %.3f\n", prefix.c_str(), name.c_str(), value);
}

void report(const std::string& prefix, const run_stats& r, bool with_marker) {
  std::vector<double> total, ttfb, marker;
  size_t errors = 0;
  for (const auto& s : r.samples) {
    if (!s.ok) {
      ++errors;
      continue;
    }
    total.push_back(s.total_ms);
    if (s.ttfb_ms >= 0)
      ttfb.push_back(s.ttfb_ms);
    if (s.marker_ms >= 0)
      marker.push_back(s.marker_ms);
  }
  std::printf("%srequests %zu\n", prefix.c_str(), r.samples.size());
  std::printf("%serrors %zu\n", prefix.c_str(), errors);
  print_metric(prefix, "wall_s", r.wall_s);
  print_metric(prefix, "rps", r.wall_s > 0 ? static_cast<double>(total.size()) / r.wall_s : 0);
  for (auto [name, values] : {std::pair{"total", &total}, std::pair{"ttfb", &ttfb}}) {
    print_metric(prefix, std::string(name) + "_p50_ms", percentile(*values, 50));
    print_metric(prefix, std::string(name) + "_p99_ms", percentile(*values, 99));
    print_metric(prefix, std::string(name) + "_max_ms", percentile(*values, 100));
  }
  if (with_marker) {
    print_metric(prefix, "marker_p50_ms", percentile(marker, 50));
    print_metric(prefix, "marker_p99_ms", percentile(marker, 99));
    std::printf("%smarker_missing %zu\n", prefix.c_str(), total.size() - marker.size());
  }
  for (size_t i = 0; i < r.errors.size() && i < 5; ++i)
    std::fprintf(stderr, "kb-loadgen: %serror: %s\n", prefix.c_str(), r.errors[i].c_str());
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = parse_args(argc, argv);
  if (!parsed)
    return 2;
  const options o = std::move(*parsed);

  shared_state state;
  std::barrier warm_done{o.connections + 1};
  std::barrier go{o.connections + 1};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(o.connections));
  const auto warm_start = clock_type::now();
  for (int c = 0; c < o.connections; ++c) {
    const auto ramp_offset = std::chrono::microseconds(
        static_cast<int64_t>(o.ramp_ms) * 1000 * c / o.connections);
    threads.emplace_back([&, c, ramp_offset] {
      auto client = make_client(o);
      std::string error;
      std::this_thread::sleep_until(warm_start + ramp_offset);
      for (int i = 0; i < o.warmup_requests; ++i)
        record(state.warmup, state.mutex, run_one(client, o, error), error);
      warm_done.arrive_and_wait();
      go.arrive_and_wait();
      const auto round_start = clock_type::now();
      for (int i = 0; i < o.requests; ++i) {
        if (o.rate == 0) {
          record(state.measured, state.mutex, run_one(client, o, error), error);
          continue;
        }
        // Request i of connection c is number i * connections + c overall.
        const auto due = round_start + std::chrono::nanoseconds(
            (static_cast<int64_t>(i) * o.connections + c) * 1'000'000'000LL / o.rate);
        std::this_thread::sleep_until(due);
        record(state.measured, state.mutex, run_one(client, o, error, due), error);
      }
    });
  }
  warm_done.arrive_and_wait();
  state.warmup.wall_s =
      std::chrono::duration<double>(clock_type::now() - warm_start).count();
  if (o.idle_s > 0) {
    auto before = o.watch_pid > 0 ? cpu_ticks(o.watch_pid) : -1;
    std::this_thread::sleep_for(std::chrono::seconds(o.idle_s));
    auto after = o.watch_pid > 0 ? cpu_ticks(o.watch_pid) : -1;
    if (before >= 0 && after >= 0)
      std::printf("idle_watch_cpu_cores %.3f\n", static_cast<double>(after - before) /
                                                     static_cast<double>(sysconf(_SC_CLK_TCK)) /
                                                     o.idle_s);
  }
  const auto start = clock_type::now();
  go.arrive_and_wait();
  for (auto& t : threads)
    t.join();
  state.measured.wall_s = std::chrono::duration<double>(clock_type::now() - start).count();

  if (o.warmup_requests > 0)
    report("warmup_", state.warmup, !o.marker.empty());
  report("", state.measured, !o.marker.empty());
  return 0;
}
