// ScratchDir: a fresh directory for one test's files, removed with everything in it afterwards.
//
// Lives under $TMPDIR (or /tmp). Thread-safety: a value owned by one test.
#pragma once

#include <string>

namespace hookfence::testing {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace hookfence::testing
