// tests/test_data_rows.cpp — row selection in dataset specs: `:skip=N` drops the first N rows,
// `:limit=N` keeps the first N after that, so `:limit=K` and `:skip=K` split a dataset in two.
#include <gtest/gtest.h>

#include "rbm/rbm.hpp"

namespace rbm {
namespace {

TEST(DataRows, SkipAndLimitSplitADatasetInTwo) {
  const Dataset all = load_dataset("bas:3");  // 14 rows
  const Dataset first = load_dataset("bas:3:limit=5");
  const Dataset rest = load_dataset("bas:3:skip=5");
  const Dataset middle = load_dataset("bas:3:skip=5:limit=4");
  ASSERT_EQ(first.n_samples + rest.n_samples, all.n_samples);
  ASSERT_EQ(middle.n_samples, 4u);
  const std::size_t D = static_cast<std::size_t>(all.n_visible);
  EXPECT_TRUE(std::equal(first.values.begin(), first.values.end(), all.values.begin()));
  EXPECT_TRUE(std::equal(rest.values.begin(), rest.values.end(), all.values.begin() + 5 * D));
  EXPECT_TRUE(std::equal(middle.values.begin(), middle.values.end(), all.values.begin() + 5 * D));
  EXPECT_EQ(rest.image_height, all.image_height);
}

TEST(DataRows, SkippingEverythingIsAClearError) {
  try {
    load_dataset("bas:3:skip=14");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("bas:3:skip=14"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_dataset("bas:3:skip=-1"), InvalidArgument);
  EXPECT_THROW(load_dataset("bas:3:skip=1:skip=2"), InvalidArgument);
}

TEST(DataRows, LabelsFollowTheirRows) {
  const Dataset all = load_dataset("glyphs:3");  // 30 rows, labels 0..9
  const Dataset rest = load_dataset("glyphs:3:skip=7");
  ASSERT_EQ(rest.labels.size(), all.labels.size() - 7);
  EXPECT_TRUE(std::equal(rest.labels.begin(), rest.labels.end(), all.labels.begin() + 7));
}

}  // namespace
}  // namespace rbm
