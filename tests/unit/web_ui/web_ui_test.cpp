#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <unistd.h>

#include <httplib.h>

#include "services/admin/web_ui.hpp"
#include "services/http/http_server.hpp"
#include "tests/support/serving.hpp"

namespace fs = std::filesystem;
using kb::admin::web_target;

namespace {

auto exists_in(std::set<std::string> files) {
  return [files = std::move(files)](const std::string& rel) { return files.count(rel) > 0; };
}

/// A dist folder with an index, one hashed bundle and a favicon, served by a
/// real server with one API route registered first.
struct served_ui {
  fs::path dir;
  kb::http_server server;
  std::optional<kb::test::serving<kb::http_server>> serving;
  int port = 0;

  served_ui() {
    dir = fs::temp_directory_path() / ("kb-web-ui-" + std::to_string(::getpid()));
    fs::create_directories(dir / "assets");
    write("index.html", "<!doctype html><div id=app></div>");
    write("assets/index-AbC123.js", "console.log(1)");
    write("favicon.svg", "<svg/>");
    server.Get("/api/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}", "application/json");
    });
    kb::admin::register_web_ui(server, dir.string());
    port = server.bind_to_any_port("127.0.0.1");
    serving.emplace(server);
  }
  ~served_ui() {
    serving.reset();
    fs::remove_all(dir);
  }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream{dir / rel} << text;
  }
  httplib::Result get(const std::string& path) {
    httplib::Client client{"127.0.0.1", port};
    return client.Get(path);
  }
};

} // namespace

TEST_CASE("the root and index.html are the app shell") {
  auto none = exists_in({});
  CHECK(kb::admin::resolve_web_path("/", none).what == web_target::kind::app_shell);
  CHECK(kb::admin::resolve_web_path("/", none).relative_path == "index.html");
  CHECK(kb::admin::resolve_web_path("/index.html", none).what == web_target::kind::app_shell);
}

TEST_CASE("an existing file is served as that file") {
  auto files = exists_in({"assets/index-AbC123.js", "favicon.svg"});
  auto js = kb::admin::resolve_web_path("/assets/index-AbC123.js", files);
  CHECK(js.what == web_target::kind::file);
  CHECK(js.relative_path == "assets/index-AbC123.js");
  CHECK(kb::admin::resolve_web_path("/favicon.svg", files).relative_path == "favicon.svg");
}

TEST_CASE("an app route without a file falls back to index.html") {
  auto none = exists_in({});
  for (auto path : {"/accounts", "/logs", "/models/", "/accounts/acct-a", "/logs.old"}) {
    auto t = kb::admin::resolve_web_path(path, none);
    CHECK_MESSAGE(t.what == web_target::kind::app_shell, path);
    CHECK(t.relative_path == "index.html");
  }
}

TEST_CASE("a missing asset is a 404, not the app shell") {
  auto none = exists_in({});
  CHECK(kb::admin::resolve_web_path("/assets/index-old.js", none).what ==
        web_target::kind::not_found);
  CHECK(kb::admin::resolve_web_path("/logo.png", none).what == web_target::kind::not_found);
  CHECK(kb::admin::resolve_web_path("/deep/style.css", none).what ==
        web_target::kind::not_found);
}

TEST_CASE("API, Claude, metrics and health paths are never taken by the UI") {
  auto all = exists_in({"api/health", "v1/models", "metrics"});
  for (auto path : {"/api", "/api/health", "/api/nope", "/v1", "/v1/models", "/metrics",
                    "/health"}) {
    CHECK_MESSAGE(kb::admin::resolve_web_path(path, all).what == web_target::kind::not_found,
                  path);
    CHECK(kb::admin::is_reserved_path(path));
  }
  CHECK_FALSE(kb::admin::is_reserved_path("/apis"));
  CHECK_FALSE(kb::admin::is_reserved_path("/v1beta"));
  CHECK_FALSE(kb::admin::is_reserved_path("/metrics-page"));
}

