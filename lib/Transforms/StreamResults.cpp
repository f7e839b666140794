//===- StreamResults.cpp - non-temporal stores of large results -----------===//
//
// A result much larger than the caches is written once and not read again by
// the function: ordinary stores first read each of its cache lines from
// memory (to own them), then write them back, tripling its traffic
// (softmax over 256 MiB: read x, read and write the result). Non-temporal
// stores write the lines without reading them. This pass turns the chunk
// writes into a returned buffer of at least `min-bytes` into
//   vector.store %v, %view[...] {nontemporal = true}
// (vectors of one row, through a view whose innermost stride is 1).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_STREAMRESULTSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The buffer that `memref` views (through subviews), or null.
Value viewedBuffer(Value memref) {
  while (auto view = memref.getDefiningOp<memref::SubViewOp>())
    memref = view.getSource();
  return memref.getDefiningOp<memref::AllocOp>() ? memref : Value();
}

/// Whether `memref`'s innermost dimension is contiguous.
bool hasUnitInnerStride(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  int64_t offset;
  SmallVector<int64_t> strides;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         !strides.empty() && strides.back() == 1;
}

struct StreamResultsPass
    : attn::impl::StreamResultsPassBase<StreamResultsPass> {
  using StreamResultsPassBase::StreamResultsPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration())
      return;
    // Returned buffers of a static size of at least min-bytes.
    DenseSet<Value> results;
    func.walk([&](func::ReturnOp ret) {
      for (Value v : ret.getOperands()) {
        auto alloc = v.getDefiningOp<memref::AllocOp>();
        auto type = dyn_cast<MemRefType>(v.getType());
        if (!alloc || !type || !type.hasStaticShape() ||
            !type.getElementType().isIntOrFloat())
          continue;
        int64_t bytes =
            type.getNumElements() * type.getElementTypeBitWidth() / 8;
        if (bytes >= minBytes)
          results.insert(v);
      }
    });
    if (results.empty())
      return;

    IRRewriter rewriter(&getContext());
    SmallVector<vector::TransferWriteOp> writes;
    func.walk([&](vector::TransferWriteOp write) {
      Value base = write.getBase();
      if (isa<MemRefType>(base.getType()) &&
          results.contains(viewedBuffer(base)) && !write.getMask() &&
          write.getVectorType().getRank() >= 1 &&
          llvm::all_of(write.getVectorType().getShape().drop_back(),
                       [](int64_t size) { return size == 1; }) &&
          write.getPermutationMap().isMinorIdentity() &&
          llvm::all_of(write.getInBoundsValues(), [](bool b) { return b; }) &&
          hasUnitInnerStride(base))
        writes.push_back(write);
    });
    for (vector::TransferWriteOp write : writes) {
      rewriter.setInsertionPoint(write);
      // vector<1x1xN> as vector<N>: stores are one-dimensional.
      VectorType type = write.getVectorType();
      Value vector = write.getVector();
      if (type.getRank() != 1)
        vector = vector::ShapeCastOp::create(
            rewriter, write.getLoc(),
            VectorType::get({type.getShape().back()}, type.getElementType()),
            vector);
      rewriter.replaceOpWithNewOp<vector::StoreOp>(
          write, vector, write.getBase(), write.getIndices(),
          /*nontemporal=*/true);
    }
  }
};

} // namespace
