// The Helium float paths (kernels/portable/helium/f32.h) against the plain ones, on
// pseudo-random inputs and shapes, on the Cortex-M55 (QEMU):
//   - gemm_f32: native::gemm_f32 with the Helium path on and off (the plain path);
//   - conv2d_f32 / depthwise2d_f32: a direct convolution written here from the
//     definition, in double (strides, padding, dilation, rows narrower and wider
//     than a tile, channel counts that are not multiples of the blocks);
//   - softmax_f32: against softmax in double;
//   - the elementwise loops: bit for bit against the plain expressions, NaN, -0.0
//     and infinities included, every length 0..19 (the predicated tails); x * s + t
//     (batch norm) within one rounding, as the plain code may be fused.
// Float sums: within 1e-5 of the sum of |terms| per output. Each output buffer has
// a guard region past its end that must stay untouched.
//   bazel test //kernels/portable/helium/tests:f32_compare_test
#include <math.h>
#include <stdint.h>

#include "kernels/cortex_m/tests/print.h"
#include "kernels/portable/helium/f32.h"
#include "kernels/portable/util.h"

namespace {

using nn_s8_test::put;
using nn_s8_test::put_int;
using slimtorch::helium::ConvShape;

struct Rng {
  uint32_t s = 0x2545f491u;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
  int32_t range(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(next() % static_cast<uint32_t>(hi - lo + 1)); }
  float value() { return static_cast<float>(static_cast<int32_t>(next() % 2001u) - 1000) / 500.0f; }
};

constexpr int kMax = 12288;
constexpr int kGuard = 16;
constexpr float kGuardValue = 12345.0f;
float g_in[kMax];
float g_w[kMax];
float g_bias[256];
float g_out[kMax + kGuard];
float g_ref[kMax + kGuard];
double g_abs[kMax];
int g_failures = 0;
int g_cases = 0;

void fail(const char* what, int case_index, int at) {
  if (++g_failures > 10) return;
  put("FAIL: ");
  put(what);
  put(" case ");
  put_int(case_index);
  put(" element ");
  put_int(at);
  put("\n");
}

void fill(float* p, int n, Rng& r) {
  for (int i = 0; i < n; ++i) p[i] = r.value();
}

void guard(float* p, int n) {
  for (int i = 0; i < kGuard; ++i) p[n + i] = kGuardValue;
}

// got vs want within 1e-5 * (sum of |terms| + 1), and the guard intact.
void check_close(const char* what, int case_index, const float* got, const float* want, const double* mag, int n) {
  ++g_cases;
  for (int i = 0; i < n; ++i) {
    const double d = fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    if (!(d <= 1e-5 * (mag[i] + 1.0))) {
      fail(what, case_index, i);
      return;
    }
  }
  for (int i = 0; i < kGuard; ++i) {
    if (got[n + i] != kGuardValue) {
      fail(what, case_index, n + i);
      return;
    }
  }
}

void test_gemm(Rng& r) {
  for (int c = 0; c < 60; ++c) {
    const int32_t m = r.range(1, 13);
    const int32_t k = r.range(1, 40);
    const int32_t n = r.range(1, 45);
    const bool acc = (c & 1) != 0;
    fill(g_in, m * k, r);
    fill(g_w, k * n, r);
    fill(g_out, m * n, r);
    for (int i = 0; i < m * n; ++i) g_ref[i] = g_out[i];
    guard(g_out, m * n);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double s = acc ? fabs(g_ref[i * n + j]) : 0.0;
        for (int p = 0; p < k; ++p) s += fabs(static_cast<double>(g_in[i * k + p]) * g_w[p * n + j]);
        g_abs[i * n + j] = s;
      }
    }
    slimtorch::helium::set_enabled(false);
    slimtorch::native::gemm_f32(g_in, g_w, g_ref, m, k, n, acc);
    slimtorch::helium::set_enabled(true);
    slimtorch::native::gemm_f32(g_in, g_w, g_out, m, k, n, acc);
    check_close("gemm_f32", c, g_out, g_ref, g_abs, m * n);
  }
}

