#include "src/store/redis_scripts.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <utility>

#include "src/store/record_codec.h"

namespace hookfence::store::internal {
namespace {

// Shared by every script. A record's hash P:r:<key> holds:
//   fp fingerprint, drv 0 dispatcher | 1 caller, st 0 PENDING | 1 IN_PROGRESS | 2 COMPLETED |
//   3 DEAD, seq, fence, lease lease_until, att attempts, due due_at, ok ordering key, rcv
//   received_at, upd updated_at, fin finished_at, err last_error, logc attempts ever logged and
//   l0..l19 the attempt log as a ring (entry logc-1 is in l<(logc-1) % 20>, each
//   "at|fence|status|latency|error"), tomb "1" for a tombstone, resp the stored response
//   (record_codec), body and hdrs the payload (absent once retention dropped it).
// Times are decimal microseconds; an absent field is an unset optional. Numbers are written
// with %d: Lua's tostring would round a microsecond timestamp to 14 digits.
constexpr char kPrelude[] = R"lua(
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local function fmt(n) return string.format('%d', n) end
local function num(v) if v then return tonumber(v) end return nil end
local function rkey(key) return P .. ':r:' .. key end
local function source_of(key) return string.match(key, '^([^:]*)') end
local function group(rec) return P .. ':o:' .. source_of(rec.key) .. ':' .. rec.ok end
local function dead_group(rec) return P .. ':d:' .. source_of(rec.key) .. ':' .. rec.ok end
local function member(rec) return string.rep('0', 20 - #rec.seq) .. rec.seq .. rec.key end

local FIELDS = {'fp', 'drv', 'st', 'seq', 'fence', 'lease', 'att', 'due', 'ok', 'fin', 'tomb',
                'logc'}
-- The fields transitions read, or nil when the key has no record.
local function load(key)
  local v = redis.call('HMGET', rkey(key), unpack(FIELDS))
  if not v[3] then return nil end
  return {key = key, fp = v[1], drv = tonumber(v[2]), st = tonumber(v[3]), seq = v[4],
          fence = v[5], lease = num(v[6]), att = tonumber(v[7]), due = num(v[8]),
          ok = v[9] or '', fin = num(v[10]), tomb = v[11] == '1', logc = num(v[12]) or 0}
end

-- Removes the record from the indexes its state puts it in; index() puts it back.
local function unindex(rec)
  if rec.drv == 0 then
    if rec.st == 0 then redis.call('ZREM', P .. ':due', member(rec))
    elseif rec.st == 1 then redis.call('ZREM', P .. ':leased', member(rec)) end
  end
  if rec.ok ~= '' then
    if rec.st <= 1 then redis.call('ZREM', group(rec), rec.key)
    elseif rec.st == 3 then redis.call('ZREM', dead_group(rec), rec.key) end
  end
  if rec.st >= 2 then
    if rec.tomb then redis.call('ZREM', P .. ':ft', rec.key)
    elseif rec.st == 2 then redis.call('ZREM', P .. ':fc', rec.key)
    else redis.call('ZREM', P .. ':fd', rec.key) end
  end
end

local function index(rec)
  if rec.drv == 0 then
    if rec.st == 0 then redis.call('ZADD', P .. ':due', fmt(rec.due), member(rec))
    elseif rec.st == 1 then redis.call('ZADD', P .. ':leased', fmt(rec.lease), member(rec)) end
  end
  if rec.ok ~= '' then
    if rec.st <= 1 then redis.call('ZADD', group(rec), rec.seq, rec.key)
    elseif rec.st == 3 then redis.call('ZADD', dead_group(rec), rec.seq, rec.key) end
  end
  if rec.st >= 2 then
    if rec.tomb then redis.call('ZADD', P .. ':ft', fmt(rec.fin), rec.key)
    elseif rec.st == 2 then redis.call('ZADD', P .. ':fc', fmt(rec.fin), rec.key)
    else redis.call('ZADD', P .. ':fd', fmt(rec.fin), rec.key) end
  end
end

-- Writes the fields a transition may change; updated_at becomes now.
local function save(rec)
  local k = rkey(rec.key)
  redis.call('HSET', k, 'drv', rec.drv, 'st', rec.st, 'fence', rec.fence, 'att', fmt(rec.att),
             'upd', ARGV[2], 'logc', fmt(rec.logc))
  local gone = {}
  for _, f in ipairs({'lease', 'due', 'fin'}) do
    if rec[f] then redis.call('HSET', k, f, fmt(rec[f])) else table.insert(gone, f) end
  end
  if rec.tomb then redis.call('HSET', k, 'tomb', '1') end
  if #gone > 0 then redis.call('HDEL', k, unpack(gone)) end
end

local function append_attempt(rec, entry)
  redis.call('HSET', rkey(rec.key), 'l' .. fmt(rec.logc % 20), entry)
  rec.logc = rec.logc + 1
end

local function lapsed(rec, skew)
  return rec.st == 1 and rec.lease ~= nil and rec.lease + skew <= NOW
end

-- Fence + 1 and a new lease; a lapsed lease counts as the holder's lost attempt.
local function take_over(rec, lease, skew)
  if lapsed(rec, skew) then
    rec.att = rec.att + 1
    append_attempt(rec, fmt(NOW) .. '|' .. rec.fence .. '|0|0|lease expired')
  end
  rec.fence = fmt(tonumber(rec.fence) + 1)
  rec.st = 1
  rec.lease = NOW + lease
  rec.due = nil
end

-- A new record's fixed fields, seq, counters and listing indexes.
local function create(rec, fp, body, hdrs)
  rec.seq = fmt(redis.call('INCR', P .. ':seq'))
  redis.call('HSET', rkey(rec.key), 'fp', fp, 'seq', rec.seq, 'ok', rec.ok, 'rcv', ARGV[2],
             'err', '', 'body', body, 'hdrs', hdrs)
  redis.call('INCR', P .. ':count')
  redis.call('ZADD', P .. ':all', rec.seq, rec.key)
  redis.call('ZADD', P .. ':s:' .. source_of(rec.key), rec.seq, rec.key)
  save(rec)
  index(rec)
end

local function at_capacity(capacity)
  return capacity > 0 and tonumber(redis.call('GET', P .. ':count') or '0') >= capacity
end

local function erase(rec)
  unindex(rec)
  redis.call('DEL', rkey(rec.key))
  redis.call('ZREM', P .. ':all', rec.key)
  redis.call('ZREM', P .. ':s:' .. source_of(rec.key), rec.key)
  redis.call('DECR', P .. ':count')
end

-- The owner's checks: nil when `fence` is current and the record IN_PROGRESS.
local function owner_error(rec, fence)
  if not rec then return {'notfound'} end
  if rec.st ~= 1 or rec.fence ~= fence then return {'aborted'} end
  return nil
end

-- Every field of a record as name, value pairs (HGETALL's shape), `names` only when given.
local function fields_of(key, names)
  if not names then return redis.call('HGETALL', rkey(key)) end
  local v = redis.call('HMGET', rkey(key), unpack(names))
  local out = {}
  for i, name in ipairs(names) do
    if v[i] then
      table.insert(out, name)
      table.insert(out, v[i])
    end
  end
  return out
end
)lua";

// ARGV: prefix, now, key, fingerprint, lease ('' = none), ordering key, body, headers, capacity.
// Returns {outcome, seq, fence, lease_until}.
constexpr char kAccept[] = R"lua(
local key = ARGV[3]
local v = redis.call('HMGET', rkey(key), 'fp', 'seq')
if v[1] then
  if v[1] == ARGV[4] then return {'duplicate', v[2]} end
  return {'mismatch', v[2]}
end
if at_capacity(tonumber(ARGV[9])) then return {'full'} end
local rec = {key = key, drv = 0, att = 0, ok = ARGV[6], logc = 0, tomb = false, seq = ''}
-- An unfinished earlier record of the ordering group goes first: this one waits in the queue.
local blocked = rec.ok ~= '' and redis.call('ZCARD', group(rec)) > 0
local outcome
if ARGV[5] ~= '' and not blocked then
  rec.st, rec.fence, rec.lease, outcome = 1, '1', NOW + tonumber(ARGV[5]), 'inserted'
else
  rec.st, rec.fence, rec.due, outcome = 0, '0', NOW, 'queued'
end
create(rec, ARGV[4], ARGV[7], ARGV[8])
return {outcome, rec.seq, rec.fence, rec.lease and fmt(rec.lease) or ''}
)lua";

// ARGV: prefix, now, key, fingerprint, lease, body, headers, capacity, max_clock_skew.
// Returns {outcome, ...}: acquired fence lease_until | inprogress until | completed response.
constexpr char kBegin[] = R"lua(
local key = ARGV[3]
local lease, skew = tonumber(ARGV[5]), tonumber(ARGV[9])
local rec = load(key)
if rec then
  if rec.fp ~= ARGV[4] then return {'mismatch'} end
  if rec.st == 2 then return {'completed', redis.call('HGET', rkey(key), 'resp')} end
  if rec.st == 3 then return {'dead'} end
  if rec.st == 0 then
    -- A caller-driven retry is the caller's to take at once; a dispatcher's waits for ClaimDue.
    if rec.drv ~= 1 then return {'inprogress', rec.due and fmt(rec.due) or ''} end
  elseif not (rec.drv == 1 and lapsed(rec, skew)) then
    return {'inprogress', rec.lease and fmt(rec.lease) or ''}
  end
  unindex(rec)
  take_over(rec, lease, skew)
  save(rec)
  index(rec)
  return {'acquired', rec.fence, fmt(rec.lease)}
end
if at_capacity(tonumber(ARGV[8])) then return {'full'} end
rec = {key = key, drv = 1, st = 1, fence = '1', lease = NOW + lease, att = 0, ok = '', logc = 0,
       tomb = false, seq = ''}
create(rec, ARGV[4], ARGV[6], ARGV[7])
return {'acquired', rec.fence, fmt(rec.lease)}
)lua";

// ARGV: prefix, now, limit, lease, max_clock_skew, most candidates to examine.
// Returns {{passed_dead_predecessor '1' | '0', key, {the record's fields}}, ...}: the due PENDING
// records and the lapsed leases, merged by the time they became claimable (then by seq).
constexpr char kClaimDue[] = R"lua(
local limit, lease, skew = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local budget = tonumber(ARGV[6])
local page = math.max(limit, 64)
local lists = {
  {set = P .. ':due', bound = NOW, shift = 0, skipped = 0, done = false, items = {}, next = 1},
  {set = P .. ':leased', bound = NOW - skew, shift = skew, skipped = 0, done = false, items = {},
   next = 1},
}
local claims = {}
-- A window of the next `page` entries of a set; a set read to its end keeps what is left of its
-- last window.
local function fetch(list)
  if list.done then return end
  list.items, list.next = {}, 1
  -- Claimed records leave the range; only the ones held back stay in front of the window.
  local got = redis.call('ZRANGEBYSCORE', list.set, '-inf', fmt(list.bound), 'WITHSCORES',
                         'LIMIT', list.skipped, page)
  for i = 1, #got, 2 do
    table.insert(list.items, {m = got[i], at = tonumber(got[i + 1]) + list.shift})
  end
  list.done = #list.items < page
end
local function before(a, b)
  if a.at ~= b.at then return a.at < b.at end
  return a.m < b.m
end
while #claims < limit and budget > 0 and not (lists[1].done and lists[2].done) do
  fetch(lists[1])
  fetch(lists[2])
  while #claims < limit and budget > 0 do
    local a, b = lists[1].items[lists[1].next], lists[2].items[lists[2].next]
    -- A window used up while its set may hold more: fetch again before going on.
    if (not a and not lists[1].done) or (not b and not lists[2].done) then break end
    if not a and not b then break end
    local list = lists[2]
    if a and (not b or before(a, b)) then list = lists[1] end
    local c = list.items[list.next]
    list.next = list.next + 1
    budget = budget - 1
    local rec = load(string.sub(c.m, 21))
    local claimable = rec and rec.drv == 0 and
        ((rec.st == 0 and rec.due and rec.due <= NOW) or lapsed(rec, skew))
    if not rec then
      redis.call('ZREM', list.set, c.m)  -- a stale entry: nothing to hand out
    elseif not claimable then
      list.skipped = list.skipped + 1
    else
      local dead = '0'
      local blocked = false
      if rec.ok ~= '' then
        local first = redis.call('ZRANGE', group(rec), 0, 0, 'WITHSCORES')
        blocked = first[2] ~= nil and tonumber(first[2]) < tonumber(rec.seq)
        if not blocked and redis.call('ZCOUNT', dead_group(rec), '-inf', '(' .. rec.seq) > 0 then
          dead = '1'
        end
      end
      if blocked then
        list.skipped = list.skipped + 1
      else
        unindex(rec)
        take_over(rec, lease, skew)
        save(rec)
        index(rec)
        table.insert(claims, {dead, rec.key, fields_of(rec.key)})
      end
    end
  end
end
return claims
)lua";

