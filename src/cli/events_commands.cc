#include "src/cli/events_commands.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hookfence/keys.h"
#include "hookfence/store.h"
#include "src/cli/admin_client.h"
#include "src/cli/record_format.h"
#include "src/cli/store_flags.h"
#include "src/server/bulk_replay.h"
#include "src/store/store_url.h"

namespace hookfence::cli {
namespace {

// Where a command works: exactly one of `gateway` and `store` is set once parsing is done.
struct Target {
  std::string gateway;
  std::string store;
  std::string token;
};

struct ListOptions {
  Target target;
  ListFlags flags;
  bool dead = false;
  bool json = false;
};

struct ShowOptions {
  Target target;
  std::string source;
  std::string event_id;
  bool json = false;
};

ListFlags DeadLetters() {
  ListFlags flags;
  flags.state = StateName(State::kDead);
  return flags;
}

struct ReplayOptions {
  Target target;
  std::string source;
  std::string event_id;
  bool all = false;
  // --all's filter; its state is dead (the default) or completed.
  ListFlags filter = DeadLetters();
};

struct PurgeOptions {
  Target target;
  std::string source;
  std::string event_id;
};

// "?name=value&..." of the non-empty values, percent-encoded; "" when all are empty.
std::string Query(std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
  std::string query;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    query += query.empty() ? '?' : '&';
    query += fmt::format("{}={}", name, PercentEncode(value));
  }
  return query;
}

std::string EventPath(std::string_view source, std::string_view event_id) {
  return fmt::format("/v1/events/{}/{}", source, PercentEncode(event_id));
}

// A successful answer from the admin API, or the failure it reports.
Result<AdminAnswer> Call(const Target& target, std::string_view method, std::string_view path) {
  HF_ASSIGN_OR_RETURN(AdminEndpoint endpoint, MakeAdminEndpoint(target.gateway, target.token));
  HF_ASSIGN_OR_RETURN(AdminAnswer answer, AdminCall(endpoint, method, path));
  HF_RETURN_IF_ERROR(CheckAnswer(answer));
  return answer;
}

std::string ReplayCountsText(std::uint64_t replayed, std::uint64_t skipped) {
  return fmt::format("replayed {}, skipped {}", replayed, skipped);
}

// ---- list ----

Status ListViaGateway(const ListOptions& options, const ListFlags& flags, std::ostream& out) {
  const std::string limit = std::to_string(flags.limit);
  HF_ASSIGN_OR_RETURN(AdminAnswer answer, Call(options.target, "GET",
                                               "/v1/events" + Query({{"source", flags.source},
                                                                     {"state", flags.state},
                                                                     {"since", flags.since},
                                                                     {"until", flags.until},
                                                                     {"limit", limit},
                                                                     {"cursor", flags.cursor}})));
  if (options.json) {
    out << answer.body << '\n';
    return Status::Ok();
  }
  const boost::json::object* page = answer.json.if_object();
  const boost::json::value* events = page ? page->if_contains("events") : nullptr;
  const boost::json::value* cursor = page ? page->if_contains("next_cursor") : nullptr;
  if (events == nullptr || !events->is_array() || cursor == nullptr || !cursor->is_string()) {
    return InternalError("unexpected answer from the gateway: no events page");
  }
  std::vector<Record> records;
  for (const boost::json::value& event : events->get_array()) {
    HF_ASSIGN_OR_RETURN(Record record, RecordFromJson(event));
    records.push_back(std::move(record));
  }
  PrintRecordPage(records, cursor->get_string(), out);
  return Status::Ok();
}

Status ListInStore(const ListOptions& options, const ListFlags& flags, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(ListFilter filter, MakeListFilter(flags));
  HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(options.target.store));
  HF_ASSIGN_OR_RETURN(ListPage page, store->List(filter));
  if (options.json) {
    // The admin API's shape, so a script reads either source alike.
    boost::json::array events;
    for (const Record& record : page.records) {
      events.push_back(RecordToJson(record, Detail::kSummary));
    }
    out << boost::json::serialize(boost::json::object{{"events", std::move(events)},
                                                      {"next_cursor", page.next_cursor}})
        << '\n';
    return Status::Ok();
  }
  PrintRecordPage(page.records, page.next_cursor, out);
  return Status::Ok();
}

