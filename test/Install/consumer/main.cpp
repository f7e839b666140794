// Parses an attn program, lowers it with the installed attn pipelines, and
// prints the fused linalg: what a project linking AttnDialect can do.
#include "AttnDialect/InitAttn.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

int main() {
  mlir::DialectRegistry registry;
  mlir::attn::registerAttnDialect(registry);
  mlir::registerAllDialects(registry);
  mlir::MLIRContext context(registry);

  const char *source = R"mlir(
    func.func @ss(%x: tensor<4x1024xf32>) -> tensor<4xf32> {
      %r = attn.sum_sq %x : tensor<4x1024xf32>
      return %r : tensor<4xf32>
    })mlir";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  mlir::attn::buildLowerToFusedLinalgPipeline(pm, {});
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