// Direct convolution from the definition, in double; groups = 1 (dense) or
// channels (depthwise: one input channel per output channel).
void conv_reference(const ConvShape& g, int32_t oc, int32_t icg, bool depthwise, const float* bias) {
  for (int32_t co = 0; co < oc; ++co) {
    for (int32_t oy = 0; oy < g.oh; ++oy) {
      for (int32_t ox = 0; ox < g.ow; ++ox) {
        double s = bias != nullptr ? bias[co] : 0.0;
        double mag = bias != nullptr ? fabs(bias[co]) : 0.0;
        for (int32_t ci = 0; ci < icg; ++ci) {
          const int32_t plane = depthwise ? co : ci;
          for (int32_t ky = 0; ky < g.kh; ++ky) {
            const int32_t iy = oy * g.sh - g.ph + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int32_t kx = 0; kx < g.kw; ++kx) {
              const int32_t ix = ox * g.sw - g.pw + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const double t = static_cast<double>(g_in[(plane * g.h + iy) * g.w + ix]) *
                               g_w[((co * icg + ci) * g.kh + ky) * g.kw + kx];
              s += t;
              mag += fabs(t);
            }
          }
        }
        const int at = (co * g.oh + oy) * g.ow + ox;
        g_ref[at] = static_cast<float>(s);
        g_abs[at] = mag;
      }
    }
  }
}

void test_conv(Rng& r, bool depthwise) {
  for (int c = 0; c < 120; ++c) {
    ConvShape g;
    g.kh = r.range(1, 4);
    g.kw = r.range(1, 4);
    if (c % 5 == 0) g.kh = g.kw = 3;
    g.sh = r.range(1, 3);
    g.sw = r.range(1, 3);
    g.dh = r.range(1, 2);
    g.dw = r.range(1, 2);
    if (c % 3 == 0) g.dh = g.dw = 1;
    g.ph = r.range(0, 2);
    g.pw = r.range(0, 2);
    g.h = r.range(1, 12);
    g.w = r.range(1, 30);
    const int32_t eh = g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1;
    const int32_t ew = g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1;
    if (eh < 0 || ew < 0) continue;
    g.oh = eh / g.sh + 1;
    g.ow = ew / g.sw + 1;
    const int32_t oc = depthwise ? r.range(1, 11) : r.range(1, 13);
    const int32_t icg = depthwise ? 1 : r.range(1, 6);
    const int32_t planes = depthwise ? oc : icg;
    if (planes * g.h * g.w > kMax || oc * icg * g.kh * g.kw > kMax || oc * g.oh * g.ow > kMax) continue;
    fill(g_in, planes * g.h * g.w, r);
    fill(g_w, oc * icg * g.kh * g.kw, r);
    fill(g_bias, oc, r);
    const float* bias = (c & 1) ? g_bias : nullptr;
    const int n = oc * g.oh * g.ow;
    guard(g_out, n);
    conv_reference(g, oc, icg, depthwise, bias);
    if (depthwise) {
      slimtorch::helium::depthwise2d_f32(g_in, g_w, bias, g_out, oc, g);
    } else {
      slimtorch::helium::conv2d_f32(g_in, g_w, bias, g_out, oc, icg, g);
    }
    check_close(depthwise ? "depthwise2d_f32" : "conv2d_f32", c, g_out, g_ref, g_abs, n);
  }
}

bool same_bits(float a, float b) {
  uint32_t x;
  uint32_t y;
  __builtin_memcpy(&x, &a, 4);
  __builtin_memcpy(&y, &b, 4);
  return x == y;
}