Status RunList(const ListOptions& options, std::ostream& out) {
  ListFlags flags = options.flags;
  if (options.dead) flags.state = StateName(State::kDead);
  if (!options.target.gateway.empty()) return ListViaGateway(options, flags, out);
  return ListInStore(options, flags, out);
}

// ---- show ----

Status RunShow(const ShowOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(const std::string key, MakeKey(options.source, options.event_id));
  if (!options.target.gateway.empty()) {
    HF_ASSIGN_OR_RETURN(AdminAnswer answer,
                        Call(options.target, "GET", EventPath(options.source, options.event_id)));
    if (options.json) {
      out << answer.body << '\n';
      return Status::Ok();
    }
    HF_ASSIGN_OR_RETURN(Record record, RecordFromJson(answer.json));
    out << FormatRecordText(record);
    return Status::Ok();
  }
  return PrintStoredRecord(options.target.store, key, options.json, out);
}

// ---- replay ----

Status ReplayOne(const ReplayOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(const std::string key, MakeKey(options.source, options.event_id));
  if (!options.target.gateway.empty()) {
    HF_RETURN_IF_ERROR(
        Call(options.target, "POST", EventPath(options.source, options.event_id) + "/replay")
            .status());
  } else {
    HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(options.target.store));
    const Status replayed = store->Replay(key);
    if (replayed.code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("no event '{}'", key));
    }
    if (replayed.code() == StatusCode::kFailedPrecondition) {
      return FailedPreconditionError(
          fmt::format("'{}' cannot be replayed: {}", key, replayed.message()));
    }
    HF_RETURN_IF_ERROR(replayed);
  }
  out << "replayed " << key << '\n';
  return Status::Ok();
}

// A bulk replay that stopped: the error, and how far the run got (its replays stand).
Status Stopped(const Status& error, std::uint64_t replayed, std::uint64_t skipped) {
  return Status(error.code(), fmt::format("{} (stopped after: {})", error.message(),
                                          ReplayCountsText(replayed, skipped)));
}

Status ReplayAllViaGateway(const ReplayOptions& options, std::ostream& out) {
  const ListFlags& filter = options.filter;
  HF_ASSIGN_OR_RETURN(AdminEndpoint endpoint,
                      MakeAdminEndpoint(options.target.gateway, options.target.token));
  HF_ASSIGN_OR_RETURN(AdminAnswer answer,
                      AdminCall(endpoint, "POST",
                                "/v1/replay" + Query({{"source", filter.source},
                                                      {"state", filter.state},
                                                      {"since", filter.since},
                                                      {"until", filter.until}})));
  const boost::json::object* body = answer.json.if_object();
  const boost::json::value* replayed = body ? body->if_contains("replayed") : nullptr;
  const boost::json::value* skipped = body ? body->if_contains("skipped") : nullptr;
  const bool counted =
      replayed != nullptr && replayed->is_number() && skipped != nullptr && skipped->is_number();
  boost::json::error_code ignored;
  const std::uint64_t replayed_count = counted ? replayed->to_number<std::uint64_t>(ignored) : 0;
  const std::uint64_t skipped_count = counted ? skipped->to_number<std::uint64_t>(ignored) : 0;
  if (Status status = CheckAnswer(answer); !status.ok()) {
    return counted ? Stopped(status, replayed_count, skipped_count) : status;
  }
  if (!counted) return InternalError("unexpected answer from the gateway: no replay counts");
  out << ReplayCountsText(replayed_count, skipped_count) << '\n';
  return Status::Ok();
}

