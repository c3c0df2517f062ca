// kiroctl: the command line for kiro-bridge's admin API (replaces the
// seed's manage-models.js). See services/kiroctl/README.md.

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

constexpr const char* usage_text = R"(usage: kiroctl [--url URL] [--token TOKEN] [--json] COMMAND

  health                               bridge status and account counts
  models show                          the Claude → Kiro model mapping
  models list                          the models Kiro offers
  models add <claude> <kiro>           map a Claude model id to a Kiro model
  models remove <claude>               remove a mapping
  models test <claude>                 show what a Claude model id resolves to
  models default <kiro>                set the model used for unknown ids
  accounts list                        every account with its state
  accounts add --refresh-token T [--access-token T] [--email E] [--region R]
               [--auth-method social|IdC] [--client-id ID] [--client-secret S]
               [--priority N] [--expires-at MS|ISO]
  accounts add --from-file FILE        an account object as JSON ("-" = stdin)
  accounts import [file] [--client-registration FILE]
                                       a kiro-auth-token.json or an accounts file
                                       (default ~/.aws/sso/cache/kiro-auth-token.json,
                                       the Kiro IDE's; an IdC token's client
                                       registration is read from beside it)
  accounts remove <id>                 delete an account
  accounts test <id>                   a real one-line request through it
  accounts refresh <id>                refresh its token, then test it
  accounts enable|disable <id>
  accounts priority <id> <n>
  reload                               hot-reload the config files

  --url    admin API base (default $KIROCTL_URL or http://127.0.0.1:3000)
  --token  adminToken (default $KIROCTL_TOKEN)
  --json   print the API's JSON instead of tables
)";

struct options {
  std::string url;
  std::string token;
  bool json_output = false;
  std::vector<std::string> args;
};

struct usage_error {
  std::string message;
};

struct failure {
  std::string message;
};

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string{v} : fallback;
}

options parse_options(int argc, char** argv) {
  options o;
  o.url = env_or("KIROCTL_URL", "http://127.0.0.1:3000");
  o.token = env_or("KIROCTL_TOKEN", "");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--url" || a == "--token") {
      if (i + 1 >= argc)
        throw usage_error{a + " needs a value"};
      (a == "--url" ? o.url : o.token) = argv[++i];
    } else if (a == "--json") {
      o.json_output = true;
    } else if (a == "-h" || a == "--help") {
      throw usage_error{};
    } else {
      o.args.push_back(std::move(a));
    }
  }
  return o;
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string read_file_text(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in{path};
  if (!in)
    throw failure{"cannot read " + path};
  ss << in.rdbuf();
  return ss.str();
}

json parse_json_file(const std::string& path) {
  auto j = json::parse(read_file_text(path), nullptr, false);
  if (j.is_discarded())
    throw failure{path + " is not valid JSON"};
  return j;
}

/// Where the Kiro IDE keeps its login: ~/.aws/sso/cache (kiro.rs,
/// AIClient-2-API and kiro-gateway read the same folder).
std::string kiro_sso_cache_dir() {
  return env_or("HOME", ".") + "/.aws/sso/cache";
}

bool readable(const std::string& path) {
  return std::ifstream{path}.good();
}

/// The IdC client registration beside a token file: <dir>/<clientIdHash>.json
/// (empty when the token names none or the file is not there).
std::string registration_beside(const std::string& token_path, const json& token) {
  if (!token.is_object() || !token.contains("clientIdHash") || !token["clientIdHash"].is_string())
    return {};
  auto hash = token["clientIdHash"].get<std::string>();
  if (hash.empty() || hash.find('/') != std::string::npos)
    return {};
  auto slash = token_path.rfind('/');
  auto dir = slash == std::string::npos ? std::string{"."} : token_path.substr(0, slash);
  auto path = dir + "/" + hash + ".json";
  return readable(path) ? path : std::string{};
}

/// One admin API call; the parsed JSON body, or a failure with the API's
/// error message.
class api {
public:
  explicit api(const options& o) : url_(o.url), client_(o.url) {
    if (!client_.is_valid())
      throw failure{"invalid --url " + o.url};
    client_.set_connection_timeout(5, 0);
    client_.set_read_timeout(180, 0);
    if (!o.token.empty())
      client_.set_bearer_token_auth(o.token);
  }

