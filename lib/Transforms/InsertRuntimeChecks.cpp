//===- InsertRuntimeChecks.cpp - dynamic size checks of attn ops ----------===//
//
// The verifiers check the size rules between operands where sizes are
// static; this pass emits the same rules as cf.assert where they are not, so
// that mismatched dynamic sizes stop the program before any out-of-bounds
// access.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_INSERTRUNTIMECHECKSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// "dimension `lhsDim` of `lhs` equals dimension `rhsDim` of `rhs`".
struct SizeRule {
  Value lhs;
  int64_t lhsDim;
  StringRef lhsName;
  Value rhs;
  int64_t rhsDim;
  StringRef rhsName;
};

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

/// An additive mask ([M, N] or the scores' shape) against the scores.
void maskRules(Value scores, StringRef scoresName, Value mask,
               SmallVectorImpl<SizeRule> &rules) {
  if (!mask)
    return;
  int64_t offset = rankOf(scores) - rankOf(mask);
  for (int64_t i = 0, e = rankOf(mask); i < e; ++i)
    rules.push_back({mask, i, "mask", scores, offset + i, scoresName});
}

/// The size rules of `op` (see the verifiers in AttnOps.cpp).
SmallVector<SizeRule> sizeRules(Operation *op) {
  SmallVector<SizeRule> rules;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](attn::MaskedMaxOp o) {
        maskRules(o.getScores(), "scores", o.getMask(), rules);
      })
      .Case<attn::SoftmaxOp, attn::LogSumExpOp, attn::LogSoftmaxOp>(
          [&](auto o) { maskRules(o.getInput(), "input", o.getMask(), rules); })
      .Case([&](attn::XentOp o) {
        for (int64_t i = 0, e = rankOf(o.getP()); i < e; ++i)
          rules.push_back({o.getQ(), i, "q", o.getP(), i, "p"});
      })
      .Case([&](attn::XentLogitsOp o) {
        for (int64_t i = 0, e = rankOf(o.getTarget()); i < e; ++i)
          rules.push_back({o.getTarget(), i, "target", o.getLogits(), i, "logits"});
      })
      .Case([&](attn::AttentionOp o) {
        Value q = o.getQuery(), k = o.getKey(), v = o.getValue();
        int64_t rank = rankOf(q), n = rank - 2, d = rank - 1;
        if (rank == 4) {
          rules.push_back({k, 0, "key", q, 0, "query"});
          rules.push_back({v, 0, "value", q, 0, "query"});
        }
        rules.push_back({k, d, "key", q, d, "query"});
        rules.push_back({v, n, "value", k, n, "key"});
        if (rank >= 3)
          rules.push_back({v, rank - 3, "value", rank - 3 >= 0 ? k : k,
                           rank - 3, "key"});
        // A mask dimension that is not a static 1 is read whole: it must be
        // the scores' (query rows and batch/heads from q, keys from k).
        if (Value mask = o.getMask()) {
          auto type = cast<RankedTensorType>(mask.getType());
          int64_t offset = rank - type.getRank();
          for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
            if (type.getDimSize(i) == 1)
              continue;
            int64_t s = offset + i;
            if (s == rank - 1)
              rules.push_back({mask, i, "mask", k, n, "key"});
            else
              rules.push_back({mask, i, "mask", q, s, "query"});
          }
        }
      });
  return rules;
}

std::string locationText(Location loc) {
  if (auto file = loc->findInstanceOf<FileLineColLoc>())
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  return "unknown location";
}

struct InsertRuntimeChecksPass
    : attn::impl::InsertRuntimeChecksPassBase<InsertRuntimeChecksPass> {
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      if (!isa<attn::AttnDialect>(op->getDialect()))
        return;
      OpBuilder b(op);
      Location loc = op->getLoc();
      for (const SizeRule &rule : sizeRules(op)) {
        auto lhsType = cast<RankedTensorType>(rule.lhs.getType());
        auto rhsType = cast<RankedTensorType>(rule.rhs.getType());
        if (!lhsType.isDynamicDim(rule.lhsDim) &&
            !rhsType.isDynamicDim(rule.rhsDim))
          continue; // checked by the verifier
        Value lhs = tensor::DimOp::create(b, loc, rule.lhs, rule.lhsDim);
        Value rhs = tensor::DimOp::create(b, loc, rule.rhs, rule.rhsDim);
        Value equal =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lhs, rhs);
        std::string message =
            (op->getName().getStringRef() + " (" + locationText(loc) +
             "): " + rule.lhsName + " dimension " + Twine(rule.lhsDim) +
             " does not match " + rule.rhsName + " dimension " +
             Twine(rule.rhsDim))
                .str();
        cf::AssertOp::create(b, loc, equal, message);
      }
    });
  }
};

} // namespace
