#include "hookfence/record.h"

namespace hookfence {

std::string_view StateName(State state) {
  switch (state) {
    case State::kPending:
      return "pending";
    case State::kInProgress:
      return "in_progress";
    case State::kCompleted:
      return "completed";
    case State::kDead:
      return "dead";
  }
  return "unknown";
}

std::string_view DriverName(Driver driver) {
  return driver == Driver::kDispatcher ? "dispatcher" : "caller";
}

std::optional<State> ParseState(std::string_view name) {
  for (State s : {State::kPending, State::kInProgress, State::kCompleted, State::kDead}) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view Record::source() const {
  std::string_view k = key;
  return k.substr(0, k.find(':'));
}

std::string_view Record::event_id() const {
  std::string_view k = key;
  auto colon = k.find(':');
  return colon == std::string_view::npos ? std::string_view() : k.substr(colon + 1);
}

}  // namespace hookfence
