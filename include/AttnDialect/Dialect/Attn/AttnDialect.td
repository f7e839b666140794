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
    `math.exp` or `math.exp2` whose operand is never positive, set by the
    softmax family's and attention's lowerings: `--attn-approximate-math`
    then expands it without overflow handling) and `attn.denormal_scaled` (a unit attribute on a `math.log`
    whose operand `--attn-approximate-math` has scaled out of the denormal
    range). Any other `attn.` attribute is an error.

    Element types: `f32` is the reference type; `f64` is computed in `f64`;
    `f16` and `bf16` are computed in `f32` (sums and running maxima of many
    terms: a sum of 4096 ones stops at 2048 in `f16`) and the result is
    rounded once to the element type.

    Across processes: the ops with a loop nest (the row reductions, the
    losses, attention and their backwards) implement the shard dialect's
    `ShardingInterface`. A split parallel dimension is each process's rows
    with no communication (a causal, window or ALiBi diagonal moved to its
    first row and key). A split reduced dimension is merged by
    `shard.all_reduce`: a max (masked_max), a sum (sum_sq, xent, the
    attention backward's dQ over keys and dK, dV over queries, the fused
    loss's gradients), or a max of
    the parts' logsumexps then a sum of their sums rescaled to it
    (logsumexp, softmax, log_softmax, xent_logits and linear_xent over their
    classes, attention over its keys; xent_logits_backward all-reduces its
    rows' max logit and sum of exponentials), or a min (masked_max_backward's
    first maximizing index, so that ties go to the first as on one process). The merged result equals the
    one-process result up to the order of rounding (the fused loss: one
    more rounding of the target's logit, recovered as `l_p - loss_p`).
    f32 and f64 only for a split reduced dimension; the splits an op cannot
    take are errors at partition.
  }];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_TD
