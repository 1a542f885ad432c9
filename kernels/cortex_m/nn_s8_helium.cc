// Helium (Arm MVE) implementations of the int8 primitives of nn_s8.h, for
// Armv8.1-M cores (Cortex-M55). Compiled only for platforms with Helium
// (kernels/cortex_m/BUILD.bazel); every function gives the same bits as its
// *_plain twin in nn_s8_plain.cc for every input (the QEMU test
// kernels/cortex_m/tests:nn_s8_compare_test checks that).
//
// Exactness notes (int32 arithmetic wraps like the plain path's does):
// - requantize, vectorised 4 lanes at a time, when every lane's shift is in
//   [-31, 0] (or a left shift the caller proves cannot overflow 32 bits) and no
//   multiplier is INT32_MIN: VQRDMULH is (2ab + 2^31) >> 32, i.e. the 64-bit
//   (ab + 2^30) >> 31, saturating only for INT32_MIN * INT32_MIN; VRSHL rounds
//   half up, so negative values are first lowered by one (saturating), which
//   turns it into round half away from zero. Other lanes use the scalar
//   requantize() of nn_s8.h.
// - Degenerate clamps (activation_min > activation_max) run the plain path.
//
// Shape of the code:
// - mat_mult_s8: blocks of 2 rows x 4 columns, 16-byte loads and VMLADAVA
//   (16 MACs per instruction) with a predicated tail for depth % 16; the
//   offsets enter through column sums (lhs_offset * sum of a column's weights,
//   once per column block) and, only when rhs_offset != 0, row sums.
// - depthwise_s8: multiplier 1 pixel by pixel (each window clipped to the input
//   once), 8 channels per pass through int16 widening loads, or 16 lanes per pass
//   for whole windows when the channel count is a multiple of 16 (or 8 channels
//   of two neighbouring pixels at stride 1); multiplier
//   > 1 (upstream's convolution with one input channel) 16 outputs per tap by
//   VMLA with the scalar input.
// - add/mul 4 lanes, max pool 16 channels, avg pool 8 channels (int16 sums,
//   an exact reciprocal-multiply division).
// - im2col_s8: per kernel row one contiguous copy of the taps inside the input (dilation 1,
//   one group), whole 16-byte vectors plus a predicated tail; quantize_s8: 4 float lanes,
//   VRINTN, gather loads / scatter stores for strides; fold_offset_s8: VADDVA row sums.
// The innermost loops and output stages are small inline-assembly blocks: GCC 12
// compiles the same loops from intrinsics with their pointers and constants
// spilled to the stack and vectors moved through core registers: 1.5 to 2 times
// the instructions in those loops (measured with tests:nn_s8_bench). VMLADAVA accumulates into
// even core registers (constraint "Te"); widening loads and narrowing stores
// take a low base register ("l").
#include <arm_mve.h>
#include <stddef.h>

#include "kernels/cortex_m/nn_s8.h"

namespace slimtorch {
namespace cortex_m {
namespace {

constexpr int32_t kInt32Min = -2147483647 - 1;

// Wrapping int32 arithmetic (the plain path's int32 sums wrap on every target).
inline int32_t wadd(int32_t x, int32_t y) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) + static_cast<uint32_t>(y));
}
inline int32_t wmul(int32_t x, int32_t y) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) * static_cast<uint32_t>(y));
}

inline bool vector_shift_ok(int32_t multiplier, int32_t shift, int32_t max_left) {
  return multiplier != kInt32Min && shift >= -31 && shift <= max_left;
}

inline bool offset_ok(int32_t offset) { return offset >= -128 && offset <= 128; }

// requantize() of 4 lanes; `right` holds min(shift, 0) per lane.
inline int32x4_t requantize_right(int32x4_t acc, int32x4_t mult, int32x4_t right) {
  int32x4_t v = vqrdmulhq_s32(acc, mult);
  const int32x4_t fix = vshrq_n_s32(vandq_s32(v, right), 31);  // -1 where v < 0 and right < 0
  v = vqaddq_s32(v, fix);
  return vrshlq_s32(v, right);
}

// requantize() of 4 lanes whose (acc << max(shift, 0)) fits in 32 bits.
inline int32x4_t requantize_vec(int32x4_t acc, int32x4_t mult, int32x4_t shift) {
  const int32x4_t zero = vdupq_n_s32(0);
  acc = vshlq_s32(acc, vmaxq_s32(shift, zero));
  return requantize_right(acc, mult, vminq_s32(shift, zero));
}

inline int32_t clamp_store_value(int32_t v, const Requant& rq) {
  return clamp_i32(v, rq.activation_min, rq.activation_max);
}

// The output stage of 4 consecutive channels n0 .. n0 + 3 (the first `count` of them).
struct OutputStage4 {
  bool vector;
  int32x4_t mult;
  int32x4_t right;
  int32_t mults[4];
  int32_t shifts[4];
};

inline void prepare_output_stage(const Requant& rq, int32_t n0, int32_t count, OutputStage4* o) {
  const mve_pred16_t lanes = vctp32q(count);
  int32x4_t m, sh;
  if (rq.per_channel) {
    m = vldrwq_z_s32(rq.multipliers + n0, lanes);
    sh = vldrwq_z_s32(rq.shifts + n0, lanes);
  } else {
    m = vdupq_n_s32(rq.multipliers[0]);
    sh = vdupq_n_s32(rq.shifts[0]);
  }
  vstrwq_s32(o->mults, m);
  vstrwq_s32(o->shifts, sh);
  // vector_shift_ok(m, sh, 0) in every present lane.
  const mve_pred16_t ok = vcmpneq_m_n_s32(m, kInt32Min,
                                          vcmpleq_m_n_s32(sh, 0, vcmpgeq_n_s32(sh, -31)));
  o->vector = (ok & lanes) == lanes;
  o->mult = m;
  o->right = vminq_s32(sh, vdupq_n_s32(0));
}

inline void output_stage4(int32x4_t acc, const OutputStage4& o, const Requant& rq, int32_t count,
                          int8_t* dst) {
  if (o.vector) {
    int32x4_t v = requantize_right(acc, o.mult, o.right);
    v = vaddq_n_s32(v, rq.output_offset);
    v = vmaxq_s32(v, vdupq_n_s32(rq.activation_min));
    v = vminq_s32(v, vdupq_n_s32(rq.activation_max));
    if (count == 4) {
      vstrbq_s32(dst, v);
    } else {
      vstrbq_p_s32(dst, v, vctp32q(count));
    }
    return;
  }
  int32_t lanes[4];
  vstrwq_s32(lanes, acc);
  for (int32_t j = 0; j < count; ++j) {
    const int32_t v = wadd(requantize(lanes[j], o.mults[j], o.shifts[j]), rq.output_offset);
    dst[j] = static_cast<int8_t>(clamp_store_value(v, rq));
  }
}

// The output stage of 8 consecutive channels n0 .. n0 + 7 (the first `count`),
// held as even (0, 2, 4, 6) and odd (1, 3, 5, 7) lanes.
struct OutputStage8 {
  bool vector;
  int32x4_t mult[2];
  int32x4_t right[2];
  int32_t mults[8];
  int32_t shifts[8];
};

inline void prepare_output_stage8(const Requant& rq, int32_t n0, int32_t count, OutputStage8* o) {
  o->vector = true;
  for (int32_t j = 0; j < 8; ++j) {
    const int32_t i = rq.per_channel ? (j < count ? n0 + j : n0) : 0;
    o->mults[j] = rq.multipliers[i];
    o->shifts[j] = rq.shifts[i];
    if (j < count && !vector_shift_ok(o->mults[j], o->shifts[j], 0)) o->vector = false;
  }
  const int32x4x2_t m = vld2q_s32(o->mults);
  const int32x4x2_t s = vld2q_s32(o->shifts);
  o->mult[0] = m.val[0];
  o->mult[1] = m.val[1];
  o->right[0] = vminq_s32(s.val[0], vdupq_n_s32(0));
  o->right[1] = vminq_s32(s.val[1], vdupq_n_s32(0));
}

inline void output_stage8(int32x4_t even, int32x4_t odd, const OutputStage8& o, const Requant& rq,
                          int32_t count, int8_t* dst) {
  if (o.vector) {
    const int32x4_t lo = vdupq_n_s32(rq.activation_min), hi = vdupq_n_s32(rq.activation_max);
    even = vaddq_n_s32(requantize_right(even, o.mult[0], o.right[0]), rq.output_offset);
    odd = vaddq_n_s32(requantize_right(odd, o.mult[1], o.right[1]), rq.output_offset);
    even = vminq_s32(vmaxq_s32(even, lo), hi);
    odd = vminq_s32(vmaxq_s32(odd, lo), hi);
    // Truncating narrows, then a truncating byte store: the int8 cast of the plain path.
    const int16x8_t r = vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), even), odd);
    if (count == 8) {
      vstrbq_s16(dst, r);
    } else {
      vstrbq_p_s16(dst, r, vctp16q(count));
    }
    return;
  }
  int32_t lanes[8];
  int32x4x2_t pair;
  pair.val[0] = even;
  pair.val[1] = odd;
  vst2q_s32(lanes, pair);
  for (int32_t j = 0; j < count; ++j) {
    const int32_t v = wadd(requantize(lanes[j], o.mults[j], o.shifts[j]), rq.output_offset);
    dst[j] = static_cast<int8_t>(clamp_store_value(v, rq));
  }
}

inline int32x4_t make4(int32_t a, int32_t b, int32_t c, int32_t d) {
  int32x4_t v = vdupq_n_s32(a);
  v = vsetq_lane_s32(b, v, 1);
  v = vsetq_lane_s32(c, v, 2);
  v = vsetq_lane_s32(d, v, 3);
  return v;
}

// sum_k p[k] over depth bytes.
inline int32_t sum_s8(const int8_t* p, int32_t depth) {
  int32_t s = 0;
  int32_t k = depth;
  for (; k >= 16; k -= 16, p += 16) s = vaddvaq_s8(s, vld1q_s8(p));
  if (k > 0) s = vaddvaq_s8(s, vldrbq_z_s8(p, vctp8q(k)));
  return s;
}

