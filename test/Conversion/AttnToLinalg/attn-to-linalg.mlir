// RUN: attn-opt %s --convert-attn-to-linalg --split-input-file | FileCheck %s

// Each attn op becomes the linalg named ops of its math.

// CHECK-LABEL: func.func @masked_max_broadcast(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<4x512x512xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<512x512xf32>)
// CHECK:         %[[EB:.*]] = tensor.empty() : tensor<4x512x512xf32>
// CHECK:         %[[MB:.*]] = linalg.broadcast ins(%[[M]] : tensor<512x512xf32>) outs(%[[EB]] : tensor<4x512x512xf32>) dimensions = [0]
// CHECK:         %[[EA:.*]] = tensor.empty() : tensor<4x512x512xf32>
// CHECK:         %[[ADD:.*]] = linalg.add ins(%[[S]], %[[MB]] : tensor<4x512x512xf32>, tensor<4x512x512xf32>) outs(%[[EA]] : tensor<4x512x512xf32>)
// CHECK-DAG:     %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[E2:.*]] = tensor.empty() : tensor<4x512xf32>
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[E2]] : tensor<4x512xf32>) -> tensor<4x512xf32>
// CHECK:         %[[R:.*]] = linalg.reduce ins(%[[ADD]] : tensor<4x512x512xf32>) outs(%[[INIT]] : tensor<4x512xf32>) dimensions = [2]
// CHECK-NEXT:      (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK-NEXT:        %[[MAX:.*]] = arith.maximumf %[[IN]], %[[ACC]] : f32
// CHECK-NEXT:        linalg.yield %[[MAX]] : f32
// CHECK:         return %[[R]]
func.func @masked_max_broadcast(%s: tensor<4x512x512xf32>, %m: tensor<512x512xf32>) -> tensor<4x512xf32> {
  %r = attn.masked_max %s, %m : tensor<4x512x512xf32>, tensor<512x512xf32>
  return %r : tensor<4x512xf32>
}

// -----

// A mask of the scores' shape needs no broadcast; rank 4 broadcasts over two
// leading dims.
// CHECK-LABEL: func.func @masked_max_full_mask(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<2x8x16xf64>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x8x16xf64>)
// CHECK-NOT:     linalg.broadcast
// CHECK:         linalg.add ins(%[[S]], %[[M]] : tensor<2x8x16xf64>, tensor<2x8x16xf64>)
// CHECK:         linalg.reduce
// CHECK:           arith.maximumf {{.*}} : f64
func.func @masked_max_full_mask(%s: tensor<2x8x16xf64>, %m: tensor<2x8x16xf64>) -> tensor<2x8xf64> {
  %r = attn.masked_max %s, %m : tensor<2x8x16xf64>, tensor<2x8x16xf64>
  return %r : tensor<2x8xf64>
}

// CHECK-LABEL: func.func @masked_max_rank4(
// CHECK:         linalg.broadcast ins(%{{.*}} : tensor<8x16xf32>) outs(%{{.*}} : tensor<2x3x8x16xf32>) dimensions = [0, 1]
// CHECK:         linalg.reduce ins(%{{.*}} : tensor<2x3x8x16xf32>) outs(%{{.*}} : tensor<2x3x8xf32>) dimensions = [3]
func.func @masked_max_rank4(%s: tensor<2x3x8x16xf32>, %m: tensor<8x16xf32>) -> tensor<2x3x8xf32> {
  %r = attn.masked_max %s, %m : tensor<2x3x8x16xf32>, tensor<8x16xf32>
  return %r : tensor<2x3x8xf32>
}

// -----

