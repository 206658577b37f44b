#include "tests/chaos/store_faults.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

extern char** environ;

namespace hookfence::chaos {
namespace {

std::string FillerPath(const std::string& dir) { return dir + "/filler"; }

}  // namespace

Result<std::unique_ptr<TmpfsStoreDir>> TmpfsStoreDir::Mount(std::string dir, std::uint64_t bytes) {
  const std::string data = "size=" + std::to_string(bytes) + ",mode=0700";
  if (mount("hookfence-chaos", dir.c_str(), "tmpfs", 0, data.c_str()) != 0) {
    return UnavailableError("mount -t tmpfs on " + dir + ": " + std::strerror(errno));
  }
  return std::unique_ptr<TmpfsStoreDir>(new TmpfsStoreDir(std::move(dir)));
}

TmpfsStoreDir::~TmpfsStoreDir() { umount2(dir_.c_str(), MNT_DETACH); }

Result<std::uint64_t> TmpfsStoreDir::Fill() {
  const std::string path = FillerPath(dir_);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("open " + path + ": " + std::strerror(errno));
  // Large writes first, then single pages, then bytes: tmpfs hands out whole pages, so the last
  // partial page is taken too.
  std::vector<char> block(1 << 20, 'x');
  std::uint64_t written = 0;
  for (std::size_t size : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{1}}) {
    for (;;) {
      const ssize_t n = write(fd, block.data(), size);
      if (n <= 0) break;
      written += static_cast<std::uint64_t>(n);
    }
  }
  const int error = errno;
  close(fd);
  if (error != ENOSPC) return UnavailableError("filling " + path + ": " + std::strerror(error));
  return written;
}

void TmpfsStoreDir::Free() { unlink(FillerPath(dir_).c_str()); }

std::uint64_t TmpfsStoreDir::UsedBytes() const {
  struct statvfs info {};
  if (statvfs(dir_.c_str(), &info) != 0) return 0;
  return static_cast<std::uint64_t>(info.f_blocks - info.f_bfree) * info.f_frsize;
}

Result<std::unique_ptr<StoreLock>> StoreLock::Take(const std::string& db_path, Duration timeout) {
  // This very program, even if its file was replaced since it started.
  char self[] = "/proc/self/exe";
  int to_child[2];
  int from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0) return UnavailableError("pipe failed");
  if (pipe2(from_child, O_CLOEXEC) != 0) {
    close(to_child[0]);
    close(to_child[1]);
    return UnavailableError("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  // Sockets of this process (the sink's listener) are not close-on-exec: keep them out.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  const std::string flag = "--hold-lock=" + db_path;
  char* argv[] = {self, const_cast<char*>(flag.c_str()), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, self, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(to_child[0]);
  close(from_child[1]);
  if (spawned != 0) {
    close(to_child[1]);
    close(from_child[0]);
    return UnavailableError("cannot start the lock holder");
  }
  std::unique_ptr<StoreLock> lock(new StoreLock(pid, to_child[1]));
  std::string said;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (said.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{from_child[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[256];
    const ssize_t n = read(from_child[0], chunk, sizeof chunk);
    if (n <= 0) break;
    said.append(chunk, static_cast<std::size_t>(n));
  }
  close(from_child[0]);
  if (said.rfind("locked\n", 0) != 0) {
    kill(pid, SIGKILL);  // the destructor waits for it
    return UnavailableError("the lock holder did not take the lock: " + said);
  }
  return lock;
}

StoreLock::~StoreLock() {
  close(to_child_);
  waitpid(pid_, nullptr, 0);
}

int HoldLockMain(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::printf("error: cannot open %s: %s\n", db_path.c_str(), sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  sqlite3_busy_timeout(db, 60000);
  if (sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::printf("error: BEGIN EXCLUSIVE: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  std::printf("locked\n");
  std::fflush(stdout);
  char chunk[256];
  while (read(STDIN_FILENO, chunk, sizeof chunk) > 0) {
  }
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return 0;
}

}  // namespace hookfence::chaos