// ARGV: prefix, now, key, fence, attempt entry, has response '1' | '0', response, ttl (ms).
constexpr char kComplete[] = R"lua(
local rec = load(ARGV[3])
local refused = owner_error(rec, ARGV[4])
if refused then return refused end
unindex(rec)
rec.att = rec.att + 1
append_attempt(rec, ARGV[5])
rec.st, rec.lease, rec.due, rec.fin = 2, nil, nil, NOW
save(rec)
index(rec)
if ARGV[6] == '1' then
  redis.call('HSET', rkey(rec.key), 'resp', ARGV[7])
else
  redis.call('HDEL', rkey(rec.key), 'resp')
end
-- A safety net only: Sweep erases the record long before, by the caller's clock.
redis.call('PEXPIRE', rkey(rec.key), ARGV[8])
return {'ok'}
)lua";

// ARGV: prefix, now, key, fence, attempt entry, error, dead '1' | '0', retry_at, ttl (ms).
constexpr char kFail[] = R"lua(
local rec = load(ARGV[3])
local refused = owner_error(rec, ARGV[4])
if refused then return refused end
local dead = ARGV[7] == '1'
if dead and rec.drv == 1 then return {'precondition'} end
unindex(rec)
rec.att = rec.att + 1
append_attempt(rec, ARGV[5])
redis.call('HSET', rkey(rec.key), 'err', ARGV[6])
rec.lease = nil
if dead then
  rec.st, rec.due, rec.fin = 3, nil, NOW
