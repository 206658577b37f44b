#include "hookfence/status.h"

#include <gtest/gtest.h>

#include "hookfence/result.h"

namespace hookfence {
namespace {

Status FailsWhen(bool fail) {
  if (fail) return UnavailableError("down");
  return Status::Ok();
}

Status Chain(bool fail, int* reached) {
  HF_RETURN_IF_ERROR(FailsWhen(fail));
  ++*reached;
  return Status::Ok();
}

Result<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgumentError("odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  HF_ASSIGN_OR_RETURN(int half, Half(n));
  HF_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusTest, CodesAndMessages) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status::Ok().ToString(), "OK");
  Status s = AbortedError("stale fence");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(s.ToString(), "ABORTED: stale fence");
  EXPECT_EQ(StatusCodeName(StatusCode::kResourceExhausted), "RESOURCE_EXHAUSTED");
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstError) {
  int reached = 0;
  EXPECT_TRUE(Chain(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(Chain(true, &reached).code(), StatusCode::kUnavailable);
  EXPECT_EQ(reached, 1);
}

TEST(ResultTest, AssignOrReturnPropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Quarter(3).status().message(), "odd");
  EXPECT_EQ(Half(3).ValueOr(-1), -1);
}

TEST(ResultDeathTest, ValueOfAnErrorAborts) {
  Result<int> r = InternalError("x");
  EXPECT_DEATH((void)r.value(), "check failed");
}

}  // namespace
}  // namespace hookfence
