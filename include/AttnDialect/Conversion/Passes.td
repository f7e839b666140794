//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//

#ifndef ATTN_CONVERSION_PASSES
#define ATTN_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertAttnToLinalgPass : Pass<"convert-attn-to-linalg"> {
  let summary = "Decompose attn ops into linalg named ops";
  let description = [{
    Rewrites every attn op into linalg named ops on tensors, in the shape
    that upstream `--linalg-generalize-named-ops
    --linalg-fuse-elementwise-ops` fuses into ONE `linalg.generic` per op.
    Dynamic dimensions are read with `tensor.dim`. Each op's rewrite is its
    AggregatedOpInterface decomposition (`attn.online_attention` included),
    and so is attention's flash lowering: one `attn.online_attention` on
    operands padded to whole blocks, tiled through its TilingInterface into
    query blocks and then steps of a key loop, each step decomposed. The
    operands are padded by inserting them into an empty tensor and filling
    the padding alone (not `tensor.pad` / `tensor::createPadHighOp`, whose
    bufferization fills the whole padded tensor and then copies the operand
    over it: twice the writes).

    Example (`attn.masked_max` with a mask broadcast over the batch):

    ```mlir
    %r = attn.masked_max %s, %m : tensor<4x8x16xf32>, tensor<8x16xf32>
    ```
    becomes
    ```mlir
    %ninf = arith.constant 0xFF800000 : f32
    %e = tensor.empty() : tensor<4x8xf32>
    %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %e3 = tensor.empty() : tensor<4x8x16xf32>
    %mb = linalg.broadcast ins(%m : tensor<8x16xf32>) outs(%e3 : tensor<4x8x16xf32>) dimensions = [0]
    %e3b = tensor.empty() : tensor<4x8x16xf32>
    %sum = linalg.add ins(%s, %mb : ...) outs(%e3b : ...) -> tensor<4x8x16xf32>
    %r = linalg.reduce { arith.maximumf } ins(%sum : ...) outs(%init : ...) dimensions = [2]
    ```
  }];
  let options = [
    Option<"attentionLowering", "attention",
           "::mlir::attn::AttentionLowering",
           /*default=*/"::mlir::attn::AttentionLowering::Flash",
           "How attn.attention (and attention_backward, linear_xent and "
           "linear_xent_backward) is lowered",
           [{::llvm::cl::values(
             clEnumValN(::mlir::attn::AttentionLowering::Flash, "flash",
                        "a loop over key/value blocks with a running max, "
                        "sum and output per query row; no [M, N] scores "
                        "(linear_xent: blocks of logits, no [N, V] logits)"),
             clEnumValN(::mlir::attn::AttentionLowering::Decomposed,
                        "decomposed",
                        "q kᵀ, attn.softmax, then p v, over all [M, N] "
                        "scores"))}]>,
    Option<"blockQ", "block-q", "int64_t", /*default=*/"64",
           "Query rows per block of the flash lowering (linear_xent: "
           "tokens per block; at most: fewer static queries make a block of "
           "the next multiple of 16)">,
    Option<"blockKV", "block-kv", "int64_t", /*default=*/"64",
           "Keys per block of the flash lowering (linear_xent: classes per "
           "block; at most: fewer static keys make a block of the next "
           "multiple of 16)">,
    Option<"parallelQueryBlocks", "parallel-query-blocks", "bool",
           /*default=*/"false",
           "Compute the flash lowering's query blocks in an scf.forall "
           "(lowered to threads), not an scf.for (attention_backward: its "
           "key blocks, and dQ in a pass of its own; linear_xent: its token "
           "blocks; its backward: its class blocks, and dhidden in a pass of "
           "its own)">,
    Option<"bf16Products", "bf16-products", "bool", /*default=*/"false",
           "A bf16 attention's flash loop keeps q, k, v bf16 and rounds its "
           "probabilities to bf16 for p v (an attn.online_attention of bf16 "
           "operands and an f32 state: mixed-precision contractions with f32 "
           "sums, for --attn-vectorize-contractions' bf16-dot), instead of "
           "computing in f32 on widened operands">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // ATTN_CONVERSION_PASSES
