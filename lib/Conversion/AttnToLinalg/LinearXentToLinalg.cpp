//===- LinearXentToLinalg.cpp - lower attn.linear_xent in blocks ----------===//
//
// attn.linear_xent and its backward without the [N, V] logits: blocks of
// [blockV, blockN] logits (classes major, so that each token's running
// state is a vector lane and every product has the (i, j, r) form that
// --attn-vectorize-contractions register-blocks), formed from a block of
// the classifier and the transposed hidden states, reduced, and dropped.
// Operands are padded to whole blocks: padding tokens have zero hidden
// states and an ignored target (they add nothing), padding classes are
// masked to -inf in the forward and get dz = 0 in the backward.
//
// Forward, per block of tokens (an scf.forall with parallel-query-blocks):
//   for each block of classes:
//     z   = cap(w_blk h_blkᵀ + bias)                     [blockV, blockN]
//     m'  = max(m, max_c z)
//     s   = s exp(m - m') + sum_c exp(z - m'),  sumWZ += sum_c w[c] z
// then, per token, lse = m + log s, the target logit as one dot product,
// and the loss (xentLosses).
//
// Backward, per block of classes (owning its rows of dclassifier, dbias):
//   for each block of tokens:
//     dzᵀ = xentLogitGradient(w_blk h_blkᵀ + bias)    [blockV, blockN]
//     dw_blk += dzᵀ h_blk,  dbias_blk += rowsum(dzᵀ)
//     dh_blk += dz w_blk     (one thread: its iterations run in turn)
// With threads, dh is a second pass over token blocks that recomputes dzᵀ,
// so that no two iterations write the same rows. With grad_filter, a block
// whose |dz| are all below it skips its gradient products (an scf.if).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Conversion/Passes.h"
#include "AttnDialect/Dialect/Attn/AttnOps.h"
#include "AttnDialect/Dialect/Attn/AttnUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

/// The operands of a linear_xent (or its backward) padded to whole blocks,
/// and the block builders both lowerings share.
class Blocks {
public:
  template <typename OpT>
  Blocks(OpBuilder &b, Location loc, const XentOptions &options, OpT op,
         const AttentionLoweringOptions &lowering)
      : Blocks(b, loc, options, op.getHidden(), op.getClassifier(),
               op.getBias(), op.getWeight(), op.getTarget(), lowering) {}

