// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s --check-prefix=NOLOGITS
// RUN: attn-opt %s --convert-attn-to-linalg="parallel-query-blocks=true" --split-input-file | FileCheck %s --check-prefix=PARALLEL
// RUN: attn-opt %s --convert-attn-to-linalg="parallel-query-blocks=true" --split-input-file | FileCheck %s --check-prefix=NOLOGITS
// RUN: attn-opt %s --convert-attn-to-linalg="block-q=32 block-kv=128" --split-input-file | FileCheck %s --check-prefix=BLOCKS
// RUN: attn-opt %s --convert-attn-to-linalg="attention=decomposed" --split-input-file | FileCheck %s --check-prefix=DECOMPOSED

// attn.linear_xent and attn.linear_xent_backward: by default in blocks of
// [block-kv classes, block-q tokens] logits, never all the [N, V] logits
// (NOLOGITS, the whole output of the blocked lowerings); with
// parallel-query-blocks, scf.forall loops; with attention=decomposed, the
// whole logits.

// NOLOGITS-NOT: tensor<1024x32000x
// NOLOGITS-NOT: tensor<32000x1024x
// NOLOGITS-NOT: tensor<200x1000x
// NOLOGITS-NOT: tensor<1000x200x
// NOLOGITS-NOT: tensor<256x1024x
// NOLOGITS-NOT: tensor<1024x256x
// NOLOGITS-NOT: tensor<?x?xf32>

// Forward: per block of 64 tokens (scf.for), a loop over blocks of 64 classes
// carrying each token's running max and sum of exponentials; each block of
// logits one contraction of a classifier block and a block of hᵀ, plus the
// bias, capped. Then the target logit, gathered (tensor.extract) per token.
// CHECK-LABEL: func.func @linear_xent(
// CHECK-SAME:    %[[H:[a-zA-Z0-9_]+]]: tensor<1024x64xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<32000x64xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<1024xi64>, %[[B:[a-zA-Z0-9_]+]]: tensor<32000xf32>)
// CHECK:         %[[HT:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<1024x64xf32>) outs(%{{.*}} : tensor<64x1024xf32>)
// CHECK:         %[[NT:.*]] = arith.divui %c1024, %c64 : index
// CHECK:         %{{.*}}:2 = scf.for %[[TB:[a-zA-Z0-9_]+]] = %{{.*}} to %[[NT]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1024xf32>, tensor<1024xf32>) {
// CHECK:           %[[N0:.*]] = arith.muli %[[TB]], %c64{{.*}} : index
// CHECK:           %[[M0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<64xf32>)
// CHECK:           %[[S0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<64xf32>)
// CHECK:           %[[STATS:.*]]:2 = scf.for %[[VB:[a-zA-Z0-9_]+]] = %{{.*}} to %c32000{{[_0-9]*}} step %c64{{[_0-9]*}} iter_args(%[[M:[a-zA-Z0-9_]+]] = %[[M0]], %[[S:[a-zA-Z0-9_]+]] = %[[S0]]) -> (tensor<64xf32>, tensor<64xf32>) {
// CHECK:             %[[WB:.*]] = tensor.extract_slice %[[W]][%[[VB]], 0] [64, 64] [1, 1] : tensor<32000x64xf32> to tensor<64x64xf32>
// CHECK:             %[[HB:.*]] = tensor.extract_slice %[[HT]][0, %[[N0]]] [64, 64] [1, 1] : tensor<64x1024xf32> to tensor<64x64xf32>
// CHECK:             %[[Z:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[WB]], %[[HB]] : tensor<64x64xf32>, tensor<64x64xf32>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:               arith.mulf
// CHECK:               arith.addf
// CHECK:             %[[BB:.*]] = tensor.extract_slice %[[B]][%[[VB]]] [64] [1] : tensor<32000xf32> to tensor<64xf32>
// CHECK:             %[[ZB:.*]] = linalg.generic {{.*}} ins(%[[Z]], %[[BB]] : tensor<64x64xf32>, tensor<64xf32>)
// CHECK:               arith.addf
// CHECK:             %[[ZC:.*]] = linalg.generic {{.*}} ins(%[[ZB]] : tensor<64x64xf32>)
// CHECK:               arith.mulf
// CHECK:               math.tanh
// CHECK:               arith.mulf
// CHECK:             %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[ZC]] : tensor<64x64xf32>) outs(%[[M]] : tensor<64xf32>)
// CHECK:               arith.maximumf
// CHECK:             %[[R:.*]] = linalg.generic {{.*}} ins(%[[S]], %[[M]], %[[MAX]] : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK:               math.exp
// CHECK:             %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[ZC]], %[[MAX]] : tensor<64x64xf32>, tensor<64xf32>) outs(%[[R]] : tensor<64xf32>)
// CHECK:               math.exp
// CHECK:               arith.addf
// CHECK:             scf.yield %[[MAX]], %[[SUM]] : tensor<64xf32>, tensor<64xf32>
// CHECK:           tensor.insert_slice %{{.*}} into %{{.*}}[%[[N0]]] [64] [1] : tensor<64xf32> into tensor<1024xf32>
// CHECK:           tensor.insert_slice %[[STATS]]#1 into %{{.*}}[%[[N0]]] [64] [1] : tensor<64xf32> into tensor<1024xf32>
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[T]], %[[H]] : tensor<1024xi64>, tensor<1024x64xf32>)
// CHECK:           tensor.extract %[[W]][%{{.*}}, %{{.*}}] : tensor<32000x64xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[T]], %{{.*}} : tensor<1024xi64>, tensor<1024xf32>)
// CHECK:           tensor.extract %[[B]][%{{.*}}] : tensor<32000xf32>
// CHECK:           math.tanh
// CHECK:         linalg.generic
// CHECK:           math.log
// CHECK:         linalg.reduce ins(%{{.*}} : tensor<1024xf64>)
// CHECK:         linalg.div
// CHECK:         return %{{.*}} : tensor<f32>

