// Cortex-M55 firmware (QEMU mps3-an547): the Helium path of every nn_s8.h
// primitive gives the same bytes as the plain path, on pseudo-random inputs from
// a fixed-seed LCG (shapes with depths and channel counts that are not multiples
// of 16, 1..3 channels, strides 1/2, pads, dilation, depth multipliers, per-channel
// and per-tensor requantization with shifts -31..+2 and multipliers near
// 2^30..2^31-1 plus edge values, offsets -128..127, activation clamps).
//
// Both paths write into buffers pre-filled with the same guard byte and the whole
// buffer is compared, so a write outside the output also shows. Exits 1 at the
// first mismatch, naming the primitive, the case and the byte.
#include <stdint.h>

#include "kernels/cortex_m/nn_s8.h"
#include "kernels/cortex_m/tests/print.h"

namespace cm = slimtorch::cortex_m;

namespace {

using nn_s8_test::put;
using nn_s8_test::put_int;

// ---- fixed-seed pseudo-random numbers ----
struct Lcg {
  uint32_t state;
  uint32_t next() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;  // the low bits of an LCG are weak
  }
  int32_t range(int32_t lo, int32_t hi) {  // inclusive
    return lo + static_cast<int32_t>(next() % static_cast<uint32_t>(hi - lo + 1));
  }
  bool chance(int32_t percent) { return range(0, 99) < percent; }
};

constexpr int32_t kBig = 24 * 1024;
constexpr int32_t kGuard = 64;
alignas(16) int8_t g_a[kBig];
alignas(16) int8_t g_b[kBig];
alignas(16) int8_t g_out_plain[kBig];
alignas(16) int8_t g_out_helium[kBig];
int32_t g_bias[1024];
int32_t g_mult[1024];
int32_t g_shift[1024];

void fill_s8(Lcg& r, int8_t* p, int32_t n) {
  for (int32_t i = 0; i < n; ++i) p[i] = static_cast<int8_t>(r.range(-128, 127));
}

int32_t multiplier(Lcg& r) {
  const int32_t pick = r.range(0, 99);
  if (pick < 2) return -2147483647 - 1;  // the one product VQRDMULH saturates
  if (pick < 4) return r.range(-2147483647, -1);
  if (pick < 6) return r.range(0, 1 << 20);
  if (pick < 8) return 2147483647;
  return r.range(1 << 30, 2147483647);
}

int32_t shift(Lcg& r) {
  if (r.chance(3)) return r.range(3, 8);  // outside the usual range: scalar lanes
  return r.range(-31, 2);
}

int32_t offset(Lcg& r) { return r.chance(10) ? (r.chance(50) ? -128 : 127) : r.range(-128, 127); }

void clamps(Lcg& r, int32_t* lo, int32_t* hi) {
  const int32_t pick = r.range(0, 99);
  if (pick < 40) {
    *lo = -128;
    *hi = 127;
  } else if (pick < 90) {
    *lo = r.range(-128, 127);
    *hi = r.range(*lo, 127);
  } else if (pick < 95) {  // wider than int8: the cast wraps
    *lo = r.range(-1000, -100);
    *hi = r.range(100, 1000);
  } else {  // degenerate
    *lo = r.range(0, 127);
    *hi = r.range(-128, *lo);
  }
}

cm::Requant requant(Lcg& r, int32_t channels) {
  cm::Requant q;
  q.per_channel = r.chance(70);
  const int32_t n = q.per_channel ? channels : 1;
  // Some cases use one realistic scale for all channels (shifts -12..-5).
  const bool realistic = r.chance(40);
  for (int32_t i = 0; i < n; ++i) {
    g_mult[i] = realistic ? r.range(1 << 30, 2147483647) : multiplier(r);
    g_shift[i] = realistic ? r.range(-12, -5) : shift(r);
  }
  q.multipliers = g_mult;
  q.shifts = g_shift;
  q.output_offset = offset(r);
  clamps(r, &q.activation_min, &q.activation_max);
  return q;
}

