#include "src/cli/store_flags.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <system_error>

#include "src/cli/iso8601.h"
#include "src/cli/record_format.h"
#include "src/store/store_url.h"

namespace hookfence::cli {
namespace {

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

}  // namespace

Result<std::unique_ptr<Store>> OpenExistingStore(std::string_view url) {
  HF_RETURN_IF_ERROR(CheckSqliteFileExists(url));
  return OpenStore(url);
}

CLI::Validator Iso8601Validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Result<Timestamp> parsed = ParseIso8601(text);
        return parsed.ok() ? std::string() : parsed.status().message();
      },
      "ISO8601", "ISO-8601 UTC time");
}

void AddListFlags(CLI::App& sub, ListFlags* flags) {
  sub.add_option("--state", flags->state, "only records in this state")
      ->check(CLI::IsMember({"pending", "in_progress", "completed", "dead"}));
  sub.add_option("--source", flags->source, "only records of this source");
  sub.add_option("--since", flags->since, "received at or after, e.g. 2026-11-23T00:00:00Z")
      ->check(Iso8601Validator());
  sub.add_option("--until", flags->until, "received before, e.g. 2026-11-24T00:00:00Z")
      ->check(Iso8601Validator());
  sub.add_option("--limit", flags->limit, "page size")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub.add_option("--cursor", flags->cursor, "continue after a previous page's next cursor");
}

Result<ListFilter> MakeListFilter(const ListFlags& flags) {
  ListFilter filter;
  if (!flags.state.empty()) {
    filter.state = ParseState(flags.state);
    if (!filter.state) return InvalidArgumentError("unknown state '" + flags.state + "'");
  }
  filter.source = flags.source;
  if (!flags.since.empty()) {
    HF_ASSIGN_OR_RETURN(filter.since, ParseIso8601(flags.since));
  }
  if (!flags.until.empty()) {
    HF_ASSIGN_OR_RETURN(filter.until, ParseIso8601(flags.until));
  }
  filter.limit = flags.limit;
  filter.cursor = flags.cursor;
  return filter;
}

Status PrintStoredRecord(std::string_view url, std::string_view key, bool json, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(auto store, OpenExistingStore(url));
  Result<Record> record = store->Get(key);
  if (record.status().code() == StatusCode::kNotFound) {
    return NotFoundError(fmt::format("no record for key '{}'", key));
  }
  HF_RETURN_IF_ERROR(record.status());
  if (json) {
    out << boost::json::serialize(RecordToJson(*record, Detail::kFull)) << '\n';
  } else {
    out << FormatRecordText(*record);
  }
  return Status::Ok();
}

void PrintRecordPage(const std::vector<Record>& records, std::string_view next_cursor,
                     std::ostream& out) {
  if (records.empty()) {
    out << "no records match\n";
  } else {
    out << FormatRecordTable(records);
  }
  if (!next_cursor.empty()) {
    out << "next cursor: " << next_cursor << "  (repeat with --cursor " << next_cursor << ")\n";
  }
}

}  // namespace hookfence::cli