// The token blocks in an scf.forall, each writing its slice of the states.
// PARALLEL-LABEL: func.func @linear_xent(
// PARALLEL:         %{{.*}}:2 = scf.forall (%[[TB:.*]]) in (%{{.*}}) shared_outs(%[[O0:.*]] = %{{.*}}, %[[O1:.*]] = %{{.*}}) -> (tensor<1024xf32>, tensor<1024xf32>) {
// PARALLEL:           %[[STATS:.*]]:2 = scf.for %{{.*}} = %{{.*}} to %c32000{{[_0-9]*}} step %c64{{[_0-9]*}} iter_args(
// PARALLEL:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} outs(%{{.*}} : tensor<64x64xf32>)
// PARALLEL:             math.tanh
// PARALLEL:           scf.forall.in_parallel {
// PARALLEL:             tensor.parallel_insert_slice %{{.*}} into %[[O0]][%{{.*}}] [64] [1] : tensor<64xf32> into tensor<1024xf32>
// PARALLEL:             tensor.parallel_insert_slice %[[STATS]]#1 into %[[O1]][%{{.*}}] [64] [1] : tensor<64xf32> into tensor<1024xf32>
// PARALLEL-NOT:     scf.forall
// PARALLEL:         return

// Blocks of 32 tokens by 128 classes.
// BLOCKS-LABEL: func.func @linear_xent(
// BLOCKS:         arith.divui %c1024, %c32 : index
// BLOCKS:         scf.for
// BLOCKS:           scf.for %{{.*}} = %{{.*}} to %c32000{{[_0-9]*}} step %c128{{[_0-9]*}} iter_args({{.*}}) -> (tensor<32xf32>, tensor<32xf32>)
// BLOCKS:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} : tensor<128x64xf32>, tensor<64x32xf32>) outs(%{{.*}} : tensor<128x32xf32>)

// The decomposition: all the [N, V] logits, no loop.
// DECOMPOSED-LABEL: func.func @linear_xent(
// DECOMPOSED-SAME:    %[[H:[a-zA-Z0-9_]+]]: tensor<1024x64xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<32000x64xf32>
// DECOMPOSED-NOT:     scf.for
// DECOMPOSED:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[H]], %[[W]] : tensor<1024x64xf32>, tensor<32000x64xf32>) outs(%{{.*}} : tensor<1024x32000xf32>)
// DECOMPOSED:         math.tanh
// DECOMPOSED:         linalg.reduce ins(%{{.*}} : tensor<1024x32000xf32>)
// DECOMPOSED-NOT:     scf.for
// DECOMPOSED:         return
func.func @linear_xent(%h: tensor<1024x64xf32>, %w: tensor<32000x64xf32>, %t: tensor<1024xi64>, %b: tensor<32000xf32>) -> tensor<f32> {
  %l = attn.linear_xent %h, %w, %t bias %b softcap = 30.0 : tensor<1024x64xf32>, tensor<32000x64xf32>, tensor<1024xi64>, tensor<32000xf32>
  return %l : tensor<f32>
}

// -----

// Sizes that are no multiple of a block: hidden and targets padded to 256
// tokens (the padding targets ignored), the classifier to 1024 classes, the
// padding classes -inf in the logits and left out of the sum of logits
// (label smoothing: a third running state); the per-token results unpadded.
// CHECK-LABEL: func.func @linear_xent_padded(
// CHECK-SAME:    %[[H:[a-zA-Z0-9_]+]]: tensor<200x32xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<1000x32xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<200xi32>)
// CHECK:         tensor.insert_slice %[[H]] into %{{.*}}[0, 0] [200, 32] [1, 1] : tensor<200x32xf32> into tensor<256x32xf32>
// CHECK:         %[[WP:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[1000, 0] [24, 32] [1, 1] : tensor<24x32xf32> into tensor<1024x32xf32>
// CHECK:         %[[IGN:.*]] = arith.constant -100 : i32
// CHECK:         %[[PADT:.*]] = linalg.fill ins(%[[IGN]] : i32) outs(%{{.*}} : tensor<56xi32>)
// CHECK:         tensor.insert_slice %[[PADT]] into %{{.*}}[200] [56] [1] : tensor<56xi32> into tensor<256xi32>
// CHECK:         %[[STATS:.*]]:3 = scf.for %{{.*}} -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
// CHECK:           scf.for %[[VB:[a-zA-Z0-9_]+]] = %{{.*}} to %c1024{{[_0-9]*}} step %c64{{[_0-9]*}} iter_args({{.*}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
// CHECK:             tensor.extract_slice %[[WP]][%[[VB]], 0] [64, 32] [1, 1] : tensor<1024x32xf32> to tensor<64x32xf32>
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} : tensor<64x32xf32>, tensor<32x64xf32>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:             linalg.generic
// CHECK:               %[[C:.*]] = linalg.index 0 : index
// CHECK:               %[[CLASS:.*]] = arith.addi %[[VB]], %[[C]] : index
// CHECK:               %[[REAL:.*]] = arith.cmpi ult, %[[CLASS]], %c1000 : index
// CHECK:               %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:               arith.select %[[REAL]], %{{.*}}, %[[NEGINF]] : f32
// CHECK:             linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]}
// CHECK:               arith.maximumf
// CHECK:             %{{.*}}:2 = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} {{.*}} outs(%{{.*}}, %{{.*}} : tensor<64xf32>, tensor<64xf32>)
// CHECK:               math.exp
// CHECK:               arith.cmpi ult
// CHECK:           scf.yield
// CHECK:         tensor.extract %[[W]][%{{.*}}, %{{.*}}] : tensor<1000x32xf32>
// CHECK:         tensor.extract_slice %[[STATS]]#0[0] [200] [1] : tensor<256xf32> to tensor<200xf32>
// CHECK:         tensor.extract_slice %[[STATS]]#1[0] [200] [1] : tensor<256xf32> to tensor<200xf32>
// CHECK:         tensor.extract_slice %[[STATS]]#2[0] [200] [1] : tensor<256xf32> to tensor<200xf32>
// CHECK:         %[[LOSS:.*]]:2 = linalg.generic
// CHECK:           math.log
// CHECK:         return %[[LOSS]]#0, %[[LOSS]]#1 : tensor<200xf32>, tensor<200xf32>

