; ModuleID = 'LLVMDialectModule'
source_filename = "LLVMDialectModule"

declare void @free(ptr)

declare ptr @malloc(i64)

define { ptr, ptr, i64, [2 x i64], [2 x i64] } @masked_max(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6, i64 %7, i64 %8, ptr %9, ptr %10, i64 %11, i64 %12, i64 %13, i64 %14, i64 %15) {
  %17 = call ptr @malloc(i64 131136)
  %18 = ptrtoint ptr %17 to i64
  %19 = add i64 %18, 63
  %20 = urem i64 %19, 64
  %21 = sub i64 %19, %20
  %22 = inttoptr i64 %21 to ptr
  %23 = insertvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } poison, ptr %17, 0
  %24 = insertvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %23, ptr %22, 1
  %25 = insertvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %24, i64 0, 2
  %26 = insertvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %25, i64 16, 3, 0
  %27 = insertvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %26, i64 2048, 3, 1
  %28 = insertvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %27, i64 2048, 4, 0
  %29 = insertvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %28, i64 1, 4, 1
  br label %30

30:                                               ; preds = %42, %16
  %31 = phi i64 [ %43, %42 ], [ 0, %16 ]
  %32 = icmp slt i64 %31, 16
  br i1 %32, label %33, label %44

33:                                               ; preds = %30
  br label %34

34:                                               ; preds = %37, %33
  %35 = phi i64 [ %41, %37 ], [ 0, %33 ]
  %36 = icmp slt i64 %35, 2048
  br i1 %36, label %37, label %42

37:                                               ; preds = %34
  %38 = mul nuw nsw i64 %31, 2048
  %39 = add nuw nsw i64 %38, %35
  %40 = getelementptr inbounds nuw float, ptr %22, i64 %39
  store float 0xFFF0000000000000, ptr %40, align 4
  %41 = add i64 %35, 1
  br label %34

42:                                               ; preds = %34
  %43 = add i64 %31, 1
  br label %30

44:                                               ; preds = %30
  br label %45

45:                                               ; preds = %79, %44
  %46 = phi i64 [ %80, %79 ], [ 0, %44 ]
  %47 = icmp slt i64 %46, 16
  br i1 %47, label %48, label %81

48:                                               ; preds = %45
  br label %49

49:                                               ; preds = %77, %48
  %50 = phi i64 [ %78, %77 ], [ 0, %48 ]
  %51 = icmp slt i64 %50, 2048
  br i1 %51, label %52, label %79

52:                                               ; preds = %49
  br label %53

53:                                               ; preds = %56, %52
  %54 = phi i64 [ %76, %56 ], [ 0, %52 ]
  %55 = icmp slt i64 %54, 2048
  br i1 %55, label %56, label %77

56:                                               ; preds = %53
  %57 = mul nuw nsw i64 %46, 4194304
  %58 = mul nuw nsw i64 %50, 2048
  %59 = add nuw nsw i64 %57, %58
  %60 = add nuw nsw i64 %59, %54
  %61 = getelementptr inbounds nuw float, ptr %1, i64 %60
  %62 = load float, ptr %61, align 4
  %63 = mul nuw nsw i64 %50, 2048
  %64 = add nuw nsw i64 %63, %54
  %65 = getelementptr inbounds nuw float, ptr %10, i64 %64
  %66 = load float, ptr %65, align 4
  %67 = mul nuw nsw i64 %46, 2048
  %68 = add nuw nsw i64 %67, %50
  %69 = getelementptr inbounds nuw float, ptr %22, i64 %68
  %70 = load float, ptr %69, align 4
  %71 = fadd float %62, %66
  %72 = call float @llvm.maximum.f32(float %71, float %70)
  %73 = mul nuw nsw i64 %46, 2048
  %74 = add nuw nsw i64 %73, %50
  %75 = getelementptr inbounds nuw float, ptr %22, i64 %74
  store float %72, ptr %75, align 4
  %76 = add i64 %54, 1
  br label %53

77:                                               ; preds = %53
  %78 = add i64 %50, 1
  br label %49

79:                                               ; preds = %49
  %80 = add i64 %46, 1
  br label %45

81:                                               ; preds = %45
  ret { ptr, ptr, i64, [2 x i64], [2 x i64] } %29
}

