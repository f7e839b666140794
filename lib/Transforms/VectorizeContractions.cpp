//===- VectorizeContractions.cpp - register-blocked matmuls ---------------===//
//
// A static contraction C[i, j] += sum_r A[i, r] B[r, j] (the k qᵀ and pᵀ v
// of the flash-attention loop, A read as [r, i] in the latter) becomes loops
// over register tiles of `rows` x `lanes` outputs: each tile is read into
// `rows` vector<lanes> accumulators, which the loop over r updates with one
// load of B's row, `rows` broadcasts of A's elements and `rows` multiply-adds,
// and written back once. The sum over r stays in order; with `fma` each step is
// one fused multiply-add. A column max of C read first (flash attention's
// running max) is folded into the tiles' write-back.
//
// Mixed precision (bf16 A and B, f32 C: the flash loop of a bf16 attention)
// widens each element as it is read, or with `bf16-dot` multiplies pairs of
// the reduction with the CPU's bf16 dot product (x86vector.avx512.dot,
// vdpbf16ps): B and a transposed A are first interleaved into pairs of rows
// (B'[r/2, 2j + t] = B[r + t, j]), and each step adds one pair of r.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether `op` is a contraction init + lhs rhs (upstream's analysis:
/// linalg::isaContractionOpInterface, inferContractionDims) over the loops
/// (i, j, r) in that order, with lhs [i, r] (or [r, i]: `lhsTransposed`),
/// rhs [r, j] and init [i, j]: the layout the register blocking reads.
bool isMatmul(linalg::GenericOp op, bool &lhsTransposed) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      !linalg::isaContractionOpInterface(op))
    return false;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || !dims->batch.empty() ||
      dims->m != SmallVector<unsigned>{0} ||
      dims->n != SmallVector<unsigned>{1} ||
      dims->k != SmallVector<unsigned>{2})
    return false;
  MLIRContext *ctx = op.getContext();
  auto map = [&](ArrayRef<unsigned> loops) {
    return AffineMap::getMultiDimMapWithTargets(3, loops, ctx);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  lhsTransposed = maps[0] == map({2, 0});
  if (!((maps[0] == map({0, 2}) || lhsTransposed) && maps[1] == map({2, 1}) &&
        maps[2] == map({0, 1})))
    return false;
  // The tiles compute out + ext(a) * ext(b) and nothing else: a body with
  // other casts (a rounding truncf) is left to loops.
  Block *body = op.getBody();
  auto sum = body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!sum)
    return false;
  auto isOperand = [&](Value x) {
    if (auto ext = x.getDefiningOp<arith::ExtFOp>())
      x = ext.getIn();
    auto arg = dyn_cast<BlockArgument>(x);
    return arg && arg.getOwner() == body && arg.getArgNumber() < 2;
  };
  Value addend = sum.getLhs() == body->getArgument(2) ? sum.getRhs()
                 : sum.getRhs() == body->getArgument(2) ? sum.getLhs()
                                                        : Value();
  auto product = addend ? addend.getDefiningOp<arith::MulFOp>() : nullptr;
  return product && isOperand(product.getLhs()) && isOperand(product.getRhs());
}

/// The value every element of `init` is filled with (a linalg.fill, or its
/// generic form yielding one value from outside), with the tensor it fills.
std::optional<std::pair<Value, Value>> filledWith(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return std::make_pair(fill.getInputs()[0], fill.getOutputs()[0]);
  auto generic = init.getDefiningOp<linalg::GenericOp>();
  if (!generic)
    return std::nullopt;
  std::optional<Value> value = linalg::isaFillOpInterface(generic);
  // The value must be defined outside: it is used where the fill was.
  if (!value || value->getParentBlock() == generic.getBody())
    return std::nullopt;
  return std::make_pair(*value, generic.getDpsInits()[0]);
}