void fill_bias(Lcg& r, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    g_bias[i] = r.chance(5) ? static_cast<int32_t>(r.next() << 8) : r.range(-(1 << 18), 1 << 18);
  }
}

void reset_outputs() {
  for (int32_t i = 0; i < kBig; ++i) g_out_plain[i] = g_out_helium[i] = 0x5a;
}

bool same(const char* what, int32_t case_index, int32_t bytes) {
  const int32_t limit = bytes + kGuard < kBig ? bytes + kGuard : kBig;
  for (int32_t i = 0; i < limit; ++i) {
    if (g_out_plain[i] != g_out_helium[i]) {
      put("FAIL: ");
      put(what);
      put(" case ");
      put_int(case_index);
      put(": byte ");
      put_int(i);
      put(i < bytes ? " (output)" : " (past the output)");
      put(": plain ");
      put_int(g_out_plain[i]);
      put(", helium ");
      put_int(g_out_helium[i]);
      put("\n");
      return false;
    }
  }
  return true;
}

bool test_mat_mult(Lcg& r, int32_t cases) {
  for (int32_t t = 0; t < cases; ++t) {
    cm::MatMulArgs a;
    a.rows = r.range(1, 9);
    a.cols = r.chance(20) ? r.range(1, 3) : r.range(1, 40);
    a.depth = r.chance(15) ? r.range(100, 300) : r.range(r.chance(3) ? 0 : 1, 70);
    a.lhs_stride = a.depth + (r.chance(50) ? 0 : r.range(1, 7));
    a.dst_stride = a.cols + (r.chance(50) ? 0 : r.range(1, 5));
    if (a.rows * a.lhs_stride > kBig || a.cols * a.depth > kBig ||
        a.rows * a.dst_stride + kGuard > kBig) {
      continue;
    }
    fill_s8(r, g_a, a.rows * a.lhs_stride);
    fill_s8(r, g_b, a.cols * a.depth);
    a.lhs = g_a;
    a.rhs = g_b;
    a.lhs_offset = offset(r);
    a.rhs_offset = r.chance(70) ? 0 : offset(r);
    fill_bias(r, a.cols);
    a.col_bias = r.chance(80) ? g_bias : nullptr;
    a.rq = requant(r, a.cols);
    const int32_t bytes = (a.rows - 1) * a.dst_stride + a.cols;
    reset_outputs();
    a.dst = g_out_plain;
    cm::mat_mult_s8_plain(a);
    a.dst = g_out_helium;
    cm::mat_mult_s8_helium(a);
    if (!same("mat_mult_s8", t, bytes)) return false;
  }
  return true;
}

int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t pad_lo, int32_t pad_hi,
                 int32_t dilation) {
  const int32_t span = in + pad_lo + pad_hi - dilation * (k - 1) - 1;
  return span < 0 ? 1 : span / stride + 1;
}

