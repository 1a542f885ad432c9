// Portable C++ implementations of the int8 primitives of nn_s8.h: the
// reference every other path is compared with, bit for bit, and the path of
// every platform without Helium.
#include <string.h>

#include "kernels/cortex_m/nn_s8.h"

namespace slimtorch {
namespace cortex_m {

static inline int8_t output_stage(int32_t acc, const Requant& rq, int32_t channel) {
  const int32_t i = rq.per_channel ? channel : 0;
  const int32_t v = requantize(acc, rq.multipliers[i], rq.shifts[i]) + rq.output_offset;
  return static_cast<int8_t>(clamp_i32(v, rq.activation_min, rq.activation_max));
}

void mat_mult_s8_plain(const MatMulArgs& a) {
  for (int32_t m = 0; m < a.rows; ++m) {
    const int8_t* lhs = a.lhs + static_cast<intptr_t>(m) * a.lhs_stride;
    int8_t* dst = a.dst + static_cast<intptr_t>(m) * a.dst_stride;
    for (int32_t n = 0; n < a.cols; ++n) {
      const int8_t* rhs = a.rhs + static_cast<intptr_t>(n) * a.depth;
      int32_t acc = a.col_bias != nullptr ? a.col_bias[n] : 0;
      for (int32_t k = 0; k < a.depth; ++k) {
        acc += (lhs[k] + a.lhs_offset) * (rhs[k] + a.rhs_offset);
      }
      dst[n] = output_stage(acc, a.rq, n);
    }
  }
}

void depthwise_s8_plain(const DepthwiseArgs& a) {
  const int32_t out_c = a.in_c * a.mult;
  for (int32_t oy = 0; oy < a.out_h; ++oy) {
    for (int32_t ox = 0; ox < a.out_w; ++ox) {
      int8_t* out = a.out + (static_cast<intptr_t>(oy) * a.out_w + ox) * out_c;
      for (int32_t oc = 0; oc < out_c; ++oc) {
        const int32_t c = oc / a.mult;
        int32_t acc = a.bias != nullptr ? a.bias[oc] : 0;
        for (int32_t ky = 0; ky < a.kh; ++ky) {
          const int32_t iy = oy * a.stride_h - a.pad_top + ky * a.dilation_h;
          if (iy < 0 || iy >= a.in_h) continue;
          for (int32_t kx = 0; kx < a.kw; ++kx) {
            const int32_t ix = ox * a.stride_w - a.pad_left + kx * a.dilation_w;
            if (ix < 0 || ix >= a.in_w) continue;
            const int32_t x = a.in[(static_cast<intptr_t>(iy) * a.in_w + ix) * a.in_c + c];
            const int32_t w = a.w[(static_cast<intptr_t>(ky) * a.kw + kx) * out_c + oc];
            acc += (x + a.input_offset) * w;
          }
        }
        out[oc] = output_stage(acc, a.rq, oc);
      }
    }
  }
}

void add_s8_plain(const AddArgs& a) {
  constexpr int kLeftShift = 20;  // CMSIS-NN's input headroom for int8 add
  for (int32_t i = 0; i < a.n; ++i) {
    const int32_t x = requantize((a.a[i] + a.a_offset) * (1 << kLeftShift), a.a_mult, a.a_shift);
    const int32_t y = requantize((a.b[i] + a.b_offset) * (1 << kLeftShift), a.b_mult, a.b_shift);
    const int32_t v = requantize(x + y, a.out_mult, a.out_shift) + a.out_offset;
    a.out[i] = static_cast<int8_t>(clamp_i32(v, a.act_min, a.act_max));
  }
}

void mul_s8_plain(const MulArgs& a) {
  for (int32_t i = 0; i < a.n; ++i) {
    const int32_t p = (a.a[i] + a.a_offset) * (a.b[i] + a.b_offset);
    const int32_t v = requantize(p, a.out_mult, a.out_shift) + a.out_offset;
    a.out[i] = static_cast<int8_t>(clamp_i32(v, a.act_min, a.act_max));
  }
}

void max_pool_s8_plain(const PoolArgs& a) {
  for_each_window(a, [&](int32_t oy, int32_t ox, int32_t y0, int32_t y1, int32_t x0, int32_t x1) {
    int8_t* out = a.out + (static_cast<intptr_t>(oy) * a.out_w + ox) * a.c;
    for (int32_t c = 0; c < a.c; ++c) {
      int32_t m = -128;
      for (int32_t y = y0; y < y1; ++y) {
        for (int32_t x = x0; x < x1; ++x) {
          const int32_t v = a.in[(static_cast<intptr_t>(y) * a.in_w + x) * a.c + c];
          if (v > m) m = v;
        }
      }
      out[c] = static_cast<int8_t>(clamp_i32(m, a.act_min, a.act_max));
    }
  });
}

void avg_pool_s8_plain(const PoolArgs& a) {
  for_each_window(a, [&](int32_t oy, int32_t ox, int32_t y0, int32_t y1, int32_t x0, int32_t x1) {
    int8_t* out = a.out + (static_cast<intptr_t>(oy) * a.out_w + ox) * a.c;
    const int32_t count = (y1 - y0) * (x1 - x0);
    for (int32_t c = 0; c < a.c; ++c) {
      int32_t sum = 0;
      for (int32_t y = y0; y < y1; ++y) {
        for (int32_t x = x0; x < x1; ++x) sum += a.in[(static_cast<intptr_t>(y) * a.in_w + x) * a.c + c];
      }
      int32_t v = 0;
      if (count > 0) v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
      out[c] = static_cast<int8_t>(clamp_i32(v, a.act_min, a.act_max));
    }
  });
}

void fold_offset_s8_plain(const int8_t* rhs, int32_t cols, int32_t depth, const int32_t* col_bias,
                          int32_t lhs_offset, int32_t* dst) {
  for (int32_t n = 0; n < cols; ++n) {
    uint32_t sum = 0;
    for (int32_t k = 0; k < depth; ++k) {
      sum += static_cast<uint32_t>(static_cast<int32_t>(rhs[static_cast<intptr_t>(n) * depth + k]));
    }
    const uint32_t b = col_bias != nullptr ? static_cast<uint32_t>(col_bias[n]) : 0u;
    dst[n] = static_cast<int32_t>(b + sum * static_cast<uint32_t>(lhs_offset));
  }
}

void im2col_s8_plain(const Im2colArgs& a) {
  const int32_t depth = a.kh * a.kw * a.cig;
  for (int32_t r = 0; r < a.n; ++r) {
    const int32_t oy = (a.p0 + r) / a.out_w, ox = (a.p0 + r) % a.out_w;
    int8_t* row = a.rows + static_cast<intptr_t>(r) * depth;
    for (int32_t ky = 0; ky < a.kh; ++ky) {
      const int32_t iy = oy * a.stride_h - a.pad_top + ky * a.dilation_h;
      for (int32_t kx = 0; kx < a.kw; ++kx) {
        const int32_t ix = ox * a.stride_w - a.pad_left + kx * a.dilation_w;
        int8_t* t = row + (ky * a.kw + kx) * a.cig;
        if (iy < 0 || iy >= a.in_h || ix < 0 || ix >= a.in_w) {
          memset(t, static_cast<uint8_t>(a.pad_value), static_cast<size_t>(a.cig));
        } else {
          memcpy(t, a.in + (static_cast<intptr_t>(iy) * a.in_w + ix) * a.in_c + a.c0,
                 static_cast<size_t>(a.cig));
        }
      }
    }
  }
}

void quantize_s8_plain(const QuantizeArgs& a) {
  const float zp = static_cast<float>(a.zero_point);
  for (int32_t k = 0; k < a.n; ++k) {
    const float r = round_half_even(a.in[static_cast<intptr_t>(k) * a.in_stride] * a.inv_scale);
    a.out[static_cast<intptr_t>(k) * a.out_stride] =
        static_cast<int8_t>(round_clamp(r + zp, a.qmin, a.qmax));
  }
}

}  // namespace cortex_m
}  // namespace slimtorch