/// An init that scales each row of a tensor (acc * a, a per row: flash
/// attention's rescaled output): the per-row factors and the tensor.
std::optional<std::pair<Value, Value>> rowScaled(Value init) {
  auto generic = init.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getNumLoops() != 2 ||
      generic.getNumReductionLoops() != 0)
    return std::nullopt;
  MLIRContext *ctx = init.getContext();
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (maps[0] != AffineMap::getMultiDimMapWithTargets(2, {0}, ctx) ||
      !maps[1].isIdentity())
    return std::nullopt;
  auto mul = generic.getBody()
                 ->getTerminator()
                 ->getOperand(0)
                 .getDefiningOp<arith::MulFOp>();
  Block *body = generic.getBody();
  if (!mul || body->getOperations().size() != 2 ||
      !llvm::is_contained(mul->getOperands(), body->getArgument(0)) ||
      !llvm::is_contained(mul->getOperands(), body->getArgument(1)))
    return std::nullopt;
  return std::make_pair(generic.getDpsInputs()[0], generic.getDpsInits()[0]);
}

/// The column max of `matmul`'s result to compute in its tiles: a generic
/// `m[j] = maxnumf(m[j], C[i, j])` over (i, j) that reads C before any other
/// user does (flash attention's running max over its key-major scores),
/// or null.
linalg::GenericOp columnMaxOf(linalg::GenericOp matmul) {
  Value result = matmul.getResult(0);
  linalg::GenericOp colMax;
  for (Operation *user : result.getUsers()) {
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || generic.getNumDpsInputs() != 1 ||
        generic.getNumDpsInits() != 1 ||
        generic.getDpsInputs()[0] != result)
      continue;
    MLIRContext *ctx = generic.getContext();
    Block *body = generic.getBody();
    // Its one combiner a maxnumf of C's element (upstream's matchReduction).
    SmallVector<Operation *> combiners;
    Value reduced =
        matchReduction(generic.getRegionOutputArgs(), 0, combiners);
    if (generic.getIndexingMapsArray() !=
            SmallVector<AffineMap>{
                AffineMap::getMultiDimIdentityMap(2, ctx),
                AffineMap::getMultiDimMapWithTargets(2, {1}, ctx)} ||
        generic.getIteratorTypesArray() !=
            SmallVector<utils::IteratorType>{utils::IteratorType::reduction,
                                             utils::IteratorType::parallel} ||
        reduced != body->getArgument(0) || combiners.size() != 1 ||
        !isa<arith::MaxNumFOp>(combiners[0]) ||
        body->getOperations().size() != 2)
      continue;
    colMax = generic;
    break;
  }
  if (!colMax)
    return {};
  // The tiles then run where the column max is (its init is defined by
  // then): every other user of C must come after it, in its block.
  Block *block = colMax->getBlock();
  if (matmul->getBlock() != block)
    return {};
  for (Operation *user : result.getUsers())
    if (user != colMax &&
        (user->getBlock() != block || !colMax->isBeforeInBlock(user)))
      return {};
  return colMax;
}

/// The largest power-of-two divisor of `size` that is at most `limit` and
/// at least `least`; 0 if none.
int64_t tileFor(int64_t size, int64_t limit, int64_t least) {
  for (int64_t t = limit; t >= least; t /= 2)
    if (size % t == 0)
      return t;
  return 0;
}