bool test_depthwise(Lcg& r, int32_t cases) {
  for (int32_t t = 0; t < cases; ++t) {
    cm::DepthwiseArgs a;
    a.in_h = r.range(1, 10);
    a.in_w = r.range(1, 10);
    a.in_c = r.chance(25) ? r.range(1, 3) : r.range(1, 40);
    a.mult = r.chance(60) ? 1 : (r.chance(50) ? r.range(2, 3) : r.range(4, 20));
    if (r.chance(10)) {  // a convolution with one input channel, upstream's way
      a.in_c = 1;
      a.mult = r.range(4, 64);
    } else if (r.chance(20)) {  // 8 and multiples of 16: the 16-lane whole-window paths
      a.in_c = r.chance(35) ? 8 : 16 * r.range(1, 3);
      a.mult = 1;
    }
    a.kh = r.range(1, 4);
    a.kw = r.range(1, 4);
    a.stride_h = r.range(1, 2);
    a.stride_w = r.range(1, 2);
    a.dilation_h = r.chance(80) ? 1 : 2;
    a.dilation_w = r.chance(80) ? 1 : 2;
    a.pad_top = r.range(0, a.kh - 1);
    a.pad_left = r.range(0, a.kw - 1);
    a.out_h = out_size(a.in_h, a.kh, a.stride_h, a.pad_top, r.range(0, a.kh - 1), a.dilation_h);
    a.out_w = out_size(a.in_w, a.kw, a.stride_w, a.pad_left, r.range(0, a.kw - 1), a.dilation_w);
    const int32_t out_c = a.in_c * a.mult;
    const int32_t in_bytes = a.in_h * a.in_w * a.in_c;
    const int32_t w_bytes = a.kh * a.kw * out_c;
    const int32_t out_bytes = a.out_h * a.out_w * out_c;
    if (in_bytes > kBig || w_bytes > kBig || out_bytes + kGuard > kBig || out_c > 1024) continue;
    fill_s8(r, g_a, in_bytes);
    fill_s8(r, g_b, w_bytes);
    a.in = g_a;
    a.w = g_b;
    fill_bias(r, out_c);
    a.bias = r.chance(85) ? g_bias : nullptr;
    a.input_offset = offset(r);
    a.rq = requant(r, out_c);
    reset_outputs();
    a.out = g_out_plain;
    cm::depthwise_s8_plain(a);
    a.out = g_out_helium;
    cm::depthwise_s8_helium(a);
    if (!same("depthwise_s8", t, out_bytes)) return false;
  }
  return true;
}

bool test_add(Lcg& r, int32_t cases) {
  for (int32_t t = 0; t < cases; ++t) {
    cm::AddArgs a;
    a.n = r.chance(20) ? r.range(1, 7) : r.range(1, 300);
    fill_s8(r, g_a, a.n);
    fill_s8(r, g_b, a.n);
    a.a = g_a;
    a.b = g_b;
    a.a_offset = r.chance(3) ? r.range(129, 1000) : offset(r);
    a.b_offset = offset(r);
    const bool realistic = r.chance(60);  // upstream's: input shifts about -1..-3
    a.a_mult = realistic ? r.range(1 << 30, 2147483647) : multiplier(r);
    a.b_mult = realistic ? r.range(1 << 30, 2147483647) : multiplier(r);
    a.a_shift = realistic ? r.range(-3, 0) : shift(r);
    a.b_shift = realistic ? r.range(-3, 0) : shift(r);
    a.out_mult = realistic ? r.range(1 << 30, 2147483647) : multiplier(r);
    a.out_shift = realistic ? r.range(-22, -18) : shift(r);
    a.out_offset = offset(r);
    clamps(r, &a.act_min, &a.act_max);
    reset_outputs();
    a.out = g_out_plain;
    cm::add_s8_plain(a);
    a.out = g_out_helium;
    cm::add_s8_helium(a);
    if (!same("add_s8", t, a.n)) return false;
  }
  return true;
}

bool test_mul(Lcg& r, int32_t cases) {
  for (int32_t t = 0; t < cases; ++t) {
    cm::MulArgs a;
    a.n = r.chance(20) ? r.range(1, 7) : r.range(1, 300);
    fill_s8(r, g_a, a.n);
    fill_s8(r, g_b, a.n);
    a.a = g_a;
    a.b = g_b;
    a.a_offset = offset(r);
    a.b_offset = r.chance(3) ? r.range(-2000, -129) : offset(r);
    const bool realistic = r.chance(60);
    a.out_mult = realistic ? r.range(1 << 30, 2147483647) : multiplier(r);
    a.out_shift = realistic ? r.range(-14, -6) : (r.chance(20) ? r.range(3, 16) : shift(r));
    a.out_offset = offset(r);
    clamps(r, &a.act_min, &a.act_max);
    reset_outputs();
    a.out = g_out_plain;
    cm::mul_s8_plain(a);
    a.out = g_out_helium;
    cm::mul_s8_helium(a);
    if (!same("mul_s8", t, a.n)) return false;
  }
  return true;
}

