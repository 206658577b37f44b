// hookfence_raw_sqlite_insert: the embedded store's raw limit (docs/benchmarks.md §4): how many
// webhook-sized rows per second bare SQLite makes durable, with nothing of hookfence around it.
//
//   hookfence_raw_sqlite_insert [--seconds 5] [--batches 16,64,256]
//
// For each batch size B, in a fresh database in the bench scratch directory ($TMPDIR or /tmp):
// WAL, synchronous=FULL (a commit returns once its WAL frames are fdatasync'ed, as in the
// SQLite store), the store writer's cache size; a rowid table with a UNIQUE key index; then, for
// --seconds, transactions of B inserts of a new key with the 1.6 KB sample event as the row.
// Prints one JSON line per batch size: {"batch":B,"rows_per_s":R,"commits_per_s":C}.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_env.h"

namespace hookfence::bench {
namespace {

bool Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "hookfence_raw_sqlite_insert: %s: %s\n", sql, error);
    sqlite3_free(error);
    return false;
  }
  return true;
}

bool Measure(int batch, double seconds) {
  const std::filesystem::path path = NewBenchFile("raw-sqlite");
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::fprintf(stderr, "hookfence_raw_sqlite_insert: cannot open %s\n", path.c_str());
    sqlite3_close(db);
    return false;
  }
  bool ok = Exec(db, "PRAGMA journal_mode = WAL") && Exec(db, "PRAGMA synchronous = FULL") &&
            Exec(db, "PRAGMA cache_size = -65536") &&
            Exec(db,
                 "CREATE TABLE events (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, "
                 "fingerprint TEXT NOT NULL, received_at INTEGER NOT NULL, body BLOB NOT NULL)");
  sqlite3_stmt* insert = nullptr;
  ok = ok && sqlite3_prepare_v2(db,
                                "INSERT INTO events (key, fingerprint, received_at, body) "
                                "VALUES (?, ?, ?, ?)",
                                -1, &insert, nullptr) == SQLITE_OK;
  const std::string& body = WebhookPayload().body;
  const std::string fingerprint(64, 'f');
  std::uint64_t rows = 0;
  std::uint64_t commits = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(seconds));
  while (ok && std::chrono::steady_clock::now() < end) {
    ok = Exec(db, "BEGIN IMMEDIATE");
    for (int i = 0; ok && i < batch; ++i) {
      const std::string key = "hooks:evt_raw_" + std::to_string(rows + static_cast<unsigned>(i));
      sqlite3_bind_text(insert, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 2, fingerprint.data(), static_cast<int>(fingerprint.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(insert, 3, static_cast<sqlite3_int64>(rows));
      sqlite3_bind_blob(insert, 4, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      ok = sqlite3_step(insert) == SQLITE_DONE;
      sqlite3_reset(insert);
    }
    ok = ok && Exec(db, "COMMIT");
    if (ok) {
      rows += static_cast<std::uint64_t>(batch);
      ++commits;
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);
  RemoveSqliteFiles(path);
  if (!ok) {
    std::fprintf(stderr, "hookfence_raw_sqlite_insert: an insert failed (batch %d)\n", batch);
    return false;
  }
  std::printf("{\"batch\":%d,\"rows_per_s\":%.0f,\"commits_per_s\":%.0f}\n", batch,
              static_cast<double>(rows) / elapsed, static_cast<double>(commits) / elapsed);
  std::fflush(stdout);
  return true;
}

}  // namespace
}  // namespace hookfence::bench

int main(int argc, char** argv) {
  double seconds = 5;
  std::vector<int> batches = {16, 64, 256};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::strtod(argv[i + 1], nullptr);
    } else if (flag == "--batches") {
      batches.clear();
      std::stringstream list(argv[i + 1]);
      std::string item;
      while (std::getline(list, item, ',')) batches.push_back(std::atoi(item.c_str()));
    } else {
      std::fputs("usage: hookfence_raw_sqlite_insert [--seconds S] [--batches 16,64,256]\n",
                 stderr);
      return 2;
    }
  }
  if (argc % 2 == 0 || seconds <= 0) return 2;
  for (int batch : batches) {
    if (batch < 1 || !hookfence::bench::Measure(batch, seconds)) return 1;
  }
  return 0;
}
