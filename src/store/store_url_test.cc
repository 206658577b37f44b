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
  for (const Case& c :
       {Case{"", "no scheme"}, Case{"hookfence.db", "no scheme"},
        Case{"sqlite://", "needs a file path"}, Case{"memory://x", "takes no path"},
        Case{"ftp://x", "unknown store scheme 'ftp'"}, Case{"postgres://u@h:0/db", "port '0'"},
        Case{"redis://h:99999/0", "port '99999'"}, Case{"mysql://u@h:x/db", "port 'x'"},
        Case{"postgres://u@h/db?a=1&a=2", "option 'a' is given twice"},
        Case{"postgres://u:%zz@h/db", "two hex digits"},
        Case{"postgres://u:%4@h/db", "two hex digits"}}) {
    auto parsed = ParseStoreUrl(c.url);
    ASSERT_FALSE(parsed.ok()) << c.url;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(parsed.status().message().find(c.says), std::string::npos)
        << c.url << ": " << parsed.status();
  }
}

TEST(StoreUrlTest, NetworkUrlsSplitIntoDecodedParts) {
  auto pg = ParseStoreUrl("postgres://hook%40fence:p%3Ass%2Fw@db.example:6543/events?pool=16&x=");
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_EQ(pg->backend, Backend::kPostgres);
  EXPECT_EQ(pg->user, "hook@fence");
  EXPECT_EQ(pg->password, "p:ss/w");
  EXPECT_EQ(pg->host, "db.example");
  EXPECT_EQ(pg->port, 6543);
  EXPECT_EQ(pg->database, "events");
  EXPECT_EQ(pg->options, (std::map<std::string, std::string>{{"pool", "16"}, {"x", ""}}));
  EXPECT_EQ(ParseStoreUrl("postgresql://h/db")->backend, Backend::kPostgres);

  auto redis = ParseStoreUrl("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(redis.ok());
  EXPECT_EQ(redis->backend, Backend::kRedis);
  EXPECT_EQ(redis->host, "127.0.0.1");
  EXPECT_EQ(redis->port, 6380);
  EXPECT_EQ(redis->database, "2");
  EXPECT_TRUE(redis->user.empty());

  auto mysql = ParseStoreUrl("mysql://root@[::1]/hf");
  ASSERT_TRUE(mysql.ok());
  EXPECT_EQ(mysql->backend, Backend::kMysql);
  EXPECT_EQ(mysql->host, "::1");
  EXPECT_EQ(mysql->port, 0);
  EXPECT_EQ(mysql->user, "root");
  EXPECT_EQ(mysql->database, "hf");
}

TEST(StoreUrlTest, RedactionHidesOnlyThePassword) {
  EXPECT_EQ(RedactStoreUrl("postgres://u:secret@h:5432/db?pool=2"),
            "postgres://u:***@h:5432/db?pool=2");
  EXPECT_EQ(RedactStoreUrl("mysql://u:p@ss@h/db"), "mysql://u:***@h/db");
  EXPECT_EQ(RedactStoreUrl("redis://h:6379/0"), "redis://h:6379/0");
  EXPECT_EQ(RedactStoreUrl("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_EQ(RedactStoreUrl("sqlite://a.db"), "sqlite://a.db");
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
