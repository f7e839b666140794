//===- FuzzRegistry.h - the registry both fuzz targets use ------*- C++ -*-===//

#ifndef ATTN_FUZZ_FUZZREGISTRY_H
#define ATTN_FUZZ_FUZZREGISTRY_H

#include "AttnDialect/InitAttn.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

/// The attn dialect and every upstream dialect, extension and pass,
/// registered once per process (the fuzzer calls its target millions of
/// times).
inline mlir::DialectRegistry &fuzzRegistry() {
  static mlir::DialectRegistry *r = [] {
    mlir::registerAllPasses();
    mlir::attn::registerAttnPassesAndPipelines();
    auto *reg = new mlir::DialectRegistry();
    mlir::attn::registerAttnDialect(*reg);
    mlir::registerAllDialects(*reg);
    mlir::registerAllExtensions(*reg);
    return reg;
  }();
  return *r;
}

#endif // ATTN_FUZZ_FUZZREGISTRY_H
