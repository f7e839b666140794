//===- ShapeRules.cpp - the size rules between an attn op's operands
//-------===//
//
// The rules, their static check (for the verifiers) and their dynamic one:
// each op's RuntimeVerifiableOpInterface emits a cf.assert per rule with a
// dynamic size, before the op, so that mismatched sizes stop the program
// before any out-of-bounds access. The message names the op, its location
// and the rule (the Python package raises it as its exception), in place of
// upstream's generic one.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/ShapeRules.h"
#include "AttnDialect/Dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

static int64_t rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}

/// An additive mask ([M, N] or the scores' shape) against the scores.
static void maskRules(Value scores, StringRef scoresName, Value mask,
                      SmallVectorImpl<SizeRule> &rules) {
  if (!mask)
    return;
  int64_t offset = rankOf(scores) - rankOf(mask);
  if (offset < 0)
    return;
  for (int64_t i = 0, e = rankOf(mask); i < e; ++i)
    rules.push_back({mask, i, "mask", scores, offset + i, scoresName});
}

/// Attention's operands: [B, H, M, D] / [B, H, N, D] / [B, H, N, Dv], and
/// a mask broadcast to the scores.
static void attentionRules(Value q, Value k, Value v, Value mask,
                           Value slopes, SmallVectorImpl<SizeRule> &rules) {
  // One ALiBi slope per query head (one head at rank 2).
  if (slopes && rankOf(q) >= 3)
    rules.push_back({slopes, 0, "alibi slopes", q, rankOf(q) - 3, "query"});
  else if (slopes)
    rules.push_back({slopes, 0, "alibi slopes", Value(), 1, "one head"});
  // [B, H, M, D] / [B, H, N, D] / [B, H, N, Dv].
  int64_t rank = rankOf(q), n = rank - 2, d = rank - 1;
  if (rank == 4) {
    rules.push_back({k, 0, "key", q, 0, "query"});
    rules.push_back({v, 0, "value", q, 0, "query"});
  }
  rules.push_back({k, d, "key", q, d, "query"});
  rules.push_back({v, n, "value", k, n, "key"});
  if (rank >= 3)
    rules.push_back({v, rank - 3, "value", k, rank - 3, "key"});
  // A mask dimension that is not a static 1 is read whole: it must be
  // the scores' (query rows and batch/heads from q, keys from k).
  if (mask) {
    auto type = cast<RankedTensorType>(mask.getType());
    int64_t offset = rank - type.getRank();
    for (int64_t i = 0, e = offset < 0 ? 0 : type.getRank(); i < e; ++i) {
      if (type.getDimSize(i) == 1)
        continue;
      int64_t s = offset + i;
      if (s == rank - 1)
        rules.push_back({mask, i, "mask", k, n, "key", s});
      else
        rules.push_back({mask, i, "mask", q, s, "query", s});
    }
  }
}

/// `rows` ([...]) against the rows of `input` ([..., N]), when its rank is.
static void rowRules(Value rows, StringRef rowsName, Value input,
                     StringRef inputName, SmallVectorImpl<SizeRule> &rules) {
  if (rankOf(rows) + 1 != rankOf(input))
    return;
  for (int64_t i = 0, e = rankOf(rows); i < e; ++i)
    rules.push_back({rows, i, rowsName, input, i, inputName});
}

/// `x` against `like`, dimension by dimension, when their ranks agree.
static void sameShapeRules(Value x, StringRef xName, Value like,
                           StringRef likeName,
                           SmallVectorImpl<SizeRule> &rules) {
  if (rankOf(x) != rankOf(like))
    return;
  for (int64_t i = 0, e = rankOf(x); i < e; ++i)
    rules.push_back({x, i, xName, like, i, likeName});
}

/// A class weight [C] against the classes of `logits` [..., C].
static void classWeightRules(Value weight, Value logits,
                             SmallVectorImpl<SizeRule> &rules) {
  if (weight && rankOf(weight) == 1)
    rules.push_back(
        {weight, 0, "weight", logits, rankOf(logits) - 1, "logits"});
}

/// linear_xent's operands: hidden [N, D], classifier [V, D], target [N],
/// bias [V], when their ranks are.
static void linearXentRules(Value hidden, Value classifier, Value target,
                            Value bias, Value weight,
                            SmallVectorImpl<SizeRule> &rules) {
  if (rankOf(hidden) != 2 || rankOf(classifier) != 2)
    return;
  if (weight && rankOf(weight) == 1)
    rules.push_back({weight, 0, "weight", classifier, 0, "classifier"});
  rules.push_back({classifier, 1, "classifier", hidden, 1, "hidden"});
  if (rankOf(target) == 1)
    rules.push_back({target, 0, "target", hidden, 0, "hidden"});
  if (bias && rankOf(bias) == 1)
    rules.push_back({bias, 0, "bias", classifier, 0, "classifier"});
}

SmallVector<SizeRule> attn::sizeRules(Operation *op) {
  SmallVector<SizeRule> rules;
  TypeSwitch<Operation *>(op)
      .Case<SoftmaxBackwardOp, LogSoftmaxBackwardOp>([&](auto o) {
        sameShapeRules(o.getGrad(), "grad", o.getOutput(), "output", rules);
      })
      .Case([&](LogSumExpBackwardOp o) {
        rowRules(o.getGrad(), "grad", o.getInput(), "input", rules);
        rowRules(o.getOutput(), "output", o.getInput(), "input", rules);
        maskRules(o.getInput(), "input", o.getMask(), rules);
      })
      .Case([&](SumSqBackwardOp o) {
        rowRules(o.getGrad(), "grad", o.getInput(), "input", rules);
      })
      .Case([&](MaskedMaxBackwardOp o) {
        rowRules(o.getGrad(), "grad", o.getScores(), "scores", rules);
        rowRules(o.getOutput(), "output", o.getScores(), "scores", rules);
        maskRules(o.getScores(), "scores", o.getMask(), rules);
      })
      .Case([&](XentBackwardOp o) {
        sameShapeRules(o.getQ(), "q", o.getP(), "p", rules);
        rowRules(o.getGrad(), "grad", o.getP(), "p", rules);
      })
      .Case([&](XentLogitsBackwardOp o) {
        rowRules(o.getTarget(), "target", o.getLogits(), "logits", rules);
        sameShapeRules(o.getTarget(), "target", o.getLogits(), "logits",
                       rules); // class probabilities
        rowRules(o.getGrad(), "grad", o.getLogits(), "logits", rules);
        classWeightRules(o.getWeight(), o.getLogits(), rules);
      })
      .Case([&](MaskedMaxOp o) {
        maskRules(o.getScores(), "scores", o.getMask(), rules);
      })
      .Case<SoftmaxOp, LogSumExpOp, LogSoftmaxOp>(
          [&](auto o) { maskRules(o.getInput(), "input", o.getMask(), rules); })
      .Case([&](XentOp o) {
        for (int64_t i = 0, e = rankOf(o.getP()); i < e; ++i)
          rules.push_back({o.getQ(), i, "q", o.getP(), i, "p"});
      })
      .Case([&](XentLogitsOp o) {
        for (int64_t i = 0, e = rankOf(o.getTarget()); i < e; ++i)
          rules.push_back(
              {o.getTarget(), i, "target", o.getLogits(), i, "logits"});
        classWeightRules(o.getWeight(), o.getLogits(), rules);
      })
      .Case([&](AttentionOp o) {
        attentionRules(o.getQuery(), o.getKey(), o.getValue(), o.getMask(),
                       o.getAlibiSlopes(), rules);
      })
      .Case([&](AttentionBackwardOp o) {
        Value q = o.getQuery();
        attentionRules(q, o.getKey(), o.getValue(), o.getMask(),
                       o.getAlibiSlopes(), rules);
        // grad and output [..., M, Dv], lse [..., M].
        int64_t rows = rankOf(q) - 1;
        for (auto [x, name] : {std::pair<Value, StringRef>{o.getGrad(), "grad"},
                               {o.getOutput(), "output"}}) {
          if (rankOf(x) != rankOf(q))
            continue;
          for (int64_t i = 0; i < rows; ++i)
            rules.push_back({x, i, name, q, i, "query"});
          rules.push_back({x, rows, name, o.getValue(), rows, "value"});
        }
        if (rankOf(o.getLse()) == rows)
          for (int64_t i = 0; i < rows; ++i)
            rules.push_back({o.getLse(), i, "lse", q, i, "query"});
      })
      .Case([&](LinearXentOp o) {
        linearXentRules(o.getHidden(), o.getClassifier(), o.getTarget(),
                        o.getBias(), o.getWeight(), rules);
      })
      .Case([&](LinearXentBackwardOp o) {
        Value h = o.getHidden();
        linearXentRules(h, o.getClassifier(), o.getTarget(), o.getBias(),
                        o.getWeight(), rules);
        if (rankOf(o.getLse()) == 1 && rankOf(h) == 2)
          rules.push_back({o.getLse(), 0, "lse", h, 0, "hidden"});
        if (rankOf(o.getGrad()) == 1 && rankOf(h) == 2)
          rules.push_back({o.getGrad(), 0, "grad", h, 0, "hidden"});
      })
      .Case([&](OnlineAttentionOp o) {
        Value q = o.getQuery();
        attentionRules(q, o.getKey(), o.getValue(), o.getMask(),
                       o.getAlibiSlopes(), rules);
        // The state of the query rows: acc [..., M, Dv], max and sum [..., M].
        int64_t rows = rankOf(q) - 1;
        for (int64_t i = 0; i < rows; ++i) {
          rules.push_back({o.getAcc(), i, "acc", q, i, "query"});
          rules.push_back({o.getMax(), i, "max", q, i, "query"});
          rules.push_back({o.getSum(), i, "sum", q, i, "query"});
        }
        rules.push_back({o.getAcc(), rows, "acc", o.getValue(), rows, "value"});
      });
  return rules;
}