  json call(const std::string& method, const std::string& path,
            const std::optional<json>& body = std::nullopt) {
    httplib::Result r{nullptr, httplib::Error::Unknown};
    auto text = body ? body->dump() : std::string{};
    if (method == "GET")
      r = client_.Get(path);
    else if (method == "POST")
      r = client_.Post(path, text, "application/json");
    else if (method == "PUT")
      r = client_.Put(path, text, "application/json");
    else if (method == "PATCH")
      r = client_.Patch(path, text, "application/json");
    else
      r = client_.Delete(path);
    if (!r)
      throw failure{"cannot reach " + url_ + " (" + httplib::to_string(r.error()) + ")"};
    auto reply = json::parse(r->body, nullptr, false);
    if (r->status >= 400) {
      std::string message = r->body;
      if (reply.is_object() && reply.contains("error")) {
        auto& e = reply["error"];
        message = e.is_object() ? e.value("message", r->body)
                                : (e.is_string() ? e.get<std::string>() : r->body);
      }
      throw failure{"HTTP " + std::to_string(r->status) + ": " + message};
    }
    if (reply.is_discarded())
      return r->body;
    return reply;
  }

private:
  std::string url_;
  httplib::Client client_;
};

/// Columns padded to their widest cell.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (auto& row : rows)
      widths[c] = std::max(widths[c], c < row.size() ? row[c].size() : 0);
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t c = 0; c < header.size(); ++c) {
      auto cell = c < cells.size() ? cells[c] : "";
      l += cell;
      if (c + 1 < header.size())
        l += std::string(widths[c] - cell.size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ')
      l.pop_back();
    out += l + "\n";
  };
  line(header);
  for (auto& row : rows)
    line(row);
  return out;
}

std::string text_of(const json& j) {
  if (j.is_string())
    return j.get<std::string>();
  if (j.is_null())
    return "";
  return j.dump();
}

void need_args(const std::vector<std::string>& args, size_t n, const char* what) {
  if (args.size() != n)
    throw usage_error{std::string{"usage: kiroctl "} + what};
}

void print(const options& o, const json& reply, const std::string& human) {
  if (o.json_output)
    std::cout << reply.dump(2) << "\n";
  else
    std::cout << human;
}

void models_command(const options& o, api& client) {
  auto& a = o.args;
  auto sub = a.size() > 1 ? a[1] : "show";
  if (sub == "show") {
    need_args(a, a.size() == 1 ? 1 : 2, "models show");
    auto r = client.call("GET", "/api/models");
    std::vector<std::vector<std::string>> rows;
    for (auto& [claude, kiro] : r["mappings"].items())
      rows.push_back({claude, text_of(kiro)});
    print(o, r, render_table({"CLAUDE MODEL", "KIRO MODEL"}, rows) +
                  "default: " + text_of(r["default"]) + "\n");
  } else if (sub == "list") {
    need_args(a, 2, "models list");
    auto r = client.call("GET", "/api/models/available");
    std::string human;
    for (auto& m : r["models"])
      human += text_of(m) + "\n";
    human += "(source: " + text_of(r["source"]) + ")\n";
    print(o, r, human);
  } else if (sub == "add") {
    need_args(a, 4, "models add <claude> <kiro>");
    auto r = client.call("PUT", "/api/models/" + percent_encode(a[2]), json{{"kiro", a[3]}});
    std::string human = a[2] + " → " + a[3] + "\n";
    if (!r.value("known", true))
      human += "warning: " + a[3] + " is not a Kiro model id kiro-bridge knows\n";
    print(o, r, human);
  } else if (sub == "remove") {
    need_args(a, 3, "models remove <claude>");
    auto r = client.call("DELETE", "/api/models/" + percent_encode(a[2]));
    print(o, r, "removed " + a[2] + "\n");
  } else if (sub == "test") {
    need_args(a, 3, "models test <claude>");
    auto r = client.call("GET", "/api/models/resolve?model=" + percent_encode(a[2]));
    print(o, r, a[2] + " → " + text_of(r["kiro"]) +
                  (r.value("exactMapping", false) ? " (mapped)\n" : " (resolved)\n"));
  } else if (sub == "default") {
    need_args(a, 3, "models default <kiro>");
    auto r = client.call("PUT", "/api/models/default", json{{"kiro", a[2]}});
    print(o, r, "default → " + a[2] + "\n");
  } else {
    throw usage_error{"unknown models command " + sub};
  }
}

