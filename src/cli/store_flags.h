// What the `store` and `events` commands share: opening a store that must already exist, the
// flags that filter a listing, and a page of records as text.
// Thread-safety: functions are reentrant; flag structs belong to one command line.
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/store.h"

namespace CLI {
class App;
class Validator;
}  // namespace CLI

namespace hookfence::cli {

// Opens `url` like OpenStore, except that an sqlite:// file that does not exist is kNotFound
// (naming the path) rather than created: for an inspection tool a mistyped path must not show an
// empty store.
Result<std::unique_ptr<Store>> OpenExistingStore(std::string_view url);

// Accepts what ParseIso8601 accepts, so a bad --since is a usage error with CLI11's message.
CLI::Validator Iso8601Validator();

// The flags of a listing, as typed.
struct ListFlags {
  std::string state;
  std::string source;
  std::string since;
  std::string until;
  std::size_t limit = 100;
  std::string cursor;
};

// Adds --state, --source, --since, --until, --limit and --cursor to `sub`, writing into `*flags`
// (which must outlive parsing).
void AddListFlags(CLI::App& sub, ListFlags* flags);

// The store filter the flags describe; kInvalidArgument for an unknown state or a bad time.
Result<ListFilter> MakeListFilter(const ListFlags& flags);

// Prints the record under `key` in the store at `url`: FormatRecordText, or with `json`
// RecordToJson's full object on one line. kNotFound naming the key when there is none.
Status PrintStoredRecord(std::string_view url, std::string_view key, bool json, std::ostream& out);

// A page as a table ("no records match" when empty), then how to ask for the next page.
void PrintRecordPage(const std::vector<Record>& records, std::string_view next_cursor,
                     std::ostream& out);

}  // namespace hookfence::cli
