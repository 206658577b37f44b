#include "src/cli/admin_client.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <cstdint>
#include <optional>
#include <utility>

#include "src/cli/iso8601.h"

namespace hookfence::cli {
namespace {

// Parsed bodies are placeholders of their size (see RecordFromJson); a size past this is no
// webhook and would only make the placeholder exhaust memory.
constexpr std::size_t kMaxBodyBytes = std::size_t{1} << 30;

Status Malformed(std::string_view field) {
  return InternalError(
      fmt::format("unexpected answer from the gateway: \"{}\" is missing or malformed", field));
}

Result<std::string> TextField(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return Malformed(name);
  return std::string(value->get_string());
}

template <typename T>
Result<T> NumberField(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr) return Malformed(name);
  boost::json::error_code error;
  const T number = value->to_number<T>(error);
  if (error) return Malformed(name);
  return number;
}

Result<std::optional<Timestamp>> OptionalTimeField(const boost::json::object& object,
                                                   std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value != nullptr && value->is_null()) return std::optional<Timestamp>();
  if (value == nullptr || !value->is_string()) return Malformed(name);
  Result<Timestamp> time = ParseIso8601(value->get_string());
  if (!time.ok()) return Malformed(name);
  return std::optional<Timestamp>(*time);
}

Result<Timestamp> TimeField(const boost::json::object& object, std::string_view name) {
  HF_ASSIGN_OR_RETURN(std::optional<Timestamp> time, OptionalTimeField(object, name));
  if (!time) return Malformed(name);
  return *time;
}

Result<Headers> HeadersField(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_array()) return Malformed(name);
  Headers headers;
  for (const boost::json::value& header : value->get_array()) {
    if (!header.is_object()) return Malformed(name);
    HF_ASSIGN_OR_RETURN(std::string header_name, TextField(header.get_object(), "name"));
    HF_ASSIGN_OR_RETURN(std::string header_value, TextField(header.get_object(), "value"));
    headers.emplace_back(std::move(header_name), std::move(header_value));
  }
  return headers;
}

// The object under `name`, nullptr when it is null or (a summary) absent.
Result<const boost::json::object*> OptionalObjectField(const boost::json::object& object,
                                                       std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return static_cast<const boost::json::object*>(nullptr);
  if (!value->is_object()) return Malformed(name);
  return &value->get_object();
}

Result<std::vector<Attempt>> AttemptLogField(const boost::json::object& object) {
  const boost::json::value* value = object.if_contains("attempt_log");
  if (value == nullptr || !value->is_array()) return Malformed("attempt_log");
  std::vector<Attempt> log;
  for (const boost::json::value& entry : value->get_array()) {
    if (!entry.is_object()) return Malformed("attempt_log");
    const boost::json::object& fields = entry.get_object();
    Attempt attempt;
    HF_ASSIGN_OR_RETURN(attempt.at, TimeField(fields, "at"));
    HF_ASSIGN_OR_RETURN(attempt.fence, NumberField<std::uint64_t>(fields, "fence"));
    HF_ASSIGN_OR_RETURN(attempt.status, NumberField<int>(fields, "status"));
    HF_ASSIGN_OR_RETURN(attempt.error, TextField(fields, "error"));
    HF_ASSIGN_OR_RETURN(const auto latency, NumberField<std::int64_t>(fields, "latency_us"));
    attempt.latency = Duration(latency);
    log.push_back(std::move(attempt));
  }
  return log;
}

}  // namespace

Result<AdminEndpoint> MakeAdminEndpoint(std::string_view url, std::string token) {
  HF_ASSIGN_OR_RETURN(server::Url base, server::ParseUrl(url));
  // The API's paths start with '/', so a prefix keeps no trailing one.
  while (!base.target.empty() && base.target.back() == '/') base.target.pop_back();
  return AdminEndpoint{std::move(base), std::move(token), /*requested_by=*/""};
}

Result<AdminAnswer> AdminCall(const AdminEndpoint& endpoint, std::string_view method,
                              std::string_view target) {
  server::Url url = endpoint.base;
  url.target += target;
  Headers headers;
  if (!endpoint.token.empty()) headers.emplace_back("Authorization", "Bearer " + endpoint.token);
  if (!endpoint.requested_by.empty()) {
    headers.emplace_back("Hookfence-Operator", endpoint.requested_by);
  }
  HF_ASSIGN_OR_RETURN(server::HttpResponse response,
                      server::SendRequest(method, url, headers, /*body=*/""));
  AdminAnswer answer;
  answer.status = response.status;
  answer.body = std::move(response.body);
  boost::json::error_code error;
  answer.json = boost::json::parse(answer.body, error);
  if (error) {
    return InternalError(
        fmt::format("the gateway answered {} without JSON: is {}:{} a hookfence gateway?",
                    answer.status, endpoint.base.host, endpoint.base.port));
  }
  return answer;
}