define void @_mlir_ciface_masked_max(ptr %0, ptr %1, ptr %2) {
  %4 = load { ptr, ptr, i64, [3 x i64], [3 x i64] }, ptr %1, align 8
  %5 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 0
  %6 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 1
  %7 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 2
  %8 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 3, 0
  %9 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 3, 1
  %10 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 3, 2
  %11 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 4, 0
  %12 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 4, 1
  %13 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 4, 2
  %14 = load { ptr, ptr, i64, [2 x i64], [2 x i64] }, ptr %2, align 8
  %15 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 0
  %16 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 1
  %17 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 2
  %18 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 3, 0
  %19 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 3, 1
  %20 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 4, 0
  %21 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 4, 1
  %22 = call { ptr, ptr, i64, [2 x i64], [2 x i64] } @masked_max(ptr %5, ptr %6, i64 %7, i64 %8, i64 %9, i64 %10, i64 %11, i64 %12, i64 %13, ptr %15, ptr %16, i64 %17, i64 %18, i64 %19, i64 %20, i64 %21)
  store { ptr, ptr, i64, [2 x i64], [2 x i64] } %22, ptr %0, align 8
  ret void
}

define { ptr, ptr, i64, [1 x i64], [1 x i64] } @sum_sq(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6) {
  %8 = call ptr @malloc(i64 32832)
  %9 = ptrtoint ptr %8 to i64
  %10 = add i64 %9, 63
  %11 = urem i64 %10, 64
  %12 = sub i64 %10, %11
  %13 = inttoptr i64 %12 to ptr
  %14 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } poison, ptr %8, 0
  %15 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %14, ptr %13, 1
  %16 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %15, i64 0, 2
  %17 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %16, i64 8192, 3, 0
  %18 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %17, i64 1, 4, 0
  br label %19

19:                                               ; preds = %22, %7
  %20 = phi i64 [ %24, %22 ], [ 0, %7 ]
  %21 = icmp slt i64 %20, 8192
  br i1 %21, label %22, label %25

22:                                               ; preds = %19
  %23 = getelementptr inbounds nuw float, ptr %13, i64 %20
  store float 0.000000e+00, ptr %23, align 4
  %24 = add i64 %20, 1
  br label %19

25:                                               ; preds = %19
  br label %26

26:                                               ; preds = %44, %25
  %27 = phi i64 [ %45, %44 ], [ 0, %25 ]
  %28 = icmp slt i64 %27, 8192
  br i1 %28, label %29, label %46

29:                                               ; preds = %26
  br label %30

30:                                               ; preds = %33, %29
  %31 = phi i64 [ %43, %33 ], [ 0, %29 ]
  %32 = icmp slt i64 %31, 8192
  br i1 %32, label %33, label %44

33:                                               ; preds = %30
  %34 = mul nuw nsw i64 %27, 8192
  %35 = add nuw nsw i64 %34, %31
  %36 = getelementptr inbounds nuw float, ptr %1, i64 %35
  %37 = load float, ptr %36, align 4
  %38 = getelementptr inbounds nuw float, ptr %13, i64 %27
  %39 = load float, ptr %38, align 4
  %40 = fmul float %37, %37
  %41 = fadd float %40, %39
  %42 = getelementptr inbounds nuw float, ptr %13, i64 %27
  store float %41, ptr %42, align 4
  %43 = add i64 %31, 1
  br label %30

44:                                               ; preds = %30
  %45 = add i64 %27, 1
  br label %26

46:                                               ; preds = %26
  ret { ptr, ptr, i64, [1 x i64], [1 x i64] } %18
}

define void @_mlir_ciface_sum_sq(ptr %0, ptr %1) {
  %3 = load { ptr, ptr, i64, [2 x i64], [2 x i64] }, ptr %1, align 8
  %4 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %3, 0
  %5 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %3, 1
  %6 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %3, 2
  %7 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %3, 3, 0
  %8 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %3, 3, 1
  %9 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %3, 4, 0
  %10 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %3, 4, 1
  %11 = call { ptr, ptr, i64, [1 x i64], [1 x i64] } @sum_sq(ptr %4, ptr %5, i64 %6, i64 %7, i64 %8, i64 %9, i64 %10)
  store { ptr, ptr, i64, [1 x i64], [1 x i64] } %11, ptr %0, align 8
  ret void
}