else
  rec.st, rec.due = 0, tonumber(ARGV[8])
end
save(rec)
index(rec)
if dead then redis.call('PEXPIRE', rkey(rec.key), ARGV[9]) end
return {'ok'}
)lua";

// ARGV: prefix, now, key, fence, lease. Returns {'ok', lease_until}.
constexpr char kRenew[] = R"lua(
local rec = load(ARGV[3])
local refused = owner_error(rec, ARGV[4])
if refused then return refused end
unindex(rec)
rec.lease = NOW + tonumber(ARGV[5])
save(rec)
index(rec)
return {'ok', fmt(rec.lease)}
)lua";

// ARGV: prefix, now, key, fence.
constexpr char kRelease[] = R"lua(
local rec = load(ARGV[3])
local refused = owner_error(rec, ARGV[4])
if refused then return refused end
unindex(rec)
rec.st, rec.lease, rec.due = 0, nil, NOW
save(rec)
index(rec)
return {'ok'}
)lua";

// ARGV: prefix, now, key. Returns {'ok'} | {'notfound'} | {'precondition', why}.
constexpr char kReplay[] = R"lua(
local rec = load(ARGV[3])
if not rec then return {'notfound'} end
if rec.drv ~= 0 then
  return {'precondition', 'only dispatcher-driven records can be replayed'}
