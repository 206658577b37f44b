// Fuzzes event-id extraction from JSON bodies and from headers (src/providers/event_id.h), and the
// top-level member reader beneath it (json_fields.h).
//
// Input: the first line is the member / header name to look for; the rest is a request laid out
// as in fuzz/fuzz_input.h (headers, an empty line, the body).
// Besides "no crash, no sanitizer report", it checks that a kOk id is a valid event id and that
// the body and header lookups agree with ReadTopLevelFields and CheckedEventId.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "hookfence/keys.h"
#include "src/providers/event_id.h"
#include "src/providers/json_fields.h"

namespace {

void CheckId(const hookfence::EventIdResult& result) {
  using Kind = hookfence::EventIdResult::Kind;
  if (result.kind == Kind::kOk && !hookfence::ValidateEventId(result.id).ok()) std::abort();
  if (result.kind != Kind::kOk && result.message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hookfence;
  using Kind = EventIdResult::Kind;
  std::string_view text = fuzz::AsText(data, size);
  const std::size_t end = text.find('\n');
  const std::string name(text.substr(0, end));
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  const fuzz::FuzzRequest request = fuzz::SplitRequest(text);

  EventIdResult from_body = providers::EventIdFromJsonBody(request.body, name);
  CheckId(from_body);
  // Names must be distinct (for a repeated name, only its last position is filled).
  std::vector<std::string_view> names = {name};
  for (std::string_view other : {"id", "event_id", "type"}) {
    if (other != name && names.size() < 3) names.push_back(other);
  }
  std::vector<providers::JsonField> fields(names.size());
  const Status read = providers::ReadTopLevelFields(request.body, names, fields);
  // The same body read with more names at once answers the same for the first one.
  const bool malformed = !read.ok() || fields[0].count > 1;
  if (malformed != (from_body.kind == Kind::kMalformedBody)) std::abort();
  if (from_body.kind == Kind::kOk &&
      (fields[0].kind != providers::JsonField::Kind::kString || fields[0].value != from_body.id)) {
    std::abort();
  }

  EventIdResult from_header = providers::EventIdFromHeader(request.headers, name);
  CheckId(from_header);
  CheckId(providers::EventIdFromHeader(request.headers, names));
  EventIdResult checked = providers::CheckedEventId(name, "the fuzz input");
  CheckId(checked);
  if ((checked.kind == Kind::kOk) != ValidateEventId(name).ok()) std::abort();
  return 0;
}
