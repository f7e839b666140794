//===- BoolVectorsAsBytes.cpp - i1 vectors in memory as bytes -------------===//
//
// A memref of i1 holds a byte per element, but LLVM packs a vector of i1 in
// memory as bits: the vector loads and stores of i1 that the vector dialect
// lowers to are made loads and stores of i8 vectors with a truncation or an
// extension (see the pass description).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_BOOLVECTORSASBYTESPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The vector of i8 of the shape of `type`, a vector of i1, or null.
VectorType bytesOf(Type type) {
  auto vector = dyn_cast<VectorType>(type);
  if (!vector || !vector.getElementType().isInteger(1))
    return {};
  return vector.clone(IntegerType::get(type.getContext(), 8));
}

/// load -> vector<Nxi1>  =>  trunc(load -> vector<Nxi8>)
struct LoadBytes : OpRewritePattern<LLVM::LoadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LLVM::LoadOp load,
                                PatternRewriter &rewriter) const override {
    VectorType bytes = bytesOf(load.getType());
    if (!bytes)
      return failure();
    auto wide = cast<LLVM::LoadOp>(rewriter.clone(*load));
    wide.getResult().setType(bytes);
    rewriter.replaceOpWithNewOp<LLVM::TruncOp>(load, load.getType(), wide);
    return success();
  }
};

/// store vector<Nxi1> (plain or masked)  =>  store zext(..) to vector<Nxi8>
template <typename StoreOp>
struct StoreBytes : OpRewritePattern<StoreOp> {
  using OpRewritePattern<StoreOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(StoreOp store,
                                PatternRewriter &rewriter) const override {
    VectorType bytes = bytesOf(store.getValue().getType());
    if (!bytes)
      return failure();
    Value wide = LLVM::ZExtOp::create(rewriter, store.getLoc(), bytes,
                                      store.getValue());
    rewriter.modifyOpInPlace(store,
                             [&] { store.getValueMutable().assign(wide); });
    return success();
  }
};

/// masked.load -> vector<Nxi1>  =>  trunc(masked.load -> vector<Nxi8>)
struct MaskedLoadBytes : OpRewritePattern<LLVM::MaskedLoadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LLVM::MaskedLoadOp load,
                                PatternRewriter &rewriter) const override {
    VectorType bytes = bytesOf(load.getType());
    if (!bytes)
      return failure();
    Location loc = load.getLoc();
    Value passThru = load.getPassThru();
    if (passThru)
      passThru = LLVM::ZExtOp::create(rewriter, loc, bytes, passThru);
    auto wide = cast<LLVM::MaskedLoadOp>(rewriter.clone(*load));
    wide.getResult().setType(bytes);
    if (passThru)
      wide.getPassThruMutable().assign(passThru);
    rewriter.replaceOpWithNewOp<LLVM::TruncOp>(load, load.getType(), wide);
    return success();
  }
};

struct BoolVectorsAsBytesPass
    : attn::impl::BoolVectorsAsBytesPassBase<BoolVectorsAsBytesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LoadBytes, MaskedLoadBytes, StoreBytes<LLVM::StoreOp>,
                 StoreBytes<LLVM::MaskedStoreOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