// dot_1x4 without the row sum as one asm block (fully connected layers: one row):
// per 16 bytes one input load shared by four weight loads and VMLADAVAs.
inline int32x4_t dot_1x4_asm(const int8_t* x, const int8_t* w0, const int8_t* w1,
                             const int8_t* w2, const int8_t* w3, int32_t depth) {
  const int32_t n = depth >> 4;
  const int32_t t = depth & 15;
  int32_t a0, a1, a2, a3;
  int32x4_t o;
  __asm__ volatile(
      "  movs %[a0], #0\n"
      "  movs %[a1], #0\n"
      "  movs %[a2], #0\n"
      "  movs %[a3], #0\n"
      "  ldr lr, %[n]\n"
      "  wls lr, lr, 2f\n"
      "1:\n"
      "  vldrb.u8 q0, [%[x]], #16\n"
      "  vldrb.u8 q1, [%[w0]], #16\n"
      "  vldrb.u8 q2, [%[w1]], #16\n"
      "  vldrb.u8 q3, [%[w2]], #16\n"
      "  vmladava.s8 %[a0], q0, q1\n"
      "  vldrb.u8 q1, [%[w3]], #16\n"
      "  vmladava.s8 %[a1], q0, q2\n"
      "  vmladava.s8 %[a2], q0, q3\n"
      "  vmladava.s8 %[a3], q0, q1\n"
      "  le lr, 1b\n"
      "2:\n"
      "  ldr lr, %[t]\n"
      "  cmp lr, #0\n"
      "  beq 3f\n"
      "  vctp.8 lr\n"
      "  vpstttt\n"
      "  vldrbt.u8 q0, [%[x]]\n"
      "  vldrbt.u8 q1, [%[w0]]\n"
      "  vldrbt.u8 q2, [%[w1]]\n"
      "  vldrbt.u8 q3, [%[w2]]\n"
      "  vmladava.s8 %[a0], q0, q1\n"
      "  vmladava.s8 %[a1], q0, q2\n"
      "  vmladava.s8 %[a2], q0, q3\n"
      "  vpst\n"
      "  vldrbt.u8 q1, [%[w3]]\n"
      "  vmladava.s8 %[a3], q0, q1\n"
      "3:\n"
      "  vmov %q[o][2], %q[o][0], %[a0], %[a2]\n"
      "  vmov %q[o][3], %q[o][1], %[a1], %[a3]\n"
      : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3), [o] "=&w"(o),
        [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3)
      : [n] "m"(n), [t] "m"(t)
      : "lr", "q0", "q1", "q2", "q3", "cc", "memory");
  return o;
}

// One row of lhs against 4 rhs columns: acc[j] = sum_k lhs[k] * rhs_j[k]; *lhs_sum = sum_k lhs[k]
// when WithLhsSum.
template <bool WithLhsSum>
inline int32x4_t dot_1x4(const int8_t* lhs, const int8_t* r0, const int8_t* r1, const int8_t* r2,
                         const int8_t* r3, int32_t depth, int32_t* lhs_sum) {
  if (!WithLhsSum) return dot_1x4_asm(lhs, r0, r1, r2, r3, depth);
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, s = 0;
  int32_t blocks = depth >> 4;
  while (blocks-- > 0) {
    const int8x16_t x = vld1q_s8(lhs);
    lhs += 16;
    a0 = vmladavaq_s8(a0, x, vld1q_s8(r0));
    r0 += 16;
    a1 = vmladavaq_s8(a1, x, vld1q_s8(r1));
    r1 += 16;
    a2 = vmladavaq_s8(a2, x, vld1q_s8(r2));
    r2 += 16;
    a3 = vmladavaq_s8(a3, x, vld1q_s8(r3));
    r3 += 16;
    if (WithLhsSum) s = vaddvaq_s8(s, x);
  }
  const int32_t tail = depth & 15;
  if (tail != 0) {
    const mve_pred16_t p = vctp8q(tail);
    const int8x16_t x = vldrbq_z_s8(lhs, p);
    a0 = vmladavaq_s8(a0, x, vldrbq_z_s8(r0, p));
    a1 = vmladavaq_s8(a1, x, vldrbq_z_s8(r1, p));
    a2 = vmladavaq_s8(a2, x, vldrbq_z_s8(r2, p));
    a3 = vmladavaq_s8(a3, x, vldrbq_z_s8(r3, p));
    if (WithLhsSum) s = vaddvaq_s8(s, x);
  }
  if (WithLhsSum) *lhs_sum = s;
  return make4(a0, a1, a2, a3);
}

// Two rows of lhs against two rhs columns: c[0] = l0.ra, c[1] = l0.rb, c[2] = l1.ra,
// c[3] = l1.rb; with WithLhsSum also s[0] = sum l0, s[1] = sum l1.
template <bool WithLhsSum>
inline void dot_2x2(const int8_t* x0p, const int8_t* x1p, const int8_t* ap, const int8_t* bp,
                    int32_t depth, int32_t* c, int32_t* s) {
  int32_t s0 = 0, s1 = 0;
  // VMLADAVA accumulates into even core registers (constraint "Te").
  int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
  const int32_t blocks16 = depth >> 4;
  if (!WithLhsSum) {
    __asm__ volatile(
        "  wls lr, %[n], 2f\n"
        "1:\n"
        "  vldrb.u8 q0, [%[x0]], #16\n"
        "  vldrb.u8 q1, [%[x1]], #16\n"
        "  vldrb.u8 q2, [%[wa]], #16\n"
        "  vldrb.u8 q3, [%[wb]], #16\n"
        "  vmladava.s8 %[a00], q0, q2\n"
        "  vmladava.s8 %[a01], q0, q3\n"
        "  vmladava.s8 %[a10], q1, q2\n"
        "  vmladava.s8 %[a11], q1, q3\n"
        "  le lr, 1b\n"
        "2:\n"
        : [a00] "+Te"(a00), [a01] "+Te"(a01), [a10] "+Te"(a10), [a11] "+Te"(a11), [x0] "+r"(x0p),
          [x1] "+r"(x1p), [wa] "+r"(ap), [wb] "+r"(bp)
        : [n] "r"(blocks16)
        : "lr", "q0", "q1", "q2", "q3", "memory");
  }
  for (int32_t blocks = WithLhsSum ? blocks16 : 0; blocks > 0; --blocks) {
    const int8x16_t x0 = vld1q_s8(x0p);
    x0p += 16;
    const int8x16_t x1 = vld1q_s8(x1p);
    x1p += 16;
    const int8x16_t wa = vld1q_s8(ap);
    ap += 16;
    const int8x16_t wb = vld1q_s8(bp);
    bp += 16;
    a00 = vmladavaq_s8(a00, x0, wa);
    a01 = vmladavaq_s8(a01, x0, wb);
    a10 = vmladavaq_s8(a10, x1, wa);
    a11 = vmladavaq_s8(a11, x1, wb);
    if (WithLhsSum) {
      s0 = vaddvaq_s8(s0, x0);
      s1 = vaddvaq_s8(s1, x1);
    }
  }
  const int32_t tail = depth & 15;
  if (!WithLhsSum && tail != 0) {
    // The last depth % 16 bytes: one VPT block of four predicated loads.
    __asm__ volatile(
        "  vctp.8 %[t]\n"
        "  vpstttt\n"
        "  vldrbt.u8 q0, [%[x0]]\n"
        "  vldrbt.u8 q1, [%[x1]]\n"
        "  vldrbt.u8 q2, [%[wa]]\n"
        "  vldrbt.u8 q3, [%[wb]]\n"
        "  vmladava.s8 %[a00], q0, q2\n"
        "  vmladava.s8 %[a01], q0, q3\n"
        "  vmladava.s8 %[a10], q1, q2\n"
        "  vmladava.s8 %[a11], q1, q3\n"
        : [a00] "+Te"(a00), [a01] "+Te"(a01), [a10] "+Te"(a10), [a11] "+Te"(a11)
        : [x0] "r"(x0p), [x1] "r"(x1p), [wa] "r"(ap), [wb] "r"(bp), [t] "r"(tail)
        : "q0", "q1", "q2", "q3", "memory");
  } else if (tail != 0) {
    const mve_pred16_t p = vctp8q(tail);
    const int8x16_t x0 = vldrbq_z_s8(x0p, p);
    const int8x16_t x1 = vldrbq_z_s8(x1p, p);
    const int8x16_t wa = vldrbq_z_s8(ap, p);
    const int8x16_t wb = vldrbq_z_s8(bp, p);
    a00 = vmladavaq_s8(a00, x0, wa);
    a01 = vmladavaq_s8(a01, x0, wb);
    a10 = vmladavaq_s8(a10, x1, wa);
    a11 = vmladavaq_s8(a11, x1, wb);
    if (WithLhsSum) {
      s0 = vaddvaq_s8(s0, x0);
      s1 = vaddvaq_s8(s1, x1);
    }
  }
  c[0] = a00;
  c[1] = a01;
  c[2] = a10;
  c[3] = a11;
  if (WithLhsSum) {
    s[0] = s0;
    s[1] = s1;
  }
}

