// The admin API under /v1/ (bearer token, constant-time check):
//   GET    /v1/events/{source}/{event_id}                         one event, attempts included
//   DELETE /v1/events/{source}/{event_id}                         erase it (audited in the log)
//   POST   /v1/events/{source}/{event_id}/replay                  deliver a finished event again
//   GET    /v1/events?source=&state=&since=&until=&limit=&cursor=  a page of events
//   GET    /v1/dead?source=&since=&until=&limit=&cursor=           a page of dead letters
//   POST   /v1/replay?source=&state=&since=&until=                 replay every match (dead ones
//                                                                  by default)
// A path that exists answers 405 with an Allow header to any other method.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>

#include "hookfence/keys.h"
#include "hookfence/providers.h"
#include "src/cli/iso8601.h"
#include "src/cli/record_format.h"
#include "src/server/bulk_replay.h"
#include "src/server/routes.h"

namespace hookfence::server {
namespace {

HttpResponse Json(const boost::json::value& value) {
  HttpResponse response;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = boost::json::serialize(value);
  return response;
}

// Store calls are built outside the coroutines: GCC 12 mis-handles lambda captures created in a
// coroutine body.
std::function<Result<Record>(Store&)> GetCall(std::string key) {
  return [key = std::move(key)](Store& store) { return store.Get(key); };
}

std::function<Result<ListPage>(Store&)> ListCall(ListFilter filter) {
  return [filter = std::move(filter)](Store& store) { return store.List(filter); };
}

std::function<Status(Store&)> ReplayCall(std::string key) {
  return [key = std::move(key)](Store& store) { return store.Replay(key); };
}

std::function<Status(Store&)> PurgeCall(std::string key) {
  return [key = std::move(key)](Store& store) { return store.Purge(key); };
}

bool Authorized(const HttpRequest& request, const std::string& token) {
  if (token.empty()) return false;  // the admin API is off without a token
  auto header = FindHeader(request.headers, "Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->substr(0, kBearer.size()) != kBearer) return false;
  return ConstantTimeEquals(header->substr(kBearer.size()), token);
}

// The store runner's queue is past its bound.
HttpResponse Overloaded() {
  return WithRetryAfter(ErrorResponse(429, "overloaded", "retry later"), 1);
}

HttpResponse StoreError(const Status& status) {
  if (status.code() == StatusCode::kNotFound) {
    return ErrorResponse(404, "not_found", "no such event");
  }
  if (status.code() == StatusCode::kInvalidArgument) {
    return ErrorResponse(400, "bad_request", status.message());
  }
  return WithRetryAfter(ErrorResponse(503, "store_unavailable", status.message()), 1);
}

// `response` (a JSON object) with the bulk replay's counts so far added, so a caller whose run
// stopped half-way knows how far it got.
HttpResponse WithCounts(HttpResponse response, const BulkReplay& bulk) {
  boost::json::error_code error;
  boost::json::value body = boost::json::parse(response.body, error);
  if (error || !body.is_object()) return response;
  body.as_object()["replayed"] = bulk.replayed();
  body.as_object()["skipped"] = bulk.skipped();
  response.body = boost::json::serialize(body);
  return response;
}

// The key named by a path's source and percent-encoded event id, or the 400 to answer.
Result<std::string> KeyFromPath(std::string_view source, std::string_view raw_id) {
  auto event_id = PercentDecode(raw_id);
  if (!event_id) return InvalidArgumentError("malformed percent-encoding");
  return MakeKey(source, *event_id);
}

// Reads the filters GET /v1/events takes from the query string into `filter`; the 400 to answer
// for a malformed one.
std::optional<HttpResponse> ParseListQuery(std::string_view target, ListFilter* filter) {
  if (auto source = QueryParam(target, "source"); source && !source->empty()) {
    filter->source = *source;
  }
  if (auto state = QueryParam(target, "state"); state && !state->empty()) {
    filter->state = ParseState(*state);
    if (!filter->state) {
      return ErrorResponse(400, "bad_request",
                           "state must be pending, in_progress, completed or dead");
    }
  }
  for (auto [name, bound] :
       {std::pair{"since", &filter->since}, std::pair{"until", &filter->until}}) {
    if (auto text = QueryParam(target, name); text && !text->empty()) {
      auto time = cli::ParseIso8601(*text);
      if (!time.ok()) return ErrorResponse(400, "bad_request", time.status().message());
      *bound = *time;
    }
  }
  if (auto limit = QueryParam(target, "limit"); limit && !limit->empty()) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size()) {
      return ErrorResponse(400, "bad_request", "limit must be a number from 1 to 1000");
    }
    filter->limit = n;
  }
  if (auto cursor = QueryParam(target, "cursor")) filter->cursor = *cursor;
  return std::nullopt;
}

boost::asio::awaitable<HttpResponse> GetEvent(std::shared_ptr<GatewayCore> core, std::string key) {
  auto record = co_await core->store().Run<Result<Record>>(GetCall(key));
  if (!record) co_return Overloaded();
  if (!record->ok()) co_return StoreError(record->status());
  co_return Json(cli::RecordToJson(**record, cli::Detail::kFull));
}

boost::asio::awaitable<HttpResponse> ListEvents(std::shared_ptr<GatewayCore> core,
                                                ListFilter filter) {
  auto page = co_await core->store().Run<Result<ListPage>>(ListCall(filter));
  if (!page) co_return Overloaded();
  if (!page->ok()) co_return StoreError(page->status());
  boost::json::array events;
  for (const Record& record : (*page)->records) {
    events.push_back(cli::RecordToJson(record, cli::Detail::kSummary));
  }
  boost::json::object body;
  body["events"] = std::move(events);
  body["next_cursor"] = (*page)->next_cursor;
  co_return Json(body);
}

boost::asio::awaitable<HttpResponse> ReplayEvent(std::shared_ptr<GatewayCore> core,
                                                 std::string key) {
  auto status = co_await core->store().Run<Status>(ReplayCall(key));
  if (!status) co_return Overloaded();
  if (status->code() == StatusCode::kFailedPrecondition) {
    co_return ErrorResponse(409, "not_replayable", status->message());
  }
  if (!status->ok()) co_return StoreError(*status);
  core->WakeDispatcher();
  co_return Json(boost::json::object{{"status", "replayed"}, {"key", key}});
}

// Who asked for a purge, for its audit line: the peer address (a proxy's, behind one), that it
// held the admin token, and the operator a client such as `hookfence events purge` declares in
// Hookfence-Operator (letters, digits and ._@- only, at most 64: a header cannot forge a line).
std::string Requester(const HttpRequest& request) {
  std::string who = "the admin token holder at " + request.remote;
  auto declared = FindHeader(request.headers, "Hookfence-Operator");
  if (!declared || declared->empty()) return who;
  std::string name;
  for (char c : declared->substr(0, 64)) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                       c == '@' || c == '-';
    name += plain ? c : '?';
  }
  return who + " (operator \"" + name + "\" as the client declares)";
}