  Blocks(OpBuilder &b, Location loc, const XentOptions &options,
         Value hidden, Value classifier, Value bias, Value weight, Value target,
         const AttentionLoweringOptions &lowering)
      : b(b), loc(loc), ctx(b.getContext()), options(options),
        operandType(getElementTypeOrSelf(hidden.getType())) {
    // bf16 products: hidden and classifier stay bf16, everything else (the
    // bias and weights too) is f32.
    type = isa<BFloat16Type>(operandType) ? b.getF32Type() : operandType;
    auto wide = [&](Value x) -> Value {
      return x && getElementTypeOrSelf(x.getType()) != type
                 ? convertElements(b, loc, x, type)
                 : x;
    };
    bias = wide(bias);
    weight = wide(weight);
    originalBias = bias;
    originalWeight = weight;
    tokens = tensor::getMixedSize(b, loc, hidden, 0);
    classes = tensor::getMixedSize(b, loc, classifier, 0);
    features = tensor::getMixedSize(b, loc, hidden, 1);
    // Fewer static tokens or classes than a block make a block of the
    // next multiple of 16.
    blockN = lowering.blockQ;
    blockV = lowering.blockKV;
    if (std::optional<int64_t> n = getConstantIntValue(tokens); n && *n)
      blockN = std::min<int64_t>(blockN, llvm::alignTo(*n, 16));
    if (std::optional<int64_t> v = getConstantIntValue(classes); v && *v)
      blockV = std::min<int64_t>(blockV, llvm::alignTo(*v, 16));
    std::optional<int64_t> v = getConstantIntValue(classes);
    maskClasses = !v || *v % blockV != 0;
    paddedTokens = roundUp(b, loc, tokens, blockN);
    paddedClasses = roundUp(b, loc, classes, blockV);
    Value zero = floatConstant(b, loc, type, 0.0);
    Value operandZero = floatConstant(b, loc, operandType, 0.0);
    this->hidden = padTo(b, loc, hidden, {paddedTokens, features},
                         {operandZero, operandZero});
    this->classifier = padTo(b, loc, classifier, {paddedClasses, features},
                             {operandZero, operandZero});
    if (bias)
      this->bias = padTo(b, loc, bias, {paddedClasses}, {zero});
    if (weight)
      this->weight = padTo(b, loc, weight, {paddedClasses}, {zero});
    Value ignored = arith::ConstantOp::create(
        b, loc,
        b.getIntegerAttr(getElementTypeOrSelf(target.getType()),
                         options.ignoreIndex));
    this->target = padTo(b, loc, target, {paddedTokens}, {ignored});
    // hᵀ [D, N'], once: the right-hand side of every logits block.
    AffineMap id = b.getMultiDimIdentityMap(2);
    hiddenT = buildGeneric(
        b, loc, {this->hidden}, {dimsMap(ctx, 2, {1, 0})},
        tensor::EmptyOp::create(b, loc,
                                ArrayRef<OpFoldResult>{features, paddedTokens},
                                operandType),
        id, {kPar, kPar},
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    numClasses = getValueOrCreateConstantIndexOp(b, loc, classes);
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  Value zeros(ArrayRef<OpFoldResult> sizes) {
    return filled(b, loc, sizes, floatConstant(b, loc, type, 0.0));
  }

  /// Rows [offset, offset + rows) of a 2-D `x`.
  Value rows2D(Value x, Value offset, int64_t rows) {
    OpFoldResult one = b.getIndexAttr(1);
    return tensor::ExtractSliceOp::create(
        b, loc, x, {offset, b.getIndexAttr(0)},
        {b.getIndexAttr(rows), tensor::getMixedSize(b, loc, x, 1)}, {one, one});
  }

  /// Columns [offset, offset + cols) of hᵀ: [D, cols].
  Value hiddenTBlock(Value offset, int64_t cols) {
    OpFoldResult one = b.getIndexAttr(1);
    return tensor::ExtractSliceOp::create(
        b, loc, hiddenT, {b.getIndexAttr(0), offset},
        {features, b.getIndexAttr(cols)}, {one, one});
  }

  /// Entries [offset, offset + size) of a 1-D `x`.
  Value slice1D(Value x, Value offset, int64_t size) {
    return tensor::ExtractSliceOp::create(
        b, loc, x, ArrayRef<OpFoldResult>{offset},
        ArrayRef<OpFoldResult>{b.getIndexAttr(size)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  }

  /// The raw logits (bias added, before the cap) of the classes from `vb`
  /// and the tokens from `nb`: w_blk h_blkᵀ [blockV, blockN].
  Value rawLogits(Value wBlock, Value vb, Value nb) {
    Value z = blockMatmul(b, loc, wBlock, hiddenTBlock(nb, blockN),
                          zeros({b.getIndexAttr(blockV),
                                 b.getIndexAttr(blockN)}));
    if (!bias)
      return z;
    AffineMap id = b.getMultiDimIdentityMap(2);
    return buildGeneric(
        b, loc, {z, slice1D(bias, vb, blockV)}, {id, dimsMap(ctx, 2, {0})},
        emptyBlock(), id, {kPar, kPar},
        [](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(nb, l, args[0], args[1]);
        });
  }

  Value emptyBlock() {
    return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{blockV, blockN},
                                   type);
  }

  /// Whether class `vb + c` (c the block's dim-0 index) is a real class.
  Value isClass(OpBuilder &nb, Location l, Value vb) {
    Value c =
        arith::AddIOp::create(nb, l, vb, linalg::IndexOp::create(nb, l, 0));
    return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, c,
                                 numClasses);
  }

  /// `x` [N', ...] without its padding tokens.
  Value unpadTokens(Value x) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    if (isEqualConstantIntOrValue(sizes[0], tokens))
      return x;
    sizes[0] = tokens;
    auto rank = sizes.size();
    return tensor::ExtractSliceOp::create(
        b, loc, x, SmallVector<OpFoldResult>(rank, b.getIndexAttr(0)), sizes,
        SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
  }

  /// `x` [V', ...] without its padding classes.
  Value unpadClasses(Value x) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    if (isEqualConstantIntOrValue(sizes[0], classes))
      return x;
    sizes[0] = classes;
    auto rank = sizes.size();
    return tensor::ExtractSliceOp::create(
        b, loc, x, SmallVector<OpFoldResult>(rank, b.getIndexAttr(0)), sizes,
        SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
  }

  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  XentOptions options;
  Type operandType; // hidden's and classifier's
  Type type;        // everything else's (f32 for bf16 operands)
  OpFoldResult tokens, classes, features, paddedTokens, paddedClasses;
  int64_t blockN, blockV;
  bool maskClasses; // the last class block has padding classes
  Value hidden, hiddenT, classifier, bias, weight, target, numClasses;
  // The bias and weights unpadded (in f32 for bf16 operands).
  Value originalBias, originalWeight;
};

/// Whether the blocked lowering takes `op` (otherwise its decomposition).
template <typename OpT>
bool takesBlocks(OpT op, const AttentionLoweringOptions &options) {
  if (options.lowering != AttentionLowering::Flash)
    return false;
  // A static 0 leaves the blocks nothing to slice: the decomposition
  // handles empty sizes.
  for (Value operand : {op.getHidden(), op.getClassifier()})
    for (int64_t size : cast<RankedTensorType>(operand.getType()).getShape())
      if (size == 0)
        return false;
  return true;
}

/// Why the blocked pattern leaves `op` (to its decomposition, or to the
/// f16/bf16-in-f32 pattern first), or success.
template <typename OpT>
LogicalResult matchBlocks(OpT op, const AttentionLoweringOptions &options,
                          PatternRewriter &b) {
  if (!takesBlocks(op, options))
    return b.notifyMatchFailure(op, "lowered by its decomposition");
  Type element = op.getHidden().getType().getElementType();
  if (!element.isF32() && !element.isF64() &&
      !bf16ProductsApply(op, options))
    return b.notifyMatchFailure(op, "f16 and bf16 are made f32 first");
  return success();
}

/// `x` of `type`'s element type (the op's result type, where the blocks
/// computed in f32 for bf16 operands).
Value asResult(OpBuilder &b, Location loc, Value x, Type type) {
  Type element = getElementTypeOrSelf(type);
  return getElementTypeOrSelf(x.getType()) == element
             ? x
             : convertElements(b, loc, x, element);
}

/// linear_xent -> token blocks of a loop over class blocks (file comment).
struct LinearXentToBlocks : OpRewritePattern<LinearXentOp> {
  LinearXentToBlocks(MLIRContext *ctx, AttentionLoweringOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(options) {}

  LogicalResult matchAndRewrite(LinearXentOp op,
                                PatternRewriter &b) const override {
    if (failed(matchBlocks(op, options, b)))
      return failure();
    Location loc = op.getLoc();
    XentOptions xent = xentOptions(op);
    Blocks blk(b, loc, xent, op, options);
    Type type = blk.type;
    bool smoothing = xent.smoothing != 0.0;
    int64_t blockN = blk.blockN, blockV = blk.blockV;
    AffineMap id2 = b.getMultiDimIdentityMap(2);
    AffineMap id1 = b.getMultiDimIdentityMap(1);
    AffineMap lanes = dimsMap(b.getContext(), 2, {1});

    Value numN = arith::DivUIOp::create(
        b, loc, getValueOrCreateConstantIndexOp(b, loc, blk.paddedTokens),
        blk.index(blockN));
    auto emptyTokens = [&]() -> Value {
      return tensor::EmptyOp::create(
          b, loc, ArrayRef<OpFoldResult>{blk.paddedTokens}, type);
    };
    SmallVector<Value> outs{emptyTokens(), emptyTokens()};
    if (smoothing)
      outs.push_back(emptyTokens());
    SmallVector<Value> stats = loopWritingSlices(
        b, loc, numN, outs, {}, options.parallelQueryBlocks,
        [&](Value t, SmallVectorImpl<Value> &, SmallVectorImpl<Value> &parts,
            SmallVectorImpl<SmallVector<OpFoldResult>> &offsets,
            SmallVectorImpl<SmallVector<OpFoldResult>> &sizes) {
          Value nb = arith::MulIOp::create(b, loc, t, blk.index(blockN));
          SmallVector<Value> inits{
              filled(b, loc, {b.getIndexAttr(blockN)}, negInfinity(b, loc, type)),
              blk.zeros({b.getIndexAttr(blockN)})};
          if (smoothing)
            inits.push_back(blk.zeros({b.getIndexAttr(blockN)}));
          auto classLoop = scf::ForOp::create(
              b, loc, blk.index(0),
              getValueOrCreateConstantIndexOp(b, loc, blk.paddedClasses),
              blk.index(blockV), inits);
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(classLoop.getBody());
            Value vb = classLoop.getInductionVar();
            ValueRange state = classLoop.getRegionIterArgs();
            Value raw =
                blk.rawLogits(blk.rows2D(blk.classifier, vb, blockV), vb, nb);
            // z = cap(raw), -inf at padding classes.
            Value z = buildGeneric(
                b, loc, {raw}, {id2}, blk.emptyBlock(), id2, {kPar, kPar},
                [&](OpBuilder &nb2, Location l, ValueRange args) -> Value {
                  Value capped = capLogit(nb2, l, args[0], xent);
                  if (!blk.maskClasses)
                    return capped;
                  return arith::SelectOp::create(nb2, l, blk.isClass(nb2, l, vb),
                                                 capped,
                                                 negInfinity(nb2, l, type));
                });
            // m' = max(m, max_c z)
            Value max = buildGeneric(
                b, loc, {z}, {id2}, state[0], lanes, {kRed, kPar},
                [](OpBuilder &nb2, Location l, ValueRange args) -> Value {
                  return arith::MaximumFOp::create(nb2, l, args[1], args[0]);
                });
            // s exp(m - m'), 0 while m is -inf (s is 0 then).
            Value rescaled = buildGeneric(
                b, loc, {state[1], state[0], max}, {id1, id1, id1},
                tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{blockN}, type),
                id1, {kPar},
                [&](OpBuilder &nb2, Location l, ValueRange args) -> Value {
                  Value scaled = arith::MulFOp::create(
                      nb2, l, args[0],
                      math::ExpOp::create(
                          nb2, l, arith::SubFOp::create(nb2, l, args[1], args[2])));
                  return arith::SelectOp::create(
                      nb2, l, isNegInfinity(nb2, l, args[1]),
                      floatConstant(nb2, l, type, 0.0), scaled);
                });
            // s += sum_c exp(z - m'),  sumZ += sum_c z (real classes)
            SmallVector<Value> accs{rescaled};
            if (smoothing)
              accs.push_back(state[2]);
            // (sum_c w[c] z[c] with class weights)
            SmallVector<Value> inputs{z, max};
            SmallVector<AffineMap> maps{id2, lanes};
            bool weighted = smoothing && blk.weight;
            if (weighted) {
              inputs.push_back(blk.slice1D(blk.weight, vb, blockV));
              maps.push_back(dimsMap(b.getContext(), 2, {0}));
            }
            maps.push_back(lanes);
            if (smoothing)
              maps.push_back(lanes);
            auto sums = linalg::GenericOp::create(
                b, loc, ValueRange(accs).getTypes(), inputs, accs, maps,
                SmallVector<IteratorType>{kRed, kPar},
                [&](OpBuilder &nb2, Location l, ValueRange args) {
                  ValueRange acc = args.drop_front(inputs.size());
                  SmallVector<Value> yielded{arith::AddFOp::create(
                      nb2, l, acc[0], expShifted(nb2, l, args[0], args[1]))};
                  if (smoothing) {
                    Value zc = args[0];
                    if (weighted)
                      zc = arith::MulFOp::create(nb2, l, zc, args[2]);
                    if (blk.maskClasses)
                      zc = arith::SelectOp::create(nb2, l, blk.isClass(nb2, l, vb),
                                                   zc,
                                                   floatConstant(nb2, l, type, 0.0));
                    yielded.push_back(arith::AddFOp::create(nb2, l, acc[1], zc));
                  }
                  linalg::YieldOp::create(nb2, l, yielded);
                });
            SmallVector<Value> next{max};
            llvm::append_range(next, sums.getResults());
            scf::YieldOp::create(b, loc, next);
          }
          // The shift of each token: its max, 0 while -inf.
          Value shift = buildGeneric(
              b, loc, {classLoop.getResult(0)}, {id1},
              tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{blockN}, type),
              id1, {kPar},
              [](OpBuilder &nb2, Location l, ValueRange args) -> Value {
                return safeShift(nb2, l, args[0]);
              });
          parts.push_back(shift);
          for (Value result : classLoop.getResults().drop_front())
            parts.push_back(result);
          for (size_t i = 0; i < parts.size(); ++i) {
            offsets.push_back({nb});
            sizes.push_back({b.getIndexAttr(blockN)});
          }
        });

    Value target = op.getTarget(), weight = blk.originalWeight;
    Value zt = linearXentTargetLogits(b, loc, xent, op.getHidden(),
                                      op.getClassifier(), blk.originalBias,
                                      target);
    Value wt, totalW;
    if (weight) {
      wt = targetWeights(b, loc, xent, weight, target, blk.numClasses);
      totalW = totalWeight(b, loc, weight);
    }
    auto [losses, lse] = xentLosses(
        b, loc, xent, target, blk.unpadTokens(stats[0]),
        blk.unpadTokens(stats[1]),
        smoothing ? blk.unpadTokens(stats[2]) : Value(), zt, wt, totalW,
        blk.numClasses, op.getWithLse());
    SmallVector<Value> results{asResult(
        b, loc,
        reduceLosses(b, loc, losses, target, xent.ignoreIndex, xent.reduction,
                     type, wt),
        op.getLoss().getType())};
    if (op.getWithLse())
      results.push_back(lse);
    b.replaceOp(op, results);
    return success();
  }

