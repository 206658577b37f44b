#include "src/store/store_url.h"

#include <gtest/gtest.h>

#include "hookfence/store.h"
#include "testing/scratch_dir.h"

namespace hookfence::store {
namespace {

TEST(StoreUrlTest, SqlitePathsAreLiteral) {
  auto relative = ParseStoreUrl("sqlite://hookfence.db");
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(relative->backend, Backend::kSqlite);
  EXPECT_EQ(relative->path, "hookfence.db");
  auto absolute = ParseStoreUrl("sqlite:///var/lib/hookfence/hookfence.db");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->path, "/var/lib/hookfence/hookfence.db");
  EXPECT_EQ(ParseStoreUrl("memory://")->backend, Backend::kMemory);
}

TEST(StoreUrlTest, BadUrlsGetPreciseErrors) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c : {Case{"", "no scheme"}, Case{"hookfence.db", "no scheme"},
                        Case{"sqlite://", "needs a file path"}, Case{"memory://x", "takes no path"},
                        Case{"ftp://x", "unknown store scheme 'ftp'"},
                        Case{"postgres://u@h/db", "not available in this build"}}) {
    auto parsed = ParseStoreUrl(c.url);
    ASSERT_FALSE(parsed.ok()) << c.url;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(parsed.status().message().find(c.says), std::string::npos)
        << c.url << ": " << parsed.status();
  }
}

TEST(OpenStoreTest, OpensEachBackendAndReportsWhatFails) {
  testing::ScratchDir dir;
  EXPECT_TRUE(OpenStore("memory://").ok());
  EXPECT_TRUE(OpenStore("sqlite://" + dir.File("a.db")).ok());
  EXPECT_EQ(OpenStore("bogus").status().code(), StatusCode::kInvalidArgument);
  auto missing_dir = OpenStore("sqlite://" + dir.File("no/such/dir/a.db"));
  EXPECT_EQ(missing_dir.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(missing_dir.status().message().find("no/such/dir/a.db"), std::string::npos);
  StoreOptions no_clock;
  no_clock.clock = nullptr;
  EXPECT_EQ(OpenStore("memory://", no_clock).status().code(), StatusCode::kInvalidArgument);
  // Durations that would overflow timestamps are refused, not wrapped around.
  StoreOptions huge;
  huge.retention = kMaxDuration + std::chrono::hours(1);
  EXPECT_EQ(OpenStore("memory://", huge).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hookfence::store