static std::string dimToString(int64_t dim) {
  return ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim);
}

LogicalResult
attn::verifySizeRules(Operation *op,
                      function_ref<bool(const SizeRule &)> select) {
  for (const SizeRule &rule : sizeRules(op)) {
    // (A constant size is the verifier's own check, with its own message.)
    if (!select(rule) || !rule.rhs)
      continue;
    int64_t a =
        cast<RankedTensorType>(rule.lhs.getType()).getDimSize(rule.lhsDim);
    int64_t b =
        cast<RankedTensorType>(rule.rhs.getType()).getDimSize(rule.rhsDim);
    if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b)
      continue;
    if (rule.scoresDim >= 0)
      return op->emitOpError("expects ")
             << rule.lhsName << " dimension " << rule.lhsDim << " ("
             << dimToString(a) << ") to be 1 or the scores' dimension "
             << rule.scoresDim << " (" << dimToString(b) << ")";
    return op->emitOpError("expects ")
           << rule.lhsName << " dimension " << rule.lhsDim << " ("
           << dimToString(a) << ") to match " << rule.rhsName << " dimension "
           << rule.rhsDim << " (" << dimToString(b) << ")";
  }
  return success();
}

static std::string locationText(Location loc) {
  if (auto file = loc->findInstanceOf<FileLineColLoc>())
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  return "unknown location";
}

/// A cf.assert per rule of `op` with a dynamic size.
static void emitRuntimeChecks(Operation *op, OpBuilder &b, Location loc) {
  for (const SizeRule &rule : sizeRules(op)) {
    auto lhsType = cast<RankedTensorType>(rule.lhs.getType());
    bool rhsDynamic =
        rule.rhs &&
        cast<RankedTensorType>(rule.rhs.getType()).isDynamicDim(rule.rhsDim);
    if (!lhsType.isDynamicDim(rule.lhsDim) && !rhsDynamic)
      continue; // checked by the verifier
    Value lhs = tensor::DimOp::create(b, loc, rule.lhs, rule.lhsDim);
    Value rhs =
        rule.rhs ? tensor::DimOp::create(b, loc, rule.rhs, rule.rhsDim)
                       .getResult()
                 : arith::ConstantIndexOp::create(b, loc, rule.rhsDim)
                       .getResult();
    Value equal =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lhs, rhs);
    // (A std::string: a Twine must not outlive its expression.)
    std::string expected =
        rule.rhs ? (" does not match " + rule.rhsName + " dimension " +
                    Twine(rule.rhsDim))
                       .str()
                 : (" is not " + Twine(rule.rhsDim) + " (" + rule.rhsName + ")")
                       .str();
    std::string message =
        (op->getName().getStringRef() + " (" + locationText(op->getLoc()) +
         "): " + rule.lhsName + " dimension " + Twine(rule.lhsDim) + expected)
            .str();
    cf::AssertOp::create(b, loc, equal, message);
  }
}

#define ATTN_RUNTIME_VERIFICATION(OP)                                          \
  void OP::generateRuntimeVerification(                                        \
      OpBuilder &b, Location loc,                                              \
      function_ref<std::string(Operation *, StringRef)>) {                     \
    emitRuntimeChecks(*this, b, loc);                                          \
  }

ATTN_RUNTIME_VERIFICATION(MaskedMaxOp)
ATTN_RUNTIME_VERIFICATION(SumSqOp)
ATTN_RUNTIME_VERIFICATION(XentOp)
ATTN_RUNTIME_VERIFICATION(SoftmaxOp)
ATTN_RUNTIME_VERIFICATION(LogSumExpOp)
ATTN_RUNTIME_VERIFICATION(LogSoftmaxOp)
ATTN_RUNTIME_VERIFICATION(XentLogitsOp)
ATTN_RUNTIME_VERIFICATION(AttentionOp)
ATTN_RUNTIME_VERIFICATION(OnlineAttentionOp)
ATTN_RUNTIME_VERIFICATION(SoftmaxBackwardOp)
ATTN_RUNTIME_VERIFICATION(LogSoftmaxBackwardOp)
ATTN_RUNTIME_VERIFICATION(LogSumExpBackwardOp)
ATTN_RUNTIME_VERIFICATION(SumSqBackwardOp)
ATTN_RUNTIME_VERIFICATION(MaskedMaxBackwardOp)
ATTN_RUNTIME_VERIFICATION(XentBackwardOp)
ATTN_RUNTIME_VERIFICATION(XentLogitsBackwardOp)
ATTN_RUNTIME_VERIFICATION(AttentionBackwardOp)
ATTN_RUNTIME_VERIFICATION(LinearXentOp)
ATTN_RUNTIME_VERIFICATION(LinearXentBackwardOp)

#undef ATTN_RUNTIME_VERIFICATION
