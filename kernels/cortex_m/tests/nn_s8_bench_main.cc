// Instruction counts of the int8 primitives on the emulated Cortex-M55, plain
// path against Helium path, for layer shapes of the MLPerf Tiny models (a
// benchmark, not a test). Under `qemu-system-arm -icount shift=0` one emulated
// nanosecond is one instruction, so st_time_ns() (the SSE-300 system counter,
// 32 MHz: a resolution of 31.25 instructions) counts instructions:
//   bazel build --config=arm_m55 //kernels/cortex_m/tests:nn_s8_bench
//   qemu-system-arm -M mps3-an547 -nographic -icount shift=0
//       -semihosting-config enable=on,target=native
//       -kernel bazel-bin/kernels/cortex_m/tests/nn_s8_bench   (one command line)
// MACs are nominal (output elements x taps, padding taps included) as MLPerf counts them.
// Matrix multiplies stand for 1x1 convolutions, im2col convolutions (the im2col copy
// itself is the operator's and not counted) and fully connected layers.
#include <stdint.h>

#include "kernels/cortex_m/nn_s8.h"
#include "kernels/cortex_m/tests/print.h"
#include "runtime/platform/platform.h"

namespace cm = slimtorch::cortex_m;
using nn_s8_test::put;
using nn_s8_test::put_int;
using nn_s8_test::put_milli;

namespace {

alignas(16) int8_t g_lhs[1024 * 160];  // the largest im2col matrix: 1024 x 144
alignas(16) int8_t g_rhs[640 * 128];
alignas(16) int8_t g_out[48 * 48 * 16];
int32_t g_bias[640];
int32_t g_mult[640];
int32_t g_shift[640];

void fill(int8_t* p, int32_t n, uint32_t seed) {
  for (int32_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    p[i] = static_cast<int8_t>(seed >> 24);
  }
}

cm::Requant requant() {
  cm::Requant q;
  q.multipliers = g_mult;
  q.shifts = g_shift;
  q.per_channel = true;
  q.output_offset = -3;
  q.activation_min = -128;
  q.activation_max = 127;
  return q;
}

int64_t g_overhead = 0;

template <typename F>
int64_t count(F f) {
  const uint64_t t0 = slimtorch::st_time_ns();
  f();
  const uint64_t t1 = slimtorch::st_time_ns();
  return static_cast<int64_t>(t1 - t0) - g_overhead;
}

int64_t g_total_macs = 0, g_total_plain = 0, g_total_helium = 0;

void begin_model() { g_total_macs = g_total_plain = g_total_helium = 0; }

// The model's primitives alone: no im2col copies, no framework, no quantize/copy ops.
void end_model(const char* name) {
  put(name);
  put(" total (primitives only): MACs ");
  put_int(g_total_macs);
  put(", plain ");
  put_int(g_total_plain);
  put(" instructions (");
  put_milli(g_total_macs * 1000 / g_total_plain);
  put(" MACs/instruction), helium ");
  put_int(g_total_helium);
  put(" (");
  put_milli(g_total_macs * 1000 / g_total_helium);
  put(" MACs/instruction)\n");
}

void report(const char* name, int64_t macs, int64_t plain, int64_t helium) {
  g_total_macs += macs;
  g_total_plain += plain;
  g_total_helium += helium;
  put(name);
  put(": MACs ");
  put_int(macs);
  put(", plain ");
  put_int(plain);
  put(" instructions (");
  put_milli(plain * 1000 / macs);
  put("/MAC), helium ");
  put_int(helium);
  put(" (");
  put_milli(helium * 1000 / macs);
  put("/MAC, ");
  put_milli(macs * 1000 / helium);
  put(" MACs/instruction)\n");
}

// lhs_offset: the input offset of a convolution; a fully connected layer the way
// upstream's M55 flow passes it has 0 here and the offset folded into col_bias (kernel_sum).
void bench_mat_mult(const char* name, int32_t rows, int32_t cols, int32_t depth,
                    int32_t lhs_offset = 127) {
  cm::MatMulArgs a;
  a.lhs = g_lhs;
  a.lhs_stride = depth;
  a.rows = rows;
  a.rhs = g_rhs;
  a.cols = cols;
  a.depth = depth;
  a.lhs_offset = lhs_offset;
  a.rhs_offset = 0;
  a.col_bias = g_bias;
  a.rq = requant();
  a.dst = g_out;
  a.dst_stride = cols;
  const int64_t plain = count([&] { cm::mat_mult_s8_plain(a); });
  const int64_t helium = count([&] { cm::mat_mult_s8_helium(a); });
  report(name, static_cast<int64_t>(rows) * cols * depth, plain, helium);
}

void bench_depthwise(const char* name, int32_t in_h, int32_t in_w, int32_t in_c, int32_t mult,
                     int32_t kh, int32_t kw, int32_t stride, int32_t pad_top, int32_t pad_left,
                     int32_t out_h, int32_t out_w) {
  cm::DepthwiseArgs a;
  a.in = g_lhs;
  a.in_h = in_h;
  a.in_w = in_w;
  a.in_c = in_c;
  a.w = g_rhs;
  a.kh = kh;
  a.kw = kw;
  a.mult = mult;
  a.stride_h = a.stride_w = stride;
  a.pad_top = pad_top;
  a.pad_left = pad_left;
  a.dilation_h = a.dilation_w = 1;
  a.bias = g_bias;
  a.input_offset = 127;
  a.rq = requant();
  a.out = g_out;
  a.out_h = out_h;
  a.out_w = out_w;
  const int64_t plain = count([&] { cm::depthwise_s8_plain(a); });
  const int64_t helium = count([&] { cm::depthwise_s8_helium(a); });
  report(name, static_cast<int64_t>(out_h) * out_w * in_c * mult * kh * kw, plain, helium);
}

void bench_elementwise(const char* name, int32_t n) {
  cm::AddArgs a{g_lhs, g_rhs, g_out, n, 5, 1518500250, -1, -7, 1276901417, -1,
                -2, 1835008000, -20, -128, 127};
  const int64_t plain = count([&] { cm::add_s8_plain(a); });
  const int64_t helium = count([&] { cm::add_s8_helium(a); });
  g_total_plain += plain;
  g_total_helium += helium;
  put(name);
  put(": ");
  put_int(n);
  put(" elements, plain ");
  put_int(plain);
  put(" instructions, helium ");
  put_int(helium);
  put("\n");
}

void bench_pool(const char* name, bool average, int32_t in_h, int32_t in_w, int32_t c, int32_t kh,
                int32_t kw, int32_t stride, int32_t out_h, int32_t out_w) {
  cm::PoolArgs a{g_lhs, in_h,  in_w,  c,     kh,    kw,   stride, stride,
                 0,     0,     g_out, out_h, out_w, -128, 127};
  const int64_t plain =
      count([&] { average ? cm::avg_pool_s8_plain(a) : cm::max_pool_s8_plain(a); });
  const int64_t helium =
      count([&] { average ? cm::avg_pool_s8_helium(a) : cm::max_pool_s8_helium(a); });
  g_total_plain += plain;
  g_total_helium += helium;
  put(name);
  put(": plain ");
  put_int(plain);
  put(" instructions, helium ");
  put_int(helium);
  put("\n");
}

}  // namespace