Status ReplayAllInStore(const ReplayOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(ListFilter filter, MakeListFilter(options.filter));
  HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(options.target.store));
  server::BulkReplay bulk(std::move(filter));
  while (!bulk.done()) {
    Result<ListPage> page = store->List(bulk.NextPage());
    if (!page.ok()) return Stopped(page.status(), bulk.replayed(), bulk.skipped());
    for (const std::string& key : bulk.Take(*page)) {
      if (Status stop = bulk.Count(store->Replay(key)); !stop.ok()) {
        return Stopped(stop, bulk.replayed(), bulk.skipped());
      }
    }
  }
  out << ReplayCountsText(bulk.replayed(), bulk.skipped()) << '\n';
  return Status::Ok();
}

Status RunReplay(const ReplayOptions& options, std::ostream& out) {
  if (!options.all) return ReplayOne(options, out);
  if (!options.target.gateway.empty()) return ReplayAllViaGateway(options, out);
  return ReplayAllInStore(options, out);
}

// ---- purge ----

// Who runs this command, for the audit line: the OS user's name, or "uid N" when the user has no
// name.
std::string OsUser() {
  const uid_t uid = geteuid();
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return fmt::format("uid {}", uid);
}

// Erases every trace of one event: payload, response and tombstone (a later delivery of the same
// event is new). Audited: a line on stderr names the event, where it was erased and the OS user;
// through a gateway, the gateway logs it too, with the caller's address and the user.
Status RunPurge(const PurgeOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(const std::string key, MakeKey(options.source, options.event_id));
  const std::string user = OsUser();
  std::string where;
  if (!options.target.gateway.empty()) {
    HF_ASSIGN_OR_RETURN(AdminEndpoint endpoint,
                        MakeAdminEndpoint(options.target.gateway, options.target.token));
    endpoint.requested_by = user;
    HF_ASSIGN_OR_RETURN(AdminAnswer answer,
                        AdminCall(endpoint, "DELETE", EventPath(options.source, options.event_id)));
    HF_RETURN_IF_ERROR(CheckAnswer(answer));
    where = "through the gateway " + options.target.gateway;
  } else {
    HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(options.target.store));
    const Status purged = store->Purge(key);
    if (purged.code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("no event '{}'", key));
    }
    HF_RETURN_IF_ERROR(purged);
    where = "in the store " + store::RedactStoreUrl(options.target.store);
  }
  std::cerr << fmt::format(
      "hookfence: audit: purged {} (payload, response and tombstone) {} at the request of OS "
      "user {} (uid {})\n",
      key, where, user, geteuid());
  out << "purged " << key << '\n';
  return Status::Ok();
}

// ---- flags ----

void AddTargetFlags(CLI::App& sub, Target* target) {
  CLI::Option* gateway =
      sub.add_option("--gateway", target->gateway,
                     "work through a running gateway's admin API, e.g. http://127.0.0.1:8080 "
                     "(default: $HOOKFENCE_GATEWAY)");
  CLI::Option* store = sub.add_option("--store", target->store,
                                      "work directly on a store: sqlite://PATH, ... "
                                      "(default: $HOOKFENCE_STORE)");
  gateway->excludes(store);
  sub.add_option("--token", target->token, "the gateway's admin token (prefer the environment)")
      ->envname("HOOKFENCE_ADMIN_TOKEN");
}

// Run once the command line parsed, so that a missing or doubled target is a usage error (exit
// 2): fills the target from the environment when neither flag was given.
void ResolveTarget(Target* target) {
  if (!target->gateway.empty() || !target->store.empty()) return;
  const char* gateway = std::getenv("HOOKFENCE_GATEWAY");
  const char* store = std::getenv("HOOKFENCE_STORE");
  target->gateway = gateway == nullptr ? "" : gateway;
  target->store = store == nullptr ? "" : store;
  if (!target->gateway.empty() && !target->store.empty()) {
    throw CLI::ValidationError("--gateway/--store",
                               "HOOKFENCE_GATEWAY and HOOKFENCE_STORE are both set: pass "
                               "--gateway or --store to choose");
  }
  if (target->gateway.empty() && target->store.empty()) {
    throw CLI::ValidationError("--gateway/--store",
                               "name a gateway (--gateway URL or HOOKFENCE_GATEWAY) or a store "
                               "(--store URL or HOOKFENCE_STORE)");
  }
}

