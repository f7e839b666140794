//===- RowOrder.h - the order of row loops over broadcast inputs -*- C++ -*-===//
//
// When an input is broadcast over some row dimension (an attention mask
// [M, N] over a batch B), iterating that dimension innermost among the row
// loops re-reads each of the input's rows from cache instead of memory.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TRANSFORMS_ROWORDER_H
#define ATTN_LIB_TRANSFORMS_ROWORDER_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::attn {

/// The interchange of `op`'s `numRowDims` leading (parallel) loops that puts
/// the dims some input does not depend on innermost, keeping the order
/// otherwise; the remaining loops stay last. Empty if nothing moves.
inline SmallVector<int64_t> broadcastInnermostOrder(linalg::LinalgOp op,
                                                    unsigned numRowDims) {
  SmallVector<int64_t> used, broadcast;
  for (unsigned d = 0; d < numRowDims; ++d) {
    bool everyInputUses = llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *in) {
      return op.getMatchingIndexingMap(in).isFunctionOfDim(d);
    });
    (everyInputUses ? used : broadcast).push_back(d);
  }
  if (broadcast.empty() || used.empty())
    return {};
  SmallVector<int64_t> order(used);
  llvm::append_range(order, broadcast);
  for (unsigned d = numRowDims, e = op.getNumLoops(); d < e; ++d)
    order.push_back(d);
  return order;
}

} // namespace mlir::attn

#endif // ATTN_LIB_TRANSFORMS_ROWORDER_H