// The two column-pair loops of dot_2x4_asm and mm_2x4_store (same operand names).
#define ST_DOT_2X4_LOOPS \
  "  movs %[a00], #0\n" \
  "  movs %[a01], #0\n" \
  "  movs %[a10], #0\n" \
  "  movs %[a11], #0\n" \
  "  ldr lr, %[n]\n" \
  "  wls lr, lr, 2f\n" \
  "1:\n" \
  "  vldrb.u8 q0, [%[x0]], #16\n" \
  "  vldrb.u8 q1, [%[x1]], #16\n" \
  "  vldrb.u8 q2, [%[w0]], #16\n" \
  "  vldrb.u8 q3, [%[w1]], #16\n" \
  "  vmladava.s8 %[a00], q0, q2\n" \
  "  vmladava.s8 %[a01], q0, q3\n" \
  "  vmladava.s8 %[a10], q1, q2\n" \
  "  vmladava.s8 %[a11], q1, q3\n" \
  "  le lr, 1b\n" \
  "2:\n" \
  "  ldr lr, %[t]\n" \
  "  cmp lr, #0\n" \
  "  beq 3f\n" \
  "  vctp.8 lr\n" \
  "  vpstttt\n" \
  "  vldrbt.u8 q0, [%[x0]]\n" \
  "  vldrbt.u8 q1, [%[x1]]\n" \
  "  vldrbt.u8 q2, [%[w0]]\n" \
  "  vldrbt.u8 q3, [%[w1]]\n" \
  "  vmladava.s8 %[a00], q0, q2\n" \
  "  vmladava.s8 %[a01], q0, q3\n" \
  "  vmladava.s8 %[a10], q1, q2\n" \
  "  vmladava.s8 %[a11], q1, q3\n" \
  "3:\n" \
  "  vmov %q[o0][2], %q[o0][0], %[a00], %[a00]\n" \
  "  vmov %q[o0][3], %q[o0][1], %[a01], %[a01]\n" \
  "  vmov %q[o1][2], %q[o1][0], %[a10], %[a10]\n" \
  "  vmov %q[o1][3], %q[o1][1], %[a11], %[a11]\n" \
  "  ldr %[x0], %[l0]\n" \
  "  ldr %[x1], %[l1]\n" \
  "  movs %[a00], #0\n" \
  "  movs %[a01], #0\n" \
  "  movs %[a10], #0\n" \
  "  movs %[a11], #0\n" \
  "  ldr lr, %[n]\n" \
  "  wls lr, lr, 5f\n" \
  "4:\n" \
  "  vldrb.u8 q0, [%[x0]], #16\n" \
  "  vldrb.u8 q1, [%[x1]], #16\n" \
  "  vldrb.u8 q2, [%[w2]], #16\n" \
  "  vldrb.u8 q3, [%[w3]], #16\n" \
  "  vmladava.s8 %[a00], q0, q2\n" \
  "  vmladava.s8 %[a01], q0, q3\n" \
  "  vmladava.s8 %[a10], q1, q2\n" \
  "  vmladava.s8 %[a11], q1, q3\n" \
  "  le lr, 4b\n" \
  "5:\n" \
  "  ldr lr, %[t]\n" \
  "  cmp lr, #0\n" \
  "  beq 6f\n" \
  "  vctp.8 lr\n" \
  "  vpstttt\n" \
  "  vldrbt.u8 q0, [%[x0]]\n" \
  "  vldrbt.u8 q1, [%[x1]]\n" \
  "  vldrbt.u8 q2, [%[w2]]\n" \
  "  vldrbt.u8 q3, [%[w3]]\n" \
  "  vmladava.s8 %[a00], q0, q2\n" \
  "  vmladava.s8 %[a01], q0, q3\n" \
  "  vmladava.s8 %[a10], q1, q2\n" \
  "  vmladava.s8 %[a11], q1, q3\n"

// dot_2x4 without the row sums as one asm block: the two column pairs one after the
// other through the same four even-register accumulators, their results moved
// straight into the lanes of acc0 (row 0) and acc1 (row 1). The loop count and the
// row starts and the tail length come from memory, leaving registers for the rest.
inline void dot_2x4_asm(const int8_t* l0, const int8_t* l1, const int8_t* const* r,
                        int32_t depth, int32x4_t* acc0, int32x4_t* acc1) {
  const int8_t* x0 = l0;
  const int8_t* x1 = l1;
  const int8_t* w0 = r[0];
  const int8_t* w1 = r[1];
  const int8_t* w2 = r[2];
  const int8_t* w3 = r[3];
  const int32_t n = depth >> 4;
  const int32_t t = depth & 15;
  int32_t a00, a01, a10, a11;
  int32x4_t o0, o1;
  __asm__ volatile(
      ST_DOT_2X4_LOOPS
      "6:\n"
      "  vmov.32 %q[o0][2], %[a00]\n"
      "  vmov.32 %q[o0][3], %[a01]\n"
      "  vmov.32 %q[o1][2], %[a10]\n"
      "  vmov.32 %q[o1][3], %[a11]\n"
      : [a00] "=&Te"(a00), [a01] "=&Te"(a01), [a10] "=&Te"(a10), [a11] "=&Te"(a11),
        [o0] "=&w"(o0), [o1] "=&w"(o1), [x0] "+r"(x0), [x1] "+r"(x1), [w0] "+r"(w0),
        [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3)
      : [n] "m"(n), [t] "m"(t), [l0] "m"(l0), [l1] "m"(l1)
      : "lr", "q0", "q1", "q2", "q3", "cc", "memory");
  *acc0 = o0;
  *acc1 = o1;
}

// What mm_2x4_store needs besides the operands: the column terms, the output stage
// (every lane vectorisable) and the two destination rows.
struct MmOut {
  int32_t cterm[4];
  int32_t mult[4];
  int32_t right[4];  // min(shift, 0)
  int32_t offset, lo, hi;
  int8_t* dst0;
  int8_t* dst1;
};
static_assert(offsetof(MmOut, mult) == 16 && offsetof(MmOut, right) == 32 &&
                  offsetof(MmOut, offset) == 48 && offsetof(MmOut, lo) == 52 &&
                  offsetof(MmOut, hi) == 56 && offsetof(MmOut, dst0) == 60 &&
                  offsetof(MmOut, dst1) == 64,
              "mm_2x4_store's asm reads MmOut at these offsets");

// dot_2x4_asm followed by the output stage of both rows in the same asm block:
// + column terms, requantize with the rounding fix-up, offset, clamp, truncating
// byte stores (the narrowing store takes low base registers: x0/x1 are "l").
inline void mm_2x4_store(const int8_t* l0, const int8_t* l1, const int8_t* const* r,
                         int32_t depth, const MmOut* ctx) {
  const int8_t* x0 = l0;
  const int8_t* x1 = l1;
  const int8_t* w0 = r[0];
  const int8_t* w1 = r[1];
  const int8_t* w2 = r[2];
  const int8_t* w3 = r[3];
  const int32_t n = depth >> 4;
  const int32_t t = depth & 15;
  int32_t a00, a01, a10, a11;
  int32x4_t o0, o1;
  __asm__ volatile(
      ST_DOT_2X4_LOOPS
      "6:\n"
      "  vmov.32 %q[o0][2], %[a00]\n"
      "  vmov.32 %q[o0][3], %[a01]\n"
      "  vmov.32 %q[o1][2], %[a10]\n"
      "  vmov.32 %q[o1][3], %[a11]\n"
      "  vldrw.u32 q0, [%[ctx]]\n"
      "  vadd.i32 %q[o0], %q[o0], q0\n"
      "  vadd.i32 %q[o1], %q[o1], q0\n"
      "  vldrw.u32 q1, [%[ctx], #16]\n"
      "  vqrdmulh.s32 %q[o0], %q[o0], q1\n"
      "  vqrdmulh.s32 %q[o1], %q[o1], q1\n"
      "  vldrw.u32 q2, [%[ctx], #32]\n"
      "  vand q0, %q[o0], q2\n"
      "  vand q1, %q[o1], q2\n"
      "  vshr.s32 q0, q0, #31\n"
      "  vshr.s32 q1, q1, #31\n"
      "  vqadd.s32 %q[o0], %q[o0], q0\n"
      "  vqadd.s32 %q[o1], %q[o1], q1\n"
      "  vrshl.s32 %q[o0], %q[o0], q2\n"
      "  vrshl.s32 %q[o1], %q[o1], q2\n"
      "  ldr %[a00], [%[ctx], #48]\n"
      "  ldr %[a01], [%[ctx], #52]\n"
      "  ldr %[a10], [%[ctx], #56]\n"
      "  vadd.i32 %q[o0], %q[o0], %[a00]\n"
      "  vadd.i32 %q[o1], %q[o1], %[a00]\n"
      "  vdup.32 q0, %[a01]\n"
      "  vdup.32 q1, %[a10]\n"
      "  vmax.s32 %q[o0], %q[o0], q0\n"
      "  vmax.s32 %q[o1], %q[o1], q0\n"
      "  vmin.s32 %q[o0], %q[o0], q1\n"
      "  vmin.s32 %q[o1], %q[o1], q1\n"
      "  ldr %[x0], [%[ctx], #60]\n"
      "  ldr %[x1], [%[ctx], #64]\n"
      "  vstrb.32 %q[o0], [%[x0]]\n"
      "  vstrb.32 %q[o1], [%[x1]]\n"
      : [a00] "=&Te"(a00), [a01] "=&Te"(a01), [a10] "=&Te"(a10), [a11] "=&Te"(a11),
        [o0] "=&w"(o0), [o1] "=&w"(o1), [x0] "+l"(x0), [x1] "+l"(x1), [w0] "+r"(w0),
        [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3)
      : [n] "m"(n), [t] "m"(t), [l0] "m"(l0), [l1] "m"(l1), [ctx] "r"(ctx)
      : "lr", "q0", "q1", "q2", "q3", "cc", "memory");
}

// Two rows of lhs against 4 rhs columns (8 accumulators would not fit the even
// registers VMLADAVA needs, so the 4 columns go as two pairs).
template <bool WithLhsSum>
inline void dot_2x4(const int8_t* l0, const int8_t* l1, const int8_t* const* r, int32_t depth,
                    int32x4_t* acc0, int32x4_t* acc1, int32_t* sum0, int32_t* sum1) {
  if (!WithLhsSum) {
    dot_2x4_asm(l0, l1, r, depth, acc0, acc1);
    return;
  }
  int32_t c01[4], c23[4], s[2];
  dot_2x2<WithLhsSum>(l0, l1, r[0], r[1], depth, c01, s);
  dot_2x2<false>(l0, l1, r[2], r[3], depth, c23, s);
  *acc0 = make4(c01[0], c01[1], c23[0], c23[1]);
  *acc1 = make4(c01[2], c01[3], c23[2], c23[3]);
  if (WithLhsSum) {
    *sum0 = s[0];
    *sum1 = s[1];
  }
}

