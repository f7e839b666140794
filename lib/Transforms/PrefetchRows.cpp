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
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"

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
  if (!loop || !loop.getInductionVar().getType().isIndex())
    return std::nullopt;
  ValueRange indices = read.getIndices();
  for (unsigned d = 0; d + 1 < indices.size(); ++d)
    if (indices[d] == loop.getInductionVar())
      return std::make_pair(loop, d);
  return std::nullopt;
}

/// Prefetches the `length` elements of `memref` from `indices`, one
/// prefetch per cache line along the last index.
void prefetchLines(OpBuilder &b, Location loc, Value memref,
                   SmallVector<Value> indices, int64_t length, bool isWrite) {
  auto type = cast<MemRefType>(memref.getType());
  int64_t elementBytes =
      std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  int64_t lineElements = std::max<int64_t>(1, kCacheLineBytes / elementBytes);
  Value column = indices.back();
  for (int64_t offset = 0; offset < length; offset += lineElements) {
    indices.back() = offset == 0
                         ? column
                         : arith::AddIOp::create(
                               b, loc, column,
                               arith::ConstantIndexOp::create(b, loc, offset))
                               .getResult();
    memref::PrefetchOp::create(b, loc, memref, indices, isWrite,
                               /*localityHint=*/3, /*isDataCache=*/true);
  }
}

/// Whether `read` takes a row of an input of `func` in chunks of `chunks`.
bool isChunkOfInputRow(vector::TransferReadOp read, scf::ForOp chunks,
                       func::FuncOp func) {
  auto arg = dyn_cast<BlockArgument>(read.getBase());
  auto type = dyn_cast<MemRefType>(read.getBase().getType());
  return arg && arg.getOwner() == &func.getBody().front() && type && chunks &&
         type.getElementType().isIntOrFloat() &&
         read.getVectorType().getRank() >= 1 && !read.getIndices().empty() &&
         llvm::all_of(read.getVectorType().getShape().drop_back(),
                      [](int64_t size) { return size == 1; }) &&
         read.getPermutationMap().isMinorIdentity() &&
         read.getIndices().back() == chunks.getInductionVar();
}

/// A row loop given prefetches: the next row's index and the chunk loop
/// that prefetches it.
struct PrefetchingRow {
  Value next;
  scf::ForOp chunks;
};

struct PrefetchRowsPass : attn::impl::PrefetchRowsPassBase<PrefetchRowsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration())
      return;
    SmallVector<vector::TransferReadOp> reads;
    func.walk([&](vector::TransferReadOp read) { reads.push_back(read); });

    // The first read of each input in each row loop only.
    DenseSet<std::pair<Operation *, Value>> done;
    llvm::MapVector<Operation *, PrefetchingRow> rows;
    for (vector::TransferReadOp read : reads) {
      auto chunks = dyn_cast<scf::ForOp>(read->getParentOp());
      if (!isChunkOfInputRow(read, chunks, func))
        continue;
      auto row = rowLoop(read, chunks);
      if (!row || !done.insert({row->first, read.getBase()}).second)
        continue;
      auto [loop, dim] = *row;

      // The next row's index, clamped to the last row.
      auto [it, inserted] = rows.try_emplace(loop, PrefetchingRow{});
      if (inserted) {
        OpBuilder b(loop.getBody(), loop.getBody()->begin());
        Location loc = loop.getLoc();
        Value one = arith::ConstantIndexOp::create(b, loc, 1);
        it->second.next = arith::MinSIOp::create(
            b, loc,
            arith::AddIOp::create(b, loc, loop.getInductionVar(),
                                  loop.getStep()),
            arith::SubIOp::create(b, loc, loop.getUpperBound(), one));
        it->second.chunks = chunks;
      }
      SmallVector<Value> indices(read.getIndices());
      indices[dim] = it->second.next;
      OpBuilder b(read);
      prefetchLines(b, read.getLoc(), read.getBase(), indices,
                    read.getVectorType().getNumElements(), /*isWrite=*/false);
    }

    // The row's output too, for writing: its first write would otherwise
    // wait for each line to be read from memory.
    for (auto &[op, row] : rows)
      prefetchOutputRows(cast<scf::ForOp>(op), row);
  }

  /// For each chunked write of `loop`'s row into a view of a buffer from
  /// outside the loop, prefetches the next row's chunk for writing in the
  /// loop that prefetches the inputs (which spans the same columns).
  void prefetchOutputRows(scf::ForOp loop, PrefetchingRow row) {
    DenseSet<Value> seen;
    for (Operation &op : *loop.getBody()) {
      auto chunks = dyn_cast<scf::ForOp>(op);
      if (!chunks || chunks.getLowerBound() != row.chunks.getLowerBound() ||
          chunks.getUpperBound() != row.chunks.getUpperBound())
        continue;
      for (auto write : chunks.getBody()->getOps<vector::TransferWriteOp>()) {
        auto view = write.getBase().getDefiningOp<memref::SubViewOp>();
        if (!view || view->getBlock() != loop.getBody() ||
            !llvm::is_contained(view->getOperands(), loop.getInductionVar()) ||
            !loop.isDefinedOutsideOfLoop(view.getSource()) ||
            !isa<MemRefType>(write.getBase().getType()) ||
            write.getVectorType().getRank() < 1 || write.getIndices().empty() ||
            llvm::any_of(write.getVectorType().getShape().drop_back(),
                         [](int64_t size) { return size != 1; }) ||
            !write.getPermutationMap().isMinorIdentity() ||
            write.getIndices().back() != chunks.getInductionVar() ||
            !seen.insert(view.getSource()).second)
          continue;
        // Its other indices and the view's other operands must be available
        // where the inputs are prefetched.
        ValueRange indices = write.getIndices().drop_back();
        if (llvm::any_of(
                indices,
                [&](Value v) { return !loop.isDefinedOutsideOfLoop(v); }) ||
            llvm::any_of(view->getOperands(), [&](Value v) {
              return v != loop.getInductionVar() &&
                     !loop.isDefinedOutsideOfLoop(v);
            }))
          continue;
        // The chunk loop's step is how much of the row each iteration
        // prefetches.
        std::optional<int64_t> step = getConstantIntValue(row.chunks.getStep());
        if (!step || *step <= 0)
          continue;
        OpBuilder b(row.chunks);
        IRMapping mapping;
        mapping.map(loop.getInductionVar(), row.next);
        Value nextView = b.clone(*view, mapping)->getResult(0);
        b.setInsertionPointToStart(row.chunks.getBody());
        SmallVector<Value> at(indices);
        at.push_back(row.chunks.getInductionVar());
        prefetchLines(b, write.getLoc(), nextView, at, *step, /*isWrite=*/true);
      }
    }
  }
};

} // namespace
