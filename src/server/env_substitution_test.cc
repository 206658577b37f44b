#include "src/server/env_substitution.h"

#include <gtest/gtest.h>

#include <map>

namespace hookfence::server::internal {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

std::string Substituted(std::string_view text, const EnvLookup& env) {
  Result<std::string> out = SubstituteEnv(text, env);
  EXPECT_TRUE(out.ok()) << text << ": " << out.status();
  return out.ValueOr("<error>");
}

TEST(SubstituteEnvTest, PlainTextIsUnchanged) {
  const EnvLookup env = FakeEnv({});
  EXPECT_EQ(Substituted("", env), "");
  EXPECT_EQ(Substituted("whsec_abc", env), "whsec_abc");
  EXPECT_EQ(Substituted("a$b $ c$", env), "a$b $ c$");
}

TEST(SubstituteEnvTest, References) {
  const EnvLookup env = FakeEnv({{"A", "1"}, {"B_2", "two"}, {"EMPTY", ""}});
  EXPECT_EQ(Substituted("${A}", env), "1");
  EXPECT_EQ(Substituted("x${A}y${B_2}z${A}", env), "x1ytwoz1");
  EXPECT_EQ(Substituted("${EMPTY}", env), "");
}

TEST(SubstituteEnvTest, Defaults) {
  const EnvLookup env = FakeEnv({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(Substituted("${A:-fallback}", env), "1");
  EXPECT_EQ(Substituted("${UNSET:-fallback}", env), "fallback");
  EXPECT_EQ(Substituted("${EMPTY:-fallback}", env), "fallback");
  EXPECT_EQ(Substituted("${UNSET:-}", env), "");
  EXPECT_EQ(Substituted("${UNSET:-a:-b $x}", env), "a:-b $x");
  EXPECT_EQ(Substituted("${UNSET:-${A}", env), "${A");  // the default ends at the first '}'
}

TEST(SubstituteEnvTest, DollarDollarIsOneDollar) {
  const EnvLookup env = FakeEnv({{"A", "1"}});
  EXPECT_EQ(Substituted("$$", env), "$");
  EXPECT_EQ(Substituted("$${A}", env), "${A}");
  EXPECT_EQ(Substituted("$$$${A}", env), "$${A}");
  EXPECT_EQ(Substituted("$$${A}", env), "$1");
}

TEST(SubstituteEnvTest, UnsetWithoutDefaultIsAnError) {
  Result<std::string> out = SubstituteEnv("x${MISSING}", FakeEnv({}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(),
            "environment variable MISSING is not set (use ${MISSING:-default} for a default)");
}

TEST(SubstituteEnvTest, MalformedReferences) {
  const EnvLookup env = FakeEnv({{"A", "1"}});
  for (std::string_view text :
       {"${", "${A", "${}", "${1A}", "${A-x}", "${A:x}", "${A B}", "${-}"}) {
    Result<std::string> out = SubstituteEnv(text, env);
    ASSERT_FALSE(out.ok()) << text;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace hookfence::server::internal
