//===- attn-lsp-server.cpp - language server for attn IR ------------------===//
//
// MLIR's language server with the attn dialect registered next to every
// upstream dialect, so that an editor shows parse and verifier diagnostics,
// hovers and definitions for attn programs.
//
// The server parses each document inside upstream's MlirLspServerMain, where
// attn cannot check the text first (as attn-opt does): it runs on a thread
// with a 1 GiB stack instead, on which MLIR 22's recursive parser survives
// brackets nested about a million deep (the 8 MiB main stack overflows at
// about 14 KB of `[`).
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/InitAttn.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"
#include "llvm/Support/thread.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::attn::registerAttnDialect(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::LogicalResult result = mlir::failure();
  llvm::thread server(std::optional<unsigned>(1u << 30), [&] {
    result = mlir::MlirLspServerMain(argc, argv, registry);
  });
  server.join();
  return mlir::failed(result);
}
