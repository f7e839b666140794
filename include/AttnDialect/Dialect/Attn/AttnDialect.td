//===- AttnDialect.td - attn dialect definition ------------*- tablegen -*-===//
//
// The attn dialect: the reductions at the heart of attention and losses,
// each written as one op on ranked tensors.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let hasOperationAttrVerify = 1;
  // The ops' tiles, partial reductions and decompositions are built of these.
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let summary = "Fused reductions for attention and losses";
  let description = [{
    The `attn` dialect holds the reductions that attention layers and loss
    functions are made of (masked max, sum of squares, cross-entropy, ...),
    each as ONE op with value semantics on ranked tensors. Every op reduces
    over the LAST dimension of its input.

    The ops are lowered in levels: `--convert-attn-to-linalg` rewrites each op
    to linalg named ops; upstream generalization and elementwise fusion
    (`--attn-fuse-elementwise`) then turn each op's work into a single
    `linalg.generic`; the
    `--attn-lower-to-llvm` pipeline takes that to the LLVM dialect.

    Discardable attributes: `attn.nonpositive` (a unit attribute on a
    `math.exp2` whose operand is never positive, set by the attention
    lowering: `--attn-approximate-math` then expands it without overflow
    handling) and `attn.denormal_scaled` (a unit attribute on a `math.log`
    whose operand `--attn-approximate-math` has scaled out of the denormal
    range). Any other `attn.` attribute is an error.

    Element types: `f32` is the reference type; `f64` is computed in `f64`;
    `f16` and `bf16` are computed in `f32` (sums and running maxima of many
    terms: a sum of 4096 ones stops at 2048 in `f16`) and the result is
    rounded once to the element type.
  }];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_TD