json account_from_flags(const std::vector<std::string>& a) {
  json body = json::object();
  static const std::vector<std::pair<std::string, std::string>> flags = {
    {"--refresh-token", "refreshToken"}, {"--access-token", "accessToken"},
    {"--email", "email"},                {"--region", "region"},
    {"--auth-method", "authMethod"},     {"--client-id", "clientId"},
    {"--client-secret", "clientSecret"}, {"--expires-at", "expiresAt"},
    {"--nickname", "nickname"}};
  for (size_t i = 2; i < a.size(); ++i) {
    if (i + 1 >= a.size())
      throw usage_error{a[i] + " needs a value"};
    if (a[i] == "--from-file")
      return parse_json_file(a[++i]);
    if (a[i] == "--priority") {
      char* end = nullptr;
      auto n = std::strtol(a[++i].c_str(), &end, 10);
      if (*end != '\0')
        throw usage_error{"--priority needs an integer"};
      body["priority"] = n;
      continue;
    }
    bool known = false;
    for (auto& [flag, key] : flags) {
      if (a[i] == flag) {
        auto value = a[++i];
        if (key == "expiresAt" && !value.empty() &&
            value.find_first_not_of("0123456789") == std::string::npos)
          body[key] = std::stoll(value);
        else
          body[key] = value;
        known = true;
        break;
      }
    }
    if (!known)
      throw usage_error{"unknown option " + a[i]};
  }
  return body;
}