  AttentionLoweringOptions options;
};

/// linear_xent_backward -> class blocks of a loop over token blocks (file
/// comment).
struct LinearXentBackwardToBlocks : OpRewritePattern<LinearXentBackwardOp> {
  LinearXentBackwardToBlocks(MLIRContext *ctx, AttentionLoweringOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(options) {}

  LogicalResult matchAndRewrite(LinearXentBackwardOp op,
                                PatternRewriter &b) const override {
    if (failed(matchBlocks(op, options, b)))
      return failure();
    Location loc = op.getLoc();
    XentOptions xent = xentOptions(op);
    Blocks blk(b, loc, xent, op, options);
    Type type = blk.type;
    int64_t blockN = blk.blockN, blockV = blk.blockV;
    AffineMap id2 = b.getMultiDimIdentityMap(2);
    AffineMap lanes = dimsMap(b.getContext(), 2, {1});
    Value zero = floatConstant(b, loc, type, 0.0);

    // g, a and the target's share of each token, 0 for the padding ones.
    Value wt, totalW;
    if (Value weight = blk.originalWeight) {
      wt = targetWeights(b, loc, xent, weight, op.getTarget(), blk.numClasses);
      totalW = totalWeight(b, loc, weight);
    }
    Value grad = op.getGrad();
    if (getElementTypeOrSelf(grad.getType()) != type)
      grad = convertElements(b, loc, grad, type);
    XentRowGradients rowGrads =
        xentRowGradients(b, loc, xent, grad, op.getTarget(), op.getLse(), wt,
                         totalW, blk.numClasses);
    // bf16 products: dz is rounded to bf16 for the gradient products (its
    // f32 value feeds dbias and the filter).
    bool narrowProducts = blk.operandType != type;
    Value g = padTo(b, loc, rowGrads.g, {blk.paddedTokens}, {zero});
    Value a = padTo(b, loc, rowGrads.a, {blk.paddedTokens}, {zero});
    Value share = padTo(b, loc, rowGrads.targetShare, {blk.paddedTokens}, {zero});
    Value lse = padTo(b, loc, op.getLse(), {blk.paddedTokens}, {zero});
    Value classesF = arith::UIToFPOp::create(
        b, loc, type,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), blk.numClasses));

