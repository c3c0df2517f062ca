#include "services/http/http_clients.hpp"

#include "services/http/socket_stream.hpp"

namespace kb {

bool plain_http_client::process_socket(const Socket& socket,
                                       std::function<bool(httplib::Stream&)> callback) {
  socket_stream stream{socket.sock, timeout_ms(read_timeout_sec_, read_timeout_usec_),
                       timeout_ms(write_timeout_sec_, write_timeout_usec_)};
  return callback(stream) && stream.flush();
}

bool tls_http_client::process_socket(const Socket& socket,
                                     std::function<bool(httplib::Stream&)> callback) {
  socket_stream stream{socket.sock, socket.ssl, timeout_ms(read_timeout_sec_, read_timeout_usec_),
                       timeout_ms(write_timeout_sec_, write_timeout_usec_)};
  return callback(stream) && stream.flush();
}

} // namespace kb
