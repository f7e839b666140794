#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map2 = affine_map<(d0, d1, d2) -> (d1, d2)>
#map3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map4 = affine_map<(d0) -> (d0)>
#map5 = affine_map<(d0, d1) -> (d0)>
module {
  func.func @masked_max(%arg0: tensor<4x64x256xf32>, %arg1: tensor<64x256xf32>) -> tensor<4x64xf32> {
    %cst = arith.constant 0xFF800000 : f32
    %0 = tensor.empty() : tensor<4x64xf32>
    %1 = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel"]} outs(%0 : tensor<4x64xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst : f32
    } -> tensor<4x64xf32>
    %2 = linalg.generic {indexing_maps = [#map1, #map2, #map3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<4x64x256xf32>, tensor<64x256xf32>) outs(%1 : tensor<4x64xf32>) {
    ^bb0(%in: f32, %in_0: f32, %out: f32):
      %3 = arith.addf %in, %in_0 : f32
      %4 = arith.maximumf %3, %out : f32
      linalg.yield %4 : f32
    } -> tensor<4x64xf32>
    return %2 : tensor<4x64xf32>
  }
  func.func @sum_sq(%arg0: tensor<64x256xf32>) -> tensor<64xf32> {
    %cst = arith.constant 0.000000e+00 : f32
    %0 = tensor.empty() : tensor<64xf32>
    %1 = linalg.generic {indexing_maps = [#map4], iterator_types = ["parallel"]} outs(%0 : tensor<64xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst : f32
    } -> tensor<64xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map5], iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<64x256xf32>) outs(%1 : tensor<64xf32>) {
    ^bb0(%in: f32, %out: f32):
      %3 = arith.mulf %in, %in : f32
      %4 = arith.addf %3, %out : f32
      linalg.yield %4 : f32
    } -> tensor<64xf32>
    return %2 : tensor<64xf32>
  }
  func.func @xent(%arg0: tensor<64x256xf32>, %arg1: tensor<64x256xf32>) -> tensor<64xf32> {
    %cst = arith.constant 0.000000e+00 : f32
    %0 = tensor.empty() : tensor<64xf32>
    %1 = linalg.generic {indexing_maps = [#map4], iterator_types = ["parallel"]} outs(%0 : tensor<64xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst : f32
    } -> tensor<64xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map, #map5], iterator_types = ["parallel", "reduction"]} ins(%arg1, %arg0 : tensor<64x256xf32>, tensor<64x256xf32>) outs(%1 : tensor<64xf32>) {
    ^bb0(%in: f32, %in_0: f32, %out: f32):
      %3 = math.log %in_0 : f32
      %4 = arith.mulf %in, %3 : f32
      %5 = arith.cmpf oeq, %in, %cst : f32
      %6 = arith.negf %4 : f32
      %7 = arith.select %5, %cst, %6 : f32
      %8 = arith.addf %7, %out : f32
      linalg.yield %8 : f32
    } -> tensor<64xf32>
    return %2 : tensor<64xf32>
  }
  func.func @softmax(%arg0: tensor<4x64x256xf32>, %arg1: tensor<64x256xf32>) -> tensor<4x64x256xf32> {
    %cst = arith.constant 1.000000e+00 : f32
    %cst_0 = arith.constant 0.000000e+00 : f32
    %cst_1 = arith.constant 0xFF800000 : f32
    %0 = tensor.empty() : tensor<4x64xf32>
    %1 = linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel"]} outs(%0 : tensor<4x64xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst_1 : f32
    } -> tensor<4x64xf32>
    %2 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<4x64xf32>) -> tensor<4x64xf32>
    %3:2 = linalg.generic {indexing_maps = [#map1, #map2, #map3, #map3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<4x64x256xf32>, tensor<64x256xf32>) outs(%1, %2 : tensor<4x64xf32>, tensor<4x64xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32, %out_3: f32):
      %7 = arith.addf %in, %in_2 : f32
      %8 = arith.maximumf %7, %out : f32
      %9 = arith.cmpf oeq, %8, %cst_1 : f32
      %10 = arith.select %9, %cst_0, %8 : f32
      %11 = arith.subf %7, %10 : f32
      %12 = math.exp %11 : f32
      %13 = arith.subf %out, %8 : f32
      %14 = math.exp %13 : f32
      %15 = arith.cmpf oeq, %out, %cst_1 : f32
      %16 = arith.mulf %out_3, %14 : f32
      %17 = arith.select %15, %cst_0, %16 : f32
      %18 = arith.addf %17, %12 : f32
      linalg.yield %8, %18 : f32, f32
    } -> (tensor<4x64xf32>, tensor<4x64xf32>)
    %4 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%3#0 : tensor<4x64xf32>) outs(%0 : tensor<4x64xf32>) {
    ^bb0(%in: f32, %out: f32):
      %7 = arith.cmpf oeq, %in, %cst_1 : f32
      %8 = arith.select %7, %cst_0, %in : f32
      linalg.yield %8 : f32
    } -> tensor<4x64xf32>
    %5 = tensor.empty() : tensor<4x64x256xf32>
    %6 = linalg.generic {indexing_maps = [#map1, #map2, #map3, #map3, #map1], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %arg1, %4, %3#1 : tensor<4x64x256xf32>, tensor<64x256xf32>, tensor<4x64xf32>, tensor<4x64xf32>) outs(%5 : tensor<4x64x256xf32>) {
    ^bb0(%in: f32, %in_2: f32, %in_3: f32, %in_4: f32, %out: f32):
      %7 = arith.divf %cst, %in_4 : f32
      %8 = arith.cmpf oeq, %in_4, %cst_0 : f32
      %9 = arith.select %8, %cst_0, %7 : f32
      %10 = arith.addf %in, %in_2 : f32
      %11 = arith.subf %10, %in_3 : f32
      %12 = math.exp %11 : f32
      %13 = arith.mulf %12, %9 : f32
      linalg.yield %13 : f32
    } -> tensor<4x64x256xf32>
    return %6 : tensor<4x64x256xf32>
  }
}