TEST_CASE("paths that try to leave the folder are refused") {
  auto any = [](const std::string&) { return true; };
  for (auto path : {"/../etc/passwd", "/assets/../../x", "/a/./b", "/a//b", "/a\\b", "relative"}) {
    CHECK_MESSAGE(kb::admin::resolve_web_path(path, any).what == web_target::kind::not_found,
                  path);
    CHECK_FALSE(kb::admin::safe_relative_path(path).has_value());
  }
  CHECK_FALSE(kb::admin::safe_relative_path(std::string_view{"/a\0b", 4}).has_value());
  CHECK(kb::admin::safe_relative_path("/a/b.js") == std::optional<std::string>{"a/b.js"});
  CHECK(kb::admin::safe_relative_path("/accounts/") == std::optional<std::string>{"accounts"});
}

TEST_CASE("hashed assets are cached for a year and index.html is revalidated") {
  CHECK(kb::admin::cache_control_for("assets/index-AbC123.js") ==
        "public, max-age=31536000, immutable");
  CHECK(kb::admin::cache_control_for("index.html") == "no-cache");
  CHECK(kb::admin::cache_control_for("favicon.svg") == "public, max-age=3600");
}

TEST_CASE("content types follow the file extension") {
  CHECK(kb::admin::content_type_for("index.html") == "text/html; charset=utf-8");
  CHECK(kb::admin::content_type_for("assets/a.js") == "text/javascript; charset=utf-8");
  CHECK(kb::admin::content_type_for("assets/a.css") == "text/css; charset=utf-8");
  CHECK(kb::admin::content_type_for("favicon.svg") == "image/svg+xml");
  CHECK(kb::admin::content_type_for("a.woff2") == "font/woff2");
  CHECK(kb::admin::content_type_for("dir.v2/noext") == "application/octet-stream");
  CHECK(kb::admin::content_type_for("README") == "application/octet-stream");
}

TEST_CASE("KB_WEB_DIR overrides the built-in folder only when set and not empty") {
  ::unsetenv("KB_WEB_DIR");
  CHECK(kb::admin::web_dist_dir("/build/web") == "/build/web");
  ::setenv("KB_WEB_DIR", "", 1);
  CHECK(kb::admin::web_dist_dir("/build/web") == "/build/web");
  ::setenv("KB_WEB_DIR", "/srv/ui", 1);
  CHECK(kb::admin::web_dist_dir("/build/web") == "/srv/ui");
  ::unsetenv("KB_WEB_DIR");
}

TEST_CASE("a served UI answers the shell, assets and SPA routes with their cache headers") {
  served_ui ui;
  auto root = ui.get("/");
  REQUIRE(root);
  CHECK(root->status == 200);
  CHECK(root->body == "<!doctype html><div id=app></div>");
  CHECK(root->get_header_value("Cache-Control") == "no-cache");
  CHECK(root->get_header_value("Content-Type") == "text/html; charset=utf-8");

  auto js = ui.get("/assets/index-AbC123.js");
  REQUIRE(js);
  CHECK(js->status == 200);
  CHECK(js->body == "console.log(1)");
  CHECK(js->get_header_value("Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(js->get_header_value("Content-Type") == "text/javascript; charset=utf-8");

  auto route = ui.get("/accounts");
  REQUIRE(route);
  CHECK(route->status == 200);
  CHECK(route->body == root->body);
  CHECK(route->get_header_value("Cache-Control") == "no-cache");

  auto missing = ui.get("/assets/gone-123.js");
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE("the UI leaves API routes and unknown API paths alone") {
  served_ui ui;
  auto health = ui.get("/api/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "{\"status\":\"ok\"}");
  auto unknown = ui.get("/api/does-not-exist");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(unknown->body.find("<!doctype") == std::string::npos);
  auto traversal = ui.get("/%2e%2e/%2e%2e/etc/passwd");
  REQUIRE(traversal);
  CHECK(traversal->status == 404);
}

TEST_CASE("without a built UI the root says how to build it") {
  kb::http_server server;
  auto dir = fs::temp_directory_path() / ("kb-web-none-" + std::to_string(::getpid()));
  kb::admin::register_web_ui(server, dir.string());
  int port = server.bind_to_any_port("127.0.0.1");
  kb::test::serving running{server};
  httplib::Client client{"127.0.0.1", port};
  auto res = client.Get("/dashboard");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body.find("make build") != std::string::npos);
  // The setting that exists (there is no --web-dir flag).
  CHECK(res->body.find("KB_WEB_DIR") != std::string::npos);
  CHECK(res->body.find("--web-dir") == std::string::npos);
}