    // dzᵀ of the classes from vb and the tokens from nb [blockV, blockN].
    auto logitGradients = [&](Value wBlock, Value vb, Value nb) -> Value {
      Value raw = blk.rawLogits(wBlock, vb, nb);
      SmallVector<Value> inputs{raw,
                                blk.slice1D(lse, nb, blockN),
                                blk.slice1D(g, nb, blockN),
                                blk.slice1D(a, nb, blockN),
                                blk.slice1D(share, nb, blockN),
                                blk.slice1D(blk.target, nb, blockN)};
      SmallVector<AffineMap> maps{id2, lanes, lanes, lanes, lanes, lanes};
      if (blk.weight) {
        inputs.push_back(blk.slice1D(blk.weight, vb, blockV));
        maps.push_back(dimsMap(b.getContext(), 2, {0}));
      }
      return buildGeneric(
          b, loc, inputs, maps, blk.emptyBlock(), id2, {kPar, kPar},
          [&](OpBuilder &nb2, Location l, ValueRange args) -> Value {
            Value c = arith::AddIOp::create(nb2, l, vb,
                                            linalg::IndexOp::create(nb2, l, 0));
            Value isTarget = arith::CmpIOp::create(
                nb2, l, arith::CmpIPredicate::eq,
                arith::IndexCastOp::create(nb2, l, args[5].getType(), c),
                args[5]);
            Value dz = xentLogitGradient(
                nb2, l, xent, args[0], args[1], /*inverseSum=*/Value(), args[2],
                args[3], args[4], isTarget, blk.weight ? args[6] : Value(),
                classesF);
            if (!blk.maskClasses)
              return dz;
            return arith::SelectOp::create(nb2, l, blk.isClass(nb2, l, vb), dz,
                                           floatConstant(nb2, l, type, 0.0));
          });
    };