bool test_pool(Lcg& r, int32_t cases, bool average) {
  for (int32_t t = 0; t < cases; ++t) {
    cm::PoolArgs a;
    a.in_h = r.range(1, 12);
    a.in_w = r.range(1, 12);
    a.c = r.chance(25) ? r.range(1, 3) : r.range(1, 70);
    a.kh = r.range(1, 5);
    a.kw = r.range(1, 5);
    if (r.chance(10)) {  // global pooling, sometimes over more than 256 inputs
      a.in_h = r.range(10, 20);
      a.in_w = r.range(10, 20);
      a.c = r.range(1, 20);
      a.kh = a.in_h;
      a.kw = a.in_w;
    }
    a.stride_h = r.range(1, 2);
    a.stride_w = r.range(1, 2);
    a.pad_top = r.range(0, (a.kh - 1) / 2);
    a.pad_left = r.range(0, (a.kw - 1) / 2);
    a.out_h = out_size(a.in_h, a.kh, a.stride_h, a.pad_top, r.range(0, (a.kh - 1) / 2), 1);
    a.out_w = out_size(a.in_w, a.kw, a.stride_w, a.pad_left, r.range(0, (a.kw - 1) / 2), 1);
    const int32_t in_bytes = a.in_h * a.in_w * a.c;
    const int32_t out_bytes = a.out_h * a.out_w * a.c;
    if (in_bytes > kBig || out_bytes + kGuard > kBig) continue;
    fill_s8(r, g_a, in_bytes);
    a.in = g_a;
    clamps(r, &a.act_min, &a.act_max);
    reset_outputs();
    a.out = g_out_plain;
    if (average) {
      cm::avg_pool_s8_plain(a);
    } else {
      cm::max_pool_s8_plain(a);
    }
    a.out = g_out_helium;
    if (average) {
      cm::avg_pool_s8_helium(a);
    } else {
      cm::max_pool_s8_helium(a);
    }
    if (!same(average ? "avg_pool_s8" : "max_pool_s8", t, out_bytes)) return false;
  }
  return true;
}

bool test_im2col(Lcg& r, int32_t cases) {
  for (int32_t t = 0; t < cases; ++t) {
    cm::Im2colArgs a;
    a.in_h = r.range(1, 12);
    a.in_w = r.range(1, 12);
    const int32_t groups = r.chance(20) ? r.range(2, 3) : 1;
    a.cig = r.chance(30) ? r.range(1, 3) : r.range(1, 40);
    a.in_c = a.cig * groups;
    a.c0 = r.range(0, groups - 1) * a.cig;
    a.kh = r.range(1, 5);
    a.kw = r.range(1, 5);
    a.stride_h = r.range(1, 3);
    a.stride_w = r.range(1, 3);
    a.dilation_h = r.chance(20) ? r.range(2, 3) : 1;
    a.dilation_w = r.chance(20) ? r.range(2, 3) : 1;
    a.pad_top = r.range(0, a.kh);
    a.pad_left = r.range(0, a.kw);
    const int32_t out_h = out_size(a.in_h, a.kh, a.stride_h, a.pad_top, r.range(0, a.kh), a.dilation_h);
    a.out_w = out_size(a.in_w, a.kw, a.stride_w, a.pad_left, r.range(0, a.kw), a.dilation_w);
    if (out_h <= 0 || a.out_w <= 0) continue;
    const int32_t pixels = out_h * a.out_w;
    const int32_t depth = a.kh * a.kw * a.cig;
    a.p0 = r.range(0, pixels - 1);
    a.n = r.range(1, pixels - a.p0);
    if (a.n * depth + kGuard > kBig) a.n = (kBig - kGuard) / depth;
    if (a.n <= 0 || a.in_h * a.in_w * a.in_c > kBig) continue;
    fill_s8(r, g_a, a.in_h * a.in_w * a.in_c);
    a.in = g_a;
    a.pad_value = static_cast<int8_t>(r.range(-128, 127));
    reset_outputs();
    a.rows = g_out_plain;
    cm::im2col_s8_plain(a);
    a.rows = g_out_helium;
    cm::im2col_s8_helium(a);
    if (!same("im2col_s8", t, a.n * depth)) return false;
  }
  return true;
}

