//===- PrefetchRows.cpp - software prefetch of the next row ---------------===//
//
// A row computation reads its row from memory in one chunk loop, then
// spends a while on it in cache (a softmax's exps, the cross-lane combine):
// memory idles meanwhile, and the hardware prefetcher does not run ahead
// into the next row, which starts in another page. This pass makes each
// chunk of that first read also prefetch the same chunk of the next row:
//
//   scf.for %r = ... {                     // rows
//     scf.for %j = ... step 64 {           // chunks
//       memref.prefetch %x[%r_next, %j]    // + one per cache line of the chunk
//       vector.transfer_read %x[%r, %j]
//
// with %r_next = min(%r + step, ub - 1). Only reads of function arguments
// (the inputs, in memory) along the chunk loop's index are prefetched.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_PREFETCHROWSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

constexpr int64_t kCacheLineBytes = 64;

/// The loop around `chunks` when its index selects the row that `read`
/// takes, with that index's position among the read's indices. (An input
/// indexed by an outer loop only is re-read from cache by this one.)
std::optional<std::pair<scf::ForOp, unsigned>>
rowLoop(vector::TransferReadOp read, scf::ForOp chunks) {
  auto loop = chunks->getParentOfType<scf::ForOp>();
  if (!loop)
    return std::nullopt;
  ValueRange indices = read.getIndices();
  for (unsigned d = 0; d + 1 < indices.size(); ++d)
    if (indices[d] == loop.getInductionVar())
      return std::make_pair(loop, d);
  return std::nullopt;
}

struct PrefetchRowsPass
    : attn::impl::PrefetchRowsPassBase<PrefetchRowsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration())
      return;
    SmallVector<vector::TransferReadOp> reads;
    func.walk([&](vector::TransferReadOp read) { reads.push_back(read); });

    // The first read of each input in each row loop only.
    DenseSet<std::pair<Operation *, Value>> done;
    for (vector::TransferReadOp read : reads) {
      auto arg = dyn_cast<BlockArgument>(read.getBase());
      auto type = dyn_cast<MemRefType>(read.getBase().getType());
      auto chunks = dyn_cast<scf::ForOp>(read->getParentOp());
      if (!arg || arg.getOwner() != &func.getBody().front() || !type ||
          !chunks ||
          llvm::any_of(read.getVectorType().getShape().drop_back(),
                       [](int64_t size) { return size != 1; }) ||
          !read.getPermutationMap().isMinorIdentity() ||
          read.getIndices().back() != chunks.getInductionVar() ||
          !type.getElementType().isIntOrFloat())
        continue;
      auto row = rowLoop(read, chunks);
      if (!row || !done.insert({row->first, read.getBase()}).second)
        continue;
      auto [loop, dim] = *row;

      // The next row's index, clamped to the last row.
      OpBuilder b(loop.getBody(), loop.getBody()->begin());
      Location loc = read.getLoc();
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      Value next = arith::MinSIOp::create(
          b, loc,
          arith::AddIOp::create(b, loc, loop.getInductionVar(),
                                loop.getStep()),
          arith::SubIOp::create(b, loc, loop.getUpperBound(), one));

      // One prefetch per cache line of the chunk.
      b.setInsertionPoint(read);
      int64_t elementBytes = type.getElementTypeBitWidth() / 8;
      int64_t lineElements = std::max<int64_t>(1, kCacheLineBytes / elementBytes);
      int64_t length = read.getVectorType().getNumElements();
      SmallVector<Value> indices(read.getIndices());
      indices[dim] = next;
      Value column = indices.back();
      for (int64_t offset = 0; offset < length; offset += lineElements) {
        indices.back() =
            offset == 0 ? column
                        : arith::AddIOp::create(
                              b, loc, column,
                              arith::ConstantIndexOp::create(b, loc, offset))
                              .getResult();
        memref::PrefetchOp::create(b, loc, read.getBase(), indices,
                                   /*isWrite=*/false, /*localityHint=*/3,
                                   /*isDataCache=*/true);
      }
    }
  }
};

} // namespace