void AddList(CLI::App& events, Command* command) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* sub = events.add_subcommand("list", "list events in receipt order, one page");
  AddTargetFlags(*sub, &options->target);
  AddListFlags(*sub, &options->flags);
  sub->add_flag("--dead", options->dead, "only dead letters (--state dead)")
      ->excludes(sub->get_option("--state"));
  sub->add_flag("--json", options->json, R"(print {"events":[...],"next_cursor":"..."})");
  sub->callback([options, command] {
    ResolveTarget(&options->target);
    *command = [options](std::ostream& out) { return RunList(*options, out); };
  });
}

void AddShow(CLI::App& events, Command* command) {
  auto options = std::make_shared<ShowOptions>();
  CLI::App* sub = events.add_subcommand("show", "show one event, its attempts included");
  sub->add_option("SOURCE", options->source, "the event's source")->required();
  sub->add_option("EVENT_ID", options->event_id, "the provider's event id")->required();
  AddTargetFlags(*sub, &options->target);
  sub->add_flag("--json", options->json, "print the event as one JSON object");
  sub->callback([options, command] {
    ResolveTarget(&options->target);
    *command = [options](std::ostream& out) { return RunShow(*options, out); };
  });
}

void AddReplay(CLI::App& events, Command* command) {
  auto options = std::make_shared<ReplayOptions>();
  CLI::App* sub = events.add_subcommand(
      "replay", "deliver a finished event again (SOURCE EVENT_ID), or every match (--all)");
  sub->add_option("SOURCE", options->source, "the event's source");
  sub->add_option("EVENT_ID", options->event_id, "the provider's event id");
  AddTargetFlags(*sub, &options->target);
  CLI::Option* all =
      sub->add_flag("--all", options->all, "replay every event matching the filters below");
  sub->add_option("--source", options->filter.source, "with --all: only events of this source")
      ->needs(all);
  sub->add_option("--state", options->filter.state, "with --all: dead (default) or completed")
      ->check(CLI::IsMember({"dead", "completed"}))
      ->needs(all);
  sub->add_option("--since", options->filter.since, "with --all: received at or after")
      ->check(Iso8601Validator())
      ->needs(all);
  sub->add_option("--until", options->filter.until, "with --all: received before")
      ->check(Iso8601Validator())
      ->needs(all);
  sub->callback([options, command] {
    const bool named = !options->source.empty() || !options->event_id.empty();
    if (options->all == named) {
      throw CLI::ValidationError("replay", "name one event (SOURCE EVENT_ID) or pass --all");
    }
    if (named && (options->source.empty() || options->event_id.empty())) {
      throw CLI::ValidationError("replay", "name the event by both SOURCE and EVENT_ID");
    }
    ResolveTarget(&options->target);
    *command = [options](std::ostream& out) { return RunReplay(*options, out); };
  });
}

void AddPurge(CLI::App& events, Command* command) {
  auto options = std::make_shared<PurgeOptions>();
  CLI::App* sub = events.add_subcommand(
      "purge", "erase one event for good: payload, response and tombstone (audited)");
  sub->add_option("SOURCE", options->source, "the event's source")->required();
  sub->add_option("EVENT_ID", options->event_id, "the provider's event id")->required();
  AddTargetFlags(*sub, &options->target);
  sub->callback([options, command] {
    ResolveTarget(&options->target);
    *command = [options](std::ostream& out) { return RunPurge(*options, out); };
  });
}

}  // namespace

void AddEventsCommands(CLI::App& app, Command* command) {
  CLI::App* events = app.add_subcommand(
      "events", "list, inspect, replay and purge events (through a gateway or a store)");
  events->require_subcommand(1);
  AddList(*events, command);
  AddShow(*events, command);
  AddReplay(*events, command);
  AddPurge(*events, command);
}

}  // namespace hookfence::cli
