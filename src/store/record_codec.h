// Binary encodings of a record's compound fields (headers, attempt log, response) for backends
// that store them as blobs. Format: little-endian fixed-width integers and length-prefixed
// strings, with a leading version byte so later releases can read older rows.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hookfence/record.h"
#include "hookfence/result.h"

namespace hookfence::store::internal {

std::string EncodeHeaders(const Headers& headers);
Result<Headers> DecodeHeaders(std::string_view bytes);

std::string EncodeAttemptLog(const std::vector<Attempt>& log);
Result<std::vector<Attempt>> DecodeAttemptLog(std::string_view bytes);

std::string EncodeResponse(const Response& response);
Result<Response> DecodeResponse(std::string_view bytes);

}  // namespace hookfence::store::internal