// Dynamic sizes come from the scores, read once with tensor.dim.
// CHECK-LABEL: func.func @masked_max_dynamic(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<?x?x?xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<?x?xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[D0:.*]] = tensor.dim %[[S]], %[[C0]]
// CHECK-DAG:     %[[D1:.*]] = tensor.dim %[[S]], %[[C1]]
// CHECK-DAG:     %[[D2:.*]] = tensor.dim %[[S]], %[[C2]]
// The broadcast's init takes the mask's own sizes (equal to the scores' at
// run time; static where the mask's are).
// CHECK-DAG:     %[[MD0:.*]] = tensor.dim %[[M]], %{{.*}}
// CHECK-DAG:     %[[MD1:.*]] = tensor.dim %[[M]], %{{.*}}
// CHECK:         %[[EB:.*]] = tensor.empty(%[[D0]], %[[MD0]], %[[MD1]]) : tensor<?x?x?xf32>
// CHECK:         %[[MB:.*]] = linalg.broadcast ins(%[[M]] : tensor<?x?xf32>) outs(%[[EB]] : tensor<?x?x?xf32>) dimensions = [0]
// CHECK:         %[[EA:.*]] = tensor.empty(%[[D0]], %[[D1]], %[[D2]]) : tensor<?x?x?xf32>
// CHECK:         linalg.add ins(%[[S]], %[[MB]] : tensor<?x?x?xf32>, tensor<?x?x?xf32>) outs(%[[EA]]
// CHECK:         %[[E2:.*]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xf32>
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<?x?xf32>)
// CHECK:         linalg.reduce {{.*}} outs(%[[INIT]] : tensor<?x?xf32>) dimensions = [2]
func.func @masked_max_dynamic(%s: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = attn.masked_max %s, %m : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @sum_sq(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4x1024xf32>)
// CHECK:         %[[E2:.*]] = tensor.empty() : tensor<4x1024xf32>
// CHECK:         %[[SQ:.*]] = linalg.square ins(%[[X]] : tensor<4x1024xf32>) outs(%[[E2]] : tensor<4x1024xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E1]] : tensor<4xf32>)
// CHECK:         %[[R:.*]] = linalg.reduce ins(%[[SQ]] : tensor<4x1024xf32>) outs(%[[INIT]] : tensor<4xf32>) dimensions = [1]
// CHECK-NEXT:      (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK-NEXT:        %[[SUM:.*]] = arith.addf %[[IN]], %[[ACC]] : f32
// CHECK-NEXT:        linalg.yield %[[SUM]] : f32
// CHECK:         return %[[R]]
func.func @sum_sq(%x: tensor<4x1024xf32>) -> tensor<4xf32> {
  %r = attn.sum_sq %x : tensor<4x1024xf32>
  return %r : tensor<4xf32>
}

// -----

// bf16 (and f16) is computed in f32: the input widened elementwise, the
// result rounded once.
// CHECK-LABEL: func.func @sum_sq_dynamic_rank1(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?xbf16>)
// CHECK:         %[[D0:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?xbf16>
// CHECK:         %[[E:.*]] = tensor.empty(%[[D0]]) : tensor<?xf32>
// CHECK:         %[[WIDE:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[X]] : tensor<?xbf16>) outs(%[[E]] : tensor<?xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: bf16, %{{.*}}: f32):
// CHECK-NEXT:      %[[W:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK-NEXT:      linalg.yield %[[W]] : f32
// CHECK:         %[[SQ:.*]] = linalg.square ins(%[[WIDE]] : tensor<?xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<f32>)
// CHECK:         %[[SUM:.*]] = linalg.reduce ins(%[[SQ]] : tensor<?xf32>) outs(%[[INIT]] : tensor<f32>) dimensions = [0]
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<f32>) outs(%{{.*}} : tensor<bf16>)
// CHECK-NEXT:    ^bb0(%[[S:.*]]: f32, %{{.*}}: bf16):
// CHECK-NEXT:      %[[N:.*]] = arith.truncf %[[S]] : f32 to bf16
// CHECK-NEXT:      linalg.yield %[[N]] : bf16
// CHECK:         return %[[R]] : tensor<bf16>
func.func @sum_sq_dynamic_rank1(%x: tensor<?xbf16>) -> tensor<bf16> {
  %r = attn.sum_sq %x : tensor<?xbf16>
  return %r : tensor<bf16>
}

// -----