end
if rec.st < 2 then return {'precondition', 'the record is still pending or in progress'} end
if rec.tomb or redis.call('HEXISTS', rkey(rec.key), 'body') == 0 then
  return {'precondition', 'the payload was dropped by retention; nothing to replay'}
end
unindex(rec)
rec.st, rec.att, rec.due, rec.fin = 0, 0, NOW, nil
save(rec)
index(rec)
redis.call('HDEL', rkey(rec.key), 'resp')
redis.call('PERSIST', rkey(rec.key))
return {'ok'}
)lua";

// ARGV: prefix, now, key.
constexpr char kPurge[] = R"lua(
local rec = load(ARGV[3])
if not rec then return {'notfound'} end
erase(rec)
return {'ok'}
)lua";

// ARGV: prefix, now, retention, dead_retention, key_retention, chunk. One chunk of retention,
// oldest first. Returns {payloads dropped, records erased, records examined}.
constexpr char kSweep[] = R"lua(
local retention, dead_retention = tonumber(ARGV[3]), tonumber(ARGV[4])
local key_retention, chunk = tonumber(ARGV[5]), tonumber(ARGV[6])
local dropped, erased, examined = 0, 0, 0
local function sweep(set, life)
  if examined >= chunk then return end
  local keys = redis.call('ZRANGEBYSCORE', set, '-inf', fmt(NOW - life), 'LIMIT', 0,
                          chunk - examined)
  for _, key in ipairs(keys) do
    examined = examined + 1
    local rec = load(key)
    if not rec then
      -- The safety-net TTL took the record: forget it everywhere its key alone reaches.
      redis.call('ZREM', set, key)
      redis.call('ZREM', P .. ':all', key)
      redis.call('ZREM', P .. ':s:' .. source_of(key), key)
      redis.call('DECR', P .. ':count')
    else
      local payload_life = retention
      if rec.st == 3 then payload_life = dead_retention end
      local expired = rec.fin ~= nil and rec.fin + payload_life <= NOW
      if expired and rec.fin + key_retention <= NOW then
        erase(rec)
        erased = erased + 1
      elseif expired and not rec.tomb then
        unindex(rec)
        redis.call('HDEL', rkey(key), 'body', 'hdrs', 'resp')
        rec.tomb = true
        save(rec)
        index(rec)
        dropped = dropped + 1
      end
    end
  end