int main() {
  fill(g_lhs, sizeof(g_lhs), 1);
  fill(g_rhs, sizeof(g_rhs), 2);
  for (int32_t i = 0; i < 640; ++i) {
    g_bias[i] = (i * 7919) % 20000 - 10000;
    g_mult[i] = 1200000000 + i * 1000003;
    g_shift[i] = -8 - (i % 3);
  }
  g_overhead = count([] {});
#ifdef NN_S8_BENCH_PROFILE  // one call of the Helium path alone, for QEMU's -d exec traces
  {
    cm::DepthwiseArgs a{g_lhs, 48, 48, 8, g_rhs, 3, 3, 1, 1, 1, 1, 1, 1, 1, g_bias, 127, requant(),
                        g_out, 48, 48};
    cm::depthwise_s8_helium(a);
    cm::MatMulArgs m{g_lhs, 64, 125, g_rhs, 64, 64, 127, 0, g_bias, requant(), g_out, 64};
    cm::mat_mult_s8_helium(m);
    cm::DepthwiseArgs d{g_lhs, 49, 10, 1, g_rhs, 10,  4,         64,    2, 2,
                        4,     1,  1,  1, g_bias, 127, requant(), g_out, 25, 5};
    cm::depthwise_s8_helium(d);
    return 0;
  }
#endif
  put("instructions per call measured under -icount shift=0 (resolution 31 instructions)\n");
  put("-- ds_cnn (input 49x10x1) --\n");
  begin_model();
  bench_depthwise("conv 10x4 s2 1->64 @49x10 (depthwise mult 64)", 49, 10, 1, 64, 10, 4, 2, 4, 1,
                  25, 5);
  for (int i = 0; i < 4; ++i) {
    bench_depthwise("depthwise 3x3 64ch @25x5", 25, 5, 64, 1, 3, 3, 1, 1, 1, 25, 5);
    bench_mat_mult("pointwise 64->64 @25x5 (matmul 125x64x64)", 125, 64, 64);
  }
  bench_pool("avg pool 25x5 64ch (global)", true, 25, 5, 64, 25, 5, 1, 1, 1);
  bench_mat_mult("fully connected 64->12 (kernel_sum)", 1, 12, 64, 0);
  end_model("ds_cnn");

  put("-- resnet8 (input 32x32x3) --\n");
  begin_model();
  bench_mat_mult("conv3x3 3->16 @32x32 (im2col matmul 1024x16x27)", 1024, 16, 27);
  for (int i = 0; i < 2; ++i) {
    bench_mat_mult("conv3x3 16->16 @32x32 (im2col matmul 1024x16x144)", 1024, 16, 144);
  }
  bench_elementwise("add 16x32x32", 16 * 32 * 32);
  bench_mat_mult("conv3x3 s2 16->32 @16x16 (im2col matmul 256x32x144)", 256, 32, 144);
  bench_mat_mult("conv3x3 32->32 @16x16 (im2col matmul 256x32x288)", 256, 32, 288);
  bench_mat_mult("conv1x1 s2 16->32 @16x16 (matmul 256x32x16)", 256, 32, 16);
  bench_elementwise("add 32x16x16", 32 * 16 * 16);
  bench_mat_mult("conv3x3 s2 32->64 @8x8 (im2col matmul 64x64x288)", 64, 64, 288);
  bench_mat_mult("conv3x3 64->64 @8x8 (im2col matmul 64x64x576)", 64, 64, 576);
  bench_mat_mult("conv1x1 s2 32->64 @8x8 (matmul 64x64x32)", 64, 64, 32);
  bench_elementwise("add 64x8x8", 64 * 8 * 8);
  bench_pool("avg pool 8x8 64ch (global)", true, 8, 8, 64, 8, 8, 1, 1, 1);
  bench_mat_mult("fully connected 64->10 (kernel_sum)", 1, 10, 64, 0);
  end_model("resnet8");

  put("-- mobilenet_v1_025 (input 96x96x3) --\n");
  begin_model();
  bench_mat_mult("conv3x3 s2 3->8 @48x48 (im2col matmul 2304x8x27)", 2304, 8, 27);
  struct Block {
    int32_t in_hw, c_in, stride, c_out;
  };
  const Block blocks[] = {{48, 8, 1, 16},  {48, 16, 2, 32}, {24, 32, 1, 32},  {24, 32, 2, 64},
                          {12, 64, 1, 64}, {12, 64, 2, 128}, {6, 128, 1, 128}, {6, 128, 1, 128},
                          {6, 128, 1, 128}, {6, 128, 1, 128}, {6, 128, 1, 128}, {6, 128, 2, 256},
                          {3, 256, 1, 256}};
  for (const Block& b : blocks) {
    const int32_t out_hw = b.stride == 1 ? b.in_hw : b.in_hw / 2;
    bench_depthwise(b.stride == 1 ? "depthwise 3x3" : "depthwise 3x3 s2", b.in_hw, b.in_hw,
                    b.c_in, 1, 3, 3, b.stride, 1, 1, out_hw, out_hw);
    bench_mat_mult("pointwise", out_hw * out_hw, b.c_out, b.c_in);
  }
  bench_pool("avg pool 3x3 256ch (global)", true, 3, 3, 256, 3, 3, 1, 1, 1);
  bench_mat_mult("fully connected 256->2 (kernel_sum)", 1, 2, 256, 0);
  end_model("mobilenet_v1_025");

  put("-- deep_autoencoder (input 640) --\n");
  begin_model();
  const int32_t fc[][2] = {{640, 128}, {128, 128}, {128, 128}, {128, 128}, {128, 8},
                           {8, 128},   {128, 128}, {128, 128}, {128, 128}, {128, 640}};
  for (const auto& f : fc) bench_mat_mult("fully connected (kernel_sum)", 1, f[1], f[0], 0);
  end_model("deep_autoencoder");
  put("other primitives:\n");
  bench_pool("max pool 2x2 s2 16ch @32x32", false, 32, 32, 16, 2, 2, 2, 16, 16);
  return 0;
}