define { ptr, ptr, i64, [1 x i64], [1 x i64] } @xent(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6, ptr %7, ptr %8, i64 %9, i64 %10, i64 %11, i64 %12, i64 %13) {
  %15 = call ptr @malloc(i64 8256)
  %16 = ptrtoint ptr %15 to i64
  %17 = add i64 %16, 63
  %18 = urem i64 %17, 64
  %19 = sub i64 %17, %18
  %20 = inttoptr i64 %19 to ptr
  %21 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } poison, ptr %15, 0
  %22 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %21, ptr %20, 1
  %23 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %22, i64 0, 2
  %24 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %23, i64 2048, 3, 0
  %25 = insertvalue { ptr, ptr, i64, [1 x i64], [1 x i64] } %24, i64 1, 4, 0
  br label %26

26:                                               ; preds = %29, %14
  %27 = phi i64 [ %31, %29 ], [ 0, %14 ]
  %28 = icmp slt i64 %27, 2048
  br i1 %28, label %29, label %32

29:                                               ; preds = %26
  %30 = getelementptr inbounds nuw float, ptr %20, i64 %27
  store float 0.000000e+00, ptr %30, align 4
  %31 = add i64 %27, 1
  br label %26

32:                                               ; preds = %26
  br label %33

33:                                               ; preds = %59, %32
  %34 = phi i64 [ %60, %59 ], [ 0, %32 ]
  %35 = icmp slt i64 %34, 2048
  br i1 %35, label %36, label %61

36:                                               ; preds = %33
  br label %37

37:                                               ; preds = %40, %36
  %38 = phi i64 [ %58, %40 ], [ 0, %36 ]
  %39 = icmp slt i64 %38, 32000
  br i1 %39, label %40, label %59

40:                                               ; preds = %37
  %41 = mul nuw nsw i64 %34, 32000
  %42 = add nuw nsw i64 %41, %38
  %43 = getelementptr inbounds nuw float, ptr %8, i64 %42
  %44 = load float, ptr %43, align 4
  %45 = mul nuw nsw i64 %34, 32000
  %46 = add nuw nsw i64 %45, %38
  %47 = getelementptr inbounds nuw float, ptr %1, i64 %46
  %48 = load float, ptr %47, align 4
  %49 = getelementptr inbounds nuw float, ptr %20, i64 %34
  %50 = load float, ptr %49, align 4
  %51 = call float @llvm.log.f32(float %48)
  %52 = fmul float %44, %51
  %53 = fcmp oeq float %44, 0.000000e+00
  %54 = fneg float %52
  %55 = select i1 %53, float 0.000000e+00, float %54
  %56 = fadd float %55, %50
  %57 = getelementptr inbounds nuw float, ptr %20, i64 %34
  store float %56, ptr %57, align 4
  %58 = add i64 %38, 1
  br label %37

59:                                               ; preds = %37
  %60 = add i64 %34, 1
  br label %33

61:                                               ; preds = %33
  ret { ptr, ptr, i64, [1 x i64], [1 x i64] } %25
}

define void @_mlir_ciface_xent(ptr %0, ptr %1, ptr %2) {
  %4 = load { ptr, ptr, i64, [2 x i64], [2 x i64] }, ptr %1, align 8
  %5 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %4, 0
  %6 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %4, 1
  %7 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %4, 2
  %8 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %4, 3, 0
  %9 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %4, 3, 1
  %10 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %4, 4, 0
  %11 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %4, 4, 1
  %12 = load { ptr, ptr, i64, [2 x i64], [2 x i64] }, ptr %2, align 8
  %13 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %12, 0
  %14 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %12, 1
  %15 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %12, 2
  %16 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %12, 3, 0
  %17 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %12, 3, 1
  %18 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %12, 4, 0
  %19 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %12, 4, 1
  %20 = call { ptr, ptr, i64, [1 x i64], [1 x i64] } @xent(ptr %5, ptr %6, i64 %7, i64 %8, i64 %9, i64 %10, i64 %11, ptr %13, ptr %14, i64 %15, i64 %16, i64 %17, i64 %18, i64 %19)
  store { ptr, ptr, i64, [1 x i64], [1 x i64] } %20, ptr %0, align 8
  ret void
}

