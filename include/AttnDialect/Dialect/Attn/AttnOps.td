//===- AttnOps.td - attn dialect ops -----------------------*- tablegen -*-===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "AttnDialect/Dialect/Attn/AttnDialect.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/RuntimeVerifiableOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Attn_MaskedRows : I32EnumAttr<"MaskedRows",
    "what a fully masked row returns: zero or nan", [
      I32EnumAttrCase<"Zero", 0, "zero">,
      I32EnumAttrCase<"NaN", 1, "nan">
    ]> {
  let cppNamespace = "::mlir::attn";
}

def Attn_Reduction : I32EnumAttr<"Reduction",
    "how per-row losses are combined: none, sum or mean", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Sum", 1, "sum">,
      I32EnumAttrCase<"Mean", 2, "mean">
    ]> {
  let cppNamespace = "::mlir::attn";
}

def Attn_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;

// Operands carry no encoding: the lowering makes plain tensors of them.
def Attn_NoEncoding : CPred<
    "!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">;

// An operand with a last dimension to reduce over.
def Attn_ReducibleTensor : Type<
    And<[Attn_FloatTensor.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() >= 1">,
         Attn_NoEncoding]>,
    "ranked tensor of rank >= 1 with f16, bf16, f32 or f64 elements and no "
    "encoding",
    "::mlir::RankedTensorType">;

// An attention mask: additive (the scores' float type) or boolean (i1,
// `true` keeps).
def Attn_AttentionMaskTensor : Type<
    And<[Or<[Attn_FloatTensor.predicate, RankedTensorOf<[I1]>.predicate]>,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() >= 1">,
         Attn_NoEncoding]>,
    "ranked tensor of rank >= 1 with f16, bf16, f32, f64 (additive) or i1 "
    "(true keeps) elements and no encoding",
    "::mlir::RankedTensorType">;

// A block mask: per block of queries x keys, 0 (empty), 1 (partial) or 2
// (full).
def Attn_BlockMaskTensor : Type<
    And<[RankedTensorOf<[I8]>.predicate, Attn_NoEncoding]>,
    "ranked tensor of i8 block kinds (0 empty, 1 partial, 2 full)",
    "::mlir::RankedTensorType">;

// ALiBi's per-head slopes [Hq].
def Attn_SlopesTensor : Type<
    And<[Attn_FloatTensor.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() == 1">,
         Attn_NoEncoding]>,
    "rank-1 tensor of f16, bf16, f32 or f64 slopes",
    "::mlir::RankedTensorType">;

// The state of dropout's counter-based generator: [seed, offset].
def Attn_RngTensor : Type<
    CPred<"$_self == ::mlir::RankedTensorType::get({2}, "
          "::mlir::IntegerType::get($_self.getContext(), 64))">,
    "tensor<2xi64> (dropout's [seed, offset])",
    "::mlir::RankedTensorType">,
    BuildableType<"::mlir::RankedTensorType::get({2}, $_builder.getI64Type())">;

// Class targets of a cross-entropy of logits: class indices [...] (i32 or
// i64), or class probabilities [..., C] of the logits' type.
def Attn_ClassTargetTensor : Type<
    And<[Or<[RankedTensorOf<[I32, I64]>.predicate,
             Attn_FloatTensor.predicate]>,
         Attn_NoEncoding]>,
    "ranked tensor of i32 or i64 class indices, or of f16, bf16, f32 or f64 "
    "class probabilities, with no encoding",
    "::mlir::RankedTensorType">;

def Attn_TargetTensor : Type<
    And<[RankedTensorOf<[I32, I64]>.predicate, Attn_NoEncoding]>,
    "ranked tensor of i32 or i64 elements and no encoding",
    "::mlir::RankedTensorType">;

