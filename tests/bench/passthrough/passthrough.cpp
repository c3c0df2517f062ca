// kb-passthrough: the cheapest gateway this HTTP stack allows, for scale in
// tests/bench/load.sh. Each HTTP thread forwards POST /v1/messages' body
// unchanged to kiro-sim over its own keep-alive connection and returns the
// answer: no translation, no actors, no thread hops. Not a product path.
//
// usage: kb-passthrough SIM_PORT BEARER_TOKEN   (prints "listening on 127.0.0.1:PORT")

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "services/http/http_clients.hpp"
#include "services/http/http_server.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: kb-passthrough SIM_PORT BEARER_TOKEN\n");
    return 2;
  }
  const int sim_port = std::atoi(argv[1]);
  const std::string authorization = std::string{"Bearer "} + argv[2];
  kb::http_server server;
  server.set_keep_alive_max_count(100000);
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.Post("/v1/messages", [&](const httplib::Request& req, httplib::Response& res) {
    thread_local std::unique_ptr<kb::plain_http_client> upstream;
    if (!upstream) {
      upstream = std::make_unique<kb::plain_http_client>("127.0.0.1", sim_port);
      upstream->set_keep_alive(true);
      upstream->set_tcp_nodelay(true);
    }
    auto answer = upstream->Post("/generateAssistantResponse",
                                 httplib::Headers{{"Authorization", authorization}}, req.body,
                                 "application/json");
    if (!answer) {
      res.status = 502;
      return;
    }
    res.status = answer->status;
    res.set_content(answer->body, answer->get_header_value("Content-Type"));
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0)
    return 1;
  server.widen_backlog();
  std::printf("kb-passthrough listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  server.listen_after_bind();
}