end
sweep(P .. ':fc', retention)
sweep(P .. ':fd', dead_retention)
sweep(P .. ':ft', key_retention)
return {dropped, erased, examined}
)lua";

// ARGV: prefix, now. Returns {due, pending, leased, dead}: one snapshot.
constexpr char kCountQueues[] = R"lua(
return {redis.call('ZCOUNT', P .. ':due', '-inf', ARGV[2]), redis.call('ZCARD', P .. ':due'),
        redis.call('ZCARD', P .. ':leased'), redis.call('ZCARD', P .. ':fd')}
)lua";

// ARGV: prefix, now, after seq, records wanted, state ('' any), source ('' any), since ('' none),
// until ('' none), most records to examine. Returns {last seq examined, '1' when nothing is
// left after it, {{record fields}, ...}}; records without payload or response.
constexpr char kList[] = R"lua(
local wanted, budget = tonumber(ARGV[4]), tonumber(ARGV[9])
local state, since, before = num(ARGV[5]), num(ARGV[7]), num(ARGV[8])
local set = P .. ':all'
if ARGV[6] ~= '' then set = P .. ':s:' .. ARGV[6] end
local names = {'fp', 'drv', 'st', 'seq', 'fence', 'lease', 'att', 'due', 'ok', 'rcv', 'upd',
               'fin', 'err', 'logc', 'tomb'}
for i = 0, 19 do table.insert(names, 'l' .. i) end
local got = redis.call('ZRANGEBYSCORE', set, '(' .. ARGV[3], '+inf', 'WITHSCORES', 'LIMIT', 0,
                       budget)
local records, last = {}, ARGV[3]
local finished = #got / 2 < budget
for i = 1, #got, 2 do
  local key = got[i]
  last = got[i + 1]
  local v = redis.call('HMGET', rkey(key), 'st', 'rcv')
  local st, rcv = tonumber(v[1]), num(v[2])
  if st and (not state or st == state) and (not since or rcv >= since) and
      (not before or rcv < before) then
    local record = fields_of(key, names)
    table.insert(record, 'key')
    table.insert(record, key)
    table.insert(records, record)
    if #records >= wanted then
      finished = false
      break
    end
  end
end
return {last, finished and '1' or '0', records}
)lua";

// ARGV: prefix, now, expected version, new version, new readable_by. Returns 1 when written, 0
// when another process changed the layout first (plan again).
constexpr char kSetLayout[] = R"lua(
local current = redis.call('HGET', P .. ':layout', 'version') or '0'
if current ~= ARGV[3] then return 0 end
redis.call('HSET', P .. ':layout', 'version', ARGV[4], 'readable_by', ARGV[5])
return 1
)lua";

struct ScriptText {
  const char* name;
  const char* body;
};

constexpr std::array<ScriptText, kRedisScriptCount> kScripts = {{
    {"accept", kAccept},
    {"begin", kBegin},
    {"claim_due", kClaimDue},
    {"complete", kComplete},
    {"fail", kFail},
    {"renew", kRenew},
    {"release", kRelease},
    {"replay", kReplay},
    {"purge", kPurge},
    {"sweep", kSweep},
    {"count_queues", kCountQueues},
    {"list", kList},
    {"set_layout", kSetLayout},
}};

Status Corrupt(std::string_view field) {
  return InternalError("corrupt record field '" + std::string(field) + "' in redis");
}

Result<long long> Integer(std::string_view field, std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return Corrupt(field);
  }
  return value;
}

Result<Attempt> DecodeAttempt(std::string_view text) {
  std::array<long long, 4> numbers{};
  for (long long& number : numbers) {
    const auto bar = text.find('|');
    if (bar == std::string_view::npos) return Corrupt("attempt log");
    HF_ASSIGN_OR_RETURN(number, Integer("attempt log", text.substr(0, bar)));
    text.remove_prefix(bar + 1);
  }
  return Attempt{FromMicros(numbers[0]), static_cast<std::uint64_t>(numbers[1]),
                 static_cast<int>(numbers[2]), std::string(text), Duration(numbers[3])};
}

}  // namespace