define { ptr, ptr, i64, [3 x i64], [3 x i64] } @softmax(ptr %0, ptr %1, i64 %2, i64 %3, i64 %4, i64 %5, i64 %6, i64 %7, i64 %8, ptr %9, ptr %10, i64 %11, i64 %12, i64 %13, i64 %14, i64 %15) {
  %17 = call ptr @malloc(i64 131136)
  %18 = ptrtoint ptr %17 to i64
  %19 = add i64 %18, 63
  %20 = urem i64 %19, 64
  %21 = sub i64 %19, %20
  %22 = inttoptr i64 %21 to ptr
  br label %23

23:                                               ; preds = %35, %16
  %24 = phi i64 [ %36, %35 ], [ 0, %16 ]
  %25 = icmp slt i64 %24, 16
  br i1 %25, label %26, label %37

26:                                               ; preds = %23
  br label %27

27:                                               ; preds = %30, %26
  %28 = phi i64 [ %34, %30 ], [ 0, %26 ]
  %29 = icmp slt i64 %28, 2048
  br i1 %29, label %30, label %35

30:                                               ; preds = %27
  %31 = mul nuw nsw i64 %24, 2048
  %32 = add nuw nsw i64 %31, %28
  %33 = getelementptr inbounds nuw float, ptr %22, i64 %32
  store float 0xFFF0000000000000, ptr %33, align 4
  %34 = add i64 %28, 1
  br label %27

35:                                               ; preds = %27
  %36 = add i64 %24, 1
  br label %23

37:                                               ; preds = %23
  %38 = call ptr @malloc(i64 131136)
  %39 = ptrtoint ptr %38 to i64
  %40 = add i64 %39, 63
  %41 = urem i64 %40, 64
  %42 = sub i64 %40, %41
  %43 = inttoptr i64 %42 to ptr
  br label %44

44:                                               ; preds = %56, %37
  %45 = phi i64 [ %57, %56 ], [ 0, %37 ]
  %46 = icmp slt i64 %45, 16
  br i1 %46, label %47, label %58

47:                                               ; preds = %44
  br label %48

48:                                               ; preds = %51, %47
  %49 = phi i64 [ %55, %51 ], [ 0, %47 ]
  %50 = icmp slt i64 %49, 2048
  br i1 %50, label %51, label %56

51:                                               ; preds = %48
  %52 = mul nuw nsw i64 %45, 2048
  %53 = add nuw nsw i64 %52, %49
  %54 = getelementptr inbounds nuw float, ptr %43, i64 %53
  store float 0.000000e+00, ptr %54, align 4
  %55 = add i64 %49, 1
  br label %48

56:                                               ; preds = %48
  %57 = add i64 %45, 1
  br label %44

58:                                               ; preds = %44
  br label %59

59:                                               ; preds = %110, %58
  %60 = phi i64 [ %111, %110 ], [ 0, %58 ]
  %61 = icmp slt i64 %60, 16
  br i1 %61, label %62, label %112

62:                                               ; preds = %59
  br label %63

63:                                               ; preds = %108, %62
  %64 = phi i64 [ %109, %108 ], [ 0, %62 ]
  %65 = icmp slt i64 %64, 2048
  br i1 %65, label %66, label %110

66:                                               ; preds = %63
  br label %67

67:                                               ; preds = %70, %66
  %68 = phi i64 [ %107, %70 ], [ 0, %66 ]
  %69 = icmp slt i64 %68, 2048
  br i1 %69, label %70, label %108

70:                                               ; preds = %67
  %71 = mul nuw nsw i64 %60, 4194304
  %72 = mul nuw nsw i64 %64, 2048
  %73 = add nuw nsw i64 %71, %72
  %74 = add nuw nsw i64 %73, %68
  %75 = getelementptr inbounds nuw float, ptr %1, i64 %74
  %76 = load float, ptr %75, align 4
  %77 = mul nuw nsw i64 %64, 2048
  %78 = add nuw nsw i64 %77, %68
  %79 = getelementptr inbounds nuw float, ptr %10, i64 %78
  %80 = load float, ptr %79, align 4
  %81 = mul nuw nsw i64 %60, 2048
  %82 = add nuw nsw i64 %81, %64
  %83 = getelementptr inbounds nuw float, ptr %22, i64 %82
  %84 = load float, ptr %83, align 4
  %85 = mul nuw nsw i64 %60, 2048
  %86 = add nuw nsw i64 %85, %64
  %87 = getelementptr inbounds nuw float, ptr %43, i64 %86
  %88 = load float, ptr %87, align 4
  %89 = fadd float %76, %80
  %90 = call float @llvm.maximum.f32(float %89, float %84)
  %91 = fcmp oeq float %90, 0xFFF0000000000000
  %92 = select i1 %91, float 0.000000e+00, float %90
  %93 = fsub float %89, %92
  %94 = call float @llvm.exp.f32(float %93)
  %95 = fsub float %84, %90
  %96 = call float @llvm.exp.f32(float %95)
  %97 = fcmp oeq float %84, 0xFFF0000000000000
  %98 = fmul float %88, %96
  %99 = select i1 %97, float 0.000000e+00, float %98
  %100 = fadd float %99, %94
  %101 = mul nuw nsw i64 %60, 2048
  %102 = add nuw nsw i64 %101, %64
  %103 = getelementptr inbounds nuw float, ptr %22, i64 %102
  store float %90, ptr %103, align 4
  %104 = mul nuw nsw i64 %60, 2048
  %105 = add nuw nsw i64 %104, %64
  %106 = getelementptr inbounds nuw float, ptr %43, i64 %105
  store float %100, ptr %106, align 4
  %107 = add i64 %68, 1
  br label %67

108:                                              ; preds = %67
  %109 = add i64 %64, 1
  br label %63

110:                                              ; preds = %63
  %111 = add i64 %60, 1
  br label %59

112:                                              ; preds = %59
  br label %113

113:                                              ; preds = %131, %112
  %114 = phi i64 [ %132, %131 ], [ 0, %112 ]
  %115 = icmp slt i64 %114, 16
  br i1 %115, label %116, label %133

116:                                              ; preds = %113
  br label %117

117:                                              ; preds = %120, %116
  %118 = phi i64 [ %130, %120 ], [ 0, %116 ]
  %119 = icmp slt i64 %118, 2048
  br i1 %119, label %120, label %131

120:                                              ; preds = %117
  %121 = mul nuw nsw i64 %114, 2048
  %122 = add nuw nsw i64 %121, %118
  %123 = getelementptr inbounds nuw float, ptr %22, i64 %122
  %124 = load float, ptr %123, align 4
  %125 = fcmp oeq float %124, 0xFFF0000000000000
  %126 = select i1 %125, float 0.000000e+00, float %124
  %127 = mul nuw nsw i64 %114, 2048
  %128 = add nuw nsw i64 %127, %118
  %129 = getelementptr inbounds nuw float, ptr %22, i64 %128
  store float %126, ptr %129, align 4
  %130 = add i64 %118, 1
  br label %117

131:                                              ; preds = %117
  %132 = add i64 %114, 1
  br label %113

133:                                              ; preds = %113
  %134 = call ptr @malloc(i64 268435520)
  %135 = ptrtoint ptr %134 to i64
  %136 = add i64 %135, 63
  %137 = urem i64 %136, 64
  %138 = sub i64 %136, %137
  %139 = inttoptr i64 %138 to ptr
  %140 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } poison, ptr %134, 0
  %141 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %140, ptr %139, 1
  %142 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %141, i64 0, 2
  %143 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %142, i64 16, 3, 0
  %144 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %143, i64 2048, 3, 1
  %145 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %144, i64 2048, 3, 2
  %146 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %145, i64 4194304, 4, 0
  %147 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %146, i64 2048, 4, 1
  %148 = insertvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %147, i64 1, 4, 2
  br label %149

