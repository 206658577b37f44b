#include "src/cli/store_commands.h"

#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <string>

#include "hookfence/store.h"
#include "src/cli/record_format.h"
#include "src/cli/store_flags.h"

namespace hookfence::cli {
namespace {

struct GetOptions {
  std::string store_url;
  std::string key;
  bool json = false;
};

struct ListOptions {
  std::string store_url;
  ListFlags flags;
  bool json = false;
};

struct SweepOptions {
  std::string store_url;
  bool json = false;
};

struct MigrateOptions {
  std::string store_url;
  bool json = false;
};

Status RunGet(const GetOptions& options, std::ostream& out) {
  return PrintStoredRecord(options.store_url, options.key, options.json, out);
}

Status RunList(const ListOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(ListFilter filter, MakeListFilter(options.flags));
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
  PrintRecordPage(page.records, page.next_cursor, out);
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

Status RunMigrate(const MigrateOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(SchemaReport report, MigrateStore(options.store_url));
  if (options.json) {
    boost::json::array applied;
    for (const std::string& name : report.applied) applied.emplace_back(name);
    out << boost::json::serialize(boost::json::object{{"version_before", report.version_before},
                                                      {"version_after", report.version_after},
                                                      {"applied", std::move(applied)}})
        << '\n';
    return Status::Ok();
  }
  for (const std::string& name : report.applied) out << "applied " << name << '\n';
  if (report.applied.empty()) {
    out << "schema is up to date (version " << report.version_after << ")\n";
  } else {
    out << "schema version " << report.version_before << " -> " << report.version_after << '\n';
  }
  return Status::Ok();
}

void AddStoreOption(CLI::App& sub, std::string* url) {
  sub.add_option("--store", *url,
                 "store URL: sqlite://PATH, postgres://…, redis://…, mysql://… or memory://")
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
  AddListFlags(*sub, &options->flags);
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

void AddMigrate(CLI::App& app, Command* command) {
  auto options = std::make_shared<MigrateOptions>();
  CLI::App* sub = app.add_subcommand(
      "migrate",
      "apply the store's schema migrations and exit (serve applies them too; run this before a "
      "rolling upgrade)");
  AddStoreOption(*sub, &options->store_url);
  sub->add_flag("--json", options->json, "print what was applied as one JSON object");
  sub->callback([options, command] {
    *command = [options](std::ostream& out) { return RunMigrate(*options, out); };
  });
}

}  // namespace

void AddStoreCommands(CLI::App& app, Command* command) {
  CLI::App* store = app.add_subcommand("store", "inspect and maintain a store");
  store->require_subcommand(1);
  AddGet(*store, command);
  AddList(*store, command);
  AddSweep(*store, command);
  AddMigrate(app, command);
}

}  // namespace hookfence::cli