const std::string& RedisScriptSource(RedisScript script) {
  static const std::array<std::string, kRedisScriptCount> sources = [] {
    std::array<std::string, kRedisScriptCount> out;
    for (int i = 0; i < kRedisScriptCount; ++i) out[i] = std::string(kPrelude) + kScripts[i].body;
    return out;
  }();
  return sources[static_cast<int>(script)];
}

const char* RedisScriptName(RedisScript script) { return kScripts[static_cast<int>(script)].name; }

// "at|fence|status|latency|error": what the scripts append to the attempt log.
std::string EncodeRedisAttempt(const Attempt& a) {
  return std::to_string(ToMicros(a.at)) + "|" + std::to_string(a.fence) + "|" +
         std::to_string(a.status) + "|" + std::to_string(a.latency.count()) + "|" + a.error;
}

// A record from its fields as name, value pairs (an HGETALL reply or the scripts' equivalent).
// The payload and response are there only when the pairs hold them.
Result<Record> ParseRedisRecord(std::string key, ReplyView pairs) {
  std::map<std::string_view, std::string_view> f;
  for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) f[pairs[i].str()] = pairs[i + 1].str();
  auto required = [&](const char* name) -> Result<long long> {
    auto it = f.find(name);
    if (it == f.end()) return Corrupt(name);
    return Integer(name, it->second);
  };
  auto optional_time = [&](const char* name) -> Result<std::optional<Timestamp>> {
    auto it = f.find(name);
    if (it == f.end()) return std::optional<Timestamp>();
    HF_ASSIGN_OR_RETURN(long long micros, Integer(name, it->second));
    return std::optional<Timestamp>(FromMicros(micros));
  };
  auto text = [&](const char* name) {
    auto it = f.find(name);
    return it == f.end() ? std::string() : std::string(it->second);
  };
  Record r;
  r.key = std::move(key);
  r.fingerprint = text("fp");
  HF_ASSIGN_OR_RETURN(long long driver, required("drv"));
  HF_ASSIGN_OR_RETURN(long long state, required("st"));
  if (driver < 0 || driver > 1) return Corrupt("drv");
  if (state < 0 || state > 3) return Corrupt("st");
  r.driver = static_cast<Driver>(driver);
  r.state = static_cast<State>(state);
  HF_ASSIGN_OR_RETURN(long long seq, required("seq"));
  HF_ASSIGN_OR_RETURN(long long fence, required("fence"));
  HF_ASSIGN_OR_RETURN(long long attempts, required("att"));
  HF_ASSIGN_OR_RETURN(long long received, required("rcv"));
  HF_ASSIGN_OR_RETURN(long long updated, required("upd"));
  r.seq = static_cast<std::uint64_t>(seq);
  r.fence = static_cast<std::uint64_t>(fence);
  r.attempts = static_cast<std::uint32_t>(attempts);
  r.received_at = FromMicros(received);
  r.updated_at = FromMicros(updated);
  HF_ASSIGN_OR_RETURN(r.lease_until, optional_time("lease"));
  HF_ASSIGN_OR_RETURN(r.due_at, optional_time("due"));
  HF_ASSIGN_OR_RETURN(r.finished_at, optional_time("fin"));
  r.ordering_key = text("ok");
  r.last_error = text("err");
  r.tombstone = text("tomb") == "1";
  // The log is a ring of kAttemptLogSize fields; entry logc - 1 is the newest.
  long long logged = 0;
  if (f.contains("logc")) {
    HF_ASSIGN_OR_RETURN(logged, required("logc"));
  }
  const long long ring = static_cast<long long>(kAttemptLogSize);
  for (long long i = std::max(0LL, logged - ring); i < logged; ++i) {
    auto it = f.find("l" + std::to_string(i % ring));
    if (it == f.end()) return Corrupt("attempt log");
    HF_ASSIGN_OR_RETURN(Attempt attempt, DecodeAttempt(it->second));
    r.attempt_log.push_back(std::move(attempt));
  }
  if (auto it = f.find("resp"); it != f.end()) {
    HF_ASSIGN_OR_RETURN(r.response, internal::DecodeResponse(it->second));
  }
  if (auto it = f.find("body"); it != f.end()) {
    Payload payload;
    payload.body = std::string(it->second);
    if (auto h = f.find("hdrs"); h != f.end()) {
      HF_ASSIGN_OR_RETURN(payload.headers, internal::DecodeHeaders(h->second));
    }
    r.payload = std::move(payload);
  }
  return r;
}

}  // namespace hookfence::store::internal
