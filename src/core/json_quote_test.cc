#include "src/core/json_quote.h"

#include <gtest/gtest.h>

namespace hookfence::internal {
namespace {

TEST(JsonQuoteTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(JsonQuote("abc"), R"("abc")");
  EXPECT_EQ(JsonQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonQuote(std::string("\n\r\t\b\f\x01\x1f", 7)), R"("\n\r\t\b\f\u0001\u001f")");
  EXPECT_EQ(JsonQuote("Caf\xc3\xa9 </script>"), "\"Caf\xc3\xa9 </script>\"");
}

}  // namespace
}  // namespace hookfence::internal
