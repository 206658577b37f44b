// The admin API under /v1/ (bearer token, constant-time check):
//   GET /v1/events/{source}/{event_id}                         one event, attempts included
//   GET /v1/events?source=&state=&since=&until=&limit=&cursor=  a page of events
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "hookfence/keys.h"
#include "hookfence/providers.h"
#include "src/cli/iso8601.h"
#include "src/cli/record_format.h"
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

bool Authorized(const HttpRequest& request, const std::string& token) {
  if (token.empty()) return false;  // the admin API is off without a token
  auto header = FindHeader(request.headers, "Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->substr(0, kBearer.size()) != kBearer) return false;
  return ConstantTimeEquals(header->substr(kBearer.size()), token);
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

boost::asio::awaitable<HttpResponse> GetEvent(std::shared_ptr<GatewayCore> core, std::string source,
                                              std::string raw_id) {
  auto event_id = PercentDecode(raw_id);
  if (!event_id) co_return ErrorResponse(400, "invalid_event_id", "malformed percent-encoding");
  auto key = MakeKey(source, *event_id);
  if (!key.ok()) co_return ErrorResponse(400, "invalid_event_id", key.status().message());
  auto record = co_await core->store().Run<Result<Record>>(GetCall(*key));
  if (!record) co_return WithRetryAfter(ErrorResponse(429, "overloaded", "retry later"), 1);
  if (!record->ok()) co_return StoreError(record->status());
  co_return Json(cli::RecordToJson(**record, cli::Detail::kFull));
}

boost::asio::awaitable<HttpResponse> ListEvents(std::shared_ptr<GatewayCore> core,
                                                std::string target) {
  ListFilter filter;
  if (auto source = QueryParam(target, "source"); source && !source->empty()) {
    filter.source = *source;
  }
  if (auto state = QueryParam(target, "state"); state && !state->empty()) {
    filter.state = ParseState(*state);
    if (!filter.state) {
      co_return ErrorResponse(400, "bad_request",
                              "state must be pending, in_progress, completed or dead");
    }
  }
  for (auto [name, bound] :
       {std::pair{"since", &filter.since}, std::pair{"until", &filter.until}}) {
    if (auto text = QueryParam(target, name); text && !text->empty()) {
      auto time = cli::ParseIso8601(*text);
      if (!time.ok()) co_return ErrorResponse(400, "bad_request", time.status().message());
      *bound = *time;
    }
  }
  if (auto limit = QueryParam(target, "limit"); limit && !limit->empty()) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size()) {
      co_return ErrorResponse(400, "bad_request", "limit must be a number from 1 to 1000");
    }
    filter.limit = n;
  }
  if (auto cursor = QueryParam(target, "cursor")) filter.cursor = *cursor;
  auto page = co_await core->store().Run<Result<ListPage>>(ListCall(filter));
  if (!page) co_return WithRetryAfter(ErrorResponse(429, "overloaded", "retry later"), 1);
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

}  // namespace

boost::asio::awaitable<HttpResponse> HandleAdmin(std::shared_ptr<GatewayCore> core,
                                                 HttpRequest request) {
  if (!Authorized(request, core->settings()->admin_token)) {
    HttpResponse response = ErrorResponse(401, "unauthorized", "a valid bearer token is required");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    co_return response;
  }
  if (request.method != "GET") {
    co_return ErrorResponse(405, "method_not_allowed", "this admin endpoint only answers GET");
  }
  std::string_view path = PathOf(request.target);
  constexpr std::string_view kEvents = "/v1/events";
  if (path == kEvents) co_return co_await ListEvents(core, request.target);
  if (path.substr(0, kEvents.size() + 1) == "/v1/events/") {
    std::string_view rest = path.substr(kEvents.size() + 1);
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos && slash > 0 && slash + 1 < rest.size()) {
      co_return co_await GetEvent(core, std::string(rest.substr(0, slash)),
                                  std::string(rest.substr(slash + 1)));
    }
  }
  co_return ErrorResponse(404, "not_found", "no such admin endpoint");
}

}  // namespace hookfence::server
