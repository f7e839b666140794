//===- attn-fuzz-programs.cpp - structure-aware libFuzzer target ----------===//
//
// The input bytes choose a valid attn program instead of being parsed as
// text: one of the ops' templates with its rank, sizes (0, 1, primes, both
// sides of the vector widths and blocks), dynamic dimensions, element type,
// mask form, causal diagonal and attributes, and the pipeline options
// (threads, reassoc, approximate-math, checked, attention's lowering and
// blocks, online-softmax-min-row, short-dynamic-rows, cache-bytes,
// bf16-dot). The program is parsed, verified and run through each pipeline
// level (fused linalg, loops, LLVM) with the verifier after every pass. A program the templates make that
// does not verify is a bug of the templates, not of attn, and is skipped;
// anything else may fail with diagnostics but never crash.
//
//===----------------------------------------------------------------------===//

#include "AttnDialect/Pipelines/Pipelines.h"
#include "FuzzRegistry.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <vector>

using namespace mlir;

namespace {

constexpr int64_t kSizes[] = {0,  1,  2,  3,  5,  7,  8,  9,  13,
                              15, 16, 17, 31, 32, 33, 63, 64, 65};

int64_t pickSize(FuzzedDataProvider &in) { return in.PickValueInArray(kSizes); }

/// A tensor type of `shape`, dims marked in `dynamic` written `?`.
std::string tensorType(const std::vector<int64_t> &shape,
                       const std::vector<bool> &dynamic,
                       const std::string &elt) {
  std::string text = "tensor<";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (dynamic[i] ? std::string("?") : std::to_string(shape[i])) + "x";
  return text + elt + ">";
}

std::vector<bool> pickDynamic(FuzzedDataProvider &in, size_t rank) {
  std::vector<bool> dynamic;
  for (size_t i = 0; i < rank; ++i)
    dynamic.push_back(in.ConsumeIntegralInRange<int>(0, 3) == 0);
  return dynamic;
}

/// One program: its parameters, body lines and result type (written by the
/// templates from the op's shape rules).
struct Program {
  std::vector<std::string> params, lines;
  std::string result;

