//===- LoopNest.h - the loops of an attn op, shared by its interfaces -----===//
//
// What TilingInterface, PartialReductionOpInterface and ShardingInterface
// read of an attn op alike: its loops and how each tensor is read over them.
// Private to the dialect library.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_DIALECT_ATTN_LOOPNEST_H
#define ATTN_LIB_DIALECT_ATTN_LOOPNEST_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Operation.h"

namespace mlir::attn::detail {

using utils::IteratorType;

/// The loops of an attn op and how its tensors are read over them.
struct LoopNest {
  SmallVector<IteratorType> iterators;
  /// One map per tensor operand, in operand order, from the loops to the
  /// operand's dimensions; a constant 0 is a broadcast (static size 1)
  /// dimension.
  SmallVector<AffineMap> operandMaps;
  /// One map per result.
  SmallVector<AffineMap> resultMaps;
  /// The reduction loop whose tiles fold into the op's destinations in turn
  /// (the online attention's keys), which a tile may cut; -1 for none.
  int64_t accumulatingLoop = -1;
  /// The reduction loop a partial reduction splits: the last dimension of
  /// the row reductions, attention's keys.
  int64_t partialLoop = -1;
  /// A causal op's row loop (its diagonal moves with a tile's offset) and
  /// its key loop; -1 without `causal`.
  int64_t rowLoop = -1, keyLoop = -1;
  /// Attention's query-head loop and its query heads per key/value head
  /// (0 when the head counts are dynamic); -1 for the others.
  int64_t headLoop = -1, groups = 0;
  /// For each loop, a tensor operand dimension of its extent.
  SmallVector<std::pair<unsigned, unsigned>> extents;
};

/// The loop nest of an attn op with TilingInterface.
LoopNest buildLoopNest(Operation *op);

/// The result types that `op` (an attn op with InferTypeOpInterface, on
/// slices or parts of its operands) infers from its operands and properties.
SmallVector<Type> inferredResultTypes(Operation *op);

/// `op`'s ranked tensor operands, in operand order (the loop nest's maps').
SmallVector<Value> tensorOperands(Operation *op);

} // namespace mlir::attn::detail

#endif // ATTN_LIB_DIALECT_ATTN_LOOPNEST_H
