//===- SerializeSmallRegions.cpp - no threads for small inputs ------------===//
//
// Waking a second thread and joining it costs tens of microseconds (OpenMP's
// fork and barrier), more than a small op takes on one: a sum of squares of
// 4 x 1024 floats took 0.09 ms on 2 threads against 0.005 ms on 1. Each
// `omp.parallel` of a function whose memory arguments hold fewer than
// `min-bytes` bytes runs on the calling thread alone (OpenMP's `if`
// clause), decided at run time from the arguments' sizes. The inputs' bytes
// stand for the work: attn's row ops are bound by them, and the one op that
// is not (attention) does more work per byte, so it crosses the threshold
// sooner, never later, than its work would.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace mlir::attn {
#define GEN_PASS_DEF_SERIALIZESMALLREGIONSPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The bytes of the memref arguments of `func`, computed at its entry.
Value argumentBytes(OpBuilder &b, func::FuncOp func) {
  Location loc = func.getLoc();
  Value total = arith::ConstantIndexOp::create(b, loc, 0);
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.getElementType().isIntOrFloat())
      continue;
    int64_t elementBytes =
        std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    Value bytes = arith::ConstantIndexOp::create(b, loc, elementBytes);
    for (int64_t d = 0; d < type.getRank(); ++d) {
      Value size =
          type.isDynamicDim(d)
              ? memref::DimOp::create(b, loc, arg, d).getResult()
              : arith::ConstantIndexOp::create(b, loc, type.getDimSize(d))
                    .getResult();
      bytes = arith::MulIOp::create(b, loc, bytes, size);
    }
    total = arith::AddIOp::create(b, loc, total, bytes);
  }
  return total;
}

struct SerializeSmallRegionsPass
    : attn::impl::SerializeSmallRegionsPassBase<SerializeSmallRegionsPass> {
  using SerializeSmallRegionsPassBase::SerializeSmallRegionsPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration())
      return;
    SmallVector<omp::ParallelOp> regions;
    func.walk([&](omp::ParallelOp parallel) {
      if (!parallel.getIfExpr())
        regions.push_back(parallel);
    });
    if (regions.empty())
      return;
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    Location loc = func.getLoc();
    Value large = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::uge, argumentBytes(b, func),
        arith::ConstantIndexOp::create(b, loc, minBytes));
    for (omp::ParallelOp parallel : regions)
      parallel.getIfExprMutable().assign(large);
  }
};

} // namespace