// PARALLEL-LABEL: func.func @linear_xent_padded(
// PARALLEL:         scf.forall ({{.*}}) -> (tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) {
// PARALLEL:           scf.for %{{.*}} = %{{.*}} to %c1024{{[_0-9]*}} step %c64{{[_0-9]*}}

// DECOMPOSED-LABEL: func.func @linear_xent_padded(
// DECOMPOSED-NOT:     scf.for
// DECOMPOSED:         linalg.generic {{.*}} outs(%{{.*}} : tensor<200x1000xf32>)
// DECOMPOSED-NOT:     scf.for
// DECOMPOSED:         return
func.func @linear_xent_padded(%h: tensor<200x32xf32>, %w: tensor<1000x32xf32>, %t: tensor<200xi32>) -> (tensor<200xf32>, tensor<200xf32>) {
  %l, %lse = attn.linear_xent %h, %w, %t reduction = none label_smoothing = 0.1 with_lse : tensor<200x32xf32>, tensor<1000x32xf32>, tensor<200xi32>
  return %l, %lse : tensor<200xf32>, tensor<200xf32>
}

// -----

// Fewer static tokens and classes than a block: blocks of the next multiple
// of 16 (16 tokens, 32 classes).
// CHECK-LABEL: func.func @linear_xent_small(
// CHECK:         scf.for {{.*}} -> (tensor<16xf64>, tensor<16xf64>) {
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c32{{[_0-9]*}} step %c32{{[_0-9]*}} iter_args({{.*}}) -> (tensor<16xf64>, tensor<16xf64>) {
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} : tensor<32x8xf64>, tensor<8x16xf64>) outs(%{{.*}} : tensor<32x16xf64>)
// CHECK:         return %{{.*}} : tensor<f64>
func.func @linear_xent_small(%h: tensor<5x8xf64>, %w: tensor<17x8xf64>, %t: tensor<5xi64>) -> tensor<f64> {
  %l = attn.linear_xent %h, %w, %t reduction = sum z_loss = 1.0e-4 : tensor<5x8xf64>, tensor<17x8xf64>, tensor<5xi64>
  return %l : tensor<f64>
}

// -----

// A static 0 leaves the blocks nothing to slice: the decomposition.
// CHECK-LABEL: func.func @linear_xent_no_tokens(
// CHECK-NOT:     scf.for
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<0x100xf32>)
// CHECK-NOT:     scf.for
// CHECK:         return
func.func @linear_xent_no_tokens(%h: tensor<0x64xf32>, %w: tensor<100x64xf32>, %t: tensor<0xi64>) -> tensor<f32> {
  %l = attn.linear_xent %h, %w, %t : tensor<0x64xf32>, tensor<100x64xf32>, tensor<0xi64>
  return %l : tensor<f32>
}

// -----