    // dz as the gradient products take it: rounded to bf16 with bf16
    // products (FlashAttention rounds p so), as it is otherwise.
    auto productOperand = [&](Value dzT) -> Value {
      return narrowProducts ? convertElements(b, loc, dzT, blk.operandType)
                            : dzT;
    };

    // With grad_filter = eps, whether any |dz| of a block reaches eps (a
    // NaN does): the block's gradient products are skipped otherwise.
    std::optional<double> eps;
    if (std::optional<APFloat> filter = op.getGradFilter())
      eps = filter->convertToDouble();
    auto significant = [&](Value dzT) -> Value {
      Value largest = buildGeneric(
          b, loc, {dzT}, {id2}, filled(b, loc, {}, zero),
          AffineMap::get(2, 0, {}, b.getContext()), {kRed, kRed},
          [](OpBuilder &nb2, Location l, ValueRange args) -> Value {
            return arith::MaximumFOp::create(nb2, l, args[1],
                                             math::AbsFOp::create(nb2, l, args[0]));
          });
      return arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::UGE,
          tensor::ExtractOp::create(b, loc, largest, ValueRange{}),
          floatConstant(b, loc, type, *eps));
    };
    // `update`'s values, or, with a filter, those of an scf.if that skips
    // it where dzT is all below eps (`unchanged` then).
    auto filtered = [&](Value dzT, ValueRange unchanged,
                        function_ref<SmallVector<Value>()> update) {
      if (!eps)
        return update();
      return computedIf(b, loc, significant(dzT), unchanged, update);
    };

    Value paddedTokens =
        getValueOrCreateConstantIndexOp(b, loc, blk.paddedTokens);
    Value numV = arith::DivUIOp::create(
        b, loc, getValueOrCreateConstantIndexOp(b, loc, blk.paddedClasses),
        blk.index(blockV));
    bool dhInClassPass = !options.parallelQueryBlocks;
    bool withBias = bool(op.getBias());
    SmallVector<Value> outs{tensor::EmptyOp::create(
        b, loc, tensor::getMixedSizes(b, loc, blk.classifier), type)};
    if (withBias)
      outs.push_back(tensor::EmptyOp::create(
          b, loc, ArrayRef<OpFoldResult>{blk.paddedClasses}, type));
    SmallVector<Value> carried;
    if (dhInClassPass)
      carried.push_back(blk.zeros(tensor::getMixedSizes(b, loc, blk.hidden)));
    SmallVector<Value> classGrads = loopWritingSlices(
        b, loc, numV, outs, carried, options.parallelQueryBlocks,
        [&](Value t, SmallVectorImpl<Value> &dhAll,
            SmallVectorImpl<Value> &parts,
            SmallVectorImpl<SmallVector<OpFoldResult>> &offsets,
            SmallVectorImpl<SmallVector<OpFoldResult>> &sizes) {
          Value vb = arith::MulIOp::create(b, loc, t, blk.index(blockV));
          Value wBlock = blk.rows2D(blk.classifier, vb, blockV);
          SmallVector<Value> inits{
              blk.zeros({b.getIndexAttr(blockV), blk.features})};
          if (withBias)
            inits.push_back(blk.zeros({b.getIndexAttr(blockV)}));
          llvm::append_range(inits, dhAll);
          auto tokenLoop = scf::ForOp::create(b, loc, blk.index(0), paddedTokens,
                                              blk.index(blockN), inits);
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(tokenLoop.getBody());
            Value nb = tokenLoop.getInductionVar();
            ValueRange acc = tokenLoop.getRegionIterArgs();
            Value dzT = logitGradients(wBlock, vb, nb);
            SmallVector<Value> yielded = filtered(dzT, acc, [&] {
              Value hBlock = blk.rows2D(blk.hidden, nb, blockN);
              Value dzProducts = productOperand(dzT);
              // dw_blk += dzᵀ h_blk
              SmallVector<Value> updated{
                  blockMatmul(b, loc, dzProducts, hBlock, acc[0])};
              if (withBias)
                // dbias_blk += rowsum(dzᵀ)
                updated.push_back(buildGeneric(
                    b, loc, {dzT}, {id2}, acc[1],
                    dimsMap(b.getContext(), 2, {0}), {kPar, kRed},
                    [](OpBuilder &nb2, Location l, ValueRange args) -> Value {
                      return arith::AddFOp::create(nb2, l, args[1], args[0]);
                    }));
              if (dhInClassPass) {
                // dh[rows of the block] += dz w_blk
                Value dh = acc.back();
                Value dhBlock = blockMatmul(b, loc, dzProducts, wBlock,
                                            blk.rows2D(dh, nb, blockN),
                                            /*lhsTransposed=*/true);
                OpFoldResult one = b.getIndexAttr(1);
                updated.push_back(tensor::InsertSliceOp::create(
                    b, loc, dhBlock, dh, {nb, b.getIndexAttr(0)},
                    {b.getIndexAttr(blockN), blk.features}, {one, one}));
              }
              return updated;
            });
            scf::YieldOp::create(b, loc, yielded);
          }
          if (dhInClassPass)
            dhAll.assign({tokenLoop.getResults().back()});
          parts.push_back(tokenLoop.getResult(0));
          offsets.push_back({vb, b.getIndexAttr(0)});
          sizes.push_back({b.getIndexAttr(blockV), blk.features});
          if (withBias) {
            parts.push_back(tokenLoop.getResult(1));
            offsets.push_back({vb});
            sizes.push_back({b.getIndexAttr(blockV)});
          }
        });

    Value dHidden;
    if (dhInClassPass) {
      dHidden = classGrads.back();
    } else {
      // The tokens pass (threads): dh of each token block.
      Value numN = arith::DivUIOp::create(b, loc, paddedTokens,
                                          blk.index(blockN));
      Value paddedClasses =
          getValueOrCreateConstantIndexOp(b, loc, blk.paddedClasses);
      dHidden = loopWritingSlices(
          b, loc, numN,
          {tensor::EmptyOp::create(
              b, loc, tensor::getMixedSizes(b, loc, blk.hidden), type)},
          {}, /*parallel=*/true,
          [&](Value t, SmallVectorImpl<Value> &, SmallVectorImpl<Value> &parts,
              SmallVectorImpl<SmallVector<OpFoldResult>> &offsets,
              SmallVectorImpl<SmallVector<OpFoldResult>> &sizes) {
            Value nb = arith::MulIOp::create(b, loc, t, blk.index(blockN));
            auto classLoop = scf::ForOp::create(
                b, loc, blk.index(0), paddedClasses, blk.index(blockV),
                ValueRange{blk.zeros({b.getIndexAttr(blockN), blk.features})});
            {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPointToStart(classLoop.getBody());
              Value vb = classLoop.getInductionVar();
              Value wBlock = blk.rows2D(blk.classifier, vb, blockV);
              Value dzT = logitGradients(wBlock, vb, nb);
              Value acc = classLoop.getRegionIterArgs()[0];
              // dh_blk += dz w_blk
              scf::YieldOp::create(
                  b, loc, filtered(dzT, acc, [&]() -> SmallVector<Value> {
                    return {blockMatmul(b, loc, productOperand(dzT), wBlock,
                                        acc, /*lhsTransposed=*/true)};
                  }));
            }
            parts.push_back(classLoop.getResult(0));
            offsets.push_back({nb, b.getIndexAttr(0)});
            sizes.push_back({b.getIndexAttr(blockN), blk.features});
          })[0];
    }
    SmallVector<Value> results{blk.unpadTokens(dHidden),
                               blk.unpadClasses(classGrads[0])};
    if (withBias)
      results.push_back(blk.unpadClasses(classGrads[1]));
    for (auto [result, type] : llvm::zip_equal(results, op->getResultTypes()))
      result = asResult(b, loc, result, type);
    b.replaceOp(op, results);
    return success();
  }

  AttentionLoweringOptions options;
};

} // namespace