void test_elementwise(Rng& r) {
  const float specials[6] = {__builtin_nanf(""), -0.0f, 0.0f, __builtin_inff(), -__builtin_inff(), -__builtin_nanf("")};
  for (int n = 0; n < 20; ++n) {
    fill(g_in, n, r);
    fill(g_w, n, r);
    for (int i = 0; i < n; i += 3) g_in[i] = specials[(i / 3) % 6];
    const float s = r.value();
    for (int op = 0; op < 7; ++op) {
      guard(g_out, n);
      for (int i = 0; i < n; ++i) {
        const float x = g_in[i];
        const float y = g_w[i];
        switch (op) {
          case 0: g_ref[i] = x < 0.0f ? 0.0f : x; break;
          case 1: g_ref[i] = x < -1.0f ? -1.0f : (x > 0.5f ? 0.5f : x); break;
          case 2: g_ref[i] = x + y; break;
          case 3: g_ref[i] = x * y; break;
          case 4: g_ref[i] = x + s; break;
          case 5: g_ref[i] = x * s; break;
          default: g_ref[i] = x * s + 0.25f; break;
        }
      }
      switch (op) {
        case 0: slimtorch::helium::relu_f32(g_in, g_out, n); break;
        case 1: slimtorch::helium::clamp_f32(g_in, g_out, n, -1.0f, 0.5f); break;
        case 2: slimtorch::helium::add_f32(g_in, g_w, g_out, n); break;
        case 3: slimtorch::helium::mul_f32(g_in, g_w, g_out, n); break;
        case 4: slimtorch::helium::add_scalar_f32(g_in, s, g_out, n); break;
        case 5: slimtorch::helium::mul_scalar_f32(g_in, s, g_out, n); break;
        default: slimtorch::helium::scale_shift_f32(g_in, s, 0.25f, g_out, n); break;
      }
      ++g_cases;
      for (int i = 0; i < n + kGuard; ++i) {
        const float want = i < n ? g_ref[i] : kGuardValue;
        // scale_shift within one rounding: the -Os/LTO plain code may fuse x * s + t
        const bool near = op == 6 && i < n && fabsf(g_out[i] - want) <= 1e-6f * (fabsf(g_in[i] * s) + 0.25f);
        if (!same_bits(g_out[i], want) && !(want != want && g_out[i] != g_out[i]) && !near) {
          fail("elementwise op", op * 100 + n, i);
          uint32_t gb;
          uint32_t wb;
          __builtin_memcpy(&gb, &g_out[i], 4);
          __builtin_memcpy(&wb, &want, 4);
          put("  got bits ");
          put_int(gb);
          put(", want bits ");
          put_int(wb);
          put("\n");
          break;
        }
      }
    }
    // sum: within rounding of the plain order
    double mag = 0.0;
    double want = 0.0;
    for (int i = 0; i < n; ++i) {
      want += g_w[i];
      mag += fabs(g_w[i]);
    }
    ++g_cases;
    if (!(fabs(slimtorch::helium::sum_f32(g_w, n) - want) <= 1e-5 * (mag + 1.0))) fail("sum_f32", n, 0);
    // layer norm's passes: sum of squared deviations (rounding), normalize (bits)
    const float mean = 0.125f;
    double sq = 0.0;
    for (int i = 0; i < n; ++i) sq += (static_cast<double>(g_w[i]) - mean) * (static_cast<double>(g_w[i]) - mean);
    ++g_cases;
    if (!(fabs(slimtorch::helium::sum_sq_dev_f32(g_w, mean, n) - sq) <= 1e-5 * (sq + 1.0))) fail("sum_sq_dev_f32", n, 0);
    for (int with = 0; with < 4; ++with) {
      const float* wt = (with & 1) ? g_w : nullptr;
      const float* bs = (with & 2) ? g_bias : nullptr;
      fill(g_bias, n, r);
      guard(g_out, n);
      slimtorch::helium::normalize_f32(g_in, mean, 0.75f, wt, bs, g_out, n);
      ++g_cases;
      for (int i = 0; i < n + kGuard; ++i) {
        float v = (g_in[i < n ? i : 0] - mean) * 0.75f;
        if (wt != nullptr && i < n) v *= wt[i];
        if (bs != nullptr && i < n) v += bs[i];
        const float want = i < n ? v : kGuardValue;
        if (!same_bits(g_out[i], want) && !(want != want && g_out[i] != g_out[i])) {
          fail("normalize_f32", with * 100 + n, i);
          break;
        }
      }
    }
  }
}

// softmax_f32 against softmax in double, rows of 1..40 values spread over up to +-120
// (outputs down to the subnormals and to 0), within 1e-5 relative + 1e-30.
void test_softmax(Rng& r) {
  for (int c = 0; c < 80; ++c) {
    const int n = r.range(1, 40);
    const float spread = static_cast<float>(r.range(1, 120));
    for (int i = 0; i < n; ++i) g_in[i] = r.value() * spread / 2.0f;
    guard(g_out, n);
    double max = g_in[0];
    for (int i = 1; i < n; ++i) max = g_in[i] > max ? g_in[i] : max;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += exp(static_cast<double>(g_in[i]) - max);
    slimtorch::helium::softmax_f32(g_in, g_out, n);
    ++g_cases;
    for (int i = 0; i < n + kGuard; ++i) {
      const double want = i < n ? exp(static_cast<double>(g_in[i]) - max) / sum : kGuardValue;
      if (!(fabs(g_out[i] - want) <= 1e-5 * want + 1e-30)) {
        fail("softmax_f32", c, i);
        break;
      }
    }
  }
}

}  // namespace

int main() {
  Rng r;
  test_gemm(r);
  test_conv(r, false);
  test_conv(r, true);
  test_elementwise(r);
  test_softmax(r);
  if (g_failures != 0) {
    put("helium_f32_compare: FAIL (");
    put_int(g_failures);
    put(" failures)\n");
    return 1;
  }
  put("helium_f32_compare: PASS ");
  put_int(g_cases);
  put(" cases\n");
  return 0;
}
