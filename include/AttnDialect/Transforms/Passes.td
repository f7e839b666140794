//===- Passes.td - attn transform passes -------------------*- tablegen -*-===//

#ifndef ATTN_TRANSFORMS_PASSES
#define ATTN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def EmitCInterfacePass : Pass<"attn-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Give every defined function a C interface";
  let description = [{
    Sets the `llvm.emit_c_interface` unit attribute on every `func.func`
    that has a body, so that `--convert-func-to-llvm` also emits a
    `_mlir_ciface_<name>` wrapper taking memref descriptors by pointer:
    the entry point C and C++ callers use. Declarations are left alone
    (runtime functions such as `printMemrefF32` keep their plain ABI). This
    is why upstream's `--llvm-request-c-wrappers` is not used: it marks
    declarations too, and a marked declaration becomes a definition that
    calls `_mlir_ciface_<name>`, which a plain C function does not provide.

    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<f32>
    ```
    becomes
    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<f32> attributes {llvm.emit_c_interface}
    ```
  }];
}

def FuseOnlineSoftmaxPass : Pass<"attn-fuse-online-softmax"> {
  let options = [
    Option<"minRowLength", "min-row-length", "int64_t", /*default=*/"0",
           "Merge only reductions over rows of at least this many elements "
           "(a dynamic length counts as long unless short-dynamic-rows)">,
    Option<"shortDynamicRows", "short-dynamic-rows", "bool",
           /*default=*/"false",
           "Dynamic row lengths are known to be below min-row-length (a "
           "shape-polymorphic kernel for short rows)">,
  ];
  let summary = "Merge a max reduction and its sum of exponentials into one "
                "online-softmax reduction";
  let description = [{
    A stable softmax needs the row maximum before it can sum the shifted
    exponentials, so it is two reductions over the same input:

        m = max_j x[j]                       (from any init m0)
        s = sum_j exp(x[j] - shift(m))       (from 0)

    where `shift(m)` is `m` itself or `m == -inf ? 0 : m` (the form
    `--convert-attn-to-linalg` emits, which gives s = 0 for a fully masked
    row). Upstream elementwise fusion never fuses a reduction into its
    consumer, so x is read twice. This pass rewrites the pair of fused
    `linalg.generic` reductions into ONE generic with two accumulators, a
    running max and a running sum rescaled whenever the max grows, with one
    exp per element:

        m' = max(m, x)
        e  = exp(min(x, m) - shift(m'))
        s' = x <= m ? s + e : (m == -inf ? 0 : s * e) + 1

    (when the max grows, e = exp(m - x) rescales the old sum and x adds
    exp(0) = 1; an x of +inf adds NaN, as exp(inf - inf) would). The select
    resets the sum while the max is still -inf (every entry so far masked),
    so the rescale never uses `(-inf) - (-inf)`; both forms of `shift` keep
    their exact values on fully masked rows, partially masked rows and
    `+inf`/NaN entries. Only the summation order changes.

    It matches linalg, not attn: any two fused generics of this shape are
    merged, whoever wrote them. With `min-row-length`, rows shorter than
    that are left alone: where a row fits in cache, reading it again (see
    `--attn-fuse-rows`) is cheaper than the online update. A dynamic row
    length counts as long, unless `short-dynamic-rows` says that the
    caller keeps it below `min-row-length` (the Python package compiles
    one shape-polymorphic kernel for each side of the threshold). The element computation of `x` in the sum's
    body must be the same as in the max's (same ops on the same operands
    with the same indexing maps).

    Before:
    ```mlir
    %m = linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x : tensor<8x128xf32>) outs(%ninf : tensor<8xf32>) {
      ^bb0(%in: f32, %acc: f32):
        %0 = arith.maximumf %in, %acc : f32
        linalg.yield %0 : f32 } -> tensor<8xf32>
    %s = linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x, %m : tensor<8x128xf32>, tensor<8xf32>) outs(%zero : tensor<8xf32>) {
      ^bb0(%in: f32, %max: f32, %acc: f32):
        %0 = arith.subf %in, %max : f32
        %1 = math.exp %0 : f32
        %2 = arith.addf %1, %acc : f32
        linalg.yield %2 : f32 } -> tensor<8xf32>
    ```
    After:
    ```mlir
    %ms:2 = linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x : tensor<8x128xf32>) outs(%ninf, %zero : tensor<8xf32>, tensor<8xf32>) {
      ^bb0(%in: f32, %m: f32, %s: f32):
        %m1 = arith.maximumf %in, %m : f32
        ... // s1 = in <= m ? s + exp(in - m) : (m == -inf ? 0 : s * exp(m - in)) + 1
        linalg.yield %m1, %s1 : f32, f32 } -> (tensor<8xf32>, tensor<8xf32>)
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def MemRefCopyToLinalgPass : Pass<"attn-memref-copy-to-linalg"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    Bufferization copies buffers with `memref.copy`, which the LLVM lowering
    turns into a call to `memrefCopy` from MLIR's C runner utilities unless
    both sides are contiguous. As `linalg.copy` the copy becomes loops like
    everything else: compiled code needs no runtime library.

    ```mlir
    memref.copy %a, %b : memref<4x?xf32, strided<[?, 1], offset: ?>> to memref<4x?xf32>
    ```
    becomes
    ```mlir
    linalg.copy ins(%a : memref<4x?xf32, strided<[?, 1], offset: ?>>) outs(%b : memref<4x?xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ShardToMPIPass : Pass<"attn-shard-to-mpi", "::mlir::ModuleOp"> {
  let summary = "Partition a module sharded over a grid of processes and "
                "make its collectives MPI calls";
  let description = [{
    A module that declares a `shard.grid` and annotates values with
    `shard.shard` runs as one program per process (SPMD). This pass makes it
    one process's part, on tensors, with upstream's passes:

    1. `sharding-propagation` and `shard-partition` on each function: every
       op on its slices, with the collectives that its ShardingInterface asks
       for (the attn ops': a split reduced dimension merged by all-reduces);
    2. `convert-shard-to-mpi`: the collectives and process indices as `mpi`
       ops;
    3. `attn-target-mpi`: the MPI implementation named, communicator splits
       that keep every process folded, grids dropped;
    4. `convert-to-llvm{filter-dialects=mpi}`: the `mpi` ops as calls of the
       MPI library, already here because bufferization's deallocation
       refuses `mpi` ops (they declare no memory effects) but accepts calls.

    A module without a grid is left as it is (upstream's partition refuses
    functions it cannot shard, such as external declarations).
  }];
  let options = [
    Option<"implementation", "implementation", "std::string",
           /*default=*/"\"MPICH\"",
           "The MPI implementation whose ABI the calls follow: MPICH "
           "(also Intel MPI, MVAPICH) or OpenMPI">,
  ];
  let dependentDialects = [
    "::mlir::DLTIDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
    "::mlir::mpi::MPIDialect", "::mlir::scf::SCFDialect",
    "::mlir::shard::ShardDialect", "::mlir::tensor::TensorDialect"];
}

def TargetMPIPass : Pass<"attn-target-mpi", "::mlir::ModuleOp"> {
  let summary = "Name the MPI implementation of a partitioned module, keep "
                "its collectives on the world communicator, drop its grids";
  let description = [{
    After `convert-shard-to-mpi`, prepares the module's `mpi` ops for their
    lowering to calls of an MPI library:

    - Erases the `shard.grid`s no op refers to any more (a grid is a
      compile-time fact with no LLVM form).
    - Names the implementation whose ABI the calls follow: a module holding
      `mpi` ops and no `"MPI:Implementation"` entry gets
      `dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">` (or the
      `implementation` option's value; `OpenMPI` is the other one upstream
      lowers). An entry the module already has is kept.
    - Folds `mpi.comm_split(%world, %color, %key)` with a constant color on
      `mpi.comm_world` into `%world` when only `mpi.allreduce` uses the new
      communicator: every process gets the same color, so the split keeps
      the whole world, and an all-reduce does not depend on the order of
      its ranks. upstream splits a communicator per collective and never
      frees it; MPICH runs out of communicators after a few thousand, so a
      kernel called in a training loop would fail without this fold.
    - Sizes a dynamically shaped all-reduce's buffer by its own dimensions:
      LLVM 22's `convert-shard-to-mpi` reads them as dimension number
      `ShapedType::kDynamic` (out of bounds).
  }];
  let options = [
    Option<"implementation", "implementation", "std::string",
           /*default=*/"\"MPICH\"",
           "The MPI implementation whose ABI the calls follow: MPICH "
           "(also Intel MPI, MVAPICH) or OpenMPI">,
  ];
  let dependentDialects = ["::mlir::DLTIDialect", "::mlir::memref::MemRefDialect"];
}

def BoolVectorsAsBytesPass : Pass<"attn-bool-vectors-as-bytes"> {
  let summary = "Load and store vectors of i1 from memory one byte per element";
  let description = [{
    A `memref<...xi1>` holds one byte per element: scalar accesses address
    it so (an `i1` takes a byte in LLVM's data layout), and so do numpy's
    and PyTorch's boolean arrays. A vector of `i1` in LLVM's memory is
    bit-packed instead, so the vector loads and stores that the vector
    dialect lowers to (`llvm.load ... -> vector<16xi1>`) would read 16 bits
    where the memref holds 16 bytes. This pass, on the LLVM dialect, makes
    each such access one of bytes:

    ```mlir
    %m = llvm.load %p {alignment = 1 : i64} : !llvm.ptr -> vector<16xi1>
    ```
    becomes
    ```mlir
    %bytes = llvm.load %p {alignment = 1 : i64} : !llvm.ptr -> vector<16xi8>
    %m = llvm.trunc %bytes : vector<16xi8> to vector<16xi1>
    ```
    and a store zero-extends its bits to bytes. Masked loads and stores are
    rewritten the same way (their mask operand stays bits: it is a value,
    not memory).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def FuseElementwisePass : Pass<"attn-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg producers into their consumers, "
                "except into contractions";
  let description = [{
    Upstream's elementwise fusion (`--linalg-fuse-elementwise-ops`: a
    single-use elementwise `linalg.generic` is inlined into its consumer,
    reshapes are folded by expansion, fills and constants are folded), with
    one exception: a producer is not fused into a consumer that reduces while
    reading the producer's result broadcast along one of its parallel loops
    (an operand of a contraction `C[i, j] += A[i, r] B[r, j]`). Fused, the
    producer would be recomputed for every element of that loop, and the
    contraction would no longer have the matmul form that
    `--attn-vectorize-contractions` register-blocks: flash attention's
    scaled `qᵀ` stays a separate generic, computed once per query block.

    ```mlir
    %qt = linalg.generic {indexing_maps = [(d, i) -> (i, d), (d, i) -> (d, i)], ...}
        ins(%q : tensor<64x64xf32>) ... { mulf %x, %scale }
    %s = linalg.generic {indexing_maps = [(j, i, d) -> (j, d), (j, i, d) -> (d, i), ...],
                         iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%k, %qt : ...)
    ```
    keeps `%qt`; an elementwise consumer of `%s` would get it fused.

    Nor is a producer that reads its own init (an accumulation, such as a
    generic of no loops that adds to its fill) fused: upstream's fusion (MLIR
    22) keeps its result as an output of the fused op, which then
    accumulates once per iteration of the consumer's loops.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ApproximateMathPass : Pass<"attn-approximate-math"> {
  let summary = "Inline polynomial approximations of exp, log and tanh";
  let description = [{
    Replaces `math.exp`, `math.log` and `math.tanh` (soft-capping) on f32
    (and on f16/bf16, through
    f32) by MLIR's polynomial approximations: plain arithmetic that LLVM
    vectorizes, where a libm call would keep the loop scalar. Accuracy is a
    few ulp over the whole range, with `exp(-inf) = 0`, `exp(x) = inf` past
    the f32 range, `log(0) = -inf`, `log(x < 0) = NaN`, `tanh(±inf) = ±1`
    and NaN propagated
    (checked against float64 by python/tests/test_approximate_math.py).
    f64 keeps the libm calls.

    A `math.exp2` marked `attn.nonpositive` (its operand is never positive:
    a softmax's `s - max`, in base 2) gets a shorter expansion: `x < -126 ? 0
    : 2^k p(x - k)` with `k = round(x)` and a degree-5 polynomial `p`, within
    2.5 ulp; results below 2^-126 flush to 0, NaN propagates. A marked
    `math.exp` (the softmax family's `x - max`) likewise: `x < -126 ln 2 ? 0 :
    2^k q(x - k ln 2)` with `k = round(x log2(e))`, `x - k ln 2` in two FMAs
    and `q` of degree 6, within 2.7 ulp (15 instructions where the general
    expansion takes about 21). Both stay accurate for a positive `x` up to 88, so a
    mark on a slightly positive operand costs no accuracy; beyond that they
    do not overflow to inf.

    ```mlir
    %y = math.exp %x : f32
    ```
    becomes a range reduction `x = k ln2 + r`, a polynomial in `r`, and a
    scaling by `2^k` built from the exponent bits.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ReassociateReductionsPass : Pass<"attn-reassociate-reductions"> {
  let summary = "Allow the reductions of linalg.generic ops to reassociate";
  let description = [{
    Marks the combiner of every simple reduction (`acc' = acc + x`, `acc * x`)
    in a `linalg.generic` with `fastmath<reassoc, contract>`, and the
    multiplies feeding it with `contract`. LLVM may then sum in several
    vector lanes (and fuse multiply-adds), which is what makes sums run at
    memory speed: strict in-order summation is one dependent add per element.

    The numerical effect: the sum of a row is computed in a different order
    (lane-wise partial sums, then combined), so results differ from the
    in-order sum by rounding, typically by a few ulp and usually less than
    the in-order error, which grows with the row length. Max and min are
    exact in any order and are left alone. Off with the pipeline option
    `reassoc=false` (bitwise in-order results).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def SplitOnlineSoftmaxLanesPass : Pass<"attn-split-online-softmax-lanes"> {
  let summary = "Split an online-softmax reduction into independent vector "
                "lanes";
  let description = [{
    The online-softmax update is a recurrence along the row (the sum is
    rescaled whenever the max grows), so no vectorizer can run it across the
    row. This pass splits a row of N = C x L elements into L lanes: lane l
    keeps its own running (max, sum) over elements l, L + l, 2L + l, ...;
    the L lanes are updated together, which LLVM vectorizes. A second,
    small generic merges the lanes of each row:

        m = max(m, m_l)
        s = (m == -inf ? 0 : s * exp(m - m')) + (m_l == -inf ? 0 : s_l * exp(m_l - m'))

    It applies to every online reduction with the safe shift (as
    `--attn-fuse-online-softmax` builds them, recognized by the recurrence
    its body computes, not by a marker), once each, of any static row length
    N of at least `lanes`: N = C x L + T, the first C x L elements in lanes
    and merged, then the last T < L by the reduction itself (its row index
    shifted by C x L), from the merged max and sum. A row of
    unknown length does so under an `scf.if` when it has 4 x L elements or
    more at run time (shorter, the lanes cost more than they save), else
    the reduction runs as it is. Values are
    those of the one-lane reduction up to summation order (the pipelines
    run it only with `reassoc`); fully masked rows and lanes keep max -inf
    and sum 0.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "Lanes per row (16 floats fill an AVX-512 register)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def LowerRuntimeChecksPass : Pass<"attn-lower-runtime-checks", "::mlir::ModuleOp"> {
  let summary = "Lower cf.assert to a call of attn_check_failed(message, length)";
  let description = [{
    Upstream lowers a failed `cf.assert` to `puts` and `abort`: the message
    sits in stdout's buffer and is lost when the process aborts. This pass
    lowers each assert to a branch to a call of
    `attn_check_failed(const char *message, int64_t length)` (noreturn), and
    defines that function in the module (it writes the message to stderr and
    aborts) unless `define-handler=false`, where the embedder provides it:
    the Python package turns a failed check into an exception.
  }];
  let options = [
    Option<"defineHandler", "define-handler", "bool", /*default=*/"true",
           "Define attn_check_failed (stderr + abort) in the module">,
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::cf::ControlFlowDialect",
  ];
}

def PrefetchRowsPass : Pass<"attn-prefetch-rows", "::mlir::func::FuncOp"> {
  let summary = "Prefetch the next row of an input while computing on this one";
  let description = [{
    For each `vector.transfer_read` of a function argument (an input in
    memory) inside a chunk loop whose index is the read's innermost index,
    in a row loop (the loop around the chunk loop) whose index is another of
    the read's indices, and the first such read of that input in the row
    loop: inserts one `memref.prefetch` per cache line of the chunk for the
    same chunk of the next row (the row index plus its step, clamped to the
    last row). In that chunk loop it also prefetches, for writing, the next
    row of each output that a later chunk loop of the row loop writes
    through a view with `vector.transfer_write` (a first write of a line
    otherwise waits for memory; outputs streamed by --attn-stream-results
    are written with non-temporal `vector.store`s and left alone).

    A row reduction reads its row from memory, then computes on it in cache
    (a softmax's exps, a row's final combine); without the prefetch memory
    is idle during that work, and the hardware prefetcher does not cross
    into the next row, which starts in another page. Run on buffers, after
    bufferization.

    ```mlir
    scf.for %r = %c0 to %c2048 step %c1 {
      scf.for %j = %c0 to %c2048 step %c64 {
        memref.prefetch %x[%r_next, %j], read, locality<3>, data : memref<2048x2048xf32>
        ...  // three more, one per 64 bytes
        %v = vector.transfer_read %x[%r, %j], %pad : memref<2048x2048xf32>, vector<64xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def StreamResultsPass : Pass<"attn-stream-results", "::mlir::func::FuncOp"> {
  let summary = "Write large returned buffers with non-temporal stores";
  let description = [{
    A result much larger than the caches (a softmax over 256 MiB) is written
    once and not read again by the function. Ordinary stores first read each
    of its cache lines from memory, then write it back: the result costs
    twice its size in traffic on top of being written. For every 1-D,
    in-bounds, minor-identity `vector.transfer_write` into (a view of) a
    buffer that the function allocates and returns, with a static size of at
    least `min-bytes` and a contiguous innermost dimension, this pass
    substitutes `vector.store ... {nontemporal = true}`, which writes the
    lines without reading them (and without keeping them in cache: a
    consumer reads the result from memory, as it would anyway at that size).
    Run on buffers, before the transfers are lowered.

    ```mlir
    vector.transfer_write %v, %row[%c0, %c0, %j] {in_bounds = [true]}
        : vector<16xf32>, memref<1x1x2048xf32, strided<[4194304, 2048, 1], offset: ?>>
    ```
    becomes
    ```mlir
    vector.store %v, %row[%c0, %c0, %j] {nontemporal = true}
        : memref<1x1x2048xf32, strided<[4194304, 2048, 1], offset: ?>>, vector<16xf32>
    ```
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"(int64_t(64) << 20)",
           "Smallest result (bytes) written with non-temporal stores">,
  ];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
}

def ShareExponentialsPass : Pass<"attn-share-exponentials", "::mlir::func::FuncOp"> {
  let summary = "Compute a softmax's exponentials once, for its sum and its "
                "output";
  let description = [{
    A softmax row needs `e = exp(x - m)` twice: in the sum `s = sum_j e`
    and in the output `e * (1 / s)`, and the decomposition into one generic
    per result computes it in both. For a reduction generic whose body is
    `acc + exp(f(inputs))` and a later elementwise generic over the same
    loops whose body recomputes `exp(f(inputs))` (the same ops on the same
    operands through the same maps; a dynamic loop must be spanned by one of
    those operands, which ties its size in both), this pass computes the exps once
    into a buffer of their own, sums them from there, and lets the
    elementwise op read them instead of recomputing them:

    ```mlir
    %s = linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x, %m : ...) outs(%zero : tensor<1xf32>)      // acc + exp(x - m)
    %o = linalg.generic {iterator_types = ["parallel", "parallel"]}
        ins(%x, %m, %s : ...) outs(%out : tensor<1x2048xf32>) // exp(x - m) / s
    ```
    becomes
    ```mlir
    %e = linalg.generic ins(%x, %m : ...) outs(%buf : ...)       // exp(x - m)
    %s = linalg.generic ins(%e : ...) outs(%zero : ...)          // acc + e
    %o = linalg.generic ins(%x, %m, %s, %e : ...) outs(%out : ...) // e / s
    ```
    (the output op's other inputs stay; canonicalization drops them when
    unused). The output is still written once, so it can be streamed.
    Results are bit-identical. Run after --attn-fuse-rows, which puts a
    row's sum and output side by side; the exps then stay in cache.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def VectorizeContractionsPass : Pass<"attn-vectorize-contractions", "::mlir::func::FuncOp"> {
  let summary = "Register-block static matmul-form contractions into vector "
                "multiply-adds";
  let description = [{
    For each `linalg.generic` on tensors of the form
    `C[i, j] += A[i, r] * B[r, j]` (loops `i, j` parallel, `r` a reduction,
    static shapes; `A` may be read as `[r, i]`: the `k qᵀ` and `pᵀ v` of the
    flash-attention loop): loops over tiles of `rows` x `lanes`
    outputs, each tile kept in `rows` `vector<lanes>` accumulators while a
    loop over `r` adds, per step, `A[i + t, r]` broadcast times the row
    `B[r, j : j + lanes]`. Every element of `B` is loaded once per tile,
    every accumulator stays in registers.

    An accumulator filled with a constant (`C = 0 + A B`) starts the
    tiles from that constant, and one whose rows are scaled by a per-row
    factor (`C = acc * a + A B`, flash attention's rescaled output) is
    scaled as each tile is read: neither needs a pass of its own. Nor does
    a column max of `C` (`m[j] = maxnumf(m[j], C[i, j])`, flash attention's
    running max over its key-major scores) read before any other use of
    `C`: each tile's accumulators are combined into it as they are written
    (maxnumf gives the same value in any order).

    The tile is the largest power of two up to `rows` dividing the row count
    and up to `lanes` (at least 4) dividing the column count; other
    contractions are left to loops. The sum over `r` keeps its order; with
    `fma=true` each step is one fused multiply-add (`vector.fma`: one
    rounding instead of two), with `fma=false` a multiply then an add, as
    the scalar loop rounds.

    ```mlir
    %c = linalg.generic {indexing_maps = [(i, j, r) -> (i, r),
                                          (i, j, r) -> (r, j),
                                          (i, j, r) -> (i, j)],
                         iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>)
        outs(%init : tensor<64x64xf32>) {...}
    ```
    becomes loops over 8 x 2 tiles carrying eight `vector<32xf32>` through
    a loop of 64 steps of eight `vector.fma`.

    Operands narrower than the result (bf16 or f16 `A` and `B` with an f32
    `C`, the body extending them: a mixed-precision contraction) are
    widened as they are read; the products are exact in f32. With
    `bf16-dot=true` (and `fma`), a bf16 x bf16 -> f32 contraction of an
    even reduction and whole vectors of 16 columns goes through
    `x86vector.avx512.dot` (`vdpbf16ps`, AVX512_BF16: the code runs only
    on a CPU that has it). Each step adds a pair of the reduction,
    `A[i, 2r] B[2r, j] + A[i, 2r+1] B[2r+1, j]`, to 16 f32 lanes, so `B`
    (and a transposed `A`) is first interleaved into pairs of rows,
    `B'[r/2, 2j + t] = B[r + t, j]`, and the pair of `A` is broadcast as one
    32-bit word. The instruction rounds after each product and flushes
    denormal inputs and results to zero; the sum runs in pairs, odd index
    first.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"8",
           "Output rows per register tile">,
    Option<"lanes", "lanes", "int64_t", /*default=*/"32",
           "Output columns per register tile (the vector length)">,
    Option<"unroll", "unroll", "int64_t", /*default=*/"4",
           "Steps of the reduction per loop iteration (the largest power of "
           "two up to this dividing the reduction)">,
    Option<"fma", "fma", "bool", /*default=*/"true",
           "Fuse each multiply-add (rounded once)">,
    Option<"bf16Dot", "bf16-dot", "bool", /*default=*/"false",
           "bf16 operands of an f32 contraction through the AVX512_BF16 dot "
           "product (vdpbf16ps), two products per lane and instruction "
           "(with fma only)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect",
  ];
}

def VectorizeReductionsPass : Pass<"attn-vectorize-reductions", "::mlir::func::FuncOp"> {
  let summary = "Tile row reductions and vectorize them with vector-lane "
                "accumulators";
  let description = [{
    For each `linalg.generic` on tensors that reduces its innermost
    dimension into one output (the other dimensions parallel, static
    shapes): tiles the parallel dimensions by 1 (a loop over rows), tiles the
    reduction by `width` into a partial reduction with a `vector<width>`
    accumulator carried through the loop, vectorizes the pieces, and lowers
    the final cross-lane combine to one `vector.reduction` per row.

    The lane-wise partial sums reassociate a sum: sums are only vectorized
    with `reassoc=true`. A max or min is exact in any order and always is;
    with `reassoc=true` its vector form also ignores the sign of zero
    (`nsz`: max(-0, +0) may be either zero), which makes it cheaper. NaN
    still propagates through `maximumf`; a NaN-ignoring `maxnumf(a, b)`
    (`minnumf`) becomes `a > b ? a : b` (`a < b`), one instruction, which
    returns a NaN `b` rather than ignore it (attn's lowerings use `maxnumf`
    only for a softmax's running max, where a NaN score makes the row NaN
    anyway).
    Reductions whose row length is not a multiple of `width` (nor of a
    smaller power of two >= 8) are left to LLVM's loop vectorizer.

    ```mlir
    %r = linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x : tensor<4096x8192xf32>) outs(%init : tensor<4096xf32>) {...}
    ```
    becomes, per row, an `scf.for` over 128 chunks carrying a
    `vector<1x64xf32>` accumulator, then `vector.reduction <add>`.

    When an input does not depend on some row dimension (a mask `[M, N]`
    over scores `[B, M, N]`), the rows are first tiled into blocks of `M`
    whose mask rows fit in `cache-bytes` (half the core's L2 by default),
    and each block is computed for every batch in turn: the scores are read
    as contiguous runs of rows, the mask block from cache. Visiting the
    batches at one row instead jumps a batch's size between reads, which
    hardware prefetchers follow on some hosts and not on others.

    Static elementwise generics (every loop parallel) are tiled into chunks
    of `width / 4` innermost elements (one register) and vectorized too, and
    so are static reductions whose innermost loop is parallel (a column
    reduction, `acc[j] = combine(acc[j], x[r, j])`: flash attention's
    running max and sum over its key-major scores, possibly with outputs
    written at every point, like the exponentials it sums): each chunk of columns
    keeps its accumulator in a register down the column, in order, so any
    combiner is vectorized, with `reassoc` or not. An f32 elementwise
    generic with one input read with its two innermost dims swapped and any
    other read as it is written (the scaled `qᵀ` of flash attention, a mask
    block added to its key-major scores) is tiled into 16 x 16 squares, each
    with a transposing `vector.transfer_read`: 16 row loads and a transpose in
    registers (`--convert-vector-to-llvm` shuffles 16 x 16 squares in 64
    two-source shuffles), instead of one load per element.
  }];
  let options = [
    Option<"width", "width", "int64_t", /*default=*/"64",
           "Elements per chunk: the accumulator's vector length">,
    Option<"reassoc", "reassoc", "bool", /*default=*/"true",
           "Vectorize sums too (they reassociate)">,
    Option<"cacheBytes", "cache-bytes", "int64_t", /*default=*/"262144",
           "Bytes of broadcast operand rows (a mask) kept in cache per "
           "block of rows: half the core's L2 (0: no blocking)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def FuseRowsPass : Pass<"attn-fuse-rows", "::mlir::func::FuncOp"> {
  let summary = "Compute softmax-like chains one row at a time";
  let description = [{
    A softmax is a chain over the same rows: a max reduction, a sum of
    exponentials, then the normalized row. Each is its own loop nest over
    all rows, so the input is read from memory once per step. This pass
    tiles the last elementwise op of such a chain (an all-parallel generic
    that consumes, directly or not, a reduction of the same rows) by rows,
    and fuses every producer into the row loop: each row is read from memory
    once and re-read from cache by the later steps.

    Sizes may be dynamic (a shape-polymorphic kernel): a row's slices are
    then `[1, 1, ?]`, its intermediates still per-row `[1, 1]` tensors.

    Rows must fit in cache for this to pay: the pipelines use it where
    `--attn-fuse-online-softmax` is not (rows shorter than its
    `min-row-length`).

    When an input does not depend on some row dimension (a mask `[M, N]`
    over scores `[B, M, N]`), the chain is first tiled into blocks of `M`
    whose mask rows fit in `cache-bytes`, each block for every batch in
    turn, then each block by rows: the scores are read as contiguous runs of
    rows, the mask block from cache.
  }];
  let options = [
    Option<"cacheBytes", "cache-bytes", "int64_t", /*default=*/"262144",
           "Bytes of broadcast operand rows (a mask) kept in cache per "
           "block of rows: half the core's L2 (0: no blocking)">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ParallelizeRowsPass : Pass<"attn-parallelize-rows", "::mlir::func::FuncOp"> {
  let summary = "Split the rows of each reduction (and its chain) across "
                "threads";
  let description = [{
    Tiles the outermost row dimension of every row computation (a row
    reduction, or the last op of a softmax-like chain with all its
    producers fused in) into `threads` chunks with `scf.forall`, which the
    pipelines lower to an OpenMP parallel loop. Each chunk is then computed
    like the single-threaded code (`--attn-fuse-rows`,
    `--attn-vectorize-reductions` apply inside it).
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"2",
           "Number of threads (chunks of rows)">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def SerializeSmallRegionsPass : Pass<"attn-serialize-small-regions", "::mlir::func::FuncOp"> {
  let summary = "Run the OpenMP regions of a function on one thread when its "
                "inputs are small";
  let description = [{
    Forking and joining a second thread costs tens of microseconds, more
    than a small op's whole work (a sum of squares of 4 x 1024 floats: 0.09
    ms on 2 threads, 0.005 ms on 1). This pass gives every `omp.parallel`
    of a function (without an `if` clause already) the condition that the
    function's memref arguments hold at least `min-bytes` bytes, computed at
    run time at the function's entry: below it, OpenMP runs the region on
    the calling thread alone, with the same results. The arguments' bytes
    stand for the work: attn's row operations are bound by them, and
    attention, which does more work per byte, crosses the threshold sooner.

    ```mlir
    omp.parallel num_threads(%c2 : i32) { ... }
    ```
    becomes
    ```mlir
    %large = arith.cmpi uge, %bytes, %c65536 : index
    omp.parallel if(%large) num_threads(%c2 : i32) { ... }
    ```
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"65536",
           "Bytes of memref arguments from which the regions use their "
           "threads">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def ScheduleDynamicallyPass : Pass<"attn-schedule-dynamically"> {
  let summary = "Hand out the iterations of OpenMP loops with more of them "
                "than threads in small chunks, as threads finish";
  let description = [{
    Sets `schedule(dynamic)` on each `omp.wsloop` inside an `omp.parallel`
    unless its trip count is known and at most the parallel region's thread
    count. A loop over flash attention's query blocks (128 of them for
    B=1 H=8 S=1024 on 2 threads) then balances itself at run time: on
    cores of uneven speed (a shared or throttled machine) the faster thread
    takes more blocks instead of waiting for the slower one's static half.
    With both counts known and at least 16 iterations per thread, a chunk
    is an eighth of a thread's share (8 blocks there): 16 hand-outs cost
    nothing measurable, one per block cost 2%. Loops with one iteration per
    thread (the chunks of rows of `--attn-parallelize-rows`) keep the static
    schedule, where a thread that starts late would otherwise leave its
    chunk to another.

    ```mlir
    omp.parallel num_threads(%c2 : i32) {
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%c128) step (%c1) {...}
      }
    }
    ```
    becomes `omp.wsloop schedule(dynamic = %c8 : index) {...}`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::omp::OpenMPDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES
