// tests/test_optimizers.cpp — the pieces of a TrainConfig, each against its documentation:
// the optimizer updates of include/rbm/train.hpp through the arithmetic both backends share
// (rbm::detail::optimizer_step, host/common/optimizer.hpp) against values computed by hand from
// PyTorch's documented formulas; Schedule's values, text form and errors; TrainConfig's JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "host/common/optimizer.hpp"
#include "rbm/rbm.hpp"

namespace rbm::test {
namespace {

// ---- Optimizers: three steps on a one-parameter problem ------------------------------------
//
// The problem: PyTorch minimises loss(θ) = (θ − 4)²/2 from θ0 = 1, so the ascent direction the
// library takes is g = −∇loss = 4 − θ. The hyper-parameters are the float values the library
// holds (0.1f = 0.10000000149011612, 0.01f = 0.0099999997764825821, 0.9f = 0.89999997615814209,
// 0.99f = 0.99000000953674316, 0.999f = 0.99900001287460327, 1e-8f ≈ 9.9999999392e-09), so the
// hand computation below, in float64 with PyTorch's formulas (torch.optim docs), differs from the
// float32 steps only by float32 rounding:
//  sgd       θ ← θ + lr·g                                                 (torch.optim.SGD)
//  momentum  buf ← μ·buf + g; θ ← θ + lr·buf  (SGD(momentum=μ); the library's classical
//            velocity v = μ·v + lr·g is lr·buf while lr is constant, so its slot is lr·buf)
//  nesterov  b ← μ·b + g; θ ← θ + lr·(g + μ·b)               (SGD(momentum=μ, nesterov=True))
//  rmsprop   s ← α·s + (1−α)·g²; μ = 0: θ ← θ + lr·g/(√s + ε);
//            μ > 0: b ← μ·b + g/(√s + ε), θ ← θ + lr·b            (RMSprop, centered=False)
//  adam      m ← β1·m + (1−β1)·g; s ← β2·s + (1−β2)·g²; m̂ = m/(1−β1^t); ŝ = s/(1−β2^t);
//            θ ← θ + lr·m̂/(√ŝ + ε)                                       (Adam, amsgrad=False)
//
// Tolerance: one step is at most 8 float operations, each rounding within u = 2^−24 of a value
// no larger than M (the largest magnitude among θ, g, the slots and the scaled step of that
// optimizer's three steps, listed per row), so a step adds at most 8uM. An error δ in θ comes
// back in the next g = 4 − θ and moves later steps by at most A·δ, A = ∂step/∂g ≤
// lr·(1 + μ)·(1 + μ + μ²)/min(1, √s) < 1 for these rows (a velocity sums at most three
// gradients; rmsprop's √s ≥ 0.3; adam's lr·m̂/√ŝ has √ŝ ≥ 2.9), so errors at most double per
// step and three steps stay within 8uM·(1 + 2 + 4) = 56uM (6.7e-5 for M = 20), while a wrong
// formula (no bias correction, lr outside the velocity, a missing look-ahead) moves θ by > 1e-2.
constexpr double kU = 0x1.0p-24;

struct Trajectory {
  const char* name;
  Optimizer optimizer;
  float learning_rate, momentum;
  double magnitude;                     // M of the tolerance
  double theta[3], slot0[3], slot1[3];  // after steps 1, 2, 3
};

const Trajectory kTrajectories[] = {
    // sgd, lr = 0.1f: g = 3 → θ = 1 + 0.1f·3 = 1.3000000044703484;
    // g = 2.699999996 → θ = 1.570000008046627; g = 2.429999992 → θ = 1.8130000108629465.
    {"sgd",
     Optimizer::sgd,
     0.1f,
     0.0f,
     4,
     {1.3000000044703484, 1.570000008046627, 1.8130000108629465},
     {0, 0, 0},
     {0, 0, 0}},
    // momentum, lr = 0.1f, μ = 0.9f: buf = 3, θ = 1.3000000044703484;
    // g = 2.699999996, buf = 0.9f·3 + g = 5.3999999240040779, θ = 1.840000004917383;
    // g = 2.159999995, buf = 7.0199997979402564, θ = 2.5419999951720236;
    // slot v = lr·buf = 0.30000000447034836, 0.54000000044703467, 0.70199999025464055.
    {"momentum",
     Optimizer::momentum,
     0.1f,
     0.9f,
     4,
     {1.3000000044703484, 1.840000004917383, 2.5419999951720236},
     {0.30000000447034836, 0.54000000044703467, 0.70199999025464055},
     {0, 0, 0}},
    // nesterov, lr = 0.1f, μ = 0.9f: b = 3, g + μb = 5.6999999284744263, θ = 1.5700000013411044;
    // g = 2.429999999, b = 5.1299999271333219, g + μb = 7.0469998107701564, θ = 2.274699992918968;
    // g = 1.725300007, b = 6.3422998191922932, g + μb = 7.4333696931418842,
    // θ = 3.0180369733097403.
    {"nesterov",
     Optimizer::nesterov,
     0.1f,
     0.9f,
     8,
     {1.5700000013411044, 2.274699992918968, 3.0180369733097403},
     {3, 5.1299999271333219, 6.3422998191922932},
     {0, 0, 0}},
    // rmsprop, lr = 0.01f, α = 0.99f, ε = 1e-8f, μ = 0: s = (1 − 0.99f)·9 = 0.089999914169311523,
    // g/(√s + ε) = 10.000004435041355, θ = 1.1000000421152383;
    // g = 2.899999958, s = 0.17319983323923299, scaled 6.9682583902810418, θ = 1.1696826244605216;
    // g = 2.830317376, s = 0.25157472462545521, scaled 5.6428905390468733, θ = 1.226111528589706.
    {"rmsprop",
     Optimizer::rmsprop,
     0.01f,
     0.0f,
     10,
     {1.1000000421152383, 1.1696826244605216, 1.226111528589706},
     {0.089999914169311523, 0.17319983323923299, 0.25157472462545521},
     {0, 0, 0}},
    // rmsprop with μ = 0.9f: b = 10.000004435041355, θ = 1.1000000421152383;
    // g = 2.899999958, s = 0.17319983323923299, b = 0.9f·b + 6.9682583902810418
    // = 15.968262143399576, θ = 1.2596826599800492; g = 2.74031734, s = 0.24656115618410462,
    // scaled 5.518722046445288, b = 19.890157594791869, θ = 1.4585842314821713.
    {"rmsprop_momentum",
     Optimizer::rmsprop,
     0.01f,
     0.9f,
     20,
     {1.1000000421152383, 1.2596826599800492, 1.4585842314821713},
     {0.089999914169311523, 0.17319983323923299, 0.24656115618410462},
     {10.000004435041355, 15.968262143399576, 19.890157594791869}},
    // adam, lr = 0.1f, β1 = 0.9f, β2 = 0.999f, ε = 1e-8f: m = 0.30000007152557373,
    // s = 0.0089998841285705566, m̂ = 3, ŝ = 9, θ = 1 + 0.1f·3/(3 + ε) = 1.1000000011567828;
    // g = 2.899999999, m = 0.56000012624616691, s = 0.017400776078189156, m̂ = 2.9473684197833592,
    // ŝ = 8.7048524247576626, θ = 1.1998972951930849; g = 2.800102705, m = 0.78401043751044908,
    // s = 0.025223849739311483, m̂ = 2.8930268262024974, ŝ = 8.4164717214614733,
    // θ = 1.2996184803769137.
    {"adam",
     Optimizer::adam,
     0.1f,
     0.0f,
     4,
     {1.1000000011567828, 1.1998972951930849, 1.2996184803769137},
     {0.30000007152557373, 0.56000012624616691, 0.78401043751044908},
     {0.0089998841285705566, 0.017400776078189156, 0.025223849739311483}},
};

std::ostream& operator<<(std::ostream& out, const Trajectory& t) {
  return out << t.name;
}

class OptimizerStep : public ::testing::TestWithParam<Trajectory> {};

TEST_P(OptimizerStep, FirstThreeStepsAreTorchOptimsFormulas) {
  const Trajectory& want = GetParam();
  detail::StepHyper hyper;
  hyper.learning_rate = want.learning_rate;
  hyper.momentum = want.momentum;
  hyper.rmsprop_alpha = 0.99f;
  hyper.adam_beta1 = 0.9f;
  hyper.adam_beta2 = 0.999f;
  hyper.epsilon = 1e-8f;
  const double tolerance = 56 * kU * want.magnitude;
  float theta = 1.0f, s0 = 0.0f, s1 = 0.0f;
  for (int t = 1; t <= 3; ++t) {
    SCOPED_TRACE("step " + std::to_string(t));
    const float g = 4.0f - theta;
    const detail::StepScalars scalars = detail::step_scalars(want.optimizer, hyper, t);
    detail::optimizer_step(want.optimizer, hyper, scalars, g, theta, s0, s1);
    EXPECT_NEAR(theta, want.theta[t - 1], tolerance);
    EXPECT_NEAR(s0, want.slot0[t - 1], tolerance);
    EXPECT_NEAR(s1, want.slot1[t - 1], tolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(TorchOptim,
                         OptimizerStep,
                         ::testing::ValuesIn(kTrajectories),
                         [](const ::testing::TestParamInfo<Trajectory>& info) {
                           return std::string(info.param.name);
                         });

TEST(OptimizerStep, AdamScalarsAreTheBiasCorrections) {
  detail::StepHyper hyper;
  hyper.learning_rate = 0.1f;
  hyper.adam_beta1 = 0.9f;
  hyper.adam_beta2 = 0.999f;
  for (int t = 1; t <= 3; ++t) {
    const detail::StepScalars s = detail::step_scalars(Optimizer::adam, hyper, t);
    const double b1 = 0.9f, b2 = 0.999f, lr = 0.1f;
    // lr/(1 − β1^t) and √(1 − β2^t), each computed in double and rounded once to float.
    EXPECT_EQ(s.step_size, static_cast<float>(lr / (1 - std::pow(b1, t)))) << "t = " << t;
    EXPECT_EQ(s.sqrt_correction2, static_cast<float>(std::sqrt(1 - std::pow(b2, t))))
        << "t = " << t;
  }
  // The others step with lr itself.
  const detail::StepScalars plain = detail::step_scalars(Optimizer::rmsprop, hyper, 5);
  EXPECT_EQ(plain.step_size, 0.1f);
  EXPECT_EQ(plain.sqrt_correction2, 1.0f);
}

TEST(OptimizerStep, SlotCountsAndNames) {
  EXPECT_EQ(detail::optimizer_slots(Optimizer::sgd), 0);
  EXPECT_EQ(detail::optimizer_slots(Optimizer::momentum), 1);
  EXPECT_EQ(detail::optimizer_slots(Optimizer::nesterov), 1);
  EXPECT_EQ(detail::optimizer_slots(Optimizer::rmsprop), 2);
  EXPECT_EQ(detail::optimizer_slots(Optimizer::adam), 2);
  for (Optimizer o : {Optimizer::sgd, Optimizer::momentum, Optimizer::nesterov, Optimizer::rmsprop,
                      Optimizer::adam})
    EXPECT_EQ(parse_optimizer(to_string(o)), o);
  try {
    parse_optimizer("adamw");
    ADD_FAILURE() << "parse_optimizer(\"adamw\") did not throw";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("adamw"), std::string::npos) << e.what();
  }
}

// ---- Schedule --------------------------------------------------------------------------------
// Values are sums and products of a few doubles: within a few ulps of the decimal results, so
// 1e-15 absolute (values ≤ 1) is ~10 ulps.
constexpr double kScheduleTol = 1e-15;

TEST(ScheduleValues, ConstantHoldsEveryEpoch) {
  const Schedule s = 0.3;  // implicit
  EXPECT_TRUE(s.is_constant());
  EXPECT_EQ(s.shape(), Schedule::Shape::constant);
  for (int e = 0; e < 10; ++e) EXPECT_EQ(s.at(e, 10), 0.3);
  EXPECT_EQ(s.min_over(10), 0.3);
  EXPECT_EQ(s.max_over(10), 0.3);
}

TEST(ScheduleValues, LinearRunsFromFirstAtEpochZeroToLastAtTheFinalEpoch) {
  const Schedule s = Schedule::linear(0.1, 0.01);
  EXPECT_EQ(s.shape(), Schedule::Shape::linear);
  EXPECT_EQ(s.first(), 0.1);
  EXPECT_NEAR(s.at(0, 10), 0.1, kScheduleTol);
  EXPECT_NEAR(s.at(3, 10), 0.07, kScheduleTol);  // 0.1 + (0.01 − 0.1)·3/9
  EXPECT_NEAR(s.at(9, 10), 0.01, kScheduleTol);  // the final epoch of 10
  EXPECT_NEAR(s.min_over(10), 0.01, kScheduleTol);
  EXPECT_NEAR(s.max_over(10), 0.1, kScheduleTol);
}

TEST(ScheduleValues, ExponentialIsGeometricBetweenTheEnds) {
  const Schedule s = Schedule::exponential(0.1, 0.001);
  EXPECT_EQ(s.shape(), Schedule::Shape::exponential);
  EXPECT_NEAR(s.at(0, 5), 0.1, kScheduleTol);
  EXPECT_NEAR(s.at(1, 5), 0.031622776601683798, kScheduleTol);  // 0.1·(0.01)^(1/4)
  EXPECT_NEAR(s.at(2, 5), 0.01, kScheduleTol);                  // 0.1·(0.01)^(2/4)
  EXPECT_NEAR(s.at(4, 5), 0.001, kScheduleTol);
}

TEST(ScheduleValues, StepMultipliesEveryPeriod) {
  const Schedule s = Schedule::step(0.1, 0.5, 10);  // first · factor^⌊epoch/every⌋
  EXPECT_EQ(s.shape(), Schedule::Shape::step);
  EXPECT_EQ(s.at(0, 30), 0.1);
  EXPECT_EQ(s.at(9, 30), 0.1);
  EXPECT_EQ(s.at(10, 30), 0.05);
  EXPECT_EQ(s.at(25, 30), 0.025);
  EXPECT_EQ(s.min_over(30), 0.025);
  EXPECT_EQ(s.max_over(30), 0.1);
}

TEST(ScheduleValues, SwitchAtAnEpochOrAFractionOfTheRun) {
  const Schedule at_epoch = Schedule::switch_at(0.5, 0.9, 5);  // after from epoch 5 on
  EXPECT_EQ(at_epoch.shape(), Schedule::Shape::switch_at);
  EXPECT_EQ(at_epoch.at(0, 10), 0.5);
  EXPECT_EQ(at_epoch.at(4, 10), 0.5);
  EXPECT_EQ(at_epoch.at(5, 10), 0.9);
  EXPECT_EQ(at_epoch.at(9, 10), 0.9);
  // a momentum switch 0.2 → 0.5 at 60% of the run: of 10 epochs, from epoch 6 on.
  const Schedule fraction = Schedule::switch_at(0.2, 0.5, 0.6);
  EXPECT_EQ(fraction.at(5, 10), 0.2);
  EXPECT_EQ(fraction.at(6, 10), 0.5);
  // Of 7 epochs, 60% is epoch 4.2: epochs 0..4 come before it, 5 and 6 after.
  EXPECT_EQ(fraction.at(4, 7), 0.2);
  EXPECT_EQ(fraction.at(5, 7), 0.5);
  // Half of 20 epochs: from epoch 10 on.
  EXPECT_EQ(Schedule::switch_at(1, 2, 0.5).at(9, 20), 1);
  EXPECT_EQ(Schedule::switch_at(1, 2, 0.5).at(10, 20), 2);
  EXPECT_EQ(fraction.min_over(10), 0.2);
  EXPECT_EQ(fraction.max_over(10), 0.5);
}

TEST(ScheduleValues, IntegerSchedulesRoundToTheNearestInteger) {
  // linear 1 → 4 over 6 epochs: 1, 1.6, 2.2, 2.8, 3.4, 4.
  const Schedule s = Schedule::linear(1, 4);
  const int want[] = {1, 2, 2, 3, 3, 4};
  for (int e = 0; e < 6; ++e) EXPECT_EQ(s.at_int(e, 6), want[e]) << "epoch " << e;
  EXPECT_EQ(Schedule::step(1, 2, 2).at_int(5, 6), 4);  // 1·2^⌊5/2⌋
}

// min_over/max_over decide from a few epochs; they must equal the extremes over every epoch.
TEST(ScheduleValues, ExtremesEqualTheExtremesOverEveryEpoch) {
  const Schedule schedules[] = {Schedule(0.3),
                                Schedule::linear(0.1, 0.01),
                                Schedule::linear(-2, 5),
                                Schedule::exponential(0.1, 0.001),
                                Schedule::exponential(1, 64),
                                Schedule::step(0.1, 0.5, 3),
                                Schedule::step(1, 2, 4),
                                Schedule::step(1, -0.5, 2),
                                Schedule::step(1, -3, 5),
                                Schedule::switch_at(0.2, 0.5, 0.6),
                                Schedule::switch_at(0.9, 0.5, 7)};
  for (const Schedule& s : schedules)
    for (const int epochs : {1, 2, 3, 5, 6, 7, 10, 17, 24, 100}) {
      double low = s.at(0, epochs), high = low;
      for (int e = 1; e < epochs; ++e) {
        low = std::min(low, s.at(e, epochs));
        high = std::max(high, s.at(e, epochs));
      }
      EXPECT_EQ(s.min_over(epochs), low) << s.to_string() << " over " << epochs;
      EXPECT_EQ(s.max_over(epochs), high) << s.to_string() << " over " << epochs;
    }
}

// A run of 2^31 − 1 epochs is checked without visiting its epochs (the config fuzzer once timed
// out on {"epochs": 184447461}).
TEST(ScheduleValues, LongRunsAreCheckedWithoutVisitingEveryEpoch) {
  TrainConfig c;
  c.epochs = INT32_MAX;
  c.learning_rate = Schedule::exponential(0.1, 0.001);
  c.batch_size = Schedule::linear(10, 500);
  validate(c);
  EXPECT_EQ(c.batch_size.max_over(c.epochs), 500);
  c.learning_rate = Schedule::step(0.1, 0.5, 1000);  // 0.1·0.5^2147483 underflows to 0
  EXPECT_THROW(validate(c), InvalidArgument);
}

TEST(ScheduleText, ParsesTheDocumentedForms) {
  EXPECT_EQ(Schedule::parse("0.1"), Schedule(0.1));
  EXPECT_EQ(Schedule::parse("linear:0.1:0.01"), Schedule::linear(0.1, 0.01));
  EXPECT_EQ(Schedule::parse("exp:0.1:0.001"), Schedule::exponential(0.1, 0.001));
  EXPECT_EQ(Schedule::parse("step:0.1:0.5:10"), Schedule::step(0.1, 0.5, 10));
  EXPECT_EQ(Schedule::parse("switch:0.5:0.9:5"), Schedule::switch_at(0.5, 0.9, 5));
  EXPECT_EQ(Schedule::parse("switch:0.2:0.5:0.6"), Schedule::switch_at(0.2, 0.5, 0.6));
  EXPECT_NE(Schedule::parse("linear:0.1:0.01"), Schedule::exponential(0.1, 0.01));
}

TEST(ScheduleText, ToStringReadsBackAsTheSameSchedule) {
  const Schedule schedules[] = {Schedule(0.1),
                                Schedule(1.0 / 3.0),
                                Schedule(1e-7),
                                Schedule(250),
                                Schedule::linear(0.1, 1.0 / 3.0),
                                Schedule::linear(4, 12),
                                Schedule::exponential(0.3, 2.5e-5),
                                Schedule::step(0.07, 0.95, 3),
                                Schedule::switch_at(0.2, 0.5, 0.6),
                                Schedule::switch_at(0.5, 0.9, 17)};
  for (const Schedule& s : schedules) {
    const std::string text = s.to_string();
    EXPECT_EQ(Schedule::parse(text), s) << text;
    EXPECT_EQ(Schedule::parse(text).to_string(), text);
  }
  for (const char* text : {"0.1", "linear:0.1:0.01", "exp:0.1:0.001", "step:0.1:0.5:10",
                           "switch:0.5:0.9:5", "switch:0.2:0.5:0.6"})
    EXPECT_EQ(Schedule::parse(text).to_string(), text);
}

/// Every text here is malformed; the error must quote it (the empty text: say it is empty).
TEST(ScheduleText, BadTextsThrowNamingTheText) {
  try {
    Schedule::parse("");
    ADD_FAILURE() << "'' parsed";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  for (const char* text :
       {"abc", "0.1x", "nan", "inf", "1e999", "0.1:0.2", "linear", "linear:0.1",
        "linear:0.1:0.01:5", "linear:0.1:x", "exp:0.1", "step:0.1:0.5", "step:0.1:0.5:0",
        "step:0.1:0.5:2.5", "step:0.1:0.5:-3", "switch:0.5:0.9", "cosine:0.1:0.01"}) {
    try {
      Schedule::parse(text);
      ADD_FAILURE() << "'" << text << "' parsed";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + text + "'"), std::string::npos)
          << "the error for '" << text << "' does not quote it: " << e.what();
    }
  }
}

// exp needs positive ends and switch a positive switch point: the factory's complaint reaches
// the user with the text it came from.
TEST(ScheduleText, OutOfRangeNumbersThrowNamingTheText) {
  for (const char* text : {"exp:0:1", "exp:0.1:-1", "switch:0.5:0.9:0", "switch:0.5:0.9:-2"}) {
    try {
      Schedule::parse(text);
      ADD_FAILURE() << "'" << text << "' parsed";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos)
          << "the error for '" << text << "' does not name it: " << e.what();
    }
  }
}

// ---- TrainConfig JSON ------------------------------------------------------------------------

/// A config whose every field differs from the default.
TrainConfig unusual_config() {
  TrainConfig c;
  c.cd_steps = Schedule::step(1, 2, 3);
  c.persistent = true;
  c.n_chains = 7;
  c.tempering_replicas = 5;
  c.tempering_min_beta = 0.25f;
  c.batch_size = Schedule::linear(4, 12);
  c.epochs = 17;
  c.optimizer = Optimizer::adam;
  c.learning_rate = Schedule::exponential(0.1, 1.0 / 3000.0);
  c.momentum = Schedule::switch_at(0.2, 0.5, 0.6);
  c.rmsprop_alpha = 0.95f;
  c.adam_beta1 = 0.85f;
  c.adam_beta2 = 0.995f;
  c.epsilon = 1e-6f;
  c.weight_decay = 0.0003f;
  c.l1_weight_decay = 0.0002f;
  c.sparsity_target = 0.07f;
  c.sparsity_cost = 0.2f;
  c.sparsity_decay = 0.95f;
  c.centering = true;
  c.centering_rate = 0.03f;
  c.visible_type = UnitType::spin;
  c.hidden_type = UnitType::potts_off;
  c.seed = 0xFEDCBA9876543210ull;  // above 2^63
  c.init_weight_std = 0.02f;
  c.init_visible_bias_from_data = false;
  c.math = GemmMath::bf16;
  c.pcd_chains = PcdChains::visible;  // not the default
  c.max_abs_parameter = 500.0f;
  return c;
}

/// Field-by-field comparison of every TrainConfig field (29 of them; the JSON key count below
/// notices a new field this list lacks). Returns the names of the fields that differ.
std::vector<std::string> differing_fields(const TrainConfig& a, const TrainConfig& b) {
  std::vector<std::string> out;
#define RBM_COMPARE(field) \
  if (!(a.field == b.field)) out.push_back(#field)
  RBM_COMPARE(cd_steps);
  RBM_COMPARE(persistent);
  RBM_COMPARE(n_chains);
  RBM_COMPARE(tempering_replicas);
  RBM_COMPARE(tempering_min_beta);
  RBM_COMPARE(batch_size);
  RBM_COMPARE(epochs);
  RBM_COMPARE(optimizer);
  RBM_COMPARE(learning_rate);
  RBM_COMPARE(momentum);
  RBM_COMPARE(rmsprop_alpha);
  RBM_COMPARE(adam_beta1);
  RBM_COMPARE(adam_beta2);
  RBM_COMPARE(epsilon);
  RBM_COMPARE(weight_decay);
  RBM_COMPARE(l1_weight_decay);
  RBM_COMPARE(sparsity_target);
  RBM_COMPARE(sparsity_cost);
  RBM_COMPARE(sparsity_decay);
  RBM_COMPARE(centering);
  RBM_COMPARE(centering_rate);
  RBM_COMPARE(visible_type);
  RBM_COMPARE(hidden_type);
  RBM_COMPARE(seed);
  RBM_COMPARE(init_weight_std);
  RBM_COMPARE(init_visible_bias_from_data);
  RBM_COMPARE(math);
  RBM_COMPARE(pcd_chains);
  RBM_COMPARE(max_abs_parameter);
#undef RBM_COMPARE
  return out;
}
constexpr std::size_t kTrainConfigFields = 29;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

TEST(TrainConfigJson, RoundTripKeepsEveryField) {
  const TrainConfig config = unusual_config();
  ASSERT_EQ(differing_fields(config, TrainConfig{}).size(), kTrainConfigFields)
      << "unusual_config() leaves a field at its default";
  const std::string json = to_json(config);
  EXPECT_EQ(nlohmann::json::parse(json).size(), kTrainConfigFields)
      << "to_json writes a field differing_fields() does not compare: " << json;
  const TrainConfig back = train_config_from_json(json);
  EXPECT_TRUE(differing_fields(back, config).empty())
      << "changed by the round trip: " << joined(differing_fields(back, config)) << "\n"
      << json;
  EXPECT_EQ(to_json(back), json);
  // The defaults survive as well, and so does every optimizer and unit type.
  EXPECT_TRUE(
      differing_fields(train_config_from_json(to_json(TrainConfig{})), TrainConfig{}).empty());
  for (Optimizer o : {Optimizer::sgd, Optimizer::momentum, Optimizer::nesterov, Optimizer::rmsprop,
                      Optimizer::adam}) {
    TrainConfig c;
    c.optimizer = o;
    EXPECT_EQ(train_config_from_json(to_json(c)).optimizer, o) << to_string(o);
  }
  for (UnitType t : {UnitType::bernoulli, UnitType::spin, UnitType::potts, UnitType::potts_off}) {
    TrainConfig c;
    c.hidden_type = t;
    EXPECT_EQ(train_config_from_json(to_json(c)).hidden_type, t) << to_string(t);
  }
}

// Missing keys keep their defaults, except two that older recipes wrote differently: a recipe
// without "pcd_chains" predates hidden chains (its run carried visible ones), and "use_tf32"
// still reads as math = tf32.
TEST(TrainConfigJson, MissingKeysKeepTheirDefaults) {
  const TrainConfig c =
      train_config_from_json(R"({"epochs": 3, "learning_rate": "linear:0.2:0.1"})");
  EXPECT_EQ(c.epochs, 3);
  EXPECT_EQ(c.learning_rate, Schedule::linear(0.2, 0.1));
  TrainConfig want;
  want.epochs = 3;
  want.learning_rate = Schedule::linear(0.2, 0.1);
  want.pcd_chains = PcdChains::visible;
  EXPECT_TRUE(differing_fields(c, want).empty()) << joined(differing_fields(c, want));
  EXPECT_EQ(train_config_from_json(R"({"use_tf32": true})").math, GemmMath::tf32);
  EXPECT_EQ(train_config_from_json(R"({"pcd_chains": "hidden"})").pcd_chains, PcdChains::hidden);
  EXPECT_THROW(train_config_from_json(R"({"math": "fp8"})"), InvalidArgument);
}

TEST(TrainConfigJson, UnknownKeyIsAnErrorNamingTheKey) {
  try {
    train_config_from_json(R"({"epochs": 3, "learning_rat": 0.1})");
    ADD_FAILURE() << "an unknown key was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("learning_rat"), std::string::npos) << e.what();
  }
}

// Counts are read as integers of their own type: a fraction, a huge double or a negative seed is
// refused by key instead of being cast (a float-to-int conversion out of range is undefined).
TEST(TrainConfigJson, CountsOutOfTheirRangeAreErrorsNamingTheKey) {
  const std::pair<const char*, const char*> cases[] = {{R"({"epochs": 1e30})", "epochs"},
                                                       {R"({"epochs": 2.5})", "epochs"},
                                                       {R"({"epochs": 3000000000})", "epochs"},
                                                       {R"({"n_chains": -1e300})", "n_chains"},
                                                       {R"({"seed": -1})", "seed"},
                                                       {R"({"seed": 1e20})", "seed"}};
  for (const auto& [text, key] : cases) {
    try {
      train_config_from_json(text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(train_config_from_json(R"({"seed": 18446744073709551615})").seed, UINT64_MAX);
}

TEST(TrainConfigJson, FloatsBeyondFloatRangeAreRefusedByValidation) {
  const TrainConfig c = train_config_from_json(R"({"weight_decay": 1e300})");
  EXPECT_TRUE(std::isinf(c.weight_decay));
  EXPECT_THROW(validate(c), InvalidArgument);
}

}  // namespace
}  // namespace rbm::test