  std::string arg(const std::string &name, const std::string &type) {
    params.push_back("%" + name + ": " + type);
    return "%" + name;
  }
  std::string text() const {
    std::string body, signature;
    for (size_t i = 0; i < params.size(); ++i)
      signature += (i ? ", " : "") + params[i];
    for (const std::string &line : lines)
      body += "  " + line + "\n";
    return "func.func @f(" + signature + ") -> " + result + " {\n" + body +
           "  return %r : " + result + "\n}\n";
  }
};

/// ` causal diagonal %d` (with its constant) or nothing.
std::string causalClause(FuzzedDataProvider &in, Program &p, int64_t rows,
                         int64_t keys) {
  if (!in.ConsumeBool())
    return "";
  if (!in.ConsumeBool())
    return " causal";
  int64_t d = keys - rows + in.ConsumeIntegralInRange<int64_t>(-3, 3);
  p.lines.push_back("%d = arith.constant " + std::to_string(d) + " : index");
  return " causal diagonal %d";
}

std::vector<int64_t> dropLast(std::vector<int64_t> v) {
  v.pop_back();
  return v;
}
std::vector<bool> dropLast(std::vector<bool> v) {
  v.pop_back();
  return v;
}

Program rowOp(FuzzedDataProvider &in, const std::string &elt) {
  static const char *kOps[] = {"sum_sq",     "masked_max", "xent",
                               "softmax",    "logsumexp",  "log_softmax",
                               "xent_logits"};
  std::string op = in.PickValueInArray(kOps);
  size_t rank =
      in.ConsumeIntegralInRange<size_t>(op == "masked_max" ? 2 : 1, 4);
  std::vector<int64_t> shape;
  for (size_t i = 0; i < rank; ++i)
    shape.push_back(pickSize(in));
  std::vector<bool> dynamic = pickDynamic(in, rank);
  std::string type = tensorType(shape, dynamic, elt);
  Program p;
  std::string x = p.arg("x", type), line;
  std::vector<int64_t> rows = dropLast(shape);
  std::vector<bool> rowsDynamic = dropLast(dynamic);
  bool rowResult = true;
  if (op == "sum_sq") {
    line = x + " : " + type;
  } else if (op == "xent") {
    line = x + ", " + p.arg("q", type) + " : " + type + ", " + type;
  } else if (op == "masked_max") {
    bool full = in.ConsumeBool();
    std::vector<int64_t> mshape(shape.end() - (full ? rank : 2), shape.end());
    std::vector<bool> mdyn(dynamic.end() - (full ? rank : 2), dynamic.end());
    std::string mtype = tensorType(mshape, mdyn, elt);
    line = x + ", " + p.arg("m", mtype) + " : " + type + ", " + mtype;
  } else if (op == "xent_logits") {
    shape.back() = std::max<int64_t>(shape.back(), 1);
    type = tensorType(shape, dynamic, elt);
    p.params[0] = "%x: " + type;
    std::string ttype =
        tensorType(rows, rowsDynamic, in.ConsumeBool() ? "i32" : "i64");
    static const char *kReductions[] = {"none", "sum", "mean"};
    std::string reduction = in.PickValueInArray(kReductions);
    line = x + ", " + p.arg("t", ttype) + " ignore_index = " +
           std::to_string(in.ConsumeIntegralInRange<int>(-100, 2)) +
           " reduction = " + reduction + " : " + type + ", " + ttype;
    if (reduction != "none") {
      rowResult = false;
      p.result = "tensor<" + elt + ">";
    }
  } else {
    std::string mask, mtype;
    if (rank >= 2 && in.ConsumeBool()) {
      bool full = in.ConsumeBool();
      std::vector<int64_t> mshape(shape.end() - (full ? rank : 2), shape.end());
      std::vector<bool> mdyn(dynamic.end() - (full ? rank : 2), dynamic.end());
      mtype = tensorType(mshape, mdyn, elt);
      mask = " mask " + p.arg("m", mtype);
    }
    std::string causal =
        rank >= 2 ? causalClause(in, p, shape[rank - 2], shape[rank - 1]) : "";
    std::string rowsClause =
        op == "softmax" ? (in.ConsumeBool() ? " masked_rows = nan" : "") : "";
    line = x + mask + causal + rowsClause + " : " + type +
           (mtype.empty() ? "" : ", " + mtype);
    if (op != "logsumexp") {
      rowResult = false;
      p.result = type;
    }
  }
  if (rowResult)
    p.result = tensorType(rows, rowsDynamic, elt);
  p.lines.push_back("%r = attn." + op + " " + line);
  return p;
}

Program attention(FuzzedDataProvider &in, const std::string &elt) {
  size_t rank = in.ConsumeIntegralInRange<size_t>(2, 4);
  int64_t hkv = in.ConsumeIntegralInRange<int64_t>(1, 2);
  int64_t hq = hkv * in.PickValueInArray({1, 2, 4});
  int64_t batch = in.ConsumeIntegralInRange<int64_t>(1, 2);
  std::vector<int64_t> lead, leadKV;
  if (rank == 3) {
    lead = {hq};
    leadKV = {hkv};
  } else if (rank == 4) {
    lead = {batch, hq};
    leadKV = {batch, hkv};
  }
  int64_t m = pickSize(in), n = pickSize(in);
  int64_t d = in.PickValueInArray({1, 3, 8, 16, 64});
  int64_t dv = in.PickValueInArray({1, 4, 8, 64});
  // Heads stay static: they are grouped through an affine floordiv.
  std::vector<bool> dynamic(rank - 2, false);
  bool rowsDynamic = in.ConsumeBool(), featuresDynamic = in.ConsumeBool();
  auto shapeOf = [&](std::vector<int64_t> head, int64_t rows, int64_t cols) {
    head.push_back(rows);
    head.push_back(cols);
    return head;
  };
  std::vector<bool> dyn = dynamic;
  dyn.push_back(rowsDynamic);
  dyn.push_back(featuresDynamic);
  std::string qt = tensorType(shapeOf(lead, m, d), dyn, elt);
  std::string kt = tensorType(shapeOf(leadKV, n, d), dyn, elt);
  std::string vt = tensorType(shapeOf(leadKV, n, dv), dyn, elt);
  Program p;
  std::string line =
      p.arg("q", qt) + ", " + p.arg("k", kt) + ", " + p.arg("v", vt);
  std::string types = qt + ", " + kt + ", " + vt;
  if (in.ConsumeBool()) {
    // Broadcast by numpy rules: trailing dims of the scores, each kept or 1.
    std::vector<int64_t> scores = shapeOf(lead, m, n), mshape;
    size_t first = in.ConsumeIntegralInRange<size_t>(0, rank - 2);
    std::vector<bool> mdyn;
    for (size_t i = first; i < rank; ++i) {
      bool keep = i + 1 == rank || in.ConsumeBool();
      mshape.push_back(keep ? scores[i] : 1);
      mdyn.push_back(keep && scores[i] != 1 &&
                     in.ConsumeIntegralInRange<int>(0, 3) == 0);
    }
    std::string mt = tensorType(mshape, mdyn, elt);
    line += " mask " + p.arg("m", mt);
    types += ", " + mt;
  }
  if (in.ConsumeIntegralInRange<int>(0, 4) == 0)
    line += " scale = " + std::to_string(in.PickValueInArray({0.05, 0.5, 2.0}));
  line += causalClause(in, p, m, n);
  if (in.ConsumeBool())
    line += " masked_rows = nan";
  std::vector<bool> outDyn = dynamic;
  outDyn.push_back(rowsDynamic);
  outDyn.push_back(featuresDynamic);
  p.result = tensorType(shapeOf(lead, m, dv), outDyn, elt);
  p.lines.push_back("%r = attn.attention " + line + " : " + types);
  return p;
}

void pickOptions(FuzzedDataProvider &in, attn::LowerToLLVMOptions &o) {
  o.threads = in.ConsumeIntegralInRange<int64_t>(1, 2);
  o.reassoc = in.ConsumeBool();
  o.fastMath = in.ConsumeBool();
  o.checked = in.ConsumeBool();
  o.prefetch = in.ConsumeBool();
  o.attention = in.ConsumeBool() ? attn::AttentionLowering::Flash
                                 : attn::AttentionLowering::Decomposed;
  o.blockQ = in.PickValueInArray({1, 2, 4, 16, 32, 64});
  o.blockKV = in.PickValueInArray({1, 3, 4, 16, 32, 64});
  o.onlineSoftmaxMinRow = in.PickValueInArray({0, 1, 8, 64, 65536});
  o.cacheBytes = in.PickValueInArray({0, 256, 4096, 262144});
  o.shortDynamicRows = in.ConsumeBool();
  o.bf16Dot = in.ConsumeBool();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string elt = in.PickValueInArray({"f32", "f64", "f16", "bf16"});
  Program program = in.ConsumeBool() ? attention(in, elt) : rowOp(in, elt);
  attn::LowerToLLVMOptions options;
  pickOptions(in, options);

  MLIRContext context(fuzzRegistry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  std::string text = program.text();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || failed(verify(*module)))
    return 0; // a template's mistake, not attn's: skipped (see above)
  // Each level on its own copy, the verifier after every pass.
  for (auto build :
       {attn::buildLowerToFusedLinalgPipeline, attn::buildLowerToLoopsPipeline,
        attn::buildLowerToLLVMPipeline}) {
    OwningOpRef<ModuleOp> copy(cast<ModuleOp>((*module)->clone()));
    PassManager pm(&context, ModuleOp::getOperationName());
    pm.enableVerifier(true);
    build(pm, options);
    (void)pm.run(*copy);
  }
  return 0;
}
