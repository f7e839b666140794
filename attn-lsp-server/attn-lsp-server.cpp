//===- attn-lsp-server.cpp - language server for attn IR ------------------===//
//
// MLIR's language server with the attn dialect registered next to every
// upstream dialect, so that an editor shows parse and verifier diagnostics,
// hovers and definitions for attn programs.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/InitAttn.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::attn::registerAttnDialect(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  return mlir::failed(mlir::MlirLspServerMain(argc, argv, registry));
}
