//===- ScheduleDynamically.cpp - OpenMP loops balanced at run time --------===//
//
// An OpenMP worksharing loop with more iterations than threads hands them
// out in small chunks (schedule(dynamic)) rather than as one contiguous share
// per thread: on cores of uneven speed (a shared or throttled machine) the
// faster threads take more, and no thread waits for the slowest share. A
// chunk is an eighth of a thread's share (when the counts are known): few
// enough hand-outs to cost nothing, enough to even out. Loops with at most
// one iteration per thread (attn's chunks of rows) keep the static
// schedule: there, a late thread's chunk would go to another.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::attn {
#define GEN_PASS_DEF_SCHEDULEDYNAMICALLYPASS
#include "AttnDialect/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The iterations of `nest`, if its bounds and steps are constants.
std::optional<int64_t> tripCount(omp::LoopNestOp nest) {
  int64_t trips = 1;
  for (auto [lb, ub, step] :
       llvm::zip(nest.getLoopLowerBounds(), nest.getLoopUpperBounds(),
                 nest.getLoopSteps())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    int64_t span = *u - *l + (nest.getLoopInclusive() ? 1 : 0);
    trips *= span <= 0 ? 0 : (span + *s - 1) / *s;
  }
  return trips;
}

struct ScheduleDynamicallyPass
    : attn::impl::ScheduleDynamicallyPassBase<ScheduleDynamicallyPass> {
  void runOnOperation() override {
    getOperation()->walk([](omp::WsloopOp loop) {
      if (loop.getScheduleKind())
        return;
      auto nest = dyn_cast<omp::LoopNestOp>(loop.getWrappedLoop());
      auto parallel = loop->getParentOfType<omp::ParallelOp>();
      if (!nest || !parallel)
        return;
      std::optional<int64_t> threads;
      if (Value n = parallel.getNumThreads())
        threads = getConstantIntValue(n);
      std::optional<int64_t> trips = tripCount(nest);
      if (threads && trips && *trips <= *threads)
        return;
      loop.setScheduleKind(omp::ClauseScheduleKind::Dynamic);
      if (!threads || !trips || *trips < 16 * *threads)
        return;
      OpBuilder b(parallel);
      Type type = nest.getLoopLowerBounds()[0].getType();
      Value chunk = arith::ConstantOp::create(
          b, loop.getLoc(), type,
          b.getIntegerAttr(type, *trips / (8 * *threads)));
      loop.getScheduleChunkMutable().assign(chunk);
    });
  }
};

} // namespace