void accounts_command(const options& o, api& client) {
  auto& a = o.args;
  auto sub = a.size() > 1 ? a[1] : "list";
  if (sub == "list") {
    auto r = client.call("GET", "/api/accounts");
    std::vector<std::vector<std::string>> rows;
    for (auto& x : r["accounts"]) {
      std::ostringstream used;
      used << x.value("percentUsed", 0.0);
      rows.push_back({text_of(x["id"]), text_of(x["email"]), text_of(x["status"]),
                      std::to_string(x.value("priority", 0)), used.str() + "%",
                      std::to_string(x.value("requests", 0)), text_of(x["lastError"])});
    }
    print(o, r, render_table({"ID", "EMAIL", "STATUS", "PRIORITY", "USED", "REQUESTS",
                              "LAST ERROR"},
                             rows));
  } else if (sub == "add") {
    auto r = client.call("POST", "/api/accounts", account_from_flags(a));
    print(o, r, "added " + text_of(r["id"]) + "\n");
  } else if (sub == "import") {
    std::string path, registration;
    for (size_t i = 2; i < a.size(); ++i) {
      if (a[i] == "--client-registration" && i + 1 < a.size())
        registration = a[++i];
      else if (path.empty() && a[i].rfind("--", 0) != 0)
        path = a[i];
      else
        throw usage_error{"usage: kiroctl accounts import [file] [--client-registration FILE]"};
    }
    if (path.empty()) {
      path = kiro_sso_cache_dir() + "/kiro-auth-token.json";
      if (!readable(path))
        throw failure{"no file given and no Kiro IDE login at " + path +
                      ": sign in to the Kiro IDE first, or name the file "
                      "(see README.md, \"Add your Kiro account\")"};
      std::cerr << "kiroctl: importing the Kiro IDE's login from " << path << "\n";
    }
    auto file = parse_json_file(path);
    json body = file;
    bool accounts_file = file.is_array() || (file.is_object() && file.contains("accounts"));
    if (!accounts_file) {
      body = json{{"token", file}};
      if (registration.empty())
        registration = registration_beside(path, file);
      if (!registration.empty())
        body["clientRegistration"] = parse_json_file(registration);
    }
    auto r = client.call("POST", "/api/accounts/import", body);
    std::string human;
    for (auto& id : r["added"])
      human += "added " + text_of(id) + "\n";
    for (auto& u : r.value("updated", json::array()))
      human += "updated " + text_of(u["id"]) + " in place (already present: same " +
               text_of(u["matchedOn"]) + ")\n";
    for (auto& f : r["failed"])
      human += "refused #" + text_of(f["index"]) + ": " + text_of(f["message"]) + "\n";
    print(o, r, human);
  } else if (sub == "remove") {
    need_args(a, 3, "accounts remove <id>");
    auto r = client.call("DELETE", "/api/accounts/" + percent_encode(a[2]));
    print(o, r, "removed " + a[2] + "\n");
  } else if (sub == "test") {
    need_args(a, 3, "accounts test <id>");
    auto r = client.call("POST", "/api/accounts/" + percent_encode(a[2]) + "/test");
    print(o, r, "ok in " + text_of(r["ms"]) + " ms: " + text_of(r["text"]) + "\n");
  } else if (sub == "refresh") {
    need_args(a, 3, "accounts refresh <id>");
    auto r = client.call("POST", "/api/accounts/" + percent_encode(a[2]) + "/reset");
    print(o, r, "refreshed and tested " + a[2] + " in " + text_of(r["test"]["ms"]) + " ms\n");
  } else if (sub == "enable" || sub == "disable") {
    need_args(a, 3, "accounts enable|disable <id>");
    auto r = client.call("PATCH", "/api/accounts/" + percent_encode(a[2]),
                         json{{"enabled", sub == "enable"}});
    print(o, r, sub + "d " + a[2] + "\n");
  } else if (sub == "priority") {
    need_args(a, 4, "accounts priority <id> <n>");
    char* end = nullptr;
    auto n = std::strtol(a[3].c_str(), &end, 10);
    if (*end != '\0')
      throw usage_error{"priority must be an integer"};
    auto r = client.call("PATCH", "/api/accounts/" + percent_encode(a[2]),
                         json{{"priority", n}});
    print(o, r, a[2] + " priority " + a[3] + "\n");
  } else {
    throw usage_error{"unknown accounts command " + sub};
  }
}

void health_command(const options& o, api& client) {
  auto r = client.call("GET", "/api/health");
  std::string states;
  for (auto& [state, n] : r["accounts"]["byState"].items())
    states += (states.empty() ? "" : ", ") + state + " " + text_of(n);
  std::string reasons;
  for (auto& reason : r.value("reasons", json::array()))
    reasons += "  " + text_of(reason) + "\n";
  print(o, r, "status: " + text_of(r["status"]) + "\n" + reasons +
                "version: " + text_of(r["version"]) +
                "\nuptime: " + text_of(r["uptimeSeconds"]) + " s\naccounts: " +
                text_of(r["accounts"]["total"]) + (states.empty() ? "" : " (" + states + ")") +
                "\n");
}

void reload_command(const options& o, api& client) {
  auto r = client.call("POST", "/api/config/hot-reload");
  std::string human = "reloaded\n";
  for (auto& key : r["restartRequired"])
    human += "restart needed for " + text_of(key) + "\n";
  print(o, r, human);
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto o = parse_options(argc, argv);
    if (o.args.empty())
      throw usage_error{};
    api client{o};
    auto& cmd = o.args[0];
    if (cmd == "models")
      models_command(o, client);
    else if (cmd == "accounts")
      accounts_command(o, client);
    else if (cmd == "health")
      health_command(o, client);
    else if (cmd == "reload")
      reload_command(o, client);
    else
      throw usage_error{"unknown command " + cmd};
    return 0;
  } catch (const usage_error& e) {
    if (!e.message.empty())
      std::cerr << "kiroctl: " << e.message << "\n\n";
    std::cerr << usage_text;
    return 2;
  } catch (const failure& e) {
    std::cerr << "kiroctl: " << e.message << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "kiroctl: " << e.what() << "\n";
    return 1;
  }
}
