#include "services/common/daemon_args.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>

#include "services/common/signals.hpp"

namespace kb {

namespace {

std::optional<int> parse_port(const std::string& text) {
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0 || value > 65535)
    return std::nullopt;
  return value;
}

struct flag_help {
  const char* name;
  const char* text;
};

constexpr flag_help flag_texts[] = {
  {"host", "--host H             HTTP bind address (default: host in server-config.json)"},
  {"port", "--port N             HTTP port, 0 = any free port"},
  {"bind", "--bind H             address the inter-daemon port binds to "
           "(default: cluster.bindHost, 127.0.0.1)"},
  {"supervisor-host", "--supervisor-host H  supervisor address (default: cluster.supervisorHost)"},
  {"supervisor-port", "--supervisor-port N  supervisor port (default: cluster.supervisorPort)"},
  {"health-port", "--health-port N      health endpoint port (default: supervisorPort + 1)"},
  {"cluster-ca", "--cluster-ca F        mutual TLS between the daemons: the CA (PEM)\n"
                 "  --cluster-cert F      this daemon's certificate (PEM)\n"
                 "  --cluster-key F       its key (PEM); all three replace cluster.tls"},
};

} // namespace

std::variant<daemon_args, std::string> parse_daemon_args(
  const std::vector<std::string>& args, const std::vector<std::string>& accepted) {
  daemon_args out;
  auto takes = [&](const std::string& flag) {
    // The TLS trio comes as one: "cluster-ca" accepts all three.
    auto as = flag == "cluster-cert" || flag == "cluster-key" ? "cluster-ca" : flag;
    return std::find(accepted.begin(), accepted.end(), as) != accepted.end();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0)
      return "unexpected argument '" + a + "'";
    auto name = a.substr(2);
    if (name != "config-dir" && !takes(name))
      return "unknown flag " + a;
    if (i + 1 >= args.size())
      return a + " needs a value";
    const auto& value = args[++i];
    if (name == "config-dir") {
      out.config_dir = value;
    } else if (name == "host") {
      out.host = value;
    } else if (name == "bind") {
      out.bind = value;
    } else if (name == "supervisor-host") {
      out.supervisor_host = value;
    } else if (name == "cluster-ca") {
      out.cluster_ca = value;
    } else if (name == "cluster-cert") {
      out.cluster_cert = value;
    } else if (name == "cluster-key") {
      out.cluster_key = value;
    } else {
      auto port = parse_port(value);
      if (!port)
        return a + " needs a port number (0-65535), got '" + value + "'";
      if (name == "port")
        out.port = *port;
      else if (name == "supervisor-port")
        out.supervisor_port = *port;
      else if (name == "health-port")
        out.health_port = *port;
      else
        return "unknown flag " + a;
    }
  }
  int tls_flags = out.cluster_ca.has_value() + out.cluster_cert.has_value() +
                  out.cluster_key.has_value();
  if (tls_flags != 0 && tls_flags != 3)
    return "--cluster-ca, --cluster-cert and --cluster-key go together";
  return out;
}

std::string daemon_usage(const std::string& program,
                         const std::vector<std::string>& accepted) {
  std::string text = "usage: " + program + " [--config-dir DIR] [flags]\n"
                     "  --config-dir DIR     holds server-config.json, kiro-accounts.json,\n"
                     "                       model-mapping.json (default: config)\n";
  for (auto& f : flag_texts)
    if (std::find(accepted.begin(), accepted.end(), f.name) != accepted.end())
      text += std::string{"  "} + f.text + "\n";
  return text;
}

std::variant<daemon_start, int> start_daemon(int argc, char** argv,
                                             const std::string& program,
                                             const std::vector<std::string>& accepted,
                                             const std::string& log_subdir) {
  auto parsed = parse_daemon_args({argv + 1, argv + argc}, accepted);
  if (auto* err = std::get_if<std::string>(&parsed)) {
    std::cerr << program << ": " << *err << "\n" << daemon_usage(program, accepted);
    return 2;
  }
  auto& args = std::get<daemon_args>(parsed);
  if (args.help) {
    std::cout << daemon_usage(program, accepted);
    return 0;
  }
  block_termination_signals();
  auto loaded = load_service_config(args.config_dir);
  if (!loaded) {
    std::cerr << program << ": " << loaded.error << "\n";
    return 1;
  }
  if (args.cluster_ca) {
    auto& tls = loaded.value->server.cluster.tls;
    tls.ca_file = *args.cluster_ca;
    tls.cert_file = *args.cluster_cert;
    tls.key_file = *args.cluster_key;
  }
  start_logging(loaded.value->server, log_subdir, program);
  return daemon_start{std::move(args), std::move(*loaded.value)};
}

} // namespace kb
