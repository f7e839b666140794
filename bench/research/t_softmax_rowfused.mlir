// softmax WITHOUT --attn-fuse-online-softmax: 3-pass form (max, sum of exp, normalize).
// Tile the normalize generic by rows, fuse max/sum/fills into the row loop, so each row
// (x + mask) is read from DRAM once and re-read from L1/L2 by the sum and normalize passes.
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} attributes {sym_name = "softmax"} in %root : (!transform.any_op) -> !transform.any_op
    %red = transform.structured.match ops{["linalg.generic"]} attributes {iterator_types = [#linalg.iterator_type<parallel>, #linalg.iterator_type<parallel>, #linalg.iterator_type<reduction>]} in %f : (!transform.any_op) -> !transform.any_op
    %max, %sum = transform.split_handle %red : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %small = transform.structured.match ops{["linalg.generic"]} attributes {iterator_types = [#linalg.iterator_type<parallel>, #linalg.iterator_type<parallel>]} in %f : (!transform.any_op) -> !transform.any_op
    %fillm, %finite, %fills = transform.split_handle %small : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %norm = transform.structured.match ops{["linalg.generic"]} attributes {iterator_types = [#linalg.iterator_type<parallel>, #linalg.iterator_type<parallel>, #linalg.iterator_type<parallel>]} in %f : (!transform.any_op) -> !transform.any_op
    // 1. one row at a time; fuse the row's producers into the row loop
    %norm_t, %lb, %li = transform.structured.tile_using_for %norm tile_sizes [1, 1, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %sum_f, %l1 = transform.structured.fuse_into_containing_op %sum into %li : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    %fills_f, %l2 = transform.structured.fuse_into_containing_op %fills into %l1 : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    %finite_f, %l3 = transform.structured.fuse_into_containing_op %finite into %l2 : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    %max_f, %l4 = transform.structured.fuse_into_containing_op %max into %l3 : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    %fillm_f, %l5 = transform.structured.fuse_into_containing_op %fillm into %l4 : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
    // 2. vector-shaped partial reductions (64 lanes = 4 zmm) for max and sum; 64-wide chunks for normalize
    %f1, %p1, %c1, %r1 = transform.structured.tile_reduction_using_for %max_f by tile_sizes = [0, 0, 64] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %f2, %p2, %c2, %r2 = transform.structured.tile_reduction_using_for %sum_f by tile_sizes = [0, 0, 64] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %norm_v, %ln = transform.structured.tile_using_for %norm_t tile_sizes [0, 0, 64] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    // 3. vectorize everything in the function that is linalg
    %all = transform.structured.match interface{LinalgOp} in %f : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %all : !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.canonicalization
      transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers
    } : !transform.any_op
    transform.apply_cse to %f : !transform.any_op
    %loops = transform.structured.match ops{["scf.for"]} in %f : (!transform.any_op) -> !transform.any_op
    transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = "innerreduction"
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