// f16 operands: made f32, lowered in blocks, the loss rounded back to f16
// (the lse stays f32); dynamic sizes.
// CHECK-LABEL: func.func @linear_xent_f16(
// CHECK-SAME:    %[[H:[a-zA-Z0-9_]+]]: tensor<?x32xf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<?x32xf16>
// CHECK:         linalg.generic {{.*}} ins(%[[H]] : tensor<?x32xf16>) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:           arith.extf %{{.*}} : f16 to f32
// CHECK:         linalg.generic {{.*}} ins(%[[W]] : tensor<?x32xf16>) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:           arith.extf %{{.*}} : f16 to f32
// CHECK:         scf.for
// CHECK:           scf.for {{.*}} step %c64{{[_0-9]*}} iter_args({{.*}}) -> (tensor<64xf32>, tensor<64xf32>)
// CHECK:         arith.truncf %{{.*}} : f32 to f16
// CHECK:         return %{{.*}}, %{{.*}} : tensor<?xf16>, tensor<?xf32>
func.func @linear_xent_f16(%h: tensor<?x32xf16>, %w: tensor<?x32xf16>, %t: tensor<?xi64>) -> (tensor<?xf16>, tensor<?xf32>) {
  %l, %lse = attn.linear_xent %h, %w, %t reduction = none with_lse : tensor<?x32xf16>, tensor<?x32xf16>, tensor<?xi64>
  return %l, %lse : tensor<?xf16>, tensor<?xf32>
}

// -----

// Backward: per block of 64 classes (owning its rows of dclassifier and
// dbias), a loop over blocks of 64 tokens: the logits block recomputed (one
// contraction), dz through the cap, then dclassifier += dzᵀ h, dbias +=
// rowsum(dzᵀ) and dhidden += dz w, carried by the class loop.
// CHECK-LABEL: func.func @linear_xent_backward(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: tensor<f32>, %[[H:[a-zA-Z0-9_]+]]: tensor<1024x64xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<32000x64xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<1024xi64>, %[[LSE:[a-zA-Z0-9_]+]]: tensor<1024xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<32000xf32>)
// CHECK:         %[[HT:.*]] = linalg.generic {{.*}} ins(%[[H]] : tensor<1024x64xf32>) outs(%{{.*}} : tensor<64x1024xf32>)
// CHECK:         %[[NV:.*]] = arith.divui %c32000{{[_0-9]*}}, %c64 : index
// CHECK:         %[[GRADS:.*]]:3 = scf.for %[[CB:[a-zA-Z0-9_]+]] = %{{.*}} to %[[NV]] step %{{.*}} iter_args({{.*}}) -> (tensor<32000x64xf32>, tensor<32000xf32>, tensor<1024x64xf32>) {
// CHECK:           %[[V0:.*]] = arith.muli %[[CB]], %c64{{.*}} : index
// CHECK:           %[[WB:.*]] = tensor.extract_slice %[[W]][%[[V0]], 0] [64, 64] [1, 1] : tensor<32000x64xf32> to tensor<64x64xf32>
// CHECK:           %[[ACC:.*]]:3 = scf.for %[[NB:[a-zA-Z0-9_]+]] = %{{.*}} to %c1024{{[_0-9]*}} step %c64{{[_0-9]*}} iter_args(%[[DWB:[a-zA-Z0-9_]+]] = %{{.*}}, %[[DBB:[a-zA-Z0-9_]+]] = %{{.*}}, %[[DH:[a-zA-Z0-9_]+]] = %{{.*}}) -> (tensor<64x64xf32>, tensor<64xf32>, tensor<1024x64xf32>) {
// CHECK:             %[[HTB:.*]] = tensor.extract_slice %[[HT]][0, %[[NB]]] [64, 64] [1, 1]
// CHECK:             %[[Z:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[WB]], %[[HTB]] : tensor<64x64xf32>, tensor<64x64xf32>)
// CHECK:             %[[ZB:.*]] = linalg.generic {{.*}} ins(%[[Z]], %{{.*}} : tensor<64x64xf32>, tensor<64xf32>)
// CHECK:             tensor.extract_slice %[[LSE]][%[[NB]]] [64] [1] : tensor<1024xf32> to tensor<64xf32>
// CHECK:             %[[DZ:.*]] = linalg.generic {{.*}} ins(%[[ZB]], {{.*}} : tensor<64x64xf32>, {{.*}}tensor<64xi64>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:               math.tanh
// CHECK:               math.exp
// CHECK:             %[[HB:.*]] = tensor.extract_slice %[[H]][%[[NB]], 0] [64, 64] [1, 1] : tensor<1024x64xf32> to tensor<64x64xf32>
// CHECK:             %[[DW:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[DZ]], %[[HB]] : tensor<64x64xf32>, tensor<64x64xf32>) outs(%[[DWB]] : tensor<64x64xf32>)
// CHECK:             %[[DB:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[DZ]] : tensor<64x64xf32>) outs(%[[DBB]] : tensor<64xf32>)
// CHECK:             %[[DHB:.*]] = tensor.extract_slice %[[DH]][%[[NB]], 0] [64, 64] [1, 1]
// CHECK:             %[[DHN:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[DZ]], %[[WB]] : tensor<64x64xf32>, tensor<64x64xf32>) outs(%[[DHB]] : tensor<64x64xf32>)
// CHECK:             %[[DH2:.*]] = tensor.insert_slice %[[DHN]] into %[[DH]][%[[NB]], 0] [64, 64] [1, 1] : tensor<64x64xf32> into tensor<1024x64xf32>
// CHECK:             scf.yield %[[DW]], %[[DB]], %[[DH2]] : tensor<64x64xf32>, tensor<64xf32>, tensor<1024x64xf32>
// CHECK:           tensor.insert_slice %[[ACC]]#0 into %{{.*}}[%[[V0]], 0] [64, 64] [1, 1] : tensor<64x64xf32> into tensor<32000x64xf32>
// CHECK:           tensor.insert_slice %[[ACC]]#1 into %{{.*}}[%[[V0]]] [64] [1] : tensor<64xf32> into tensor<32000xf32>
// CHECK:         return %[[GRADS]]#2, %[[GRADS]]#0, %[[GRADS]]#1 : tensor<1024x64xf32>, tensor<32000x64xf32>, tensor<32000xf32>