boost::asio::awaitable<HttpResponse> PurgeEvent(std::shared_ptr<GatewayCore> core, std::string key,
                                                std::string requester) {
  auto status = co_await core->store().Run<Status>(PurgeCall(key));
  if (!status) co_return Overloaded();
  if (!status->ok()) co_return StoreError(*status);
  // The audit trail of a data-deletion request (DESIGN §2): what went and who asked.
  core->log().warn("audit: purged {} (payload, response and tombstone) at the request of {}", key,
                   requester);
  co_return Json(boost::json::object{{"status", "purged"}, {"key", key}});
}

boost::asio::awaitable<HttpResponse> ReplayAll(std::shared_ptr<GatewayCore> core,
                                               ListFilter filter) {
  BulkReplay bulk(std::move(filter));
  std::optional<HttpResponse> failure;
  while (!bulk.done() && !failure) {
    auto page = co_await core->store().Run<Result<ListPage>>(ListCall(bulk.NextPage()));
    if (!page) {
      failure = Overloaded();
    } else if (!page->ok()) {
      failure = StoreError(page->status());
    } else {
      const std::vector<std::string> keys = bulk.Take(**page);
      for (const std::string& key : keys) {
        auto replay = co_await core->store().Run<Status>(ReplayCall(key));
        if (!replay) {
          failure = Overloaded();
          break;
        }
        if (Status stop = bulk.Count(*replay); !stop.ok()) {
          failure = StoreError(stop);
          break;
        }
      }
    }
  }
  // Whatever was replayed before a failure is due now all the same.
  if (bulk.replayed() > 0) core->WakeDispatcher();
  if (failure) co_return WithCounts(std::move(*failure), bulk);
  co_return Json(boost::json::object{
      {"status", "replayed"}, {"replayed", bulk.replayed()}, {"skipped", bulk.skipped()}});
}

enum class Endpoint { kNone, kList, kDead, kReplayAll, kEvent, kReplayEvent };