template <bool WithLhsSum>
void mat_mult_impl(const MatMulArgs& args) {
  const MatMulArgs a = args;  // a local copy: the int8 stores below cannot alias it
  const int32_t depth = a.depth > 0 ? a.depth : 0;
  // sum_k (l + lo)(r + ro) = sum l r + ro sum l + lo sum r + depth lo ro (mod 2^32).
  const int32_t k_lo_ro = wmul(wmul(depth, a.lhs_offset), a.rhs_offset);
  for (int32_t n0 = 0; n0 < a.cols; n0 += 4) {
    const int32_t count = a.cols - n0 < 4 ? a.cols - n0 : 4;
    // Missing columns (count < 4) alias the first: their lanes are never stored.
    const int8_t* r[4];
    for (int32_t j = 0; j < 4; ++j) {
      r[j] = a.rhs + static_cast<intptr_t>(j < count ? n0 + j : n0) * depth;
    }
    int32x4_t cterm = a.col_bias != nullptr ? vldrwq_z_s32(a.col_bias + n0, vctp32q(count))
                                            : vdupq_n_s32(0);
    cterm = vaddq_n_s32(cterm, k_lo_ro);
    if (a.lhs_offset != 0) {
      const int32x4_t sums = make4(sum_s8(r[0], depth), sum_s8(r[1], depth), sum_s8(r[2], depth),
                                   sum_s8(r[3], depth));
      cterm = vmlaq_n_s32(cterm, sums, a.lhs_offset);
    }
    OutputStage4 stage;
    prepare_output_stage(a.rq, n0, count, &stage);
    int32_t m = 0;
    if (!WithLhsSum && stage.vector && count == 4 && a.rows >= 2) {
      MmOut out;
      vstrwq_s32(out.cterm, cterm);
      vstrwq_s32(out.mult, stage.mult);
      vstrwq_s32(out.right, stage.right);
      out.offset = a.rq.output_offset;
      out.lo = a.rq.activation_min;
      out.hi = a.rq.activation_max;
      for (; m + 2 <= a.rows; m += 2) {
        const int8_t* l0 = a.lhs + static_cast<intptr_t>(m) * a.lhs_stride;
        out.dst0 = a.dst + static_cast<intptr_t>(m) * a.dst_stride + n0;
        out.dst1 = out.dst0 + a.dst_stride;
        mm_2x4_store(l0, l0 + a.lhs_stride, r, depth, &out);
      }
    }
    for (; m + 2 <= a.rows; m += 2) {
      const int8_t* l0 = a.lhs + static_cast<intptr_t>(m) * a.lhs_stride;
      const int8_t* l1 = l0 + a.lhs_stride;
      int32x4_t acc0, acc1;
      int32_t s0 = 0, s1 = 0;
      dot_2x4<WithLhsSum>(l0, l1, r, depth, &acc0, &acc1, &s0, &s1);
      acc0 = vaddq_s32(acc0, cterm);
      acc1 = vaddq_s32(acc1, cterm);
      if (WithLhsSum) {
        acc0 = vaddq_n_s32(acc0, wmul(a.rhs_offset, s0));
        acc1 = vaddq_n_s32(acc1, wmul(a.rhs_offset, s1));
      }
      int8_t* d0 = a.dst + static_cast<intptr_t>(m) * a.dst_stride + n0;
      output_stage4(acc0, stage, a.rq, count, d0);
      output_stage4(acc1, stage, a.rq, count, d0 + a.dst_stride);
    }
    for (; m < a.rows; ++m) {
      const int8_t* lhs = a.lhs + static_cast<intptr_t>(m) * a.lhs_stride;
      int32_t lsum = 0;
      int32x4_t acc = dot_1x4<WithLhsSum>(lhs, r[0], r[1], r[2], r[3], depth, &lsum);
      acc = vaddq_s32(acc, cterm);
      if (WithLhsSum) acc = vaddq_n_s32(acc, wmul(a.rhs_offset, lsum));
      output_stage4(acc, stage, a.rq, count, a.dst + static_cast<intptr_t>(m) * a.dst_stride + n0);
    }
  }
}

// ---- depthwise ----