149:                                              ; preds = %194, %133
  %150 = phi i64 [ %195, %194 ], [ 0, %133 ]
  %151 = icmp slt i64 %150, 16
  br i1 %151, label %152, label %196

152:                                              ; preds = %149
  br label %153

153:                                              ; preds = %192, %152
  %154 = phi i64 [ %193, %192 ], [ 0, %152 ]
  %155 = icmp slt i64 %154, 2048
  br i1 %155, label %156, label %194

156:                                              ; preds = %153
  br label %157

157:                                              ; preds = %160, %156
  %158 = phi i64 [ %191, %160 ], [ 0, %156 ]
  %159 = icmp slt i64 %158, 2048
  br i1 %159, label %160, label %192

160:                                              ; preds = %157
  %161 = mul nuw nsw i64 %150, 4194304
  %162 = mul nuw nsw i64 %154, 2048
  %163 = add nuw nsw i64 %161, %162
  %164 = add nuw nsw i64 %163, %158
  %165 = getelementptr inbounds nuw float, ptr %1, i64 %164
  %166 = load float, ptr %165, align 4
  %167 = mul nuw nsw i64 %154, 2048
  %168 = add nuw nsw i64 %167, %158
  %169 = getelementptr inbounds nuw float, ptr %10, i64 %168
  %170 = load float, ptr %169, align 4
  %171 = mul nuw nsw i64 %150, 2048
  %172 = add nuw nsw i64 %171, %154
  %173 = getelementptr inbounds nuw float, ptr %22, i64 %172
  %174 = load float, ptr %173, align 4
  %175 = mul nuw nsw i64 %150, 2048
  %176 = add nuw nsw i64 %175, %154
  %177 = getelementptr inbounds nuw float, ptr %43, i64 %176
  %178 = load float, ptr %177, align 4
  %179 = fdiv float 1.000000e+00, %178
  %180 = fcmp oeq float %178, 0.000000e+00
  %181 = select i1 %180, float 0.000000e+00, float %179
  %182 = fadd float %166, %170
  %183 = fsub float %182, %174
  %184 = call float @llvm.exp.f32(float %183)
  %185 = fmul float %184, %181
  %186 = mul nuw nsw i64 %150, 4194304
  %187 = mul nuw nsw i64 %154, 2048
  %188 = add nuw nsw i64 %186, %187
  %189 = add nuw nsw i64 %188, %158
  %190 = getelementptr inbounds nuw float, ptr %139, i64 %189
  store float %185, ptr %190, align 4
  %191 = add i64 %158, 1
  br label %157