// xent: log and mul as in the seed; the 0*log(0) = 0 rule and the negation
// in one linalg.map before the sum.
// CHECK-LABEL: func.func @xent(
// CHECK-SAME:    %[[P:[a-zA-Z0-9_]+]]: tensor<8x1000xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<8x1000xf32>)
// CHECK:         %[[LOG:.*]] = linalg.log ins(%[[P]] : tensor<8x1000xf32>) outs(%{{.*}} : tensor<8x1000xf32>)
// CHECK:         %[[MUL:.*]] = linalg.mul ins(%[[Q]], %[[LOG]] : tensor<8x1000xf32>, tensor<8x1000xf32>) outs(%{{.*}} : tensor<8x1000xf32>)
// CHECK:         %[[TERMS:.*]] = linalg.map ins(%[[Q]], %[[MUL]] : tensor<8x1000xf32>, tensor<8x1000xf32>) outs(%{{.*}} : tensor<8x1000xf32>)
// CHECK-NEXT:      (%[[QI:.*]]: f32, %[[T:.*]]: f32, %{{.*}}: f32) {
// CHECK-NEXT:        %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        %[[ISZ:.*]] = arith.cmpf oeq, %[[QI]], %[[Z]] : f32
// CHECK-NEXT:        %[[NEG:.*]] = arith.negf %[[T]] : f32
// CHECK-NEXT:        %[[SEL:.*]] = arith.select %[[ISZ]], %[[Z]], %[[NEG]] : f32
// CHECK-NEXT:        linalg.yield %[[SEL]] : f32
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<8xf32>)
// CHECK:         %[[R:.*]] = linalg.reduce ins(%[[TERMS]] : tensor<8x1000xf32>) outs(%[[INIT]] : tensor<8xf32>) dimensions = [1]
// CHECK:             arith.addf
// CHECK:         return %[[R]]
func.func @xent(%p: tensor<8x1000xf32>, %q: tensor<8x1000xf32>) -> tensor<8xf32> {
  %r = attn.xent %p, %q : tensor<8x1000xf32>, tensor<8x1000xf32>
  return %r : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @xent_dynamic(
// CHECK-SAME:    %[[P:[a-zA-Z0-9_]+]]: tensor<?x?xf16>, %[[Q:[a-zA-Z0-9_]+]]: tensor<?x?xf16>)
// CHECK:         %[[PW:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<?x?xf16>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:         %[[QW:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<?x?xf16>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:         linalg.log ins(%[[PW]] : tensor<?x?xf32>)
// CHECK:         linalg.mul ins(%[[QW]], %{{.*}} : tensor<?x?xf32>, tensor<?x?xf32>)
// CHECK:         linalg.map
// CHECK:         %[[SUM:.*]] = linalg.reduce ins(%{{.*}} : tensor<?x?xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[SUM]] : tensor<?xf32>) outs(%{{.*}} : tensor<?xf16>)
// CHECK:           arith.truncf %{{.*}} : f32 to f16
func.func @xent_dynamic(%p: tensor<?x?xf16>, %q: tensor<?x?xf16>) -> tensor<?xf16> {
  %r = attn.xent %p, %q : tensor<?x?xf16>, tensor<?x?xf16>
  return %r : tensor<?xf16>
}

// -----

// A static mask size against a dynamic scores size (equal at run time): the
// broadcast keeps the mask's static 1 (a dynamic init would not verify).
// CHECK-LABEL: func.func @masked_max_static_mask_dim(
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: tensor<?x?x?xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<1x?xf32>)
// CHECK:         %[[EB:.*]] = tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x1x?xf32>
// CHECK:         %[[MB:.*]] = linalg.broadcast ins(%[[M]] : tensor<1x?xf32>) outs(%[[EB]] : tensor<?x1x?xf32>) dimensions = [0]
// CHECK:         linalg.add ins(%[[S]], %[[MB]] : tensor<?x?x?xf32>, tensor<?x1x?xf32>)
func.func @masked_max_static_mask_dim(%s: tensor<?x?x?xf32>, %m: tensor<1x?xf32>) -> tensor<?x?xf32> {
  %r = attn.masked_max %s, %m : tensor<?x?x?xf32>, tensor<1x?xf32>
  return %r : tensor<?x?xf32>
}
