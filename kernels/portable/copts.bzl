"""Compiler options of the portable kernels, on every platform (the library itself and
the dtype-selective kernel sources executorch_model() compiles again per model).

- Host and Linux (-O2 in -c opt): the loop vectoriser's `cheap` cost model. GCC 12's -O2
  default (`very-cheap`) leaves every loop whose trip count is not known to be a multiple
  of the vector width scalar: relu, clamp, batch norm, the convolution loops.
- host_avx2 (//platforms:has_avx2_fma): AVX2 and FMA code, products fused into their sums
  (-ffp-contract=fast: results within float rounding of the unfused ones).
- Bare metal: nothing (-Os; the Cortex-M55's vector code is kernels/portable/helium).
"""

PORTABLE_COPTS = select({
    str(Label("//platforms:has_avx2_fma")): [
        "-fvect-cost-model=cheap",
        "-mavx2",
        "-mfma",
        "-ffp-contract=fast",
    ],
    str(Label("//platforms:is_bare_metal")): [],
    "//conditions:default": ["-fvect-cost-model=cheap"],
})