Status CheckAnswer(const AdminAnswer& answer) {
  if (answer.status >= 200 && answer.status <= 299) return Status::Ok();
  std::string code = "error";
  std::string message;
  if (const boost::json::object* body = answer.json.if_object()) {
    if (auto text = TextField(*body, "error"); text.ok()) code = *text;
    if (auto text = TextField(*body, "message"); text.ok()) message = *text;
  }
  const std::string text = fmt::format("the gateway answered {} {}: {}", answer.status, code,
                                       message.empty() ? "no message" : message);
  switch (answer.status) {
    case 400:
      return InvalidArgumentError(text);
    case 401:
      return Status(StatusCode::kUnauthenticated,
                    text + " (check --token / HOOKFENCE_ADMIN_TOKEN)");
    case 404:
      return NotFoundError(text);
    case 409:
      return FailedPreconditionError(text);
    case 429:
      return ResourceExhaustedError(text);
    case 503:
      return UnavailableError(text);
    default:
      return InternalError(text);
  }
}

Result<Record> RecordFromJson(const boost::json::value& json) {
  if (!json.is_object()) return Malformed("record");
  const boost::json::object& object = json.get_object();
  Record record;
  HF_ASSIGN_OR_RETURN(record.key, TextField(object, "key"));
  HF_ASSIGN_OR_RETURN(record.fingerprint, TextField(object, "fingerprint"));
  HF_ASSIGN_OR_RETURN(const std::string driver, TextField(object, "driver"));
  if (driver == DriverName(Driver::kCaller)) {
    record.driver = Driver::kCaller;
  } else if (driver != DriverName(Driver::kDispatcher)) {
    return Malformed("driver");
  }
  HF_ASSIGN_OR_RETURN(const std::string state, TextField(object, "state"));
  const std::optional<State> parsed_state = ParseState(state);
  if (!parsed_state) return Malformed("state");
  record.state = *parsed_state;
  HF_ASSIGN_OR_RETURN(record.seq, NumberField<std::uint64_t>(object, "seq"));
  HF_ASSIGN_OR_RETURN(record.fence, NumberField<std::uint64_t>(object, "fence"));
  HF_ASSIGN_OR_RETURN(record.attempts, NumberField<std::uint32_t>(object, "attempts"));
  HF_ASSIGN_OR_RETURN(record.lease_until, OptionalTimeField(object, "lease_until"));
  HF_ASSIGN_OR_RETURN(record.due_at, OptionalTimeField(object, "due_at"));
  HF_ASSIGN_OR_RETURN(record.ordering_key, TextField(object, "ordering_key"));
  HF_ASSIGN_OR_RETURN(record.received_at, TimeField(object, "received_at"));
  HF_ASSIGN_OR_RETURN(record.updated_at, TimeField(object, "updated_at"));
  HF_ASSIGN_OR_RETURN(record.finished_at, OptionalTimeField(object, "finished_at"));
  HF_ASSIGN_OR_RETURN(record.last_error, TextField(object, "last_error"));
  const boost::json::value* tombstone = object.if_contains("tombstone");
  if (tombstone == nullptr || !tombstone->is_bool()) return Malformed("tombstone");
  record.tombstone = tombstone->get_bool();
  HF_ASSIGN_OR_RETURN(record.attempt_log, AttemptLogField(object));
  HF_ASSIGN_OR_RETURN(const boost::json::object* payload, OptionalObjectField(object, "payload"));
  if (payload != nullptr) {
    HF_ASSIGN_OR_RETURN(const auto size, NumberField<std::size_t>(*payload, "size"));
    if (size > kMaxBodyBytes) return Malformed("payload");
    HF_ASSIGN_OR_RETURN(Headers headers, HeadersField(*payload, "headers"));
    record.payload = Payload{std::string(size, '\0'), std::move(headers)};
  }
  HF_ASSIGN_OR_RETURN(const boost::json::object* response, OptionalObjectField(object, "response"));
  if (response != nullptr) {
    HF_ASSIGN_OR_RETURN(const int status, NumberField<int>(*response, "status"));
    HF_ASSIGN_OR_RETURN(const auto size, NumberField<std::size_t>(*response, "size"));
    if (size > kMaxBodyBytes) return Malformed("response");
    HF_ASSIGN_OR_RETURN(Headers headers, HeadersField(*response, "headers"));
    record.response = Response{status, std::move(headers), std::string(size, '\0')};
  }
  return record;
}

}  // namespace hookfence::cli
