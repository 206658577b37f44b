#include "src/cli/record_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/cli/display_text.h"
#include "src/cli/iso8601.h"

namespace hookfence::cli {
namespace {

// Enough of an error to recognise it in a table row; `store get` shows all of it.
constexpr std::size_t kTableErrorBytes = 48;

std::string OptionalTimeText(const std::optional<Timestamp>& t) {
  return t ? FormatIso8601(*t) : "-";
}

std::string OrDash(std::string_view text) { return text.empty() ? "-" : TerminalSafe(text); }

std::string LatencyText(Duration latency) {
  return fmt::format("{:.1f} ms", static_cast<double>(latency.count()) / 1000.0);
}

std::string HeadersText(const Headers& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    out += fmt::format("    {}: {}\n", TerminalSafe(name), TerminalSafe(value));
  }
  return out;
}

boost::json::value OptionalTimeJson(const std::optional<Timestamp>& t) {
  if (!t) return nullptr;
  return boost::json::string(FormatIso8601(*t));
}

boost::json::string JsonText(std::string_view text) { return boost::json::string(Utf8Safe(text)); }

// An array of {"name", "value"} objects: header names repeat, so an object keyed by name would
// lose values.
boost::json::array HeadersJson(const Headers& headers) {
  boost::json::array out;
  for (const auto& [name, value] : headers) {
    out.push_back(boost::json::object{{"name", JsonText(name)}, {"value", JsonText(value)}});
  }
  return out;
}

boost::json::array AttemptLogJson(const std::vector<Attempt>& log) {
  boost::json::array out;
  for (const Attempt& attempt : log) {
    out.push_back(boost::json::object{{"at", FormatIso8601(attempt.at)},
                                      {"fence", attempt.fence},
                                      {"status", attempt.status},
                                      {"error", JsonText(attempt.error)},
                                      {"latency_us", attempt.latency.count()}});
  }
  return out;
}

// Prefixes every line of `text` with `prefix`.
std::string Indent(std::string_view text, std::string_view prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size() - 1);
    out += prefix;
    out += text.substr(start, end - start + 1);
    start = end + 1;
  }
  return out;
}

std::string AttemptLogText(const std::vector<Attempt>& log) {
  std::vector<std::vector<std::string>> rows = {{"#", "at", "fence", "status", "latency", "error"}};
  for (std::size_t i = 0; i < log.size(); ++i) {
    const Attempt& attempt = log[i];
    rows.push_back({std::to_string(i + 1), FormatIso8601(attempt.at), std::to_string(attempt.fence),
                    attempt.status == 0 ? "-" : std::to_string(attempt.status),
                    LatencyText(attempt.latency), TerminalSafe(attempt.error)});
  }
  return Indent(FormatTable(rows), "  ");
}

// "label:" padded to one width, so the values line up.
void AddField(std::string* out, std::string_view label, std::string_view value) {
  *out += fmt::format("{:<14}{}\n", fmt::format("{}:", label), value);
}

}  // namespace

std::string FormatRecordText(const Record& record) {
  std::string out;
  AddField(&out, "key", record.key);
  AddField(&out, "source", record.source());
  AddField(&out, "event id", record.event_id());
  AddField(&out, "state", StateName(record.state));
  AddField(&out, "driver", DriverName(record.driver));
  AddField(&out, "seq", std::to_string(record.seq));
  AddField(&out, "fence", std::to_string(record.fence));
  AddField(&out, "attempts", std::to_string(record.attempts));
  AddField(&out, "lease_until", OptionalTimeText(record.lease_until));
  AddField(&out, "due_at", OptionalTimeText(record.due_at));
  AddField(&out, "ordering_key", OrDash(record.ordering_key));
  AddField(&out, "received_at", FormatIso8601(record.received_at));
  AddField(&out, "updated_at", FormatIso8601(record.updated_at));
  AddField(&out, "finished_at", OptionalTimeText(record.finished_at));
  AddField(&out, "last_error", OrDash(record.last_error));
  AddField(&out, "fingerprint", record.fingerprint);
  AddField(&out, "tombstone",
           record.tombstone ? "yes (payload and response dropped by retention)" : "no");
  if (record.payload) {
    AddField(&out, "payload",
             fmt::format("{} bytes, {} headers", record.payload->body.size(),
                         record.payload->headers.size()));
    out += HeadersText(record.payload->headers);
  } else {
    AddField(&out, "payload", "none");
  }
  if (record.response) {
    AddField(&out, "response",
             fmt::format("status {}, {} bytes, {} headers", record.response->status,
                         record.response->body.size(), record.response->headers.size()));
    out += HeadersText(record.response->headers);
  } else {
    AddField(&out, "response", "none");
  }
  AddField(
      &out, "attempt log",
      fmt::format("{} (the store keeps the last {})", record.attempt_log.size(), kAttemptLogSize));
  if (!record.attempt_log.empty()) out += AttemptLogText(record.attempt_log);
  return out;
}

std::string FormatRecordTable(const std::vector<Record>& records) {
  std::vector<std::vector<std::string>> rows = {
      {"seq", "key", "state", "attempts", "fence", "received_at", "last_error"}};
  for (const Record& record : records) {
    rows.push_back({std::to_string(record.seq), record.key, std::string(StateName(record.state)),
                    std::to_string(record.attempts), std::to_string(record.fence),
                    FormatIso8601(record.received_at),
                    Shorten(TerminalSafe(record.last_error), kTableErrorBytes)});
  }
  return FormatTable(rows);
}

boost::json::object RecordToJson(const Record& record, Detail detail) {
  boost::json::object out{
      {"key", JsonText(record.key)},
      {"source", JsonText(record.source())},
      {"event_id", JsonText(record.event_id())},
      {"state", StateName(record.state)},
      {"driver", DriverName(record.driver)},
      {"seq", record.seq},
      {"fence", record.fence},
      {"attempts", record.attempts},
      {"lease_until", OptionalTimeJson(record.lease_until)},
      {"due_at", OptionalTimeJson(record.due_at)},
      {"ordering_key", JsonText(record.ordering_key)},
      {"received_at", FormatIso8601(record.received_at)},
      {"updated_at", FormatIso8601(record.updated_at)},
      {"finished_at", OptionalTimeJson(record.finished_at)},
      {"last_error", JsonText(record.last_error)},
      {"fingerprint", JsonText(record.fingerprint)},
      {"tombstone", record.tombstone},
      {"attempt_log", AttemptLogJson(record.attempt_log)},
  };
  if (detail == Detail::kFull) {
    if (record.payload) {
      out["payload"] = boost::json::object{{"size", record.payload->body.size()},
                                           {"headers", HeadersJson(record.payload->headers)}};
    } else {
      out["payload"] = nullptr;
    }
    if (record.response) {
      out["response"] = boost::json::object{{"status", record.response->status},
                                            {"size", record.response->body.size()},
                                            {"headers", HeadersJson(record.response->headers)}};
    } else {
      out["response"] = nullptr;
    }
  }
  return out;
}

}  // namespace hookfence::cli
