// kb-passthrough: the cheapest gateways this HTTP stack allows, for scale in
// tests/bench/load.sh. POST /v1/messages' body and headers go unchanged to
// kiro-sim (/generateAssistantResponse) over a keep-alive connection and the
// answer comes back: no translation, no actors. Not a product path.
//
//   inline   each HTTP thread calls kiro-sim itself (no thread hand-off)
//   handoff  each HTTP thread hands the call to a forwarding thread of its
//            own and sleeps until the answer is there: one hand-off and one
//            wake-up each way, the least any design pays that calls Kiro
//            from a thread other than the client's (kiro-bridge's workers)
//
// usage: kb-passthrough SIM_PORT [inline|handoff]
//        (prints "kb-passthrough listening on 127.0.0.1:PORT")

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <strings.h>
#include <thread>

#include "services/http/http1_client.hpp"
#include "services/http/http_server.hpp"

namespace {

struct answer {
  int status = 502;
  std::string body; ///< kiro-sim's event stream
};

answer forward(kb::http1_client& upstream, const kb::http_headers& headers,
               const std::string& body) {
  answer a;
  auto error = upstream.exchange(
    {"POST", "/generateAssistantResponse", &headers, "application/json", body},
    [&](int status) {
      a.status = status;
      return true;
    },
    [&](const char* data, size_t len) {
      a.body.append(data, len);
      return true;
    });
  if (!error.empty())
    return {};
  return a;
}

/// The client's header fields minus those that frame its own connection.
kb::http_headers upstream_headers(const httplib::Request& req) {
  kb::http_headers out;
  for (auto& [name, value] : req.headers) {
    const char* n = name.c_str();
    if (strcasecmp(n, "Host") == 0 || strcasecmp(n, "Content-Length") == 0 ||
        strcasecmp(n, "Content-Type") == 0 || strcasecmp(n, "Connection") == 0)
      continue;
    out.emplace_back(name, value);
  }
  return out;
}

std::unique_ptr<kb::http1_client> connect(int sim_port) {
  return std::make_unique<kb::http1_client>("127.0.0.1", sim_port, false,
                                            kb::http_client_options{});
}

/// A thread that makes the upstream calls of one HTTP thread. The two meet
/// at one futex word (std::atomic wait/notify): `job` wakes the forwarder,
/// `done` wakes the HTTP thread, nothing else is exchanged.
class forwarder {
public:
  explicit forwarder(int sim_port) : upstream_(connect(sim_port)) {
    std::thread{[this] { run(); }}.detach(); // lives as long as the process
  }

  answer call(const kb::http_headers& headers, const std::string& body) {
    headers_ = &headers;
    body_ = &body;
    phase_.store(job, std::memory_order_release);
    phase_.notify_one();
    phase_.wait(job, std::memory_order_acquire);
    return std::move(answer_);
  }

private:
  enum : int { idle, job, done };

  void run() {
    for (;;) {
      for (int p = phase_.load(std::memory_order_acquire); p != job;
           p = phase_.load(std::memory_order_acquire))
        phase_.wait(p, std::memory_order_acquire);
      answer_ = forward(*upstream_, *headers_, *body_);
      phase_.store(done, std::memory_order_release);
      phase_.notify_one();
    }
  }

  std::unique_ptr<kb::http1_client> upstream_;
  std::atomic<int> phase_{idle};
  const kb::http_headers* headers_ = nullptr;
  const std::string* body_ = nullptr;
  answer answer_;
};

} // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc == 3 ? argv[2] : "inline";
  if (argc < 2 || argc > 3 || (mode != "inline" && mode != "handoff")) {
    std::fprintf(stderr, "usage: kb-passthrough SIM_PORT [inline|handoff]\n");
    return 2;
  }
  const int sim_port = std::atoi(argv[1]);
  const bool handoff = mode == "handoff";
  kb::http_server_options opts;
  opts.threads = 64;
  kb::http_server server{opts};
  server.Post("/v1/messages", [&](const httplib::Request& req, httplib::Response& res) {
    thread_local std::unique_ptr<kb::http1_client> upstream;
    thread_local std::unique_ptr<forwarder> helper;
    answer a;
    const auto headers = upstream_headers(req);
    if (handoff) {
      if (!helper)
        helper = std::make_unique<forwarder>(sim_port);
      a = helper->call(headers, req.body);
    } else {
      if (!upstream)
        upstream = connect(sim_port);
      a = forward(*upstream, headers, req.body);
    }
    res.status = a.status;
    if (a.status != 502)
      res.set_content(a.body, "application/vnd.amazon.eventstream");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0)
    return 1;
  std::printf("kb-passthrough listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  server.listen_after_bind();
}
