// RAII wrappers around hiredis: one connection (redisContext) and its replies (redisReply), so
// the Redis backend never frees either by hand and never sees hiredis' C types.
//
// A connection that failed (I/O error, timeout, protocol error) is broken for good: every later
// call fails too, and its owner must drop it (ConnectionPool::Lease::Discard).
// Thread-safety: a connection and its replies belong to one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/result.h"

struct redisContext;
struct redisReply;

namespace hookfence::store::internal {

// A read-only view of a reply or of one of its elements; valid while its RedisReply lives. An
// element past the end of an array reads as a nil reply, so a malformed answer cannot be read
// out of bounds.
class ReplyView {
 public:
  explicit ReplyView(const redisReply* reply) : reply_(reply) {}

  bool is_nil() const;
  bool is_error() const;
  bool is_array() const;
  bool is_integer() const;
  // A bulk string or a status reply ("OK").
  bool is_string() const;
  // The text of a string, status or error reply; empty for the others.
  std::string_view str() const;
  // An integer reply's value, or a string reply's parsed as a decimal integer; 0 otherwise.
  long long integer() const;
  // The number of elements of an array reply; 0 for the others.
  std::size_t size() const;
  // Element i of an array reply; nil when there is none.
  ReplyView operator[](std::size_t i) const;

 private:
  const redisReply* reply_;
};

// An owned reply.
class RedisReply {
 public:
  explicit RedisReply(redisReply* reply);
  ReplyView view() const { return ReplyView(reply_.get()); }

 private:
  struct Free {
    void operator()(redisReply* reply) const;
  };
  std::unique_ptr<redisReply, Free> reply_;
};

// Where and how to connect.
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user;      // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds command_timeout{10000};

  // "redis://host:port/db" for messages: never the credentials.
  std::string Describe() const;
};

class RedisConnection {
 public:
  // Connects, authenticates and selects the database. kUnavailable when the server cannot be
  // reached (or answers nothing within the timeouts); kUnauthenticated when AUTH is refused;
  // kInvalidArgument when SELECT is refused (no such database).
  static Result<std::unique_ptr<RedisConnection>> Open(const RedisEndpoint& endpoint);

  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command, one round trip. An error reply is a reply (check is_error()); the call fails
  // (kUnavailable) only when the connection broke.
  Result<RedisReply> Command(const std::vector<std::string_view>& args);

  // Pipelining: Append queues a command without sending it; Read sends what is queued and
  // returns the next reply, in order.
  Status Append(const std::vector<std::string_view>& args);
  Result<RedisReply> Read();

  bool broken() const;

 private:
  RedisConnection(redisContext* context, std::string where)
      : context_(context), where_(std::move(where)) {}
  Status Broken(std::string_view doing) const;

  redisContext* context_;
  std::string where_;  // Describe() of the endpoint
};

}  // namespace hookfence::store::internal
