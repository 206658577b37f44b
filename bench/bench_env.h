// What every benchmark in bench/ shares: a scratch directory on the disk under test and a
// realistic webhook.
//
// The scratch directory is where SQLite files and the raw fdatasync file live, so that the store
// and the raw durability limit are measured on the same file system. It is made under $TMPDIR (or
// /tmp) on first use and removed, with everything in it, when the program exits.
// Thread-safety: BenchDir() may be called from any thread; the payload is an immutable value.
#pragma once

#include <filesystem>
#include <string>

#include "hookfence/record.h"

namespace hookfence::bench {

// The process's scratch directory (created on first call).
const std::filesystem::path& BenchDir();

// A fresh path in BenchDir() for a file whose name starts with `prefix`; nothing is created.
std::filesystem::path NewBenchFile(const std::string& prefix);

// Removes `path` and the files SQLite keeps beside it (-wal, -shm, -journal).
void RemoveSqliteFiles(const std::filesystem::path& path);

// A ~1.5 KB JSON event with the headers a provider sends, as a gateway would hand it to a store.
const Payload& WebhookPayload();

}  // namespace hookfence::bench
