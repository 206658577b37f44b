#include "src/store/record_codec.h"

#include <cstdint>
#include <cstring>

namespace hookfence::store::internal {
namespace {

constexpr char kFormatVersion = 1;

class Encoder {
 public:
  Encoder() { out_.push_back(kFormatVersion); }
  void U64(std::uint64_t v) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    out_.append(bytes, 8);
  }
  void I64(std::int64_t v) { U64(static_cast<std::uint64_t>(v)); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {
    if (in_.empty() || in_[0] != kFormatVersion) {
      ok_ = false;
    } else {
      in_.remove_prefix(1);
    }
  }
  std::uint64_t U64() {
    if (in_.size() < 8) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    in_.remove_prefix(8);
    return v;
  }
  std::int64_t I64() { return static_cast<std::int64_t>(U64()); }
  std::string Str() {
    std::uint64_t n = U64();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  // Counts are bounded by the bytes left so a corrupt count cannot allocate wildly.
  std::uint64_t Count() {
    std::uint64_t n = U64();
    if (n > in_.size()) ok_ = false;
    return ok_ ? n : 0;
  }
  Status Done() const {
    if (!ok_ || !in_.empty()) return InternalError("corrupt record field in store");
    return Status::Ok();
  }

 private:
  std::string_view in_;
  bool ok_ = true;
};

void PutHeaders(Encoder& e, const Headers& headers) {
  e.U64(headers.size());
  for (const auto& [name, value] : headers) {
    e.Str(name);
    e.Str(value);
  }
}

Headers GetHeaders(Decoder& d) {
  Headers headers;
  std::uint64_t n = d.Count();
  headers.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string name = d.Str();
    std::string value = d.Str();
    headers.emplace_back(std::move(name), std::move(value));
  }
  return headers;
}

}  // namespace

std::string EncodeHeaders(const Headers& headers) {
  Encoder e;
  PutHeaders(e, headers);
  return e.Take();
}

Result<Headers> DecodeHeaders(std::string_view bytes) {
  Decoder d(bytes);
  Headers headers = GetHeaders(d);
  HF_RETURN_IF_ERROR(d.Done());
  return headers;
}

std::string EncodeAttemptLog(const std::vector<Attempt>& log) {
  Encoder e;
  e.U64(log.size());
  for (const Attempt& a : log) {
    e.I64(ToMicros(a.at));
    e.U64(a.fence);
    e.I64(a.status);
    e.Str(a.error);
    e.I64(a.latency.count());
  }
  return e.Take();
}

Result<std::vector<Attempt>> DecodeAttemptLog(std::string_view bytes) {
  Decoder d(bytes);
  std::vector<Attempt> log;
  std::uint64_t n = d.Count();
  for (std::uint64_t i = 0; i < n; ++i) {
    Attempt a;
    a.at = FromMicros(d.I64());
    a.fence = d.U64();
    a.status = static_cast<int>(d.I64());
    a.error = d.Str();
    a.latency = Duration(d.I64());
    log.push_back(std::move(a));
  }
  HF_RETURN_IF_ERROR(d.Done());
  return log;
}

std::string EncodeResponse(const Response& response) {
  Encoder e;
  e.I64(response.status);
  PutHeaders(e, response.headers);
  e.Str(response.body);
  return e.Take();
}

Result<Response> DecodeResponse(std::string_view bytes) {
  Decoder d(bytes);
  Response response;
  response.status = static_cast<int>(d.I64());
  response.headers = GetHeaders(d);
  response.body = d.Str();
  HF_RETURN_IF_ERROR(d.Done());
  return response;
}

}  // namespace hookfence::store::internal
