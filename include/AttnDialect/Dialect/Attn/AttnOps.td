//===- AttnOps.td - attn dialect ops -----------------------*- tablegen -*-===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "AttnDialect/Dialect/Attn/AttnDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;

// An operand with a last dimension to reduce over.
def Attn_ReducibleTensor : Type<
    And<[Attn_FloatTensor.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() >= 1">]>,
    "ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements",
    "::mlir::RankedTensorType">;

// A reduction over the last dimension. The result type is inferred from the
// operands, so the custom assembly format names only the operand types.
// Inference only drops the last dimension; every rule, the result type
// included, is checked by the op's verifier, so that each broken rule gives
// exactly one diagnostic with its own message.
class Attn_LastDimReductionOp<string mnemonic, list<Trait> traits = []>
    : Attn_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let results = (outs Attn_FloatTensor:$result);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Result types are checked by `verify`, which names the broken rule.
    static bool isCompatibleReturnTypes(::mlir::TypeRange,
                                        ::mlir::TypeRange) {
      return true;
    }
  }];
}

def Attn_MaskedMaxOp : Attn_LastDimReductionOp<"masked_max"> {
  let summary = "row maximum of additively masked scores";
  let description = [{
    Computes, for scores of shape `[..., M, N]`,

        result[..., i] = max_j (scores[..., i, j] + mask[i, j])

    i.e. pass 1 of a numerically stable softmax over attention scores. The
    mask is additive, as attention masks are: `0` keeps an entry and `-inf`
    removes it (adding `-inf` in log space is multiplying by 0 in probability
    space).

    Shapes: `mask` is either `[M, N]` (the trailing two dimensions of
    `scores`, broadcast over the leading ones) or exactly the shape of
    `scores`. The result has the shape of `scores` without its last
    dimension; rank-1 scores give a rank-0 result.

    Numerics:
    - A row whose every entry is `-inf` (fully masked) gives `-inf`.
    - An empty row (`N == 0`) gives `-inf`, the identity of max.
    - NaN propagates (`arith.maximumf` semantics), and `+inf + -inf` is NaN.

    Example:

    ```mlir
    %max = attn.masked_max %scores, %mask
        : tensor<4x512x512xf32>, tensor<512x512xf32>
    // %max : tensor<4x512xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$scores, Attn_ReducibleTensor:$mask);
  let assemblyFormat = [{
    $scores `,` $mask attr-dict `:` type($scores) `,` type($mask)
  }];
}

def Attn_SumSqOp : Attn_LastDimReductionOp<"sum_sq"> {
  let summary = "sum of squares over the last dimension";
  let description = [{
    Computes, for `x` of shape `[..., N]`,

        result[...] = sum_j x[..., j]^2

    the core of RMS and L2 normalization. The result has the shape of `x`
    without its last dimension; a rank-1 input gives a rank-0 result.

    Numerics: the sum is accumulated in the element type, in order (no
    reassociation). An empty row gives `0`; an `inf` or NaN entry makes the
    row `inf` or NaN.

    Example:

    ```mlir
    %ss = attn.sum_sq %x : tensor<4x1024xf32>
    // %ss : tensor<4xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$input);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attn_XentOp : Attn_LastDimReductionOp<"xent"> {
  let summary = "cross-entropy of a predicted distribution against a target";
  let description = [{
    Computes, for predicted probabilities `p` and target distribution `q`,
    both of shape `[..., C]`,

        result[...] = -sum_c q[..., c] * log(p[..., c])

    The result has the shape of the operands without their last dimension.

    Numerics:
    - `0 * log(0) = 0`: a class with `q == 0` contributes exactly 0, even
      where `p == 0` (the plain product would be `0 * -inf = NaN`). The rule
      is applied to each term before the sum, so it fuses into the reduction.
    - A class with `q > 0` and `p == 0` contributes `+inf` (the true loss).
    - `p` is not clamped or renormalized: values outside `[0, 1]` are the
      caller's responsibility (`log` of a negative number is NaN).
    - An empty class dimension gives `0`.

    Example:

    ```mlir
    %loss = attn.xent %p, %q : tensor<8x1000xf32>, tensor<8x1000xf32>
    // %loss : tensor<8xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$p, Attn_ReducibleTensor:$q);
  let assemblyFormat = "$p `,` $q attr-dict `:` type($p) `,` type($q)";
}

#endif // ATTN_OPS_TD