// The taps t in [0, k) of one dimension that land inside the input, 0 <= i0 + t * d < n
// (d >= 1): t in [*lo, *hi).
inline void tap_range(int32_t i0, int32_t k, int32_t d, int32_t n, int32_t* lo, int32_t* hi) {
  int32_t l = i0 >= 0 ? 0 : (d - 1 - i0) / d;
  int32_t h = n - i0 <= 0 ? 0 : (n - i0 + d - 1) / d;
  if (h > k) h = k;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

struct Dw8Taps {
  const int8_t* in;
  const int8_t* w;
  int32_t ny, nx;
  intptr_t dx_step, dy_step, wx_step, wy_step;
  mve_pred16_t pred;
};

// even/odd += (x + offset) * w over one clipped window, the first channels of 8 that
// `pred` selects (the last block of a channel count that is not a multiple of 8).
// Out of line: inlined into the pixel loop, GCC 12 runs out of registers and keeps
// this loop's pointers on the stack.
__attribute__((noinline)) void dw8_taps(const Dw8Taps& t, int16x8_t offset16, int32x4_t* even,
                                        int32x4_t* odd) {
  int32x4_t e = *even, o = *odd;
  const int8_t* in_r = t.in;
  const int8_t* w_r = t.w;
  const mve_pred16_t pred = t.pred;
  for (int32_t ky = 0; ky < t.ny; ++ky, in_r += t.dy_step, w_r += t.wy_step) {
    const int8_t* ip = in_r;
    const int8_t* wp = w_r;
    for (int32_t kx = 0; kx < t.nx; ++kx, ip += t.dx_step, wp += t.wx_step) {
      const int16x8_t x = vaddq_s16(vldrbq_z_s16(ip, pred), offset16);
      const int16x8_t w = vldrbq_z_s16(wp, pred);
      e = vaddq_s32(e, vmullbq_int_s16(x, w));
      o = vaddq_s32(o, vmulltq_int_s16(x, w));
    }
  }
  *even = e;
  *odd = o;
}

// dw8_taps for all 8 channels as one inline-assembly loop nest (the widening loads take a low
// base register: constraint "l"): GCC 12's code for it spends as
// much on loop and pointer bookkeeping as on the multiply-accumulates. Per tap: two
// widening loads, the offset add, VMULLB/VMULLT and two adds (rows >= 1; in_next and
// w_next step from the end of a row of nx taps to the start of the next).
inline void dw8_window_full(const int8_t* ip, const int8_t* wp, int32_t rows, int32_t nx,
                            intptr_t dx, intptr_t wx, intptr_t in_next, intptr_t w_next,
                            int16x8_t offset16, int32x4_t* even, int32x4_t* odd) {
  int32x4_t e = *even, o = *odd;
  __asm__ volatile(
      "1:\n"
      "  wls lr, %[nx], 3f\n"
      "2:\n"
      "  vldrb.s16 q0, [%[ip]]\n"
      "  vldrb.s16 q1, [%[wp]]\n"
      "  add %[ip], %[dx]\n"
      "  add %[wp], %[wx]\n"
      "  vadd.i16 q0, q0, %q[off]\n"
      "  vmullb.s16 q2, q0, q1\n"
      "  vmullt.s16 q3, q0, q1\n"
      "  vadd.i32 %q[e], %q[e], q2\n"
      "  vadd.i32 %q[o], %q[o], q3\n"
      "  le lr, 2b\n"
      "3:\n"
      "  add %[ip], %[in_next]\n"
      "  add %[wp], %[w_next]\n"
      "  subs %[rows], #1\n"
      "  bgt 1b\n"
      : [ip] "+l"(ip), [wp] "+l"(wp), [rows] "+r"(rows), [e] "+w"(e), [o] "+w"(o)
      : [nx] "r"(nx), [dx] "r"(dx), [wx] "r"(wx), [in_next] "r"(in_next),
        [w_next] "r"(w_next), [off] "w"(offset16)
      : "lr", "q0", "q1", "q2", "q3", "cc", "memory");
  *even = e;
  *odd = o;
}

// The output stage of 8 channels held as even/odd int32 lanes, every lane's
// requantization vectorisable: multipliers and shifts loaded de-interleaved from
// mult[0..7] / shift[0..7], the rounding fix-up, offset, clamp, then VMOVNT puts the
// odd results in the top halves of the even lanes' 16-bit halves and one truncating
// byte store (low base register, "l") writes the 8 bytes in channel order. Inline
// assembly for the same reason
// as dw8_window_full.
struct OutParams {
  int32_t offset, lo, hi;
};

inline void dw8_output_full(int32x4_t e, int32x4_t o, const int32_t* mult, const int32_t* shift,
                            const OutParams& p, int8_t* out) {
  __asm__ volatile(
      "  vld20.32 {q0, q1}, [%[mult]]\n"
      "  vld21.32 {q0, q1}, [%[mult]]\n"
      "  vqrdmulh.s32 %q[e], %q[e], q0\n"
      "  vqrdmulh.s32 %q[o], %q[o], q1\n"
      "  vld20.32 {q2, q3}, [%[shift]]\n"
      "  vld21.32 {q2, q3}, [%[shift]]\n"
      "  vmov.i32 q0, #0\n"
      "  vmin.s32 q2, q2, q0\n"
      "  vmin.s32 q3, q3, q0\n"
      "  vand q0, %q[e], q2\n"
      "  vand q1, %q[o], q3\n"
      "  vshr.s32 q0, q0, #31\n"
      "  vshr.s32 q1, q1, #31\n"
      "  vqadd.s32 %q[e], %q[e], q0\n"
      "  vqadd.s32 %q[o], %q[o], q1\n"
      "  vrshl.s32 %q[e], %q[e], q2\n"
      "  vrshl.s32 %q[o], %q[o], q3\n"
      "  vadd.i32 %q[e], %q[e], %[off]\n"
      "  vadd.i32 %q[o], %q[o], %[off]\n"
      "  vdup.32 q0, %[lo]\n"
      "  vdup.32 q1, %[hi]\n"
      "  vmax.s32 %q[e], %q[e], q0\n"
      "  vmax.s32 %q[o], %q[o], q0\n"
      "  vmin.s32 %q[e], %q[e], q1\n"
      "  vmin.s32 %q[o], %q[o], q1\n"
      "  vmovnt.i32 %q[e], %q[o]\n"
      "  vstrb.16 %q[e], [%[out]]\n"
      : [e] "+w"(e), [o] "+w"(o)
      : [mult] "r"(mult), [shift] "r"(shift), [off] "r"(p.offset), [lo] "r"(p.lo),
        [hi] "r"(p.hi), [out] "l"(out)
      : "q0", "q1", "q2", "q3", "memory");
}

// Whole windows of a depthwise layer whose channel count is a multiple of 16 (up to
// kWideChannels): 16 channels per pass from int8 loads. VMULLB/VMULLT.S8 give the
// int16 products of the even and odd channels (exact: |x w| <= 2^14 without the
// offset, which is in base[c] = bias[c] + input_offset * sum of channel c's weights),
// VMOVLB/VMOVLT.S16 widen them into four int32 accumulators holding channels
// {0,4,8,12}, {1,5,9,13}, {2,6,10,14}, {3,7,11,15}: the lanes VLD4 loads base[]
// into (val[0..3]) and VST4 stores back in channel order (to tmp[16]). Per tap 14 instructions
// for 16 MACs, against 2 x 10 for two 8-channel passes.
constexpr int32_t kWideChannels = 128;  // 1 KB of stack for base[] and rights[]

inline void dw16_whole_window(const int8_t* ip, const int8_t* wp, int32_t rows, int32_t nx,
                              intptr_t dx, intptr_t wx, intptr_t in_next, intptr_t w_next,
                              const int32_t* base, int32_t* tmp) {
  const int32x4x4_t start = vld4q_s32(base);
  int32x4_t a0 = start.val[0], a1 = start.val[1], a2 = start.val[2], a3 = start.val[3];
  __asm__ volatile(
      "1:\n"
      "  wls lr, %[nx], 3f\n"
      "2:\n"
      "  vldrb.u8 q0, [%[ip]]\n"
      "  vldrb.u8 q1, [%[wp]]\n"
      "  add %[ip], %[dx]\n"
      "  add %[wp], %[wx]\n"
      "  vmullb.s8 q2, q0, q1\n"
      "  vmullt.s8 q3, q0, q1\n"
      "  vmovlb.s16 q0, q2\n"
      "  vadd.i32 %q[a0], %q[a0], q0\n"
      "  vmovlt.s16 q0, q2\n"
      "  vadd.i32 %q[a2], %q[a2], q0\n"
      "  vmovlb.s16 q0, q3\n"
      "  vadd.i32 %q[a1], %q[a1], q0\n"
      "  vmovlt.s16 q0, q3\n"
      "  vadd.i32 %q[a3], %q[a3], q0\n"
      "  le lr, 2b\n"
      "3:\n"
      "  add %[ip], %[in_next]\n"
      "  add %[wp], %[w_next]\n"
      "  subs %[rows], #1\n"
      "  bgt 1b\n"
      : [ip] "+r"(ip), [wp] "+r"(wp), [rows] "+r"(rows), [a0] "+w"(a0), [a1] "+w"(a1),
        [a2] "+w"(a2), [a3] "+w"(a3)
      : [nx] "r"(nx), [dx] "r"(dx), [wx] "r"(wx), [in_next] "r"(in_next), [w_next] "r"(w_next)
      : "lr", "q0", "q1", "q2", "q3", "cc", "memory");
  int32x4x4_t sums;
  sums.val[0] = a0;
  sums.val[1] = a1;
  sums.val[2] = a2;
  sums.val[3] = a3;
  vst4q_s32(tmp, sums);
}

// The output stage of 16 channels from acc[16] (channel order), every lane
// vectorisable: mult[16], right[16] = min(shift, 0); truncating byte stores.
inline void dw16_output(const int32_t* acc, const int32_t* mult, const int32_t* right,
                        const OutParams& p, int8_t* out) {
  __asm__ volatile(
      "  vdup.32 q6, %[lo]\n"
      "  vdup.32 q7, %[hi]\n"
      "  mov r12, #4\n"
      "1:\n"
      "  vldrw.u32 q0, [%[acc]], #16\n"
      "  vldrw.u32 q1, [%[mult]], #16\n"
      "  vldrw.u32 q2, [%[right]], #16\n"
      "  vqrdmulh.s32 q0, q0, q1\n"
      "  vand q3, q0, q2\n"
      "  vshr.s32 q3, q3, #31\n"
      "  vqadd.s32 q0, q0, q3\n"
      "  vrshl.s32 q0, q0, q2\n"
      "  vadd.i32 q0, q0, %[off]\n"
      "  vmax.s32 q0, q0, q6\n"
      "  vmin.s32 q0, q0, q7\n"
      "  vstrb.32 q0, [%[out]], #4\n"
      "  subs r12, #1\n"
      "  bne 1b\n"
      : [acc] "+r"(acc), [mult] "+r"(mult), [right] "+r"(right), [out] "+l"(out)
      : [off] "r"(p.offset), [lo] "r"(p.lo), [hi] "r"(p.hi)
      : "r12", "q0", "q1", "q2", "q3", "q6", "q7", "cc", "memory");
}

// Depth multiplier 1 (x + input_offset fits int16: every valid int8 zero point):
// pixel by pixel, so each window is clipped to the input once for all channels,
// then 8 channels at a time. MVE has no vector-by-vector integer multiply-
// accumulate, so inputs and weights are loaded widened to int16 and VMULLB/VMULLT
// give the int32 products of the even and the odd channels, which accumulate in
// two int32 vectors (even: channels 0, 2, 4, 6; odd: 1, 3, 5, 7); bias and
// requantization parameters load de-interleaved (VLD2) from the caller's arrays.
// all_vector: every channel requantizes exactly in vector lanes (else the output
// stage goes through OutputStage8, scalar where needed).
void depthwise_mult1_by_pixel(const DepthwiseArgs& args, bool all_vector) {
  const DepthwiseArgs a = args;  // a local copy: the int8 stores below cannot alias it
  const int32_t c_total = a.in_c;
  const intptr_t in_row = static_cast<intptr_t>(a.in_w) * c_total;
  const intptr_t dx_step = static_cast<intptr_t>(a.dilation_w) * c_total;
  const intptr_t dy_step = static_cast<intptr_t>(a.dilation_h) * in_row;
  const intptr_t wrow = static_cast<intptr_t>(a.kw) * c_total;
  const int16x8_t offset16 = vdupq_n_s16(static_cast<int16_t>(a.input_offset));
  const int32x4_t zero = vdupq_n_s32(0);
  const OutParams params{a.rq.output_offset, a.rq.activation_min, a.rq.activation_max};
  // Per-tensor parameters, repeated for 8 lanes; per-channel ones are read in place.
  int32_t mult_all[8], shift_all[8];
  for (int32_t j = 0; j < 8; ++j) {
    mult_all[j] = a.rq.multipliers[0];
    shift_all[j] = a.rq.shifts[0];
  }
  const int32_t full_blocks = c_total / 8;
  const int32_t tail = c_total - 8 * full_blocks;
  // Whole windows, 16 channels at a time (dw16_whole_window): base = bias + offset *
  // weight sums, and the requantization parameters as dw16_output reads them.
  const bool wide = all_vector && c_total % 16 == 0 && c_total <= kWideChannels;
  alignas(16) int32_t base[kWideChannels];
  alignas(16) int32_t rights[kWideChannels];
  alignas(16) int32_t mult16[16];
  alignas(16) int32_t acc16[16];
  if (wide) {
    const int32_t taps = a.kh * a.kw;
    for (int32_t c = 0; c < c_total; ++c) {
      int32_t wsum = 0;
      for (int32_t t = 0; t < taps; ++t) wsum += a.w[static_cast<intptr_t>(t) * c_total + c];
      base[c] = wadd(a.bias != nullptr ? a.bias[c] : 0, wmul(a.input_offset, wsum));
      const int32_t shift = a.rq.shifts[a.rq.per_channel ? c : 0];
      rights[c] = shift < 0 ? shift : 0;
    }
    for (int32_t j = 0; j < 16; ++j) mult16[j] = a.rq.multipliers[0];
  }
  // 8 channels, stride 1: two neighbouring pixels' inputs are 16 contiguous bytes,
  // so whole windows go two pixels at a time through the same 16-lane kernel, with
  // the weights, base and parameters repeated for the second pixel's 8 lanes.
  const int32_t taps_all = a.kh * a.kw;
  const bool pairs = all_vector && c_total == 8 && a.stride_w == 1 && taps_all <= 16;
  alignas(16) int8_t w_pair[16 * 16];
  if (pairs) {
    for (int32_t c = 0; c < 8; ++c) {
      int32_t wsum = 0;
      for (int32_t t = 0; t < taps_all; ++t) {
        const int8_t w = a.w[t * 8 + c];
        wsum += w;
        w_pair[t * 16 + c] = w_pair[t * 16 + 8 + c] = w;
      }
      base[c] = base[c + 8] = wadd(a.bias != nullptr ? a.bias[c] : 0, wmul(a.input_offset, wsum));
      const int32_t i = a.rq.per_channel ? c : 0;
      rights[c] = rights[c + 8] = a.rq.shifts[i] < 0 ? a.rq.shifts[i] : 0;
      mult16[c] = mult16[c + 8] = a.rq.multipliers[i];
    }
  }
  for (int32_t oy = 0; oy < a.out_h; ++oy) {
    const int32_t iy0 = oy * a.stride_h - a.pad_top;
    int32_t ky0, ky1;
    tap_range(iy0, a.kh, a.dilation_h, a.in_h, &ky0, &ky1);
    const int32_t ny = ky1 - ky0;
    for (int32_t ox = 0; ox < a.out_w; ++ox) {
      const int32_t ix0 = ox * a.stride_w - a.pad_left;
      int32_t kx0, kx1;
      tap_range(ix0, a.kw, a.dilation_w, a.in_w, &kx0, &kx1);
      const int32_t nx = kx1 - kx0;
      const int8_t* in_p = a.in + (iy0 + ky0 * a.dilation_h) * in_row +
                           static_cast<intptr_t>(ix0 + kx0 * a.dilation_w) * c_total;
      const int8_t* w_p = a.w + ky0 * wrow + static_cast<intptr_t>(kx0) * c_total;
      int8_t* out = a.out + (static_cast<intptr_t>(oy) * a.out_w + ox) * c_total;
      const intptr_t in_next = dy_step - nx * dx_step;
      const intptr_t w_next = wrow - nx * static_cast<intptr_t>(c_total);
      if (pairs && ny == a.kh && nx == a.kw && ny > 0 && ox + 1 < a.out_w &&
          ix0 + 1 + (a.kw - 1) * a.dilation_w < a.in_w) {
        dw16_whole_window(in_p, w_pair, ny, nx, dx_step, 16, in_next, 0, base, acc16);
        dw16_output(acc16, mult16, rights, params, out);
        ++ox;  // the next pixel is done too
        continue;
      }
      if (wide && ny == a.kh && nx == a.kw && ny > 0) {
        for (int32_t c0 = 0; c0 < c_total; c0 += 16) {
          dw16_whole_window(in_p + c0, w_p + c0, ny, nx, dx_step, c_total, in_next, w_next,
                            base + c0, acc16);
          dw16_output(acc16, a.rq.per_channel ? a.rq.multipliers + c0 : mult16, rights + c0,
                      params, out + c0);
        }
        continue;
      }
      for (int32_t c0 = 0; c0 < 8 * full_blocks; c0 += 8) {
        int32x4_t even = zero, odd = zero;
        if (a.bias != nullptr) {
          const int32x4x2_t b = vld2q_s32(a.bias + c0);
          even = b.val[0];
          odd = b.val[1];
        }
        if (ny > 0) {
          dw8_window_full(in_p + c0, w_p + c0, ny, nx, dx_step, c_total, in_next, w_next, offset16,
                          &even, &odd);
        }
        if (all_vector) {
          const bool per_channel = a.rq.per_channel;
          dw8_output_full(even, odd, per_channel ? a.rq.multipliers + c0 : mult_all,
                          per_channel ? a.rq.shifts + c0 : shift_all, params, out + c0);
        } else {
          OutputStage8 stage;
          prepare_output_stage8(a.rq, c0, 8, &stage);
          output_stage8(even, odd, stage, a.rq, 8, out + c0);
        }
      }
      if (tail != 0) {
        const int32_t c0 = 8 * full_blocks;
        int32_t bias8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        if (a.bias != nullptr) {
          for (int32_t j = 0; j < tail; ++j) bias8[j] = a.bias[c0 + j];
        }
        const int32x4x2_t acc = vld2q_s32(bias8);
        int32x4_t even = acc.val[0], odd = acc.val[1];
        const Dw8Taps taps{in_p + c0, w_p + c0,  ny,   nx,
                           dx_step,   dy_step,   c_total, wrow,
                           vctp16q(tail)};
        dw8_taps(taps, offset16, &even, &odd);
        OutputStage8 stage;
        prepare_output_stage8(a.rq, c0, tail, &stage);
        output_stage8(even, odd, stage, a.rq, tail, out + c0);
      }
    }
  }
}

// True when every channel's (multiplier, shift) requantizes exactly in vector lanes.
inline bool all_vector_shifts(const Requant& rq, int32_t channels) {
  const int32_t n = rq.per_channel ? channels : 1;
  for (int32_t i = 0; i < n; ++i) {
    if (!vector_shift_ok(rq.multipliers[i], rq.shifts[i], 0)) return false;
  }
  return true;
}

// Depth multiplier > 1: per input channel, its `mult` outputs 16 at a time in
// four int32 vectors, each tap one scalar input times 16 weights (VMLA by scalar).
// Full: all 16 outputs present (unpredicated loads).
struct DwnWindow {
  const int8_t* in;
  const int8_t* w;
  int32_t ny, nx;
  intptr_t dx_step, dy_step, wx_step, wy_step;
  int32_t offset;
  mve_pred16_t pred[4];
};

// acc[0..3] += (x + offset) * w over one clipped window, the outputs `pred` selects (the
// last block of a multiplier that is not a multiple of 16). Out of line: inlined into
// the pixel loop, GCC 12 spills the weight pointers of this loop to the stack.
__attribute__((noinline)) void dwn_window(const DwnWindow& win, int32x4_t* acc) {
  int32x4_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const mve_pred16_t p0 = win.pred[0], p1 = win.pred[1], p2 = win.pred[2], p3 = win.pred[3];
  const int32_t offset = win.offset;
  const int8_t* in_r = win.in;
  const int8_t* w_r = win.w;
  for (int32_t ky = 0; ky < win.ny; ++ky, in_r += win.dy_step, w_r += win.wy_step) {
    const int8_t* ip = in_r;
    const int8_t* wp = w_r;
    for (int32_t kx = 0; kx < win.nx; ++kx, ip += win.dx_step, wp += win.wx_step) {
      const int32_t x = *ip + offset;
      a0 = vmlaq_n_s32(a0, vldrbq_z_s32(wp, p0), x);
      a1 = vmlaq_n_s32(a1, vldrbq_z_s32(wp + 4, p1), x);
      a2 = vmlaq_n_s32(a2, vldrbq_z_s32(wp + 8, p2), x);
      a3 = vmlaq_n_s32(a3, vldrbq_z_s32(wp + 12, p3), x);
    }
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

// dwn_window for all 16 outputs as one inline-assembly loop nest (rows >= 1; in_next / w_next step
// from the end of a row of nx taps to the start of the next; the widening loads
// take a low base register): per tap one scalar input plus offset, four weight
// vectors, four VMLA by scalar.
inline void dwn_window_full(const int8_t* ip, const int8_t* wp, int32_t rows, int32_t nx,
                            intptr_t dx, intptr_t wx, intptr_t in_next, intptr_t w_next,
                            int32_t offset, int32x4_t* acc) {
  int32x4_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t x;
  __asm__ volatile(
      "1:\n"
      "  wls lr, %[nx], 3f\n"
      "2:\n"
      "  ldrsb %[x], [%[ip]]\n"
      "  vldrb.s32 q0, [%[wp]]\n"
      "  vldrb.s32 q1, [%[wp], #4]\n"
      "  vldrb.s32 q2, [%[wp], #8]\n"
      "  vldrb.s32 q3, [%[wp], #12]\n"
      "  add %[x], %[off]\n"
      "  add %[ip], %[dx]\n"
      "  add %[wp], %[wx]\n"
      "  vmla.s32 %q[a0], q0, %[x]\n"
      "  vmla.s32 %q[a1], q1, %[x]\n"
      "  vmla.s32 %q[a2], q2, %[x]\n"
      "  vmla.s32 %q[a3], q3, %[x]\n"
      "  le lr, 2b\n"
      "3:\n"
      "  add %[ip], %[in_next]\n"
      "  add %[wp], %[w_next]\n"
      "  subs %[rows], #1\n"
      "  bgt 1b\n"
      : [ip] "+r"(ip), [wp] "+l"(wp), [rows] "+r"(rows), [x] "=&r"(x), [a0] "+w"(a0),
        [a1] "+w"(a1), [a2] "+w"(a2), [a3] "+w"(a3)
      : [nx] "r"(nx), [dx] "r"(dx), [wx] "r"(wx), [in_next] "r"(in_next), [w_next] "r"(w_next),
        [off] "r"(offset)
      : "lr", "q0", "q1", "q2", "q3", "cc", "memory");
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

template <bool Full>
void depthwise_multn_block(const DepthwiseArgs& args, int32_t c, int32_t oc0, int32_t count,
                           const OutputStage4* stage) {
  const DepthwiseArgs a = args;  // a local copy: the int8 stores below cannot alias it
  const int32_t out_c = a.in_c * a.mult;
  const intptr_t in_row = static_cast<intptr_t>(a.in_w) * a.in_c;
  const intptr_t wrow = static_cast<intptr_t>(a.kw) * out_c;
  const intptr_t dx_step = static_cast<intptr_t>(a.dilation_w) * a.in_c;
  const intptr_t dy_step = static_cast<intptr_t>(a.dilation_h) * in_row;
  const intptr_t wx_step = out_c;
  const int32_t offset = a.input_offset;
  mve_pred16_t pred[4];
  int32x4_t bias[4];
  for (int32_t q = 0; q < 4; ++q) {
    const int32_t left = count - 4 * q;
    pred[q] = left > 0 ? vctp32q(left) : static_cast<mve_pred16_t>(0);
    bias[q] = a.bias != nullptr ? vldrwq_z_s32(a.bias + oc0 + 4 * q, pred[q]) : vdupq_n_s32(0);
  }
  const mve_pred16_t p0 = pred[0], p1 = pred[1], p2 = pred[2], p3 = pred[3];
  // All 16 outputs vectorisable: dw16_output from these arrays.
  const OutParams params{a.rq.output_offset, a.rq.activation_min, a.rq.activation_max};
  bool vector16 = Full;
  alignas(16) int32_t mult16[16], right16[16];
  for (int32_t q = 0; Full && q < 4; ++q) {
    vector16 = vector16 && stage[q].vector;
    vstrwq_s32(mult16 + 4 * q, stage[q].mult);
    vstrwq_s32(right16 + 4 * q, stage[q].right);
  }
  for (int32_t oy = 0; oy < a.out_h; ++oy) {
    const int32_t iy0 = oy * a.stride_h - a.pad_top;
    int32_t ky0, ky1;
    tap_range(iy0, a.kh, a.dilation_h, a.in_h, &ky0, &ky1);
    for (int32_t ox = 0; ox < a.out_w; ++ox) {
      const int32_t ix0 = ox * a.stride_w - a.pad_left;
      int32_t kx0, kx1;
      tap_range(ix0, a.kw, a.dilation_w, a.in_w, &kx0, &kx1);
      const int32_t ny = ky1 - ky0, nx = kx1 - kx0;
      int32x4_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      const int8_t* in_r = a.in + (iy0 + ky0 * a.dilation_h) * in_row +
                           static_cast<intptr_t>(ix0 + kx0 * a.dilation_w) * a.in_c + c;
      const int8_t* w_r = a.w + ky0 * wrow + static_cast<intptr_t>(kx0) * out_c + oc0;
      if (Full) {
        if (ny > 0) {
          dwn_window_full(in_r, w_r, ny, nx, dx_step, wx_step, dy_step - nx * dx_step,
                          wrow - nx * wx_step, offset, acc);
        }
      } else {
        const DwnWindow win{in_r, w_r, ny, nx,     dx_step,           dy_step,
                            wx_step, wrow, offset, {p0, p1, p2, p3}};
        dwn_window(win, acc);
      }
      int8_t* out = a.out + (static_cast<intptr_t>(oy) * a.out_w + ox) * out_c + oc0;
      if (Full && vector16) {
        alignas(16) int32_t acc16[16];
        for (int32_t q = 0; q < 4; ++q) vstrwq_s32(acc16 + 4 * q, acc[q]);
        dw16_output(acc16, mult16, right16, params, out);
        continue;
      }
      for (int32_t q = 0; q < 4; ++q) {
        const int32_t left = count - 4 * q;
        if (left <= 0) break;
        output_stage4(acc[q], stage[q], a.rq, left < 4 ? left : 4, out + 4 * q);
      }
    }
  }
}

void depthwise_multn(const DepthwiseArgs& a) {
  for (int32_t c = 0; c < a.in_c; ++c) {
    for (int32_t j0 = 0; j0 < a.mult; j0 += 16) {
      const int32_t oc0 = c * a.mult + j0;
      const int32_t count = a.mult - j0 < 16 ? a.mult - j0 : 16;
      OutputStage4 stage[4];
      for (int32_t q = 0; q < 4 && 4 * q < count; ++q) {
        const int32_t left = count - 4 * q;
        prepare_output_stage(a.rq, oc0 + 4 * q, left < 4 ? left : 4, &stage[q]);
      }
      if (count == 16) {
        depthwise_multn_block<true>(a, c, oc0, count, stage);
      } else {
        depthwise_multn_block<false>(a, c, oc0, count, stage);
      }
    }
  }
}

// ---- pooling ----

// q = trunc(sum / count) rounded half away from zero, for 4 lanes, count >= 2 with
// count * (128 * count + count / 2) < 2^32: |sum| + count / 2 times ceil(2^32 / count),
// high half, is the exact floor quotient.
inline int32x4_t divide_rounded(int32x4_t sum, uint32_t magic, int32_t half) {
  const uint32x4_t n = vreinterpretq_u32_s32(vaddq_n_s32(vabsq_s32(sum), half));
  const int32x4_t q = vreinterpretq_s32_u32(vmulhq_u32(n, vdupq_n_u32(magic)));
  return vpselq_s32(vnegq_s32(q), q, vcmpltq_n_s32(sum, 0));
}

}  // namespace

void mat_mult_s8_helium(const MatMulArgs& a) {
  if (a.rq.activation_min > a.rq.activation_max) {
    mat_mult_s8_plain(a);
    return;
  }
  if (a.rhs_offset != 0) {
    mat_mult_impl<true>(a);
  } else {
    mat_mult_impl<false>(a);
  }
}

void depthwise_s8_helium(const DepthwiseArgs& a) {
  if (a.rq.activation_min > a.rq.activation_max) {
    depthwise_s8_plain(a);
    return;
  }
  if (a.dilation_h < 1 || a.dilation_w < 1) {  // the windows are clipped for d >= 1
    depthwise_s8_plain(a);
  } else if (a.mult == 1 && offset_ok(a.input_offset)) {
    depthwise_mult1_by_pixel(a, all_vector_shifts(a.rq, a.in_c));
  } else if (a.mult > 1) {
    depthwise_multn(a);
  } else {
    depthwise_s8_plain(a);
  }
}

void add_s8_helium(const AddArgs& args) {
  const AddArgs a = args;  // a local copy: the int8 stores below cannot alias it
  // With offsets in [-128, 128], (x + offset) << 20 is at most 2^28 in magnitude: input
  // left shifts up to 2 fit 32 bits.
  if (a.act_min > a.act_max || !offset_ok(a.a_offset) || !offset_ok(a.b_offset) ||
      !vector_shift_ok(a.a_mult, a.a_shift, 2) || !vector_shift_ok(a.b_mult, a.b_shift, 2) ||
      !vector_shift_ok(a.out_mult, a.out_shift, 0)) {
    add_s8_plain(a);
    return;
  }
  // The input headroom shift (20) and each input's left shift in one VSHL. Every
  // multiplier and shift is one scalar for all lanes: the scalar forms of VQRDMULH, VRSHL
  // and VMUL keep them in core registers (with vector copies GCC runs out of the eight Q
  // registers and reloads them from the stack every iteration). `fix` is requantize_right's
  // lowering of negative values by one, needed only when the right shift is nonzero.
  const int32_t a_left = 20 + (a.a_shift > 0 ? a.a_shift : 0);
  const int32_t b_left = 20 + (a.b_shift > 0 ? a.b_shift : 0);
  const int32_t ar = a.a_shift < 0 ? a.a_shift : 0, br = a.b_shift < 0 ? a.b_shift : 0;
  const int32_t orr = a.out_shift;
  const int32_t a_fix = ar < 0 ? 1 : 0, b_fix = br < 0 ? 1 : 0, o_fix = orr < 0 ? 1 : 0;
  const int32x4_t lo = vdupq_n_s32(a.act_min), hi = vdupq_n_s32(a.act_max);
  // (x + offset) << left as x << left + (offset << left): the offset term is a scalar add.
  const int32_t a_term = static_cast<int32_t>(static_cast<uint32_t>(a.a_offset) << a_left);
  const int32_t b_term = static_cast<int32_t>(static_cast<uint32_t>(a.b_offset) << b_left);
  const int32_t am = a.a_mult, bm = a.b_mult, om = a.out_mult, oo = a.out_offset;
  const int8_t* pa = a.a;
  const int8_t* pb = a.b;
  int8_t* po = a.out;
  for (int32_t left = a.n; left > 0; left -= 4, pa += 4, pb += 4, po += 4) {
    const mve_pred16_t p = vctp32q(left);
    int32x4_t x = vaddq_n_s32(vshlq_r_s32(vldrbq_z_s32(pa, p), a_left), a_term);
    int32x4_t y = vaddq_n_s32(vshlq_r_s32(vldrbq_z_s32(pb, p), b_left), b_term);
    x = vqrdmulhq_n_s32(x, am);
    y = vqrdmulhq_n_s32(y, bm);
    x = vrshlq_n_s32(vqaddq_s32(x, vmulq_n_s32(vshrq_n_s32(x, 31), a_fix)), ar);
    y = vrshlq_n_s32(vqaddq_s32(y, vmulq_n_s32(vshrq_n_s32(y, 31), b_fix)), br);
    int32x4_t v = vqrdmulhq_n_s32(vaddq_s32(x, y), om);
    v = vrshlq_n_s32(vqaddq_s32(v, vmulq_n_s32(vshrq_n_s32(v, 31), o_fix)), orr);
    v = vminq_s32(vmaxq_s32(vaddq_n_s32(v, oo), lo), hi);
    vstrbq_p_s32(po, v, p);
  }
}

void mul_s8_helium(const MulArgs& args) {
  const MulArgs a = args;  // a local copy: the int8 stores below cannot alias it
  // With offsets in [-128, 128], |(x + a_offset) * (y + b_offset)| <= 2^16: left shifts up
  // to 14 fit 32 bits.
  if (a.act_min > a.act_max || !offset_ok(a.a_offset) || !offset_ok(a.b_offset) ||
      !vector_shift_ok(a.out_mult, a.out_shift, 14)) {
    mul_s8_plain(a);
    return;
  }
  const int32x4_t om = vdupq_n_s32(a.out_mult), os = vdupq_n_s32(a.out_shift);
  const int32x4_t lo = vdupq_n_s32(a.act_min), hi = vdupq_n_s32(a.act_max);
  for (int32_t i = 0; i < a.n; i += 4) {
    const mve_pred16_t p = vctp32q(a.n - i);
    const int32x4_t x = vaddq_n_s32(vldrbq_z_s32(a.a + i, p), a.a_offset);
    const int32x4_t y = vaddq_n_s32(vldrbq_z_s32(a.b + i, p), a.b_offset);
    int32x4_t v = requantize_vec(vmulq_s32(x, y), om, os);
    v = vminq_s32(vmaxq_s32(vaddq_n_s32(v, a.out_offset), lo), hi);
    vstrbq_p_s32(a.out + i, v, p);
  }
}

void max_pool_s8_helium(const PoolArgs& args) {
  const PoolArgs a = args;  // a local copy: the int8 stores below cannot alias it
  // The window maximum is in [-128, 127]: a clamp outside that range is a constant
  // output, which the plain path produces.
  if (a.act_min > a.act_max || a.act_max < -128 || a.act_min > 127) {
    max_pool_s8_plain(a);
    return;
  }
  const int8x16_t lo = vdupq_n_s8(static_cast<int8_t>(a.act_min < -128 ? -128 : a.act_min));
  const int8x16_t hi = vdupq_n_s8(static_cast<int8_t>(a.act_max > 127 ? 127 : a.act_max));
  const intptr_t in_row = static_cast<intptr_t>(a.in_w) * a.c;
  for_each_window(a, [&](int32_t oy, int32_t ox, int32_t y0, int32_t y1, int32_t x0, int32_t x1) {
    int8_t* out = a.out + (static_cast<intptr_t>(oy) * a.out_w + ox) * a.c;
    for (int32_t c0 = 0; c0 < a.c; c0 += 16) {
      const mve_pred16_t p = vctp8q(a.c - c0);
      int8x16_t m = vdupq_n_s8(-128);
      for (int32_t y = y0; y < y1; ++y) {
        const int8_t* ip = a.in + y * in_row + static_cast<intptr_t>(x0) * a.c + c0;
        for (int32_t x = x0; x < x1; ++x, ip += a.c) m = vmaxq_s8(m, vldrbq_z_s8(ip, p));
      }
      vstrbq_p_s8(out + c0, vmaxq_s8(vminq_s8(m, hi), lo), p);
    }
  });
}

void avg_pool_s8_helium(const PoolArgs& args) {
  const PoolArgs a = args;  // a local copy: the int8 stores below cannot alias it
  if (a.act_min > a.act_max) {
    avg_pool_s8_plain(a);
    return;
  }
  const int32x4_t lo = vdupq_n_s32(a.act_min), hi = vdupq_n_s32(a.act_max);
  const intptr_t in_row = static_cast<intptr_t>(a.in_w) * a.c;
  for_each_window(a, [&](int32_t oy, int32_t ox, int32_t y0, int32_t y1, int32_t x0, int32_t x1) {
    int8_t* out = a.out + (static_cast<intptr_t>(oy) * a.out_w + ox) * a.c;
    const int32_t count = (y1 - y0) * (x1 - x0);
    if (count <= 0) {  // an empty window averages to 0 (then clamped)
      const int8_t v = static_cast<int8_t>(clamp_i32(0, a.act_min, a.act_max));
      for (int32_t c = 0; c < a.c; ++c) out[c] = v;
      return;
    }
    if (count > 256) {  // int16 sums could overflow: the plain path's per-pixel loop
      for (int32_t c = 0; c < a.c; ++c) {
        int32_t sum = 0;
        for (int32_t y = y0; y < y1; ++y) {
          for (int32_t x = x0; x < x1; ++x) {
            sum += a.in[y * in_row + static_cast<intptr_t>(x) * a.c + c];
          }
        }
        const int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        out[c] = static_cast<int8_t>(clamp_i32(v, a.act_min, a.act_max));
      }
      return;
    }
    // count <= 256: the sums fit int16 (-128 * 256 = -32768, 127 * 256 = 32512).
    const uint32_t magic = count > 1 ? 0xFFFFFFFFu / static_cast<uint32_t>(count) + 1u : 0u;
    const int32_t half = count / 2;
    for (int32_t c0 = 0; c0 < a.c; c0 += 8) {
      const mve_pred16_t p = vctp16q(a.c - c0);
      int16x8_t s = vdupq_n_s16(0);
      for (int32_t y = y0; y < y1; ++y) {
        const int8_t* ip = a.in + y * in_row + static_cast<intptr_t>(x0) * a.c + c0;
        for (int32_t x = x0; x < x1; ++x, ip += a.c) s = vaddq_s16(s, vldrbq_z_s16(ip, p));
      }
      int32x4_t even = vmovlbq_s16(s);
      int32x4_t odd = vmovltq_s16(s);
      if (count > 1) {
        even = divide_rounded(even, magic, half);
        odd = divide_rounded(odd, magic, half);
      }
      even = vminq_s32(vmaxq_s32(even, lo), hi);
      odd = vminq_s32(vmaxq_s32(odd, lo), hi);
      int16x8_t r = vmovnbq_s32(vdupq_n_s16(0), even);
      r = vmovntq_s32(r, odd);
      vstrbq_p_s16(out + c0, r, p);
    }
  });
}

namespace {

// n bytes from src to dst: whole 16-byte vectors, then one predicated tail (a predicated
// loop costs GCC 12 about 10 instructions per vector in VPR moves; this is 3).
inline void copy_s8(int8_t* dst, const int8_t* src, int32_t n) {
  for (; n >= 16; n -= 16, src += 16, dst += 16) vst1q_s8(dst, vld1q_s8(src));
  if (n > 0) {
    const mve_pred16_t p = vctp8q(n);
    vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
  }
}

inline void fill_s8(int8_t* dst, int8x16_t v, int32_t n) {
  for (; n >= 16; n -= 16, dst += 16) vst1q_s8(dst, v);
  if (n > 0) vstrbq_p_s8(dst, v, vctp8q(n));
}

}  // namespace

void fold_offset_s8_helium(const int8_t* rhs, int32_t cols, int32_t depth, const int32_t* col_bias,
                           int32_t lhs_offset, int32_t* dst) {
  if (depth < 0) depth = 0;
  for (int32_t n = 0; n < cols; ++n) {
    const int32_t b = col_bias != nullptr ? col_bias[n] : 0;
    dst[n] = wadd(b, wmul(sum_s8(rhs + static_cast<intptr_t>(n) * depth, depth), lhs_offset));
  }
}

// Output pixels walked in order (no division per pixel); per kernel row the taps that fall
// inside the input are found once, and with dilation 1 and one group they are one
// contiguous run of the input row: one copy per kernel row instead of one per tap.
void im2col_s8_helium(const Im2colArgs& args) {
  const Im2colArgs a = args;  // a local copy: the int8 stores below cannot alias it
  if (a.n <= 0) return;
  if (a.out_w <= 0 || a.dilation_w < 1 || a.dilation_h < 1 || a.stride_w < 1) {
    im2col_s8_plain(a);
    return;
  }
  const int32_t row_bytes = a.kw * a.cig, depth = a.kh * row_bytes;
  const int8x16_t pad = vdupq_n_s8(a.pad_value);
  const bool run = a.dilation_w == 1 && a.cig == a.in_c;
  const intptr_t in_row = static_cast<intptr_t>(a.in_w) * a.in_c;
  const intptr_t tap_step = static_cast<intptr_t>(a.dilation_w) * a.in_c;
  int32_t oy = a.p0 / a.out_w, ox = a.p0 % a.out_w;
  int8_t* row = a.rows;
  for (int32_t r = 0; r < a.n; ++r, row += depth) {
    const int32_t x0 = ox * a.stride_w - a.pad_left;
    // Taps kx in [lo, hi) read columns x0 + kx * dilation_w inside [0, in_w).
    int32_t lo = x0 >= 0 ? 0 : (-x0 + a.dilation_w - 1) / a.dilation_w;
    int32_t hi = a.in_w - 1 - x0 < 0 ? 0 : (a.in_w - 1 - x0) / a.dilation_w + 1;
    if (hi > a.kw) hi = a.kw;
    if (lo > hi) lo = hi;
    const int32_t y0 = oy * a.stride_h - a.pad_top;
    int8_t* t = row;
    for (int32_t ky = 0; ky < a.kh; ++ky, t += row_bytes) {
      const int32_t iy = y0 + ky * a.dilation_h;
      if (iy < 0 || iy >= a.in_h || lo == hi) {
        fill_s8(t, pad, row_bytes);
        continue;
      }
      if (lo > 0) fill_s8(t, pad, lo * a.cig);
      const int8_t* src = a.in + iy * in_row +
                          static_cast<intptr_t>(x0 + lo * a.dilation_w) * a.in_c + a.c0;
      if (run) {
        copy_s8(t + lo * a.cig, src, (hi - lo) * a.cig);
      } else {
        for (int32_t kx = lo; kx < hi; ++kx, src += tap_step) copy_s8(t + kx * a.cig, src, a.cig);
      }
      if (hi < a.kw) fill_s8(t + hi * a.cig, pad, (a.kw - hi) * a.cig);
    }
    if (++ox == a.out_w) {
      ox = 0;
      ++oy;
    }
  }
}

// Four lanes: VRINTN is round_half_even (ties to even; values of 2^22 or more in magnitude,
// which round_half_even passes through, clamp to qmin/qmax either way), the zero point is
// added in float32 as the plain path does, and VCVT (toward zero, of an integer or of a value
// that clamps anyway) saturates infinities and turns NaN into 0, which round_clamp also gives.
void quantize_s8_helium(const QuantizeArgs& args) {
  const QuantizeArgs a = args;  // a local copy: the int8 stores below cannot alias it
  if (a.qmin > a.qmax || a.in_stride < 0 || a.out_stride < 0) {
    quantize_s8_plain(a);
    return;
  }
  const float32x4_t inv = vdupq_n_f32(a.inv_scale);
  const float32x4_t zp = vdupq_n_f32(static_cast<float>(a.zero_point));
  const int32x4_t lo = vdupq_n_s32(a.qmin), hi = vdupq_n_s32(a.qmax);
  const uint32x4_t lane = vidupq_n_u32(0u, 1);
  const uint32x4_t in_off = vmulq_n_u32(lane, static_cast<uint32_t>(a.in_stride) * 4u);
  const uint32x4_t out_off = vmulq_n_u32(lane, static_cast<uint32_t>(a.out_stride));
  const intptr_t in_step = static_cast<intptr_t>(a.in_stride) * 4;
  const intptr_t out_step = static_cast<intptr_t>(a.out_stride) * 4;
  const float* in = a.in;
  int8_t* out = a.out;
  for (int32_t i = 0; i < a.n; i += 4, in += in_step, out += out_step) {
    const mve_pred16_t p = vctp32q(a.n - i);
    const float32x4_t x = a.in_stride == 1 ? vldrwq_z_f32(in, p)
                                           : vldrwq_gather_offset_z_f32(in, in_off, p);
    const float32x4_t r = vaddq_f32(vrndnq_f32(vmulq_f32(x, inv)), zp);
    const int32x4_t v = vminq_s32(vmaxq_s32(vcvtq_s32_f32(r), lo), hi);
    if (a.out_stride == 1) {
      vstrbq_p_s32(out, v, p);
    } else {
      vstrbq_scatter_offset_p_s32(out, out_off, v, p);
    }
  }
}

}  // namespace cortex_m
}  // namespace slimtorch
