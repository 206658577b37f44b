#include "src/cli/store_commands.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "hookfence/store.h"
#include "src/cli/iso8601.h"
#include "src/cli/record_format.h"
#include "src/store/store_url.h"

namespace hookfence::cli {
namespace {

struct GetOptions {
  std::string store_url;
  std::string key;
  bool json = false;
};

struct ListOptions {
  std::string store_url;
  std::string state;
  std::string source;
  std::string since;
  std::string until;
  std::size_t limit = 100;
  std::string cursor;
  bool json = false;
};

struct SweepOptions {
  std::string store_url;
  bool json = false;
};

// Opening sqlite:// creates a missing file: right for a server, wrong for an inspection tool,
// where a mistyped path would show an empty store instead of an error.
Status CheckSqliteFileExists(std::string_view url) {
  HF_ASSIGN_OR_RETURN(store::StoreUrl parsed, store::ParseStoreUrl(url));
  if (parsed.backend != store::Backend::kSqlite) return Status::Ok();
  std::error_code error;
  if (!std::filesystem::exists(parsed.path, error)) {
    return NotFoundError(
        fmt::format("no database file '{}' (from store URL '{}')", parsed.path, url));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> OpenExistingStore(std::string_view url) {
  HF_RETURN_IF_ERROR(CheckSqliteFileExists(url));
  return OpenStore(url);
}

Status RunGet(const GetOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(options.store_url));
  Result<Record> record = store->Get(options.key);
  if (record.status().code() == StatusCode::kNotFound) {
    return NotFoundError(fmt::format("no record for key '{}'", options.key));
  }
  HF_RETURN_IF_ERROR(record.status());
  if (options.json) {
    out << boost::json::serialize(RecordToJson(*record, Detail::kFull)) << '\n';
  } else {
    out << FormatRecordText(*record);
  }
  return Status::Ok();
}

Result<ListFilter> MakeListFilter(const ListOptions& options) {
  ListFilter filter;
  if (!options.state.empty()) {
    filter.state = ParseState(options.state);
    if (!filter.state) return InvalidArgumentError("unknown state '" + options.state + "'");
  }
  filter.source = options.source;
  if (!options.since.empty()) {
    HF_ASSIGN_OR_RETURN(filter.since, ParseIso8601(options.since));
  }
  if (!options.until.empty()) {
    HF_ASSIGN_OR_RETURN(filter.until, ParseIso8601(options.until));
  }
  filter.limit = options.limit;
  filter.cursor = options.cursor;
  return filter;
}

Status RunList(const ListOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(ListFilter filter, MakeListFilter(options));
  HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(options.store_url));
  HF_ASSIGN_OR_RETURN(ListPage page, store->List(filter));
  if (options.json) {
    boost::json::array records;
    for (const Record& record : page.records) {
      records.push_back(RecordToJson(record, Detail::kSummary));
    }
    // An empty next_cursor means "no more", as in the API, so a script loops until it is "".
    const boost::json::object answer{{"records", std::move(records)},
                                     {"next_cursor", page.next_cursor}};
    out << boost::json::serialize(answer) << '\n';
    return Status::Ok();
  }
  if (page.records.empty()) {
    out << "no records match\n";
  } else {
    out << FormatRecordTable(page.records);
  }
  if (!page.next_cursor.empty()) {
    out << "next cursor: " << page.next_cursor << "  (repeat with --cursor " << page.next_cursor
        << ")\n";
  }
  return Status::Ok();
}

Status RunSweep(const SweepOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(options.store_url));
  HF_ASSIGN_OR_RETURN(SweepStats stats, store->Sweep());
  if (options.json) {
    out << boost::json::serialize(boost::json::object{{"payloads_dropped", stats.payloads_dropped},
                                                      {"records_erased", stats.records_erased}})
        << '\n';
  } else {
    out << "payloads dropped: " << stats.payloads_dropped << " (records made tombstones)\n"
        << "records erased:   " << stats.records_erased << " (tombstones past key retention)\n";
  }
  return Status::Ok();
}

// Accepts what ParseIso8601 accepts, so a bad --since is a usage error with CLI11's message.
CLI::Validator Iso8601Validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Result<Timestamp> parsed = ParseIso8601(text);
        return parsed.ok() ? std::string() : parsed.status().message();
      },
      "ISO8601", "ISO-8601 UTC time");
}

void AddStoreOption(CLI::App& sub, std::string* url) {
  sub.add_option("--store", *url, "store URL: memory:// or sqlite://PATH")
      ->envname("HOOKFENCE_STORE")
      ->required();
}

void AddGet(CLI::App& store, Command* command) {
  auto options = std::make_shared<GetOptions>();
  CLI::App* sub = store.add_subcommand("get", "show one record");
  sub->add_option("key", options->key, "the record's key, SOURCE:EVENT_ID")->required();
  AddStoreOption(*sub, &options->store_url);
  sub->add_flag("--json", options->json, "print the record as one JSON object");
  sub->callback([options, command] {
    *command = [options](std::ostream& out) { return RunGet(*options, out); };
  });
}

void AddList(CLI::App& store, Command* command) {
  auto options = std::make_shared<ListOptions>();
  CLI::App* sub = store.add_subcommand("list", "list records in receipt (seq) order, one page");
  AddStoreOption(*sub, &options->store_url);
  sub->add_option("--state", options->state, "only records in this state")
      ->check(CLI::IsMember({"pending", "in_progress", "completed", "dead"}));
  sub->add_option("--source", options->source, "only records of this source");
  sub->add_option("--since", options->since, "received at or after, e.g. 2026-11-23T00:00:00Z")
      ->check(Iso8601Validator());
  sub->add_option("--until", options->until, "received before, e.g. 2026-11-24T00:00:00Z")
      ->check(Iso8601Validator());
  sub->add_option("--limit", options->limit, "page size")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--cursor", options->cursor, "continue after a previous page's next cursor");
  sub->add_flag("--json", options->json, R"(print {"records":[...],"next_cursor":"..."})");
  sub->callback([options, command] {
    *command = [options](std::ostream& out) { return RunList(*options, out); };
  });
}

void AddSweep(CLI::App& store, Command* command) {
  auto options = std::make_shared<SweepOptions>();
  CLI::App* sub = store.add_subcommand("sweep",
                                       "apply retention now: drop old payloads, erase "
                                       "expired tombstones");
  AddStoreOption(*sub, &options->store_url);
  sub->add_flag("--json", options->json, "print the counts as one JSON object");
  sub->callback([options, command] {
    *command = [options](std::ostream& out) { return RunSweep(*options, out); };
  });
}

}  // namespace

void AddStoreCommands(CLI::App& app, Command* command) {
  CLI::App* store = app.add_subcommand("store", "inspect and maintain a store");
  store->require_subcommand(1);
  AddGet(*store, command);
  AddList(*store, command);
  AddSweep(*store, command);
}

}  // namespace hookfence::cli