// With threads: the class blocks in an scf.forall (dclassifier and dbias
// written by slices), then dhidden in a second scf.forall over token blocks.
// PARALLEL-LABEL: func.func @linear_xent_backward(
// PARALLEL:         %[[CG:.*]]:2 = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs({{.*}}) -> (tensor<32000x64xf32>, tensor<32000xf32>) {
// PARALLEL:           scf.for %{{.*}} = %{{.*}} to %c1024{{[_0-9]*}} step %c64{{[_0-9]*}} iter_args({{.*}}) -> (tensor<64x64xf32>, tensor<64xf32>) {
// PARALLEL:           scf.forall.in_parallel {
// PARALLEL:             tensor.parallel_insert_slice %{{.*}} : tensor<64x64xf32> into tensor<32000x64xf32>
// PARALLEL:             tensor.parallel_insert_slice %{{.*}} : tensor<64xf32> into tensor<32000xf32>
// PARALLEL:         %[[DH:.*]] = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs({{.*}}) -> (tensor<1024x64xf32>) {
// PARALLEL:           scf.for %{{.*}} = %{{.*}} to %c32000{{[_0-9]*}} step %c64{{[_0-9]*}} iter_args({{.*}}) -> (tensor<64x64xf32>) {
// PARALLEL:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]}
// PARALLEL:           scf.forall.in_parallel {
// PARALLEL:             tensor.parallel_insert_slice %{{.*}} : tensor<64x64xf32> into tensor<1024x64xf32>
// PARALLEL:         return %[[DH]], %[[CG]]#0, %[[CG]]#1 : tensor<1024x64xf32>, tensor<32000x64xf32>, tensor<32000xf32>