struct Match {
  Endpoint endpoint = Endpoint::kNone;
  std::string_view allow;  // the methods the path answers, for 405's Allow header
  std::string_view source;
  std::string_view raw_id;  // percent-encoded
};

// Which endpoint a path names. An event path ending in "/replay" is the replay action: an event
// id that ends so must have its '/' percent-encoded, as every id should.
Match MatchPath(std::string_view path) {
  if (path == "/v1/events") return {Endpoint::kList, "GET", {}, {}};
  if (path == "/v1/dead") return {Endpoint::kDead, "GET", {}, {}};
  if (path == "/v1/replay") return {Endpoint::kReplayAll, "POST", {}, {}};
  constexpr std::string_view kEvents = "/v1/events/";
  if (path.substr(0, kEvents.size()) != kEvents) return {};
  std::string_view rest = path.substr(kEvents.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return {};
  std::string_view source = rest.substr(0, slash);
  std::string_view raw_id = rest.substr(slash + 1);
  constexpr std::string_view kReplay = "/replay";
  if (raw_id.size() > kReplay.size() && raw_id.substr(raw_id.size() - kReplay.size()) == kReplay) {
    return {Endpoint::kReplayEvent, "POST", source,
            raw_id.substr(0, raw_id.size() - kReplay.size())};
  }
  return {Endpoint::kEvent, "GET, DELETE", source, raw_id};
}

bool Allowed(std::string_view allow, std::string_view method) {
  while (!allow.empty()) {
    const auto comma = allow.find(", ");
    if (allow.substr(0, comma) == method) return true;
    allow = comma == std::string_view::npos ? std::string_view() : allow.substr(comma + 2);
  }
  return false;
}

// The filter of POST /v1/replay: that of GET /v1/events, state dead unless completed is asked
// for.
std::optional<HttpResponse> ParseReplayQuery(std::string_view target, ListFilter* filter) {
  if (auto error = ParseListQuery(target, filter)) return error;
  if (!filter->state) filter->state = State::kDead;
  if (*filter->state != State::kDead && *filter->state != State::kCompleted) {
    return ErrorResponse(400, "bad_request", "only dead or completed events can be replayed");
  }
  return std::nullopt;
}

// GET /v1/events with the state forced to dead; naming another state is a contradiction.
std::optional<HttpResponse> ParseDeadQuery(std::string_view target, ListFilter* filter) {
  if (auto error = ParseListQuery(target, filter)) return error;
  if (filter->state && *filter->state != State::kDead) {
    return ErrorResponse(400, "bad_request", "/v1/dead lists dead events only");
  }
  filter->state = State::kDead;
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<HttpResponse> HandleAdmin(std::shared_ptr<GatewayCore> core,
                                                 HttpRequest request) {
  if (!Authorized(request, core->settings()->admin_token)) {
    HttpResponse response = ErrorResponse(401, "unauthorized", "a valid bearer token is required");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    co_return response;
  }
  const Match match = MatchPath(PathOf(request.target));
  if (match.endpoint == Endpoint::kNone) {
    co_return ErrorResponse(404, "not_found", "no such admin endpoint");
  }
  if (!Allowed(match.allow, request.method)) {
    HttpResponse response = ErrorResponse(405, "method_not_allowed",
                                          "this endpoint answers " + std::string(match.allow));
    response.headers.emplace_back("Allow", std::string(match.allow));
    co_return response;
  }
  ListFilter filter;
  switch (match.endpoint) {
    case Endpoint::kList:
      if (auto error = ParseListQuery(request.target, &filter)) co_return std::move(*error);
      co_return co_await ListEvents(core, std::move(filter));
    case Endpoint::kDead:
      if (auto error = ParseDeadQuery(request.target, &filter)) co_return std::move(*error);
      co_return co_await ListEvents(core, std::move(filter));
    case Endpoint::kReplayAll:
      if (auto error = ParseReplayQuery(request.target, &filter)) co_return std::move(*error);
      co_return co_await ReplayAll(core, std::move(filter));
    case Endpoint::kEvent:
    case Endpoint::kReplayEvent:
    case Endpoint::kNone:
      break;
  }
  auto key = KeyFromPath(match.source, match.raw_id);
  if (!key.ok()) co_return ErrorResponse(400, "invalid_event_id", key.status().message());
  if (match.endpoint == Endpoint::kReplayEvent) co_return co_await ReplayEvent(core, *key);
  if (request.method == "DELETE") co_return co_await PurgeEvent(core, *key, Requester(request));
  co_return co_await GetEvent(core, *key);
}

}  // namespace hookfence::server