// matmul generic (i, j, r) -> loops over rows x lanes tiles, vector.fma per r
struct RegisterBlockMatmul : OpRewritePattern<linalg::GenericOp> {
  RegisterBlockMatmul(MLIRContext *ctx, int64_t rows, int64_t lanes,
                      int64_t unroll, bool fma, bool bf16Dot)
      : OpRewritePattern(ctx), rows(rows), lanes(lanes), unroll(unroll),
        fma(fma), bf16Dot(bf16Dot) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    bool lhsTransposed;
    if (!isMatmul(op, lhsTransposed))
      return rewriter.notifyMatchFailure(op, "not a matmul-form generic");
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic) ||
        llvm::is_contained(ranges, 0))
      return rewriter.notifyMatchFailure(op, "dynamic or empty shape");
    Type elementType = getElementTypeOrSelf(op.getResult(0).getType());
    if (!elementType.isF32() && !elementType.isF64())
      return rewriter.notifyMatchFailure(op, "not f32 or f64");
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Type lhsElement = getElementTypeOrSelf(lhs.getType());
    Type rhsElement = getElementTypeOrSelf(rhs.getType());
    // Narrower operands are widened as they are read (the body's extf).
    auto widens = [&](Type type) {
      return type == elementType ||
             (isa<FloatType>(type) &&
              cast<FloatType>(type).getWidth() <
                  cast<FloatType>(elementType).getWidth());
    };
    if (!widens(lhsElement) || !widens(rhsElement))
      return rewriter.notifyMatchFailure(op, "operands wider than the result");
    // Pairs of bf16 through the dot product: an even reduction, whole
    // vectors of 16 f32 lanes, the order of the sum given up (fma).
    bool dot = bf16Dot && fma && elementType.isF32() && lhsElement.isBF16() &&
               rhsElement.isBF16() && ranges[2] % 2 == 0 &&
               ranges[1] % kDotLanes == 0 &&
               (!lhsTransposed || ranges[0] % kDotLanes == 0);
    int64_t tileRows = tileFor(ranges[0], rows, 1);
    int64_t tileLanes = tileFor(ranges[1], std::max(lanes, dot ? kDotLanes : 0),
                                dot ? kDotLanes : 4);
    int64_t reductionSteps = dot ? ranges[2] / 2 : ranges[2];
    int64_t steps = tileFor(reductionSteps, unroll, 1);
    if (tileLanes == 0)
      return rewriter.notifyMatchFailure(op, "no lane tile divides the row");
    // The accumulators of a row of the tile: one vector, or the dot
    // product's 16-lane vectors side by side.
    int64_t vectorLanes = dot ? kDotLanes : tileLanes;
    int64_t chunks = tileLanes / vectorLanes;

    Location loc = op.getLoc();
    // A column max of the result is taken from each tile's accumulators
    // as they are written, not in a pass over C of its own.
    linalg::GenericOp colMax = columnMaxOf(op);
    OpBuilder::InsertionGuard guard(rewriter);
    if (colMax)
      rewriter.setInsertionPoint(colMax);
    auto vectorType = VectorType::get({vectorLanes}, elementType);
    Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
    auto zeroOf = [&](Type type) -> Value {
      return arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getFloatAttr(type, 0.0));
    };
    Value padding = zeroOf(elementType);
    Value lhsPadding = zeroOf(lhsElement), rhsPadding = zeroOf(rhsElement);
    auto index = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    SmallVector<bool> inBounds{true};
    auto widen = [&](OpBuilder &b, Location loc, Value x) -> Value {
      Type type = getElementTypeOrSelf(x.getType());
      if (type == elementType)
        return x;
      Type wide = elementType;
      if (auto vector = dyn_cast<VectorType>(x.getType()))
        wide = vector.clone(elementType);
      return arith::ExtFOp::create(b, loc, wide, x);
    };
    // The dot product reads B, and A where it is transposed, as pairs of
    // rows interleaved.
    if (dot) {
      rhs = interleaveRowPairs(rewriter, loc, rhs);
      if (lhsTransposed)
        lhs = interleaveRowPairs(rewriter, loc, lhs);
    }
    auto pairType = VectorType::get({2 * kDotLanes}, rhsElement);
    // A[i, 2 r2 : 2 r2 + 2] (or A'[r2, 2 i : 2 i + 2]) in every 32-bit lane.
    auto broadcastPair = [&](OpBuilder &b, Location loc, Value i, Value r2) {
      SmallVector<Value, 2> at{i, r2};
      Value two = index(b, 2);
      if (lhsTransposed)
        at = {r2, arith::MulIOp::create(b, loc, i, two)};
      else
        at[1] = arith::MulIOp::create(b, loc, r2, two);
      Value pair = vector::TransferReadOp::create(
          b, loc, VectorType::get({2}, lhsElement), lhs, at, lhsPadding,
          inBounds);
      Value word = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), pair);
      Value words = vector::BroadcastOp::create(
          b, loc, VectorType::get({kDotLanes}, b.getI32Type()), word);
      return vector::BitCastOp::create(b, loc, pairType, words).getResult();
    };

    // A filled init (C = 0 + A B) starts the accumulators from the fill
    // value and is overwritten whole: its fill is not needed.
    Value init = op.getDpsInits()[0], start, rowScale;
    if (auto filled = filledWith(init)) {
      start = vector::BroadcastOp::create(rewriter, loc, vectorType,
                                          filled->first);
      init = filled->second;
    } else if (auto scaled = rowScaled(init)) {
      // A row-scaled init (C = acc * a + A B): each tile of acc is scaled
      // as it is read, rather than in a pass of its own.
      std::tie(rowScale, init) = *scaled;
    }
    SmallVector<Value> carried{init};
    if (colMax)
      carried.push_back(colMax.getDpsInits()[0]);
    auto rowLoop = scf::ForOp::create(
        rewriter, loc, c0, index(rewriter, ranges[0]),
        index(rewriter, tileRows), carried,
        [&](OpBuilder &b, Location loc, Value i, ValueRange rowArgs) {
          auto laneLoop = scf::ForOp::create(
              b, loc, c0, index(b, ranges[1]), index(b, tileLanes), rowArgs,
              [&](OpBuilder &b, Location loc, Value j, ValueRange tileArgs) {
                Value out = tileArgs[0];
                SmallVector<Value> rowIndices, columns, accs;
                for (int64_t c = 0; c < chunks; ++c)
                  columns.push_back(
                      c == 0 ? j
                             : arith::AddIOp::create(
                                   b, loc, j, index(b, c * vectorLanes))
                                   .getResult());
                for (int64_t t = 0; t < tileRows; ++t) {
                  rowIndices.push_back(
                      t == 0 ? i
                             : arith::AddIOp::create(b, loc, i, index(b, t))
                                   .getResult());
                  Value factor;
                  if (rowScale)
                    factor = vector::BroadcastOp::create(
                        b, loc, vectorType,
                        tensor::ExtractOp::create(b, loc, rowScale,
                                                  ValueRange{rowIndices[t]}));
                  for (int64_t c = 0; c < chunks; ++c) {
                    Value acc =
                        start ? start
                              : vector::TransferReadOp::create(
                                    b, loc, vectorType, out,
                                    ValueRange{rowIndices[t], columns[c]},
                                    padding, inBounds)
                                    .getResult();
                    if (rowScale)
                      acc = arith::MulFOp::create(b, loc, acc, factor);
                    accs.push_back(acc);
                  }
                }
                // `steps` consecutive r (pairs of r) per iteration: less
                // loop overhead per multiply-add.
                auto reduction = scf::ForOp::create(
                    b, loc, c0, index(b, reductionSteps), index(b, steps), accs,
                    [&](OpBuilder &b, Location loc, Value r0,
                        ValueRange partial) {
                      SmallVector<Value> updated(partial);
                      for (int64_t u = 0; u < steps; ++u) {
                        Value r = u == 0 ? r0
                                         : arith::AddIOp::create(b, loc, r0,
                                                                 index(b, u))
                                               .getResult();
                        if (dot) {
                          // acc += A[i, 2r] B[2r, j] + A[i, 2r+1] B[2r+1, j]
                          SmallVector<Value> pairsOfB;
                          for (int64_t c = 0; c < chunks; ++c)
                            pairsOfB.push_back(vector::TransferReadOp::create(
                                b, loc, pairType, rhs,
                                ValueRange{r, arith::MulIOp::create(
                                                  b, loc, columns[c],
                                                  index(b, 2))},
                                rhsPadding, inBounds));
                          for (int64_t t = 0; t < tileRows; ++t) {
                            Value pairOfA =
                                broadcastPair(b, loc, rowIndices[t], r);
                            for (int64_t c = 0; c < chunks; ++c) {
                              Value &acc = updated[t * chunks + c];
                              acc = x86vector::DotBF16Op::create(
                                  b, loc, vectorType, acc, pairOfA,
                                  pairsOfB[c]);
                            }
                          }
                          continue;
                        }
                        Value row = widen(
                            b, loc,
                            vector::TransferReadOp::create(
                                b, loc, VectorType::get({tileLanes}, rhsElement),
                                rhs, ValueRange{r, j}, rhsPadding, inBounds));
                        for (int64_t t = 0; t < tileRows; ++t) {
                          SmallVector<Value, 2> at{rowIndices[t], r};
                          if (lhsTransposed)
                            std::swap(at[0], at[1]);
                          Value a = widen(
                              b, loc, tensor::ExtractOp::create(b, loc, lhs, at));
                          Value splat = vector::BroadcastOp::create(
                              b, loc, vectorType, a);
                          if (fma) {
                            updated[t] = vector::FMAOp::create(b, loc, splat,
                                                               row, updated[t]);
                          } else {
                            Value product =
                                arith::MulFOp::create(b, loc, splat, row);
                            updated[t] = arith::AddFOp::create(
                                b, loc, updated[t], product);
                          }
                        }
                      }
                      scf::YieldOp::create(b, loc, updated);
                    });
                for (int64_t t = 0; t < tileRows; ++t)
                  for (int64_t c = 0; c < chunks; ++c)
                    out = vector::TransferWriteOp::create(
                              b, loc, reduction.getResult(t * chunks + c), out,
                              ValueRange{rowIndices[t], columns[c]}, inBounds)
                              .getResult();
                SmallVector<Value> yielded{out};
                if (colMax) {
                  // maxnumf is exact in any order: the tile's rows, then
                  // the columns' max so far.
                  Value columnMax = tileArgs[1];
                  for (int64_t c = 0; c < chunks; ++c) {
                    Value tileMax = reduction.getResult(c);
                    for (int64_t t = 1; t < tileRows; ++t)
                      tileMax = arith::MaxNumFOp::create(
                          b, loc, tileMax, reduction.getResult(t * chunks + c));
                    Value sofar = vector::TransferReadOp::create(
                        b, loc, vectorType, columnMax, ValueRange{columns[c]},
                        padding, inBounds);
                    columnMax =
                        vector::TransferWriteOp::create(
                            b, loc,
                            arith::MaxNumFOp::create(b, loc, sofar, tileMax),
                            columnMax, ValueRange{columns[c]}, inBounds)
                            .getResult();
                  }
                  yielded.push_back(columnMax);
                }
                scf::YieldOp::create(b, loc, yielded);
              });
          scf::YieldOp::create(b, loc, laneLoop.getResults());
        });
    rewriter.replaceOp(op, rowLoop.getResult(0));
    if (colMax)
      rewriter.replaceOp(colMax, rowLoop.getResult(1));
    return success();
  }

  /// B'[r2, 2 j + t] = B[2 r2 + t, j], for a B of an even row count and
  /// whole vectors of kDotLanes columns: the pairs of rows interleaved.
  static Value interleaveRowPairs(OpBuilder &b, Location loc, Value matrix) {
    auto type = cast<RankedTensorType>(matrix.getType());
    int64_t pairs = type.getDimSize(0) / 2, columns = type.getDimSize(1);
    Type element = type.getElementType();
    auto index = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value padding =
        arith::ConstantOp::create(b, loc, b.getFloatAttr(element, 0.0));
    auto half = VectorType::get({kDotLanes}, element);
    SmallVector<bool> inBounds{true};
    Value packed = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{pairs, 2 * columns}, element);
    auto pairLoop = scf::ForOp::create(
        b, loc, index(b, 0), index(b, pairs), index(b, 1), ValueRange{packed},
        [&](OpBuilder &b, Location loc, Value r2, ValueRange args) {
          Value even = arith::MulIOp::create(b, loc, r2, index(b, 2));
          Value odd = arith::AddIOp::create(b, loc, even, index(b, 1));
          Value result = args[0];
          for (int64_t j = 0; j < columns; j += kDotLanes) {
            auto read = [&](Value row) -> Value {
              return vector::TransferReadOp::create(b, loc, half, matrix,
                                                    ValueRange{row, index(b, j)},
                                                    padding, inBounds);
            };
            Value pairsOfRows =
                vector::InterleaveOp::create(b, loc, read(even), read(odd));
            result = vector::TransferWriteOp::create(
                         b, loc, pairsOfRows, result,
                         ValueRange{r2, index(b, 2 * j)}, inBounds)
                         .getResult();
          }
          scf::YieldOp::create(b, loc, result);
        });
    return pairLoop.getResult(0);
  }

  static constexpr int64_t kDotLanes = 16;
  int64_t rows, lanes, unroll;
  bool fma, bf16Dot;
};

struct VectorizeContractionsPass
    : attn::impl::VectorizeContractionsPassBase<VectorizeContractionsPass> {
  using VectorizeContractionsPassBase::VectorizeContractionsPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RegisterBlockMatmul>(&getContext(), rows, lanes, unroll, fma,
                                      bf16Dot);
    // Greedily: a matmul's rewrite may also replace its column max, an
    // op after it.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
