//===- attn-fuzz.cpp - libFuzzer target for attn --------------------------===//
//
// Parses arbitrary bytes as MLIR with the attn dialect and every upstream
// dialect registered, verifies the result, and when it is valid runs
// --attn-lower-to-llvm with the verifier after every pass. Any input may be
// rejected with diagnostics; none may crash, assert or trip a sanitizer.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Support/InputLimits.h"
#include "FuzzRegistry.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(fuzzRegistry(), MLIRContext::Threading::DISABLED);
  // Diagnostics are expected; keep them quiet.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  // MLIR's lexer reads one byte past the text, expecting the terminator
  // every file and std::string has: give it one (a raw libFuzzer buffer has
  // none; test/Fuzz/regressions/unterminated-buffer).
  std::string text(reinterpret_cast<const char *>(data), size);
  // What would crash MLIR 22's parser (deep brackets, a malformed linalg
  // `dimensions` list: test/Fuzz/regressions) is refused before parsing,
  // as attn-opt and attn.compile refuse it.
  if (attn::findParserCrashHazard(text))
    return 0;
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || failed(verify(*module)))
    return 0;
  PassManager pm(&context, ModuleOp::getOperationName());
  pm.enableVerifier(true);
  attn::buildLowerToLLVMPipeline(pm, {});
  (void)pm.run(*module);
  return 0;
}
