// What the two outgoing HTTP clients share: the blocking SendRequest (http_client.h) and the
// gateway's DestinationClient (destination_client.h) build their TLS client context, set up each
// TLS connection (SNI, host-name verification) and frame their requests the same way.
//
// Thread-safety: functions are reentrant; a context, once made, may be shared by any number of
// connections on any threads.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <string>

#include "hookfence/record.h"
#include "hookfence/result.h"
#include "src/server/http_client.h"

namespace hookfence::server {

using TlsClientStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using ClientRequest = boost::beast::http::request<boost::beast::http::string_body>;

// A TLS client context. With `verify`, peers must present a chain that ends in a certificate of
// `ca_file` (a PEM bundle) or, when it is empty, of the system's default paths; without it,
// nothing is checked. kInvalidArgument when the trusted certificates cannot be loaded.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeTlsClientContext(bool verify,
                                                                        const std::string& ca_file);

// Readies a TLS stream, before its handshake, to talk to `host`: names it in SNI and, when the
// context verifies, requires the certificate to be issued for it (DNS name or IP address).
void PrepareTlsClient(TlsClientStream& stream, const std::string& host);

// The request both clients send to `url`: `headers` in order, then Host (with the port unless it
// is the scheme's default), User-Agent "hookfence/<version>" and Content-Length. The client
// frames the message itself, so Host, User-Agent, Content-Length, Transfer-Encoding and
// Connection among `headers` are dropped.
ClientRequest BuildClientRequest(boost::beast::http::verb method, const Url& url,
                                 const Headers& headers, std::string body);

// "host:port" ("[::1]:port" for IPv6), for error messages.
std::string HostAndPort(const Url& url);

}  // namespace hookfence::server
