#include "src/server/http_client_common.h"

#include <array>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/string.hpp>
#include <string_view>

#include "hookfence/version.h"

namespace hookfence::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Framing and identity headers the client always sets itself.
constexpr std::array<std::string_view, 5> kClientOwned = {"Host", "User-Agent", "Content-Length",
                                                          "Transfer-Encoding", "Connection"};

bool IsClientOwned(std::string_view name) {
  for (std::string_view owned : kClientOwned) {
    if (beast::iequals(name, owned)) {
      return true;
    }
  }
  return false;
}

std::string BracketedHost(const Url& url) {
  return url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
}

}  // namespace

Result<std::unique_ptr<asio::ssl::context>> MakeTlsClientContext(bool verify,
                                                                 const std::string& ca_file) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  if (!verify) {
    context->set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca_file, ec);
  }
  if (ec) {
    return InvalidArgumentError("cannot load trusted certificates" +
                                (ca_file.empty() ? std::string() : " from " + ca_file) + ": " +
                                ec.message());
  }
  return context;
}

void PrepareTlsClient(TlsClientStream& stream, const std::string& host) {
  // SNI; SSL_set_tlsext_host_name is a macro with a C cast, so call what it expands to.
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(host.c_str()));
  stream.set_verify_callback(asio::ssl::host_name_verification(host));
}

ClientRequest BuildClientRequest(http::verb method, const Url& url, const Headers& headers,
                                 std::string body) {
  ClientRequest request{method, url.target, 11};
  for (const auto& [name, value] : headers) {
    if (!IsClientOwned(name)) {
      request.insert(name, value);
    }
  }
  const bool default_port = url.port == (url.tls ? "443" : "80");
  request.set(http::field::host, default_port ? BracketedHost(url) : HostAndPort(url));
  request.set(http::field::user_agent, "hookfence/" + std::string(Version()));
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

std::string HostAndPort(const Url& url) { return BracketedHost(url) + ":" + url.port; }

}  // namespace hookfence::server