float g_f[1024];

float random_float(Lcg& r, float scale) {
  const int32_t pick = r.range(0, 99);
  if (pick < 5) {  // any bits: NaNs, infinities, denormals, huge values
    uint32_t bits = (r.next() << 8) ^ r.next();
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
  }
  if (pick < 15) return static_cast<float>(r.range(-300, 300)) * 0.5f / scale;  // ties
  return static_cast<float>(r.range(-2000000, 2000000)) * (1e-5f / scale);
}

bool test_quantize(Lcg& r, int32_t cases) {
  for (int32_t t = 0; t < cases; ++t) {
    cm::QuantizeArgs a;
    const float scale = r.chance(10) ? 1e-6f * static_cast<float>(r.range(1, 1000))
                                     : 0.001f * static_cast<float>(r.range(1, 200));
    a.inv_scale = 1.0f / scale;
    a.zero_point = r.chance(5) ? r.range(-32768, 32767) : r.range(-128, 127);
    a.qmin = r.chance(70) ? -128 : r.range(-128, 127);
    a.qmax = r.chance(70) ? 127 : r.range(a.qmin, 127);
    a.n = r.chance(20) ? r.range(0, 7) : r.range(1, 300);
    a.in_stride = r.chance(50) ? 1 : r.range(0, 3);
    a.out_stride = r.chance(50) ? 1 : r.range(1, 4);
    if ((a.n > 0 ? (a.n - 1) * a.in_stride + 1 : 0) > 1024) continue;
    for (int32_t i = 0; i < 1024; ++i) g_f[i] = random_float(r, scale);
    a.in = g_f;
    reset_outputs();
    a.out = g_out_plain;
    cm::quantize_s8_plain(a);
    a.out = g_out_helium;
    cm::quantize_s8_helium(a);
    if (!same("quantize_s8", t, a.n * a.out_stride)) return false;
  }
  return true;
}

bool test_fold_offset(Lcg& r, int32_t cases) {
  for (int32_t t = 0; t < cases; ++t) {
    const int32_t cols = r.range(1, 64);
    const int32_t depth = r.chance(10) ? r.range(0, 3) : r.range(1, 300);
    if (cols * depth > kBig) continue;
    fill_s8(r, g_a, cols * depth);
    fill_bias(r, cols);
    const bool bias = r.chance(80);
    const int32_t off = r.chance(5) ? r.range(-32768, 32767) : offset(r);
    int32_t plain[64], helium[64];
    cm::fold_offset_s8_plain(g_a, cols, depth, bias ? g_bias : nullptr, off, plain);
    cm::fold_offset_s8_helium(g_a, cols, depth, bias ? g_bias : nullptr, off, helium);
    for (int32_t n = 0; n < cols; ++n) {
      if (plain[n] != helium[n]) {
        put("FAIL: fold_offset_s8 case ");
        put_int(t);
        put("\n");
        return false;
      }
    }
  }
  return true;
}

}  // namespace

int main() {
  Lcg r{12345u};
  const int32_t n = 400;
  bool ok = test_mat_mult(r, n);
  if (ok) put("mat_mult_s8: same bytes\n");
  ok = ok && test_depthwise(r, n);
  if (ok) put("depthwise_s8: same bytes\n");
  ok = ok && test_add(r, n);
  if (ok) put("add_s8: same bytes\n");
  ok = ok && test_mul(r, n);
  if (ok) put("mul_s8: same bytes\n");
  ok = ok && test_pool(r, n, false);
  if (ok) put("max_pool_s8: same bytes\n");
  ok = ok && test_pool(r, n, true);
  if (ok) put("avg_pool_s8: same bytes\n");
  ok = ok && test_im2col(r, n);
  if (ok) put("im2col_s8: same bytes\n");
  ok = ok && test_quantize(r, n);
  if (ok) put("quantize_s8: same bytes\n");
  ok = ok && test_fold_offset(r, n);
  if (ok) put("fold_offset_s8: same sums\n");
  return ok ? 0 : 1;
}