// An op whose result type is inferred from its operands, so that the custom
// assembly format names only the operand types. Inference is lenient; every
// rule, the result type included, is checked by the op's verifier, so that
// each broken rule gives exactly one diagnostic with its own message.
//
// Every op is a structured op that upstream transforms drive: its loops and
// how each operand is read over them (TilingInterface: tiled along its
// parallel loops by `transform.structured.tile_using_for` / `_forall`), its
// result shapes (ReifyRankedShapedTypeOpInterface: the loops' results), and
// its linalg form (AggregatedOpInterface: `decompose_interface`), and the
// run-time checks of its size rules (RuntimeVerifiableOpInterface:
// `--generate-runtime-verification`).
class Attn_InferredResultOp<string mnemonic, list<Trait> traits = []>
    : Attn_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                                  ["reifyResultShapes"]>,
        DeclareOpInterfaceMethods<TilingInterface, [
            "getLoopIteratorTypes", "getIterationDomain",
            "getTiledImplementation", "getResultTilePosition",
            "getIterationDomainTileFromResultTile",
            "generateResultTileValue"]>,
        DeclareOpInterfaceMethods<AggregatedOpInterface,
                                  ["decomposeOperation"]>,
        DeclareOpInterfaceMethods<RuntimeVerifiableOpInterface>])> {
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

// A reduction over the last dimension that upstream can split into partial
// reductions and their merge (`transform.structured.tile_reduction_using_for`
// / `_forall`); see the op's "Partial reductions".
defvar Attn_PartialReduction = DeclareOpInterfaceMethods<
    PartialReductionOpInterface, [
        "generateInitialTensorForPartialReduction", "tileToPartialReduction",
        "mergeReductions", "getPartialResultTilePosition"]>;

// What every reduction over the last dimension says of its partial reductions.
defvar Attn_PartialReductionDoc = [{

    Partial reductions (PartialReductionOpInterface, f32 and f64): upstream's
    `transform.structured.tile_reduction_using_forall` splits each row into
    chunks, each the op on its chunk (a causal diagonal moved by the chunk's
    first key), and `tile_reduction_using_for` into lanes that a loop over
    chunks accumulates; the merge combines the partial results by the op's
    own combiner (sum, max, or a logsumexp of partial logsumexps), so a
    split row has the numerics above, up to the order of rounding.
}];

// A reduction over the last dimension.
class Attn_LastDimReductionOp<string mnemonic>
    : Attn_InferredResultOp<mnemonic, [Attn_PartialReduction]>;

def Attn_MaskedMaxOp : Attn_LastDimReductionOp<"masked_max"> {
  let summary = "row maximum of additively masked scores";
  let description = !strconcat([{
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
  }], Attn_PartialReductionDoc);
  let arguments = (ins Attn_ReducibleTensor:$scores, Attn_ReducibleTensor:$mask);
  let assemblyFormat = [{
    $scores `,` $mask attr-dict `:` type($scores) `,` type($mask)
  }];
}

def Attn_SumSqOp : Attn_LastDimReductionOp<"sum_sq"> {
  let summary = "sum of squares over the last dimension";
  let description = !strconcat([{
    Computes, for `x` of shape `[..., N]`,

        result[...] = sum_j x[..., j]^2

    the core of RMS and L2 normalization. The result has the shape of `x`
    without its last dimension; a rank-1 input gives a rank-0 result.

    Numerics: the sum is accumulated in f32 for f16 and bf16 (rounded once:
    a sum past 65504 is `inf` in f16), in the element type otherwise; the
    pipelines sum
    in vector lanes unless `reassoc=false`, which keeps the in-order sum (a
    difference of rounding only). An empty row gives `0`; an `inf` or NaN
    entry makes the row `inf` or NaN.

    Example:

    ```mlir
    %ss = attn.sum_sq %x : tensor<4x1024xf32>
    // %ss : tensor<4xf32>
    ```
  }], Attn_PartialReductionDoc);
  let arguments = (ins Attn_ReducibleTensor:$input);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attn_XentOp : Attn_LastDimReductionOp<"xent"> {
  let summary = "cross-entropy of a predicted distribution against a target";
  let description = !strconcat([{
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
  }], Attn_PartialReductionDoc);
  let arguments = (ins Attn_ReducibleTensor:$p, Attn_ReducibleTensor:$q);
  let assemblyFormat = "$p `,` $q attr-dict `:` type($p) `,` type($q)";
}

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

// An op over the rows (last dimension) of scores with an optional additive
// mask and an optional causal mask computed from indices.
class Attn_MaskedRowOp<string mnemonic, list<Trait> traits = []>
    : Attn_InferredResultOp<mnemonic,
                            !listconcat([AttrSizedOperandSegments], traits)>;

defvar Attn_MaskingDoc = [{
    Masking: `mask` is additive, as in `attn.masked_max`: `[M, N]` (the
    trailing two dimensions, broadcast over the leading ones) or the shape of
    `input`; `0` keeps an entry and `-inf` removes it. Dynamic sizes must
    agree at run time (checked by `--generate-runtime-verification`, part of
    the pipelines unless `checked=false`). With `causal`, entry
    `(i, j)` of the trailing `[M, N]` dimensions is removed when
    `j > i + (N - M)`: the diagonal is aligned to the bottom-right corner,
    as when M new queries attend to a KV cache of N keys whose last M are
    their own (M == N is the usual lower-triangular mask; with M > N the
    first M - N rows are fully masked). `diagonal %d` (an `index`, only with
    `causal`) places the diagonal explicitly: entry `(i, j)` is removed when
    `j > i + d` (`torch.tril`'s `diagonal`; the default is `d = N - M`). A
    tile of rows `[o, o + m)` of a causal op is the same op on those rows
    with `diagonal` `d + o`. The causal mask is computed from indices, never
    materialized. Both masks may be given together.

    Stability: every row is shifted by its maximum before `exp`, so logits
    of any finite magnitude (1e4, 1e30) neither overflow nor underflow to
    a wrong result.
}];

def Attn_SoftmaxOp : Attn_MaskedRowOp<"softmax"> {
  let summary = "numerically stable softmax over the last dimension";
  let description = !strconcat([{
    Computes, with `x = input + mask` (masked entries `-inf`),

        m[..., i]      = max_j x[..., i, j]
        result[..., j] = exp(x[..., j] - m) / sum_k exp(x[..., k] - m)

    A row whose every entry is masked (or `-inf`) has no defined softmax:
    `masked_rows = zero` (the default, as PyTorch's scaled-dot-product
    attention and ONNX) returns zeros for it, `masked_rows = nan` returns
    NaN (the plain math). Masked entries of other rows are exactly 0.
    NaN inputs propagate to their row.

  }], Attn_MaskingDoc, [{

    Example:

    ```mlir
    %p = attn.softmax %scores mask %m causal
        : tensor<2x8x128x128xf32>, tensor<128x128xf32>
    %q = attn.softmax %x masked_rows = nan : tensor<4x1000xf32>
    ```
  }]);
  let arguments = (ins Attn_ReducibleTensor:$input,
                       Optional<Attn_ReducibleTensor>:$mask,
                       UnitAttr:$causal,
                       Optional<Index>:$diagonal,
                       DefaultValuedAttr<Attn_MaskedRows,
                           "::mlir::attn::MaskedRows::Zero">:$masked_rows);
  let assemblyFormat = [{
    $input (`mask` $mask^)? (`causal` $causal^)? (`diagonal` $diagonal^)?
    (`masked_rows` `=` $masked_rows^)? attr-dict
    `:` type($input) (`,` type($mask)^)?
  }];
}

def Attn_LogSumExpOp
    : Attn_MaskedRowOp<"logsumexp", [Attn_PartialReduction]> {
  let summary = "numerically stable log-sum-exp over the last dimension";
  let description = !strconcat([{
    Computes, with `x = input + mask` (masked entries `-inf`),

        m[...]      = max_j x[..., j]
        result[...] = m + log(sum_j exp(x[..., j] - m))

    The result has the shape of `input` without its last dimension. A row
    whose every entry is masked gives `-inf` (the log of an empty sum); a
    row holding `+inf` gives NaN (`inf - inf`); NaN propagates.

  }], Attn_MaskingDoc, Attn_PartialReductionDoc, [{

    Example:

    ```mlir
    %lse = attn.logsumexp %logits : tensor<8x32000xf32>
    ```
  }]);
  let arguments = (ins Attn_ReducibleTensor:$input,
                       Optional<Attn_ReducibleTensor>:$mask,
                       UnitAttr:$causal,
                       Optional<Index>:$diagonal);
  let assemblyFormat = [{
    $input (`mask` $mask^)? (`causal` $causal^)? (`diagonal` $diagonal^)?
    attr-dict `:` type($input) (`,` type($mask)^)?
  }];
}

def Attn_LogSoftmaxOp : Attn_MaskedRowOp<"log_softmax"> {
  let summary = "numerically stable log-softmax over the last dimension";
  let description = !strconcat([{
    Computes, with `x = input + mask` (masked entries `-inf`),

        result[..., j] = x[..., j] - logsumexp_k x[..., k]

    Masked entries are `-inf` (the log of probability 0). A row whose every
    entry is masked is `-inf` throughout: the log of the zero row that
    `attn.softmax` returns for it by default (the plain math, `-inf - -inf`,
    would be NaN).

  }], Attn_MaskingDoc, [{

    Example:

    ```mlir
    %lp = attn.log_softmax %logits : tensor<8x32000xf32>
    ```
  }]);
  let arguments = (ins Attn_ReducibleTensor:$input,
                       Optional<Attn_ReducibleTensor>:$mask,
                       UnitAttr:$causal,
                       Optional<Index>:$diagonal);
  let assemblyFormat = [{
    $input (`mask` $mask^)? (`causal` $causal^)? (`diagonal` $diagonal^)?
    attr-dict `:` type($input) (`,` type($mask)^)?
  }];
}

// What the cross-entropies of logits share (xent_logits, linear_xent and
// their backwards): the options of the loss.
defvar Attn_XentOptionsDoc = [{

    Per row (token) with target `t`, over `C` classes of logits `z` (with
    `softcap = cap`, first capped to `cap tanh(z / cap)`) and class weights
    `w` (`weight`, all 1 without it):

        lse  = log sum_c exp z[c]
        loss = (1 - e) w[t] (lse - z[t]) + e/C sum_c w[c] (lse - z[c])
               + zl lse²

    the cross-entropy `w[t] (lse - z[t])` with PyTorch's label smoothing
    `e = label_smoothing` (its `(1 - e)` of the target's loss plus `e`
    spread uniformly over the classes) and class weights, plus the z-loss
    `zl = z_loss` (PaLM's, which keeps `lse` near 0; not weighted).

    - A row whose target is `ignore_index` (default -100) has loss 0 and is
      left out of the mean; a target outside `[0, C)` that is not
      `ignore_index` gives its row a NaN loss (and so a NaN sum or mean).
    - `reduction`: `none` gives the per-row losses; `sum` their sum; `mean`
      (the default) their sum divided by the kept rows' `w[t]` (their count
      without weights), as PyTorch's: NaN when every row is ignored. Sums
      are formed in f64 and rounded once.
    - Stable for any finite logits (`1e4` included) without label
      smoothing: `lse - z[t]` is `(m - z[t]) + log sum exp(z - m)` with `m`
      the row maximum. The smoothing term is formed from the row's sums
      `lse sum_c w[c]` and `sum_c w[c] z[c]`: its absolute error is that of
      those sums (about `1e-7 C max|z|` in f32).
    - `softcap` must be positive and finite; `label_smoothing` in `[0, 1]`;
      `z_loss` finite and at least 0; `weight` `[C]` of the logits' type.
}];

def Attn_XentLogitsOp
    : Attn_InferredResultOp<"xent_logits", [Attn_PartialReduction]> {
  let summary = "cross-entropy of logits against class targets";
  let description = !strconcat([{
    The loss of a classifier from its unnormalized logits `[..., C]` and its
    class targets (`torch.nn.functional.cross_entropy`'s, with its `weight`,
    `ignore_index`, `reduction` and `label_smoothing`), plus the options LLM
    training uses (z-loss, soft-capping). The targets are integer class
    indices `[...]`, or class probabilities `[..., C]` of the logits' type
    (below).
  }], Attn_XentOptionsDoc, [{

    Class probabilities `y` as targets (a target distribution per row, as
    PyTorch's): label smoothing mixes them with the uniform distribution,
    `y' = (1 - e) y + e / C`, and

        loss = sum_c w[c] y'[c] (lse - z[c]) + zl lse²

    formed as `sum_c w[c] y'[c] (m - z[c]) + (sum_c w[c] y'[c]) log sum_c
    exp(z[c] - m)` (stable for any finite logits); `ignore_index` does not
    apply (no row is ignored) and the mean divides by the number of rows.
    The probabilities are not checked to be a distribution, and get no
    gradient.

    Partial reductions over the classes (PartialReductionOpInterface, f32
    and f64): each part of a row's classes leaves a partial logsumexp and
    the target's logit if the part holds it; the merge is the logsumexp of
    the partial logsumexps minus the picked logit, then the rules above
    (ignore_index, targets out of range, sum or mean). Class index targets
    without `weight`, label smoothing, z-loss or softcap only.

    Example:

    ```mlir
    %loss = attn.xent_logits %logits, %target reduction = sum
        : tensor<2048x32000xf32>, tensor<2048xi64>
    %smoothed = attn.xent_logits %logits, %target weight %w label_smoothing = 0.1
        : tensor<2048x32000xf32>, tensor<2048xi64> weight tensor<32000xf32>
    %soft = attn.xent_logits %logits, %probabilities
        : tensor<2048x32000xf32>, tensor<2048x32000xf32>
    ```
  }]);
  let arguments = (ins Attn_ReducibleTensor:$logits,
                       Attn_ClassTargetTensor:$target,
                       Optional<Attn_ReducibleTensor>:$weight,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<Attn_Reduction,
                           "::mlir::attn::Reduction::Mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing,
                       DefaultValuedAttr<F64Attr, "0.0">:$z_loss,
                       OptionalAttr<F64Attr>:$softcap);
  let assemblyFormat = [{
    $logits `,` $target (`weight` $weight^)?
    (`ignore_index` `=` $ignore_index^)? (`reduction` `=` $reduction^)?
    (`label_smoothing` `=` $label_smoothing^)? (`z_loss` `=` $z_loss^)?
    (`softcap` `=` $softcap^)? attr-dict
    `:` type($logits) `,` type($target) (`weight` type($weight)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Losses at vocabulary size
//===----------------------------------------------------------------------===//

def Attn_LinearXentOp : Attn_Op<"linear_xent", [Pure, InferTypeOpAdaptor,
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<RuntimeVerifiableOpInterface>]> {
  let summary = "cross-entropy of a linear classifier's logits, without the logits";
  let description = !strconcat([{
    The loss of a language model's last layer, `cross_entropy(hidden
    classifierᵀ + bias, target)`, for `hidden [N, D]`, `classifier [V, D]`,
    an optional `bias [V]`, optional class weights `weight [V]` and integer
    targets `[N]`, without the `[N, V]`
    logits: their blocks are formed, reduced into a running maximum, sum of
    exponentials and sum of logits per token, and dropped; the target's
    logit is one dot product per token.
  }], Attn_XentOptionsDoc, [{

    `with_lse`: a second result, each token's `lse` (`[N]`, f32 for f16 and
    bf16 operands), the state `attn.linear_xent_backward` recomputes the
    probabilities from.

    Lowering (`--convert-attn-to-linalg`): by default blocks of `block-q`
    tokens by `block-kv` classes (`[blockKV, blockQ]` logits at a time, the
    classes major: every token's running state is a vector lane); the
    classifier is read once per block of tokens, and padded to whole blocks
    by a copy when `V` is not a multiple of `block-kv`. With
    `parallel-query-blocks`, the token blocks are an `scf.forall`. With
    `attention=decomposed`, its decomposition (AggregatedOpInterface): the
    whole `[N, V]` logits, then the reductions.

    bf16 operands are widened to f32 first; with `bf16-products`, the
    blocks take the bf16 `hidden` and `classifier` as they are and sum
    their exact products in f32 (`--attn-vectorize-contractions`'
    `bf16-dot`), the bias and weights in f32: no f32 copy of the
    classifier, and the same logits up to the order of the f32 sums. The
    loss is rounded to bf16 once. `attn.linear_xent_backward` then rounds
    the logits' gradients `dz` to bf16 for its two products (each gradient
    within `2^-8 |dz| |W|`, resp. `2^-8 |dz|ᵀ |h|`, of the exact one, plus
    its own rounding); `dbias` and `grad_filter` read the f32 `dz`.

    Example:

    ```mlir
    %loss, %lse = attn.linear_xent %h, %w, %t label_smoothing = 0.1 with_lse
        : tensor<1024x512xf32>, tensor<128256x512xf32>, tensor<1024xi64>
    ```
  }]);
  let arguments = (ins Attn_ReducibleTensor:$hidden,
                       Attn_ReducibleTensor:$classifier,
                       Attn_TargetTensor:$target,
                       Optional<Attn_ReducibleTensor>:$bias,
                       Optional<Attn_ReducibleTensor>:$weight,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<Attn_Reduction,
                           "::mlir::attn::Reduction::Mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing,
                       DefaultValuedAttr<F64Attr, "0.0">:$z_loss,
                       OptionalAttr<F64Attr>:$softcap,
                       UnitAttr:$with_lse);
  let results = (outs Attn_FloatTensor:$loss, Optional<Attn_FloatTensor>:$lse);
  let assemblyFormat = [{
    $hidden `,` $classifier `,` $target (`bias` $bias^)? (`weight` $weight^)?
    (`ignore_index` `=` $ignore_index^)? (`reduction` `=` $reduction^)?
    (`label_smoothing` `=` $label_smoothing^)? (`z_loss` `=` $z_loss^)?
    (`softcap` `=` $softcap^)? (`with_lse` $with_lse^)? attr-dict
    `:` type($hidden) `,` type($classifier) `,` type($target)
    (`,` type($bias)^)? (`weight` type($weight)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Result types are checked by `verify`, which names the broken rule.
    static bool isCompatibleReturnTypes(::mlir::TypeRange,
                                        ::mlir::TypeRange) {
      return true;
    }
  }];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Attn_AttentionOp
    : Attn_InferredResultOp<"attention", [AttrSizedOperandSegments,
                                          Attn_PartialReduction]> {
  let summary = "scaled dot-product attention, with grouped-query heads";
  let description = [{
    Computes

        result = softmax(query keyᵀ · scale + mask) value

    with the softmax over the keys. Shapes, for rank 4:

        query [B, Hq, M, D], key [B, Hkv, N, D], value [B, Hkv, N, Dv]
        result [B, Hq, M, Dv]

    Grouped-query attention: Hq must be a multiple of Hkv, and query head h
    reads key/value head `h / (Hq / Hkv)` (Hq == Hkv is multi-head
    attention, Hkv == 1 multi-query attention). Rank 3 drops the batch
    (`[H, S, D]`), rank 2 also the heads (`[S, D]`); all three operands have
    the same rank and element type.

    - `scale` defaults to `1 / sqrt(D)` (`1` when `D == 0`: every score is
      then an empty dot product, `0`, and each query gets the mean of the
      values it sees); it must be finite in f32 (f64 for f64 operands).
    - Other sizes may be 0 too: `B`, `Hq`, `M` or `Dv` of 0 gives an empty
      result, and with no key (`N == 0`) every query row sees no key
      (`masked_rows`).
    - `mask` is additive (`0` keeps, `-inf` removes; the operands' element
      type) or boolean (`i1`: `true` keeps, `false` removes, PyTorch's
      convention), and broadcasts to the
      scores `[B, Hq, M, N]` by numpy rules: aligned to the trailing
      dimensions, each of its dimensions either equal or 1 (so `[M, N]`,
      `[B, 1, M, N]`, `[1, 1, 1, N]`, ...). A broadcast dimension must be a
      static 1: a dynamic (`?`) mask dimension is read whole and must equal
      the scores' (checked at run time, see `--generate-runtime-verification`).
      A key-padding mask is a boolean `[B, 1, 1, N]`.
    - Variants computed from the indices, never materialized (FlashAttention-2's
      options), applied in this order to each score `s = q·k * scale` of query
      row `i` and key `j` of head `h`, with `d` the diagonal (below):
      `softcap = c` makes it `c * tanh(s / c)` (Gemma 2; `c` positive and
      finite); `alibi %slopes` (`[Hq]`, one per query head, the operands'
      type; `[1]` at rank 2) subtracts `slopes[h] * |i + d - j|` (BLOOM, MPT);
      then the mask applies; `window = [left, right]` hides key `j` from row
      `i` unless `i + d - left <= j <= i + d + right` (a size of `-1` leaves
      that side unbounded; `window_size` of FlashAttention-2, with `causal`
      too if given). The flash loop never visits key blocks that no row of a
      query block sees, and skips the masking of blocks every row sees whole.
    - `causal`, `diagonal` and `masked_rows` are exactly those of
      `attn.softmax`: key j is hidden from query i when `j > i + d`
      (`d = N - M` unless `diagonal %d` is given; it also places `window`
      and `alibi`), and a query row that
      sees no key returns zeros (`masked_rows = zero`, the default) or NaN:
      a boolean mask that is false for a whole row, or a window that hides
      every key of it, gives that row.
      A finite mask value, even `-3.4e38` (`finfo.min`), is finite: a row
      masked whole by it gets the mean of its values, not the fully masked
      result, in both lowerings.
    - NaN: a NaN in a query, or in a key or score its row sees, makes the
      row NaN. A NaN (or inf) in a value reaches the rows that see its key;
      for rows that do not, it depends on the lowering (`0 * NaN` is NaN in
      the decomposed form and in a flash block that reads the key; blocks a
      causal mask hides are never read).
    - Score range: any finite score, in both lowerings (the flash loop
      takes each difference `s - max` before scaling it to base 2).

    Lowering: `--convert-attn-to-linalg` either decomposes the op into the
    two contractions and `attn.softmax` (materializing the `[M, N]` scores),
    or (the default of `--attn-lower-to-llvm`) into a flash-attention loop
    over key/value blocks that keeps a running max, sum and output per query
    row and never holds more than a block of scores.

    User functions (FlexAttention's `score_mod` and `mask_mod`), as
    optional regions compiled into the flash loop and the decomposed form:

    - `score_mod { ^bb0(%s: T, %b: index, %h: index, %i: index, %j: index):
      ... attn.yield %s2 : T }` replaces each score (after `scale`, the
      softcap and ALiBi, before the mask) by its value at the score's batch,
      query head, query row and key (absolute indices; 0 for the batch and
      head a lower rank lacks). `T` is f32 (f64 for f64 operands: f16 and
      bf16 are computed in f32).
    - `mask_mod { ^bb0(%b: index, %h: index, %i: index, %j: index): ...
      attn.yield %keep : i1 }` hides the scores for which it yields false,
      as a false boolean mask would.

    Their bodies may read values defined above the op (captured tensors:
    per-head slopes, document ids, through `tensor.extract`). Both must be
    free of side effects; the lowering evaluates them once per score it
    computes (never for key blocks it skips).

    `block_mask %kinds sizes = [bq, bkv]` (FlexAttention's `BlockMask`):
    `%kinds` (`i8`, of the query's rank: `[B | 1, Hq | 1, ceil(M / bq),
    ceil(N / bkv)]`, a leading dimension of 1 broadcast) says of each block
    of `bq` queries x `bkv` keys whether no score of it is kept (0), some
    are (1) or all are (2), by `mask_mod` and the other masks. It is a
    promise, as in FlexAttention: the flash loop never computes a block of
    kind 0 and does not evaluate `mask_mod` in a block of kind 2 (its flash
    blocks divide `bq` and `bkv`); a block mask that is not true of the mask
    leaves the result undefined. The decomposed form ignores it.

    `dropout = p rng %state` (training): each probability is kept with
    probability `1 - p` and scaled by `1 / (1 - p)`, or dropped (0), before
    it weighs the values: `result = (P * Z / (1 - p)) value`. The keep bits
    `Z` come from a counter-based generator, a function of the state
    `%state = [seed, offset]` (`tensor<2xi64>`) and of the score's indices
    `(b, h, i, j)` alone (a 32-bit hash of them, entry kept when its top 24
    bits are at least `p 2^24`), so that `attn.attention_backward` with the
    same `dropout` and state regenerates the same `Z` without storing it.
    The row sum and `lse` are of the probabilities before dropout. `p` is in
    `[0, 1)`.

    `with_lse`: a second result, the logsumexp of each query row's scaled,
    masked scores, `lse[..., i] = log sum_j exp(s[..., i, j])` (`[B, Hq, M]`;
    f32 for f16 and bf16 operands), the state `attn.attention_backward`
    recomputes the probabilities from (`P = exp(s - lse)`). A row that sees
    no key gets `lse = +inf` (whatever `masked_rows`), so that every
    recomputed probability is `exp(s - inf) = 0` and the row's gradients
    are 0.

    Partial reductions over the keys (PartialReductionOpInterface, f32 and
    f64, static head counts, without `with_lse`): each part of the keys leaves a query row the
    online state of `attn.online_attention` (running max, sum and unscaled
    output). `transform.structured.tile_reduction_using_forall` makes each
    chunk of keys an `attn.online_attention` into its slot (split-K decode);
    `tile_reduction_using_for` folds key t of each chunk into lane t. The
    merge rescales every part's sum and output to the row's maximum and
    divides: a part that saw no key weighs 0, a row no part saw gets
    `masked_rows`, and the result is the op's up to the order of rounding.

    Example:

    ```mlir
    %o = attn.attention %q, %k, %v causal
        : tensor<1x8x1024x64xf32>, tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32>
    %o2, %lse = attn.attention %q, %k, %v causal with_lse
        : tensor<1x8x1024x64xbf16>, tensor<1x2x1024x64xbf16>, tensor<1x2x1024x64xbf16>
    // %lse : tensor<1x8x1024xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$query,
                       Attn_ReducibleTensor:$key,
                       Attn_ReducibleTensor:$value,
                       Optional<Attn_AttentionMaskTensor>:$mask,
                       Optional<Attn_SlopesTensor>:$alibi_slopes,
                       Optional<Attn_BlockMaskTensor>:$block_mask,
                       OptionalAttr<DenseI64ArrayAttr>:$block_mask_sizes,
                       OptionalAttr<F64Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<DenseI64ArrayAttr>:$window,
                       OptionalAttr<F64Attr>:$softcap,
                       Optional<Index>:$diagonal,
                       DefaultValuedAttr<Attn_MaskedRows,
                           "::mlir::attn::MaskedRows::Zero">:$masked_rows,
                       UnitAttr:$with_lse,
                       OptionalAttr<F64Attr>:$dropout_p,
                       Optional<Attn_RngTensor>:$rng);
  let results = (outs Attn_FloatTensor:$result,
                      Optional<Attn_FloatTensor>:$lse);
  let regions = (region MaxSizedRegion<1>:$score_mod,
                        MaxSizedRegion<1>:$mask_mod);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? (`alibi` $alibi_slopes^)?
    (`block_mask` $block_mask^ `sizes` `=` $block_mask_sizes)?
    (`scale` `=` $scale^)? (`causal` $causal^)? (`window` `=` $window^)?
    (`softcap` `=` $softcap^)? (`diagonal` $diagonal^)?
    (`masked_rows` `=` $masked_rows^)? (`dropout` `=` $dropout_p^)?
    (`rng` $rng^)? (`with_lse` $with_lse^)? (`score_mod` $score_mod^)?
    (`mask_mod` $mask_mod^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) (`,` type($mask)^)?
    (`alibi` type($alibi_slopes)^)? (`block_mask` type($block_mask)^)?
  }];
}

def Attn_OnlineAttentionOp : Attn_Op<"online_attention", [Pure,
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    // The results are the updated state: of the types of acc, max and sum.
    InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<TilingInterface, [
        "getLoopIteratorTypes", "getIterationDomain",
        "getTiledImplementation", "getResultTilePosition",
        "getIterationDomainTileFromResultTile", "generateResultTileValue"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<RuntimeVerifiableOpInterface>]> {
  let summary = "one step of online-softmax attention over a block of keys";
  let description = [{
    The state of an attention over the keys seen so far, per query row: the
    running maximum `max` of its scores, the sum `sum` of their exponentials
    shifted by it, and the output `acc = sum_j exp(s_j - max) v_j` not yet
    divided by the sum. The op folds a block of keys and values into it:

        s[i, j]  = query_i · key_j * scale + mask[i, j]   (-inf where hidden)
        newMax   = max(max, max_j s[i, j])
        shift    = newMax, or 0 where newMax is -inf (no key seen yet)
        alpha    = exp(max - shift)
        p[i, j]  = exp(s[i, j] - shift)
        newSum   = alpha * sum + sum_j p[i, j]
        newAcc   = alpha * acc + sum_j p[i, j] value_j

    Starting from `max = -inf`, `sum = 0`, `acc = 0` and folding every key
    block in turn gives `attn.attention` as `acc / sum` (a row with
    `sum == 0` saw no key: `masked_rows`). This is the form in which
    attention is split over its keys: `attn.attention`'s partial reductions
    are this op on each chunk of keys, and this op's key loop tiles as a
    sequence of steps (`transform.structured.tile_using_for` on it threads
    the state through the loop).

    `at [%b, %h, %i, %j]`: where this op's scores are in the attention whose
    state it folds (its batch, query head, row and key offsets): dropout's
    bits and the `score_mod`/`mask_mod` regions' indices are those of the
    whole attention. Given with dropout or a region, else absent.

    `dropout = p rng %state at [%b, %h, %i, %j]`: `attn.attention`'s
    dropout of this op's probabilities before they weigh the values (not in
    `sum`), its scores being those from batch `%b`, query head `%h`, row `%i`
    and key `%j` of the attention whose state is `%state` (a tile moves the
    origin by its offsets, as it moves the causal diagonal).

    Operands and masking are those of `attn.attention` (grouped-query heads,
    numpy-broadcast additive or boolean mask, `scale` defaulting to
    `1 / sqrt(D)`, `window`, `softcap`, `alibi`),
    `causal` and `diagonal` those of this op's own keys: key j is hidden
    from query i when `j > i + d`, `d = N - M` of its operands unless given
    (a block of keys from `k` of an attention of diagonal `d0` has
    `diagonal d0 - k`; a window and ALiBi's distances are placed by it too). `acc` is `[..., M, Dv]`, `max` and `sum` `[..., M]`.
    Element types: all f32 or all f64; or bf16 (or f16) `query`, `key` and
    `value` with an f32 state, mask and slopes: the mixed-precision step of a
    bf16 flash attention (`--convert-attn-to-linalg="bf16-products=true"`).
    There the products of `q kᵀ` are exact in f32 and summed in f32, `q` is
    scaled in f32 and rounded back to bf16 (exact when the scale is a power
    of two, as `1/sqrt(D)` is for D = 4, 16, 64, 256), and `p` is rounded to
    bf16 before `pᵀ v` (as FlashAttention does; relative error at most
    2^-8, bf16's unit roundoff, per probability) while `sum` adds the
    unrounded `p`: the normalized output moves by at most 2^-8 max|v|, and
    a rounded `q * scale` moves a score by at most
    2^-8 scale sum_d |q_d k_d| (python/tests/test_bf16.py checks these
    bounds against float64).

    Numerics: the shift by the running maximum keeps `exp` in range for any
    finite score; `alpha` is exactly 0 for a row whose first visible key
    arrives in this block (`exp(-inf)`), and a block that a row does not see
    leaves its state unchanged (`alpha = 1`, every `p = 0`). A NaN score makes
    its row's sum and output NaN; the running max ignores it.

    Its decomposition (AggregatedOpInterface) of a single head (batch and
    heads 1, a flash-attention block) is the flash block: scores key-major
    (a query's max and sum down a column, vector lanes side by side), every
    exponential `exp(x - m)` an `exp2((x - m) log2(e))` of a non-positive
    number, the difference taken first (so any finite score is exact to its
    rounding); several heads decompose with scores queries first.

    Example:

    ```mlir
    %acc1, %max1, %sum1 = attn.online_attention %q, %k, %v causal
        diagonal %d into %acc, %max, %sum
        : tensor<8x64x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>
        -> tensor<8x64x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$query,
                       Attn_ReducibleTensor:$key,
                       Attn_ReducibleTensor:$value,
                       Optional<Attn_AttentionMaskTensor>:$mask,
                       Optional<Attn_SlopesTensor>:$alibi_slopes,
                       OptionalAttr<F64Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<DenseI64ArrayAttr>:$window,
                       OptionalAttr<F64Attr>:$softcap,
                       Optional<Index>:$diagonal,
                       OptionalAttr<F64Attr>:$dropout_p,
                       Optional<Attn_RngTensor>:$rng,
                       Variadic<Index>:$origin,
                       Attn_FloatTensor:$acc,
                       Attn_FloatTensor:$max,
                       Attn_FloatTensor:$sum);
  let results = (outs Attn_FloatTensor:$newAcc, Attn_FloatTensor:$newMax,
                      Attn_FloatTensor:$newSum);
  let regions = (region MaxSizedRegion<1>:$score_mod,
                        MaxSizedRegion<1>:$mask_mod);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? (`alibi` $alibi_slopes^)?
    (`scale` `=` $scale^)? (`causal` $causal^)? (`window` `=` $window^)?
    (`softcap` `=` $softcap^)? (`diagonal` $diagonal^)?
    (`dropout` `=` $dropout_p^)? (`rng` $rng^)?
    (`at` `[` $origin^ `]`)? (`score_mod` $score_mod^)?
    (`mask_mod` $mask_mod^)?
    `into` $acc `,` $max `,` $sum attr-dict
    `:` type($query) `,` type($key) `,` type($value) (`,` type($mask)^)?
    (`alibi` type($alibi_slopes)^)?
    `->` type($acc) `,` type($max) `,` type($sum)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The state it updates: acc, max and sum.
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return ::mlir::MutableOperandRange(
          getOperation(), getOperation()->getNumOperands() - 3, 3);
    }
  }];
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator,
    ParentOneOf<["AttentionOp", "OnlineAttentionOp",
                 "AttentionBackwardOp"]>]> {
  let summary = "the value of an attention's score_mod or mask_mod region";
  let description = [{
    Ends a `score_mod` region with the modified score (of the attention's
    compute type: f32, or f64 for f64 operands) or a `mask_mod` region with
    an `i1` (`true` keeps the score).

    ```mlir
    score_mod {
    ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
      %t = math.tanh %s : f32
      attn.yield %t : f32
    }
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

// The vector-Jacobian product of a forward op: the gradient of a loss with
// respect to the forward op's operands, from the gradient `grad` with
// respect to its result (and what the forward op computed). The backward
// ops are structured ops as the forward ones are (tiled along their rows,
// decomposed into linalg named ops, the same levels down to LLVM); masks
// are constants and get no gradient.
class Attn_BackwardOp<string mnemonic, list<Trait> traits = []>
    : Attn_InferredResultOp<mnemonic, traits>;

def Attn_SoftmaxBackwardOp : Attn_BackwardOp<"softmax_backward"> {
  let summary = "gradient of attn.softmax from its output";
  let description = [{
    With `output` the result `y` of an `attn.softmax` and `grad` the
    gradient `dy` of a loss with respect to it, returns the gradient with
    respect to the softmax's input:

        result[..., j] = y[..., j] * (dy[..., j] - sum_k dy[..., k] y[..., k])

    Numerics: masked entries (`y == 0`) get exactly 0, and so does every
    entry of a fully masked row that `masked_rows = zero` made zeros (its
    output does not depend on the input); a NaN row (`masked_rows = nan`)
    gets NaN. The mask and the causal mask need not be given: they are in
    `y`. `grad` and `output` have the same type, that of the result.

    Example:

    ```mlir
    %dx = attn.softmax_backward %dy, %y
        : tensor<4x1000xf32>, tensor<4x1000xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$grad,
                       Attn_ReducibleTensor:$output);
  let assemblyFormat = [{
    $grad `,` $output attr-dict `:` type($grad) `,` type($output)
  }];
}

def Attn_LogSoftmaxBackwardOp : Attn_BackwardOp<"log_softmax_backward"> {
  let summary = "gradient of attn.log_softmax from its output";
  let description = [{
    With `output` the result `y` of an `attn.log_softmax` and `grad` the
    gradient `dy` with respect to it, returns the gradient with respect to
    the input:

        result[..., j] = dy[..., j] - exp(y[..., j]) * sum_k dy[..., k]

    with the sum over the entries whose output is not `-inf`.

    Numerics: an entry whose output is `-inf` (masked, causally or by an
    additive `-inf`, or an input of `-inf`; every entry of a fully masked
    row) is a constant: it gets exactly 0, and its `dy` reaches no other
    entry. This is the gradient of a mask applied by `masked_fill`
    (PyTorch's autograd of an additive `-inf` mask passes `dy` through to
    such entries instead).
    Logits of 1e4 are fine: `exp(y) <= 1`.

    Example:

    ```mlir
    %dx = attn.log_softmax_backward %dy, %y
        : tensor<8x32000xf32>, tensor<8x32000xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$grad,
                       Attn_ReducibleTensor:$output);
  let assemblyFormat = [{
    $grad `,` $output attr-dict `:` type($grad) `,` type($output)
  }];
}

def Attn_LogSumExpBackwardOp
    : Attn_BackwardOp<"logsumexp_backward", [AttrSizedOperandSegments]> {
  let summary = "gradient of attn.logsumexp";
  let description = !strconcat([{
    With `input` and the masks of an `attn.logsumexp`, its result `lse`
    (`output`, `[...]`) and the gradient `grad` (`[...]`) with respect to
    it, returns the gradient with respect to the input (its shape):

        result[..., j] = grad[...] * exp(x[..., j] - lse[...])

    with `x = input + mask` (masked entries `-inf`): the softmax of the row,
    recomputed from the input and the row's logsumexp.

    Numerics: masked entries get exactly 0; a fully masked row
    (`lse == -inf`) gets 0 throughout; `x - lse <= 0` for every entry, so
    logits of any finite magnitude neither overflow nor underflow wrongly,
    and each entry is as precise as the given `lse`: an `lse` of 1e4 in f32
    is rounded by up to 5e-4, a relative error of 5e-4 in `exp(x - lse)`. A
    row holding `+inf` has a NaN `lse` and gets NaN.

  }], Attn_MaskingDoc, [{

    Example:

    ```mlir
    %dx = attn.logsumexp_backward %dlse, %x, %lse causal
        : tensor<4x128xf32>, tensor<4x128x128xf32>, tensor<4x128xf32>
    ```
  }]);
  let arguments = (ins Attn_ReducibleTensor:$grad,
                       Attn_ReducibleTensor:$input,
                       Attn_FloatTensor:$output,
                       Optional<Attn_ReducibleTensor>:$mask,
                       UnitAttr:$causal,
                       Optional<Index>:$diagonal);
  let assemblyFormat = [{
    $grad `,` $input `,` $output (`mask` $mask^)? (`causal` $causal^)?
    (`diagonal` $diagonal^)? attr-dict
    `:` type($grad) `,` type($input) `,` type($output) (`,` type($mask)^)?
  }];
}

def Attn_SumSqBackwardOp : Attn_BackwardOp<"sum_sq_backward"> {
  let summary = "gradient of attn.sum_sq";
  let description = [{
    With `input` `x` (`[..., N]`) of an `attn.sum_sq` and the gradient
    `grad` (`[...]`) with respect to its result, returns

        result[..., j] = 2 * x[..., j] * grad[...]

    of the shape of `input` (computed as `(x + x) * grad`: one rounding).

    Example:

    ```mlir
    %dx = attn.sum_sq_backward %dss, %x : tensor<4xf32>, tensor<4x1024xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$grad, Attn_ReducibleTensor:$input);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` type($grad) `,` type($input)
  }];
}

def Attn_MaskedMaxBackwardOp : Attn_BackwardOp<"masked_max_backward"> {
  let summary = "gradient of attn.masked_max";
  let description = [{
    With `scores` and `mask` of an `attn.masked_max`, its result `output`
    (`[...]`, the row maxima) and the gradient `grad` (`[...]`) with respect
    to it, returns the gradient with respect to the scores (their shape):
    each row's whole `grad` goes to one maximizing entry, and every other
    entry gets 0.

    Ties: the gradient goes to the first maximizing entry, the lowest `j`
    with `scores + mask == output` (as `torch.max(x, dim)` picks its index;
    `torch.amax` would split it between the ties instead).

    Numerics: a fully masked row (`output == -inf`) gets 0 throughout (its
    maximum depends on no score); so does a row whose `output` is NaN or
    equals none of its entries.

    Example:

    ```mlir
    %ds = attn.masked_max_backward %dmax, %scores, %mask, %max
        : tensor<4x512xf32>, tensor<4x512x512xf32>, tensor<512x512xf32>,
          tensor<4x512xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$grad,
                       Attn_ReducibleTensor:$scores,
                       Attn_ReducibleTensor:$mask,
                       Attn_FloatTensor:$output);
  let assemblyFormat = [{
    $grad `,` $scores `,` $mask `,` $output attr-dict
    `:` type($grad) `,` type($scores) `,` type($mask) `,` type($output)
  }];
}

def Attn_XentBackwardOp : Attn_BackwardOp<"xent_backward"> {
  let summary = "gradients of attn.xent with respect to p and q";
  let description = [{
    With `p` and `q` (`[..., C]`) of an `attn.xent` and the gradient `grad`
    (`[...]`) with respect to its loss `-sum_c q log p`, returns the
    gradients with respect to `p` and to `q`:

        grad_p[..., c] = -grad[...] * q[..., c] / p[..., c]   (0 where q == 0)
        grad_q[..., c] = -grad[...] * log(p[..., c])

    Numerics, from the `0 log 0 = 0` rule of the forward op:
    - a class with `q == 0` gets `grad_p = 0`, even where `p == 0` (its term
      is 0 whatever `p`);
    - `p == 0` with `q > 0` gives `grad_p = -inf * sign(grad)` (the loss is
      `+inf` there), and `p == 0` gives `grad_q = +inf * sign(grad)` for any
      `q`: the loss jumps from 0 to `+inf` as `q` leaves 0.

    Example:

    ```mlir
    %dp, %dq = attn.xent_backward %dloss, %p, %q
        : tensor<8xf32>, tensor<8x1000xf32>, tensor<8x1000xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$grad,
                       Attn_ReducibleTensor:$p,
                       Attn_ReducibleTensor:$q);
  let results = (outs Attn_FloatTensor:$grad_p, Attn_FloatTensor:$grad_q);
  let assemblyFormat = [{
    $grad `,` $p `,` $q attr-dict `:` type($grad) `,` type($p) `,` type($q)
  }];
}

def Attn_XentLogitsBackwardOp : Attn_BackwardOp<"xent_logits_backward"> {
  let summary = "gradient of attn.xent_logits with respect to the logits";
  let description = [{
    With `logits` (`[..., C]`), `target` (`[...]`) and `weight` of an
    `attn.xent_logits` of the same options, and the gradient `grad` with
    respect to its loss (`[...]` for `reduction = none`, rank 0 for `sum`
    and `mean`), returns the gradient with respect to the logits. With `p`
    the softmax of the (capped) logits, `W = sum_c w[c]` (`C` without
    weights):

        dz[..., c] = g ((1 - e) w[t] + e W / C + 2 zl lse) p[c]
                     - g (1 - e) w[t] [c == t] - g e w[c] / C

    times `1 - tanh²(z / cap)` with `softcap`, and `g` the gradient reaching
    the row: `grad[...]` (`none`), `grad` (`sum`) or `grad / kept` (`mean`,
    `kept` the kept rows' `w[t]`, their count without weights). With class
    probabilities `y` as targets (`y' = (1 - e) y + e / C`, the mean over
    all rows):

        dz[..., c] = g ((sum_k w[k] y'[k] + 2 zl lse) p[c] - w[c] y'[c])

    Numerics: a row whose target is `ignore_index` gets exactly 0; a target
    outside `[0, C)` that is not `ignore_index` gives its row NaN (its loss
    is NaN); the softmax is shifted by the row maximum (logits of 1e4 are
    fine). With `mean` and no kept row every row is ignored (0).

    Example:

    ```mlir
    %dz = attn.xent_logits_backward %dloss, %logits, %target
        : tensor<f32>, tensor<2048x32000xf32>, tensor<2048xi64>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$grad,
                       Attn_ReducibleTensor:$logits,
                       Attn_ClassTargetTensor:$target,
                       Optional<Attn_ReducibleTensor>:$weight,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<Attn_Reduction,
                           "::mlir::attn::Reduction::Mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing,
                       DefaultValuedAttr<F64Attr, "0.0">:$z_loss,
                       OptionalAttr<F64Attr>:$softcap);
  let assemblyFormat = [{
    $grad `,` $logits `,` $target (`weight` $weight^)?
    (`ignore_index` `=` $ignore_index^)? (`reduction` `=` $reduction^)?
    (`label_smoothing` `=` $label_smoothing^)? (`z_loss` `=` $z_loss^)?
    (`softcap` `=` $softcap^)? attr-dict
    `:` type($grad) `,` type($logits) `,` type($target)
    (`weight` type($weight)^)?
  }];
}

def Attn_AttentionBackwardOp : Attn_Op<"attention_backward", [Pure,
    AttrSizedOperandSegments, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<RuntimeVerifiableOpInterface>]> {
  let summary = "gradients of attn.attention with respect to query, key and value";
  let description = [{
    With the operands of an `attn.attention` (`query`, `key`, `value`, the
    mask, `scale`, `causal`, `diagonal`), its `output` O and the row
    logsumexp `lse` it returned (`with_lse`), and the gradient `grad` dO of
    a loss with respect to its output, returns the gradients with respect to
    the query, the key and the value (of their types):

        S  = query keyᵀ · scale + mask   (-inf where hidden)
        P  = exp(S - lse)                (the forward's probabilities)
        D  = rowsum(dO * O)              (0 for a row with lse = +inf)
        dV = Pᵀ dO,  dP = dO valueᵀ,  dS = P * (dP - D)

    With `dropout = p rng %state` (those of the forward), the keep bits `Z`
    are regenerated: `dV = (P Z / (1 - p))ᵀ dO` and `dP = Z (dO valueᵀ) /
    (1 - p)`.
        dQ = dS key · scale,  dK = dSᵀ query · scale

    Grouped-query heads: the gradient of a key/value head is the sum over
    the query heads of its group. The mask is a constant: it gets no
    gradient.

    The variants are the forward's (`window`, `softcap`, `alibi %slopes`, a
    boolean mask, `score_mod`, `mask_mod`, `block_mask`) and must be given
    as they were: S is recomputed with them. ALiBi's slopes and the
    tensors the regions capture are constants (no gradient). Each `dS` is
    multiplied by `d s / d u`, the derivative of the final score with
    respect to the scaled product `u = query · key * scale`, before it
    reaches dQ and dK: through the softcap `1 - tanh²(u / c)`, through
    `score_mod` its derivative with respect to the score, formed by
    forward-mode rules over its ops (addf, subf, mulf, divf, negf, select,
    maximumf, minimumf, maxnumf, minnumf, extf, truncf, tanh, exp, log,
    sqrt, absf; ops that do not depend on the score, such as index
    arithmetic and reads of captured tensors, need none; the verifier
    rejects any other op of the score). A hidden score's factor is 0.

    Numerics: every probability is recomputed as `exp(S - lse)`, at most 1
    for any finite score. A row that saw no key (`lse = +inf`, whatever its
    `masked_rows`) has `P = 0` and `D = 0`: it gets zero gradients and adds
    nothing to the keys' and values' (a NaN output of `masked_rows = nan`
    does not leak). Hidden keys (causal, `-inf` mask) get nothing from the
    rows they are hidden from. The precision of `P` is that of the given
    `lse`, as in `attn.logsumexp_backward`.

    Lowering (`--convert-attn-to-linalg`): by default FlashAttention-2's
    blocks of `block-q` x `block-kv` scores, never all `[M, N]` of them: a
    loop over key blocks, each accumulating its dK and dV (and, on one
    thread, dQ's rows); with `parallel-query-blocks`, an `scf.forall` over
    the key blocks and another over the query blocks for dQ, so that no two
    iterations write the same gradient. With `attention=decomposed`, its
    decomposition (AggregatedOpInterface) over all the scores.

    Example:

    ```mlir
    %o, %lse = attn.attention %q, %k, %v causal with_lse
        : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
    %dq, %dk, %dv = attn.attention_backward %do, %q, %k, %v, %o, %lse causal
        : tensor<1x8x128x64xf32>, tensor<1x8x128x64xf32>,
          tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>,
          tensor<1x8x128x64xf32>, tensor<1x8x128xf32>
    ```
  }];
  let arguments = (ins Attn_ReducibleTensor:$grad,
                       Attn_ReducibleTensor:$query,
                       Attn_ReducibleTensor:$key,
                       Attn_ReducibleTensor:$value,
                       Attn_ReducibleTensor:$output,
                       Attn_FloatTensor:$lse,
                       Optional<Attn_AttentionMaskTensor>:$mask,
                       Optional<Attn_SlopesTensor>:$alibi_slopes,
                       Optional<Attn_BlockMaskTensor>:$block_mask,
                       OptionalAttr<DenseI64ArrayAttr>:$block_mask_sizes,
                       OptionalAttr<F64Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<DenseI64ArrayAttr>:$window,
                       OptionalAttr<F64Attr>:$softcap,
                       Optional<Index>:$diagonal,
                       OptionalAttr<F64Attr>:$dropout_p,
                       Optional<Attn_RngTensor>:$rng);
  let results = (outs Attn_FloatTensor:$grad_query, Attn_FloatTensor:$grad_key,
                      Attn_FloatTensor:$grad_value);
  let regions = (region MaxSizedRegion<1>:$score_mod,
                        MaxSizedRegion<1>:$mask_mod);
  let assemblyFormat = [{
    $grad `,` $query `,` $key `,` $value `,` $output `,` $lse
    (`mask` $mask^)? (`alibi` $alibi_slopes^)?
    (`block_mask` $block_mask^ `sizes` `=` $block_mask_sizes)?
    (`scale` `=` $scale^)?
    (`causal` $causal^)? (`window` `=` $window^)? (`softcap` `=` $softcap^)?
    (`diagonal` $diagonal^)? (`dropout` `=` $dropout_p^)? (`rng` $rng^)?
    (`score_mod` $score_mod^)? (`mask_mod` $mask_mod^)? attr-dict
    `:` type($grad) `,` type($query) `,` type($key) `,` type($value) `,`
    type($output) `,` type($lse) (`,` type($mask)^)?
    (`alibi` type($alibi_slopes)^)? (`block_mask` type($block_mask)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Result types are checked by `verify`, which names the broken rule.
    static bool isCompatibleReturnTypes(::mlir::TypeRange,
                                        ::mlir::TypeRange) {
      return true;
    }
  }];
}

def Attn_LinearXentBackwardOp : Attn_Op<"linear_xent_backward", [Pure,
    InferTypeOpAdaptor, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<RuntimeVerifiableOpInterface>]> {
  let summary = "gradients of attn.linear_xent, without the logits";
  let description = [{
    With the operands and options of an `attn.linear_xent`, the `lse` it
    returned (`with_lse`) and the gradient `grad` of a loss with respect to
    its loss (`[N]` for `reduction = none`, rank 0 otherwise), returns the
    gradients with respect to `hidden`, `classifier` and (when given)
    `bias`. Per token, with `p = exp(z - lse)` recomputed from blocks of
    logits that are never all held:

        dz[c]      = g ((1 - e) w[t] + e W / C + 2 zl lse) p[c]
                     - g (1 - e) w[t] [c == t] - g e w[c] / C
        dhidden    = dz classifier,   dclassifier = dzᵀ hidden,
        dbias      = sum over tokens of dz

    `g` is the gradient reaching the token: `grad[n]` (`none`), `grad`
    (`sum`) or `grad / kept` (`mean`, `kept` the kept tokens' `w[t]`),
    with `W = sum_c w[c]` (`C` without weights); 0 for an ignored token (so
    with
    `mean` and no kept token every gradient is 0), NaN for a target out of
    range. With `softcap`, `dz` is taken through the cap: times `1 -
    tanh²(z / cap)`. The precision of `p` is that of the given `lse`, as in
    `attn.attention_backward` (an f32 `lse` of 1e4 carries 1e-3 absolute
    error into every `z - lse`).

    Lowering (`--convert-attn-to-linalg`): by default a loop over blocks of
    `block-kv` classes, each owning its rows of `dclassifier` and `dbias`,
    over blocks of `block-q` tokens: the logits block recomputed (one
    product), then `dclassifier += dzᵀ hidden` and, on one thread,
    `dhidden += dz classifier` (3 products per block, as the loss and its
    gradient with materialized logits). With `parallel-query-blocks`, the
    class blocks are an `scf.forall` and `dhidden` a second pass over token
    blocks (4 products), so that no two iterations write the same gradient.
    With `attention=decomposed`, its decomposition over all the logits.

    `grad_filter = eps` (off by default; Cut Cross-Entropy's gradient
    filtering): the blocked lowering skips the two gradient products of
    every block of logits whose `|dz|` are all below `eps` (a NaN is never
    below). Only time changes where nothing is skipped; where blocks are,
    the dropped terms bound the error: `|Δdhidden[n, d]| < eps S_n
    max_c |classifier[c, d]|` (`S_n` the token's skipped classes),
    `|Δdclassifier[c, d]| < eps S_c max_n |hidden[n, d]|` and `|Δdbias[c]|
    < eps S_c` (`S_c` the class's skipped tokens). With `eps = 2^-12`, below
    bf16's resolution of 1, most blocks of a large vocabulary are skipped
    once the model is trained (CCE). The decomposition skips nothing.

    Example:

    ```mlir
    %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse
        : tensor<f32>, tensor<1024x512xf32>, tensor<128256x512xf32>,
          tensor<1024xi64>, tensor<1024xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$grad,
                       Attn_ReducibleTensor:$hidden,
                       Attn_ReducibleTensor:$classifier,
                       Attn_TargetTensor:$target,
                       Attn_FloatTensor:$lse,
                       Optional<Attn_ReducibleTensor>:$bias,
                       Optional<Attn_ReducibleTensor>:$weight,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<Attn_Reduction,
                           "::mlir::attn::Reduction::Mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing,
                       DefaultValuedAttr<F64Attr, "0.0">:$z_loss,
                       OptionalAttr<F64Attr>:$softcap,
                       OptionalAttr<F64Attr>:$grad_filter);
  let results = (outs Attn_FloatTensor:$grad_hidden,
                      Attn_FloatTensor:$grad_classifier,
                      Optional<Attn_FloatTensor>:$grad_bias);
  let assemblyFormat = [{
    $grad `,` $hidden `,` $classifier `,` $target `,` $lse (`bias` $bias^)?
    (`weight` $weight^)?
    (`ignore_index` `=` $ignore_index^)? (`reduction` `=` $reduction^)?
    (`label_smoothing` `=` $label_smoothing^)? (`z_loss` `=` $z_loss^)?
    (`softcap` `=` $softcap^)? (`grad_filter` `=` $grad_filter^)? attr-dict
    `:` type($grad) `,` type($hidden) `,` type($classifier) `,`
    type($target) `,` type($lse) (`,` type($bias)^)?
    (`weight` type($weight)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Result types are checked by `verify`, which names the broken rule.
    static bool isCompatibleReturnTypes(::mlir::TypeRange,
                                        ::mlir::TypeRange) {
      return true;
    }
  }];
}

#endif // ATTN_OPS_TD
