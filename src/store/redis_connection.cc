#include "src/store/redis_connection.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <charconv>

namespace hookfence::store::internal {
namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

// Writing to a socket the server closed raises SIGPIPE, which would kill the process; hiredis
// writes with plain write(). Like libpq, block it in this thread while hiredis writes, and
// swallow the one the write raised, so the application's own signal handling is left alone.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        sigtimedwait(&sigpipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t sigpipe_;
  sigset_t previous_;
  bool was_pending_ = false;
};

}  // namespace

bool ReplyView::is_nil() const { return reply_ == nullptr || reply_->type == REDIS_REPLY_NIL; }
bool ReplyView::is_error() const { return reply_ != nullptr && reply_->type == REDIS_REPLY_ERROR; }
bool ReplyView::is_array() const { return reply_ != nullptr && reply_->type == REDIS_REPLY_ARRAY; }
bool ReplyView::is_integer() const {
  return reply_ != nullptr && reply_->type == REDIS_REPLY_INTEGER;
}
bool ReplyView::is_string() const {
  if (reply_ == nullptr) return false;
  return reply_->type == REDIS_REPLY_STRING || reply_->type == REDIS_REPLY_STATUS;
}

std::string_view ReplyView::str() const {
  if (reply_ == nullptr) return {};
  if (reply_->type != REDIS_REPLY_STRING && reply_->type != REDIS_REPLY_STATUS &&
      reply_->type != REDIS_REPLY_ERROR) {
    return {};
  }
  return std::string_view(reply_->str, reply_->len);
}

long long ReplyView::integer() const {
  if (reply_ == nullptr) return 0;
  if (reply_->type == REDIS_REPLY_INTEGER) return reply_->integer;
  long long value = 0;
  if (reply_->type == REDIS_REPLY_STRING) {
    std::from_chars(reply_->str, reply_->str + reply_->len, value);
  }
  return value;
}

std::size_t ReplyView::size() const { return is_array() ? reply_->elements : 0; }

ReplyView ReplyView::operator[](std::size_t i) const {
  return ReplyView(i < size() ? reply_->element[i] : nullptr);
}

RedisReply::RedisReply(redisReply* reply) : reply_(reply) {}

void RedisReply::Free::operator()(redisReply* reply) const { freeReplyObject(reply); }

std::string RedisEndpoint::Describe() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const RedisEndpoint& endpoint) {
  const std::string where = endpoint.Describe();
  redisContext* context = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                                  ToTimeval(endpoint.connect_timeout));
  if (context == nullptr) return UnavailableError("cannot connect to " + where + ": out of memory");
  // Owned from here on, so every early return below closes it.
  std::unique_ptr<RedisConnection> connection(new RedisConnection(context, where));
  if (context->err != 0) {
    return UnavailableError("cannot connect to " + where + ": " + context->errstr);
  }
  if (redisSetTimeout(context, ToTimeval(endpoint.command_timeout)) != REDIS_OK) {
    return UnavailableError("cannot set the command timeout on " + where + ": " + context->errstr);
  }
  redisEnableKeepAlive(context);
  if (!endpoint.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!endpoint.user.empty()) auth.push_back(endpoint.user);
    auth.push_back(endpoint.password);
    HF_ASSIGN_OR_RETURN(RedisReply reply, connection->Command(auth));
    if (reply.view().is_error()) {
      // The server's message names neither the user's password nor ours.
      return Status(StatusCode::kUnauthenticated,
                    "redis at " + where + " refused AUTH: " + std::string(reply.view().str()));
    }
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    HF_ASSIGN_OR_RETURN(RedisReply reply, connection->Command({"SELECT", db}));
    if (reply.view().is_error()) {
      return InvalidArgumentError("redis at " + where + " refused SELECT " + db + ": " +
                                  std::string(reply.view().str()));
    }
  }
  return connection;
}

RedisConnection::~RedisConnection() { redisFree(context_); }

Result<RedisReply> RedisConnection::Command(const std::vector<std::string_view>& args) {
  HF_RETURN_IF_ERROR(Append(args));
  return Read();
}

Status RedisConnection::Append(const std::vector<std::string_view>& args) {
  if (broken()) return Broken("sending a command");
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (std::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv.data(),
                             lengths.data()) != REDIS_OK) {
    return Broken("queueing a command");
  }
  return Status::Ok();
}

Result<RedisReply> RedisConnection::Read() {
  if (broken()) return Broken("reading a reply");
  void* reply = nullptr;
  int status = REDIS_OK;
  {
    ScopedSigpipeBlock no_sigpipe;  // redisGetReply first writes what Append queued
    status = redisGetReply(context_, &reply);
  }
  if (status != REDIS_OK || reply == nullptr) {
    if (reply != nullptr) freeReplyObject(reply);
    return Broken("reading a reply");
  }
  return RedisReply(static_cast<redisReply*>(reply));
}

bool RedisConnection::broken() const { return context_->err != 0; }

Status RedisConnection::Broken(std::string_view doing) const {
  std::string why = context_->err != 0 ? context_->errstr : "no reply";
  if (why.empty()) why = "connection closed";
  return UnavailableError("redis at " + where_ + " failed while " + std::string(doing) + ": " +
                          why);
}

}  // namespace hookfence::store::internal