// DECOMPOSED-LABEL: func.func @linear_xent_backward(
// DECOMPOSED-NOT:     scf.for
// DECOMPOSED:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} outs(%{{.*}} : tensor<1024x32000xf32>)
// DECOMPOSED:         %[[DZ:.*]] = linalg.generic {{.*}} : tensor<1024x32000xf32>, {{.*}}tensor<1024xi64>) outs(%{{.*}} : tensor<1024x32000xf32>)
// DECOMPOSED:           math.tanh
// DECOMPOSED:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[DZ]], %{{.*}} : tensor<1024x32000xf32>, tensor<32000x64xf32>) outs(%{{.*}} : tensor<1024x64xf32>)
// DECOMPOSED:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[DZ]], %{{.*}} : tensor<1024x32000xf32>, tensor<1024x64xf32>) outs(%{{.*}} : tensor<32000x64xf32>)
// DECOMPOSED:         linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[DZ]] : tensor<1024x32000xf32>) outs(%{{.*}} : tensor<32000xf32>)
// DECOMPOSED-NOT:     scf.for
// DECOMPOSED:         return
func.func @linear_xent_backward(%g: tensor<f32>, %h: tensor<1024x64xf32>, %w: tensor<32000x64xf32>, %t: tensor<1024xi64>, %lse: tensor<1024xf32>, %b: tensor<32000xf32>) -> (tensor<1024x64xf32>, tensor<32000x64xf32>, tensor<32000xf32>) {
  %dh, %dw, %db = attn.linear_xent_backward %g, %h, %w, %t, %lse bias %b softcap = 30.0 : tensor<f32>, tensor<1024x64xf32>, tensor<32000x64xf32>, tensor<1024xi64>, tensor<1024xf32>, tensor<32000xf32>
  return %dh, %dw, %db : tensor<1024x64xf32>, tensor<32000x64xf32>, tensor<32000xf32>
}

// -----

// grad_filter: the largest |dz| of each block, against eps, guards the
// block's gradient products (an scf.if that yields the accumulators as they
// were otherwise); NaN compares as reaching it (uge).
// CHECK-LABEL: func.func @linear_xent_backward_filtered(
// CHECK:         scf.for
// CHECK:           %[[DZT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<64x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xi64>)
// CHECK:             math.exp
// CHECK:           %[[LARGEST:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%[[DZT]] : tensor<64x64xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:             math.absf
// CHECK:             arith.maximumf
// CHECK:           %[[MAX:.*]] = tensor.extract %[[LARGEST]][] : tensor<f32>
// CHECK:           %[[KEEP:.*]] = arith.cmpf uge, %[[MAX]], %{{.*}} : f32
// CHECK:           %[[IF:.*]]:2 = scf.if %[[KEEP]]
// CHECK:             linalg.generic {{.*}} ins(%[[DZT]], %{{.*}} : tensor<64x64xf32>, tensor<64x64xf32>)
// CHECK:             scf.yield
// CHECK:           } else {
// CHECK-NEXT:        scf.yield %{{.*}}, %{{.*}} : tensor<64x64xf32>, tensor<128x64xf32>
// CHECK:           scf.yield %[[IF]]#0, %[[IF]]#1
// PARALLEL-LABEL: func.func @linear_xent_backward_filtered(
// PARALLEL:         scf.forall
// PARALLEL:           scf.if
// PARALLEL:         scf.forall
// PARALLEL:           scf.if
func.func @linear_xent_backward_filtered(%g: tensor<f32>, %h: tensor<128x64xf32>, %w: tensor<512x64xf32>, %t: tensor<128xi64>, %lse: tensor<128xf32>) -> (tensor<128x64xf32>, tensor<512x64xf32>) {
  %dh, %dw = attn.linear_xent_backward %g, %h, %w, %t, %lse grad_filter = 2.44140625e-04 : tensor<f32>, tensor<128x64xf32>, tensor<512x64xf32>, tensor<128xi64>, tensor<128xf32>
  return %dh, %dw : tensor<128x64xf32>, tensor<512x64xf32>
}