192:                                              ; preds = %157
  %193 = add i64 %154, 1
  br label %153

194:                                              ; preds = %153
  %195 = add i64 %150, 1
  br label %149

196:                                              ; preds = %149
  call void @free(ptr %17)
  call void @free(ptr %38)
  ret { ptr, ptr, i64, [3 x i64], [3 x i64] } %148
}

define void @_mlir_ciface_softmax(ptr %0, ptr %1, ptr %2) {
  %4 = load { ptr, ptr, i64, [3 x i64], [3 x i64] }, ptr %1, align 8
  %5 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 0
  %6 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 1
  %7 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 2
  %8 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 3, 0
  %9 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 3, 1
  %10 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 3, 2
  %11 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 4, 0
  %12 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 4, 1
  %13 = extractvalue { ptr, ptr, i64, [3 x i64], [3 x i64] } %4, 4, 2
  %14 = load { ptr, ptr, i64, [2 x i64], [2 x i64] }, ptr %2, align 8
  %15 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 0
  %16 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 1
  %17 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 2
  %18 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 3, 0
  %19 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 3, 1
  %20 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 4, 0
  %21 = extractvalue { ptr, ptr, i64, [2 x i64], [2 x i64] } %14, 4, 1
  %22 = call { ptr, ptr, i64, [3 x i64], [3 x i64] } @softmax(ptr %5, ptr %6, i64 %7, i64 %8, i64 %9, i64 %10, i64 %11, i64 %12, i64 %13, ptr %15, ptr %16, i64 %17, i64 %18, i64 %19, i64 %20, i64 %21)
  store { ptr, ptr, i64, [3 x i64], [3 x i64] } %22, ptr %0, align 8
  ret void
}

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare float @llvm.maximum.f32(float, float) #0

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare float @llvm.log.f32(float) #0

; Function Attrs: nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none)
declare float @llvm.exp.f32(float) #0

attributes #0 = { nocallback nocreateundeforpoison nofree nosync nounwind speculatable willreturn memory(none) }

!llvm.module.flags = !{!0}

!0 = !{i32 2, !"Debug Info Version", i32 3}