bool attn::bf16ProductsApply(Operation *op,
                             const AttentionLoweringOptions &options) {
  return TypeSwitch<Operation *, bool>(op)
      .Case<LinearXentOp, LinearXentBackwardOp>([&](auto xent) {
        return options.bf16Products && takesBlocks(xent, options) &&
               xent.getHidden().getType().getElementType().isBF16();
      })
      .Case<AttentionOp>([&](AttentionOp attention) {
        return bf16ProductsApply(attention, options);
      })
      .Case<AttentionBackwardOp>([&](AttentionBackwardOp backward) {
        return options.bf16Products && lowersToFlash(backward, options) &&
               backward.getQuery().getType().getElementType().isBF16();
      })
      .Default([](Operation *) { return false; });
}

bool attn::lowersToBlocks(LinearXentOp op,
                          const AttentionLoweringOptions &options) {
  return takesBlocks(op, options);
}

bool attn::lowersToBlocks(LinearXentBackwardOp op,
                          const AttentionLoweringOptions &options) {
  return takesBlocks(op, options);
}

void attn::populateLinearXentToLinalgPatterns(
    RewritePatternSet &patterns, AttentionLoweringOptions options) {
  patterns.add<LinearXentToBlocks, LinearXentBackwardToBlocks>(
      patterns.getContext(), options);
}
