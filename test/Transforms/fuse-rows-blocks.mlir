// RUN: attn-opt %s --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --canonicalize --cse --attn-fuse-rows=cache-bytes=4096 --cse --canonicalize | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-linalg --linalg-generalize-named-ops --linalg-fuse-elementwise-ops --canonicalize --cse --attn-fuse-rows=cache-bytes=0 --cse --canonicalize | FileCheck %s --check-prefix=NOBLOCK

// A softmax over [3, 2, 257, 96] with a mask [257, 96] (384 bytes a row):
// blocks of 10 mask rows (4096 bytes), the last one shorter (257 is prime),
// each block's chain (max, sum, output) for every batch and head, row by
// row inside the block.
// CHECK-DAG:   #[[LAST:.*]] = affine_map<(d0) -> (-d0 + 257, 10)>
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<3x2x257x96xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<257x96xf32>
// CHECK:         scf.for %[[BLOCK:.*]] = %{{.*}} to %c257 step %c10 iter_args
// CHECK:           %[[ROWS:.*]] = affine.min #[[LAST]](%[[BLOCK]])
// CHECK:           tensor.extract_slice %[[M]][%[[BLOCK]], 0] [%[[ROWS]], 96] [1, 1] : tensor<257x96xf32> to tensor<?x96xf32>
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c3 step %c1
// CHECK:             scf.for %{{.*}} = %{{.*}} to %c2 step %c1
// CHECK:               scf.for %{{.*}} = %{{.*}} to %[[ROWS]] step %c1
// CHECK:                 linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x1x1x96xf32>, tensor<1x96xf32>)
// CHECK:                 linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK:                 linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} {{.*}} outs(%{{.*}} : tensor<1x1x1x96xf32>)
// Without a budget: row by row over all rows, the batch outermost.
// NOBLOCK-LABEL: func.func @softmax(
// NOBLOCK-NOT:     affine.min
// NOBLOCK:         scf.for %{{.*}} = %{{.*}} to %c3 step %c1
// NOBLOCK:           scf.for %{{.*}} = %{{.*}} to %c2 step %c1
// NOBLOCK:             scf.for %{{.*}} = %{{.*}} to %c257 step %c1
func.func @softmax(%x: tensor<3x2x257x96xf32>, %m: tensor<257x96xf32>) -> tensor<3x2x257x96xf32> {
  %r = attn.softmax %x mask %m : tensor<3x2x257x96xf32>, tensor<257x96xf32>
  return %r : tensor<3x2x257x96xf32>
}
