#include "backends/xnnpack/xnnpack_backend.h"

#include <pthread.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#include <new>

#include "backends/xnnpack/own_ops.h"
#include "backends/xnnpack/scratch.h"
#include "backends/xnnpack/xnn_graph.h"
#include "backends/xnnpack/xnn_schema.h"
#include "runtime/core/evalue.h"
#include "runtime/core/result.h"
#include "runtime/platform/log.h"

namespace slimtorch {
namespace xnnpack {

namespace s = xnn_schema;

namespace {

size_t g_num_threads = 1;

const char* status_name(xnn_status st) {
  switch (st) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid_parameter";
    case xnn_status_invalid_state: return "invalid_state";
    case xnn_status_unsupported_parameter: return "unsupported_parameter";
    case xnn_status_unsupported_hardware: return "unsupported_hardware";
    case xnn_status_out_of_memory: return "out_of_memory";
  }
  return "unknown";
}

// One stage: a run of XNNPACK nodes (one runtime) or one own-code node.
struct Stage {
  bool native = false;
  uint32_t first = 0;  // node range [first, first + count)
  uint32_t count = 0;
  xnn_runtime_t runtime = nullptr;
  uint32_t num_ext = 0;
  xnn_external_value* ext = nullptr;  // {local external id, data} for setup
  uint32_t* ext_value = nullptr;      // graph value id of each
  bool set_up = false;                // ext[].data are what the runtime was set up with
  OwnOp own;
};

// A failure on the worker thread, formatted by wait() on the caller's thread
// (the last-error buffer is not thread-safe).
struct RunFailure {
  xnn_status status = xnn_status_success;
  uint32_t stage = 0;
  const char* call = "";
};

struct Handle {
  explicit Handle(BumpAllocator* arena) : scratch(arena) {}
  Scratch scratch;
  XnnGraph g;
  Stage* stages = nullptr;
  uint32_t num_stages = 0;
  void** ptr = nullptr;        // per value: its memory (constant, buffer, or the bound argument)
  uint32_t* arg_value = nullptr;  // per argument (inputs then outputs): its value id
  uint32_t num_args = 0;
  pthreadpool_t pool = nullptr;
  // Worker: state 0 idle, 1 work pending/running, 2 done, 3 quit.
  pthread_t thread;
  bool thread_started = false;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int state = 0;
  RunFailure failure;
  bool failed = false;
};

bool is_native(uint8_t type) {
  return !is_own_type(type) && type != s::kScaledDotProductAttention && type != s::kNone && type < s::kNumNodeTypes;
}

// Defines value `v` in `sg` as external `ext` (or internal for kNoValue).
xnn_status define_value(xnn_subgraph_t sg, const XnnValue& v, uint32_t ext, uint32_t flags, uint32_t* id) {
  size_t dims[kMaxDims];
  for (uint32_t d = 0; d < v.ndim; ++d) dims[d] = v.dims[d];
  const xnn_datatype dt = static_cast<xnn_datatype>(v.datatype);
  if (v.quant == s::kPerTensorQuant) {
    return xnn_define_quantized_tensor_value(sg, dt, v.zero_point, v.scale, v.ndim, dims, v.data, ext, flags, id);
  }
  if (v.quant == s::kPerChannelQuant) {
    return xnn_define_channelwise_quantized_tensor_value(sg, dt, v.scales, v.ndim, v.channel_dim, dims, v.data, ext,
                                                         flags, id);
  }
  return xnn_define_tensor_value(sg, dt, v.ndim, dims, v.data, ext, flags, id);
}

// Reads a [uint] vector of `n` entries into size_t out[]; false when it is not that.
bool read_sizes(const Fb& fb, const Fb::Table& t, int field, uint32_t n, size_t* out) {
  const Fb::Vec v = fb.vec(t, field, 4);
  if (fb.bad() || v.len != n || n > kMaxDims) return false;
  for (uint32_t i = 0; i < n; ++i) out[i] = static_cast<uint32_t>(fb.vec_i32(v, i));
  return true;
}

// Debian's XNNPACK refuses per-channel int8 weights in fully connected nodes
// but takes them in convolutions: in [M, K] -> reshape [M, 1, 1, K] -> 1x1
// convolution with the weights as [O, 1, 1, K] -> [M, 1, 1, O] -> reshape to
// the output's dims. The extra values are internal to the stage.
Error define_fc_as_conv(xnn_subgraph_t sg, const XnnGraph& g, uint32_t n, const uint32_t* lid) {
  const XnnNode& node = g.nodes[n];
  const XnnValue& in = g.values[node.in[0]];
  const XnnValue& out = g.values[node.out];
  XnnValue w = g.values[node.in[1]];
  if (w.ndim != 2 || in.ndim < 1 || out.ndim < 1 || w.channel_dim != 0) {
    return ST_FAIL(Error::NotSupported, "{s}: node {} (XNNFullyConnected): per-channel weights of {} dims", g.name, n,
                   w.ndim);
  }
  const uint32_t o = w.dims[0], k = w.dims[1];
  if (k == 0 || in.dims[in.ndim - 1] != k || out.dims[out.ndim - 1] != o) {
    return ST_FAIL(Error::InvalidProgram, "{s}: node {} (XNNFullyConnected): input, weights and output disagree", g.name,
                   n);
  }
  XnnValue in4 = in, out4 = out;
  const uint32_t m = static_cast<uint32_t>(in.numel / k);
  in4.ndim = out4.ndim = w.ndim = 4;
  const uint32_t di[4] = {m, 1, 1, k}, dout[4] = {m, 1, 1, o}, dw[4] = {o, 1, 1, k};
  for (int d = 0; d < 4; ++d) {
    in4.dims[d] = di[d];
    out4.dims[d] = dout[d];
    w.dims[d] = dw[d];
  }
  in4.data = out4.data = nullptr;
  uint32_t in_id, out_id, w_id;
  size_t shape_in[4] = {m, 1, 1, k};
  size_t shape_out[kMaxDims];
  for (uint32_t d = 0; d < out.ndim; ++d) shape_out[d] = out.dims[d];
  const uint32_t bias = node.in[2] == kNoValue ? XNN_INVALID_VALUE_ID : lid[node.in[2]];
  xnn_status st = define_value(sg, in4, XNN_INVALID_VALUE_ID, 0, &in_id);
  if (st == xnn_status_success) st = define_value(sg, out4, XNN_INVALID_VALUE_ID, 0, &out_id);
  if (st == xnn_status_success) st = define_value(sg, w, XNN_INVALID_VALUE_ID, 0, &w_id);
  if (st == xnn_status_success) st = xnn_define_static_reshape(sg, 4, shape_in, lid[node.in[0]], in_id, 0);
  if (st == xnn_status_success) {
    st = xnn_define_convolution_2d(sg, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, k, o, node.out_min, node.out_max, in_id, w_id,
                                   bias, out_id, 0);
  }
  if (st == xnn_status_success) st = xnn_define_static_reshape(sg, out.ndim, shape_out, out_id, lid[node.out], 0);
  if (st != xnn_status_success) {
    return ST_FAIL(Error::NotSupported,
                   "{s}: node {} (XNNFullyConnected, per-channel int8 weights as a 1x1 convolution): Debian's XNNPACK "
                   "refused it ({s})",
                   g.name, n, status_name(st));
  }
  return Error::Ok;
}

// What Debian's XNNPACK (2022) assumes of node `n` without checking it: the
// shapes of its values (it computes the output's size from the input and the
// parameters, and reads/writes that much), parameters >= 1, flags it knows.
// A node failing this would make XNNPACK read or write out of bounds.
Error check_native(const XnnGraph& g, uint32_t n) {
  const XnnNode& node = g.nodes[n];
  const Fb& fb = g.fb;
  const char* type = s::node_type_name(node.type);
  auto bad = [&](const char* what) {
    return ST_FAIL(Error::InvalidProgram, "{s}: node {} ({s}): {s}", g.name, n, type, what);
  };
  auto u = [&](int f) { return fb.u32(node.t, f); };
  const XnnValue& in = g.values[node.in[0]];
  const XnnValue& out = g.values[node.out];
  for (uint32_t k = 0; k < node.n_in; ++k) {
    if (node.in[k] != kNoValue && g.values[node.in[k]].numel == 0) return bad("an input has a 0 dimension");
  }
  if (out.numel == 0) return bad("the output has a 0 dimension");
  auto same_shape = [](const XnnValue& a, const XnnValue& b) {
    if (a.ndim != b.ndim) return false;
    for (uint32_t d = 0; d < a.ndim; ++d) {
      if (a.dims[d] != b.dims[d]) return false;
    }
    return true;
  };
  // Output size of a window of `k` (dilated) over `x` padded by `pa` + `pb` with `stride`.
  auto window = [](uint64_t x, uint64_t pa, uint64_t pb, uint64_t k, uint64_t stride, uint64_t dil, uint64_t* o) {
    const uint64_t padded = x + pa + pb;
    const uint64_t eff = (k - 1) * dil + 1;
    if (k == 0 || stride == 0 || dil == 0 || padded < eff) return false;
    *o = (padded - eff) / stride + 1;
    return true;
  };
  const uint32_t fl = node.flags;
  switch (node.type) {
    case s::kAdd: case s::kSubtract: case s::kMultiply: case s::kDiv: case s::kMinimum: case s::kMaximum: {
      const XnnValue& b = g.values[node.in[1]];
      const uint32_t nd = in.ndim > b.ndim ? in.ndim : b.ndim;
      if (out.ndim != nd) return bad("the output's rank is not the inputs' broadcast rank");
      for (uint32_t d = 0; d < nd; ++d) {
        const uint32_t da = d + in.ndim >= nd ? in.dims[d + in.ndim - nd] : 1;
        const uint32_t db = d + b.ndim >= nd ? b.dims[d + b.ndim - nd] : 1;
        if (da != db && da != 1 && db != 1) return bad("the inputs' shapes do not broadcast");
        if (out.dims[d] != (da > db ? da : db)) return bad("the output's shape is not the inputs' broadcast shape");
      }
      if (fl != 0) return bad("unknown flags");
      return Error::Ok;
    }
    case s::kPReLU: {
      const XnnValue& slope = g.values[node.in[1]];
      if (in.ndim != 4 || slope.ndim != 1 || slope.dims[0] != in.dims[3] || !same_shape(in, out)) {
        return bad("input must be 4-d NHWC, slope 1-d of its channels, output the input's shape");
      }
      return fl == 0 ? Error::Ok : bad("unknown flags");
    }
    case s::kFullyConnected: {
      const XnnValue& w = g.values[node.in[1]];
      if (w.ndim != 2 || in.ndim < 1 || out.ndim < 1) return bad("filter must be 2-d, input and output >= 1-d");
      if ((fl & ~XNN_FLAG_TRANSPOSE_WEIGHTS) != 0) return bad("unknown flags");
      const uint32_t o = (fl & XNN_FLAG_TRANSPOSE_WEIGHTS) ? w.dims[1] : w.dims[0];
      const uint32_t k = (fl & XNN_FLAG_TRANSPOSE_WEIGHTS) ? w.dims[0] : w.dims[1];
      if (in.dims[in.ndim - 1] != k) return bad("input's last dim != filter input channels");
      if (out.dims[out.ndim - 1] != o || out.numel != in.numel / k * o) {
        return bad("output shape is not the input's with filter output channels last");
      }
      if (node.in[2] != kNoValue) {
        const XnnValue& bias = g.values[node.in[2]];
        if (bias.ndim != 1 || bias.dims[0] != o) return bad("bias is not 1-d of the output channels");
      }
      return Error::Ok;
    }
    case s::kConv2d: case s::kDepthwiseConv2d: case s::kConvTranspose2d: {
      const XnnValue& w = g.values[node.in[1]];
      if (in.ndim != 4 || out.ndim != 4 || w.ndim != 4) return bad("input, filter and output must be 4-d (NHWC)");
      if (fl != 0) return bad("unknown flags (only explicit padding is supported)");
      const uint64_t kh = u(s::kConvKernelH), kw = u(s::kConvKernelW), sh = u(s::kConvStrideH),
                     sw = u(s::kConvStrideW), dh = u(s::kConvDilationH), dw = u(s::kConvDilationW);
      const uint64_t groups = u(s::kConvGroups), gin = u(s::kConvGroupIn), gout = u(s::kConvGroupOut);
      const uint64_t pt = u(s::kConvPadTop), pr = u(s::kConvPadRight), pb = u(s::kConvPadBottom),
                     pl = u(s::kConvPadLeft);
      if (kh == 0 || kw == 0 || sh == 0 || sw == 0 || dh == 0 || dw == 0 || groups == 0 || gin == 0 || gout == 0) {
        return bad("kernel, stride, dilation, groups and group channels must be >= 1");
      }
      if (pt > (1u << 16) || pr > (1u << 16) || pb > (1u << 16) || pl > (1u << 16)) return bad("padding too large");
      uint64_t oc = groups * gout, ic = groups * gin;
      if (node.type == s::kDepthwiseConv2d) {
        // XNNPACK's depthwise: input channels = groups, depth multiplier = gout / gin, filter 1HWO.
        if (gout % gin != 0) return bad("group_output_channels is not a multiple of group_input_channels");
        ic = groups;
        oc = groups * (gout / gin);
        if (w.dims[0] != 1 || w.dims[1] != kh || w.dims[2] != kw || w.dims[3] != oc) {
          return bad("filter is not [1, kernel_height, kernel_width, output channels]");
        }
      } else if (w.dims[0] != oc || w.dims[1] != kh || w.dims[2] != kw || w.dims[3] != gin) {
        return bad("filter is not [groups x group_output_channels, kernel_height, kernel_width, group_input_channels]");
      }
      if (in.dims[3] != ic) return bad("input channels != groups x group_input_channels");
      if (out.dims[3] != oc || out.dims[0] != in.dims[0]) return bad("output batch or channels do not match");
      uint64_t oh = 0, ow = 0;
      if (node.type == s::kConvTranspose2d) {
        const uint64_t ah = u(s::kConvAdjustH), aw = u(s::kConvAdjustW);
        if (ah >= sh || aw >= sw) return bad("adjustment must be < stride");
        const uint64_t fh = sh * (in.dims[1] - 1) + ah + (kh - 1) * dh + 1;
        const uint64_t fw = sw * (in.dims[2] - 1) + aw + (kw - 1) * dw + 1;
        if (fh <= pt + pb || fw <= pl + pr) return bad("padding removes the whole output");
        oh = fh - pt - pb;
        ow = fw - pl - pr;
      } else if (!window(in.dims[1], pt, pb, kh, sh, dh, &oh) || !window(in.dims[2], pl, pr, kw, sw, dw, &ow)) {
        return bad("the dilated kernel is larger than the padded input");
      }
      if (out.dims[1] != oh || out.dims[2] != ow) return bad("declared output height/width != computed");
      if (node.in[2] != kNoValue) {
        const XnnValue& bias = g.values[node.in[2]];
        if (bias.ndim != 1 || bias.dims[0] != oc) return bad("bias is not 1-d of the output channels");
      }
      return Error::Ok;
    }
    case s::kAvgPooling2d: case s::kMaxPooling2d: {
      if (in.ndim != 4 || out.ndim != 4) return bad("input and output must be 4-d (NHWC)");
      if ((fl & ~0x40u) != 0) return bad("unknown flags (only explicit padding is supported)");
      const uint64_t ph = u(s::kPoolH), pw = u(s::kPoolW), sh = u(s::kPoolStrideH), sw = u(s::kPoolStrideW);
      const uint64_t dh = node.type == s::kMaxPooling2d ? u(s::kPoolDilationH) : 1;
      const uint64_t dw = node.type == s::kMaxPooling2d ? u(s::kPoolDilationW) : 1;
      const uint64_t pt = u(s::kPoolPadTop), pr = u(s::kPoolPadRight), pb = u(s::kPoolPadBottom),
                     pl = u(s::kPoolPadLeft);
      if (pt >= ph * dh || pb >= ph * dh || pl >= pw * dw || pr >= pw * dw) return bad("padding >= pooling window");
      uint64_t oh = 0, ow = 0;
      if (!window(in.dims[1], pt, pb, ph, sh, dh, &oh) || !window(in.dims[2], pl, pr, pw, sw, dw, &ow)) {
        return bad("pooling window, stride or dilation 0, or the window is larger than the padded input");
      }
      if (out.dims[0] != in.dims[0] || out.dims[3] != in.dims[3] || out.dims[1] != oh || out.dims[2] != ow) {
        return bad("declared output shape != computed");
      }
      return Error::Ok;
    }
    case s::kGlobalAvgPooling2d:
      if (in.ndim != 4 || out.ndim != 4 || out.dims[0] != in.dims[0] || out.dims[1] != 1 || out.dims[2] != 1 ||
          out.dims[3] != in.dims[3]) {
        return bad("input must be 4-d NHWC and output [N, 1, 1, C]");
      }
      return (fl & ~0x40u) == 0 ? Error::Ok : bad("unknown flags");
    case s::kArgMaxPooling2d: {
      const XnnValue& idx = g.values[node.out2];
      const uint64_t ph = u(4), pw = u(5);
      if (in.ndim != 4 || !same_shape(out, idx) || out.ndim != 4 || ph == 0 || pw == 0) {
        return bad("input and outputs must be 4-d, the pooling window >= 1");
      }
      const uint64_t fh = in.dims[1] + uint64_t{u(0)} + u(2), fw = in.dims[2] + uint64_t{u(1)} + u(3);
      if (fh < ph || fw < pw || out.dims[1] != fh / ph || out.dims[2] != fw / pw || out.dims[0] != in.dims[0] ||
          out.dims[3] != in.dims[3]) {
        return bad("declared output shape != computed");
      }
      return fl == 0 ? Error::Ok : bad("unknown flags");
    }
    case s::kSoftmax:
      if (in.ndim < 1 || !same_shape(in, out)) return bad("output shape != input shape");
      return fl == 0 ? Error::Ok : bad("unknown flags");
    case s::kSigmoid: case s::kFloor: case s::kCeiling: case s::kHardswish: case s::kNegate: case s::kSquare:
    case s::kSquareRoot: case s::kAbs: case s::kConvert: case s::kClamp: case s::kELU: case s::kLeakyReLU:
      if (!same_shape(in, out)) return bad("output shape != input shape");
      return fl == 0 ? Error::Ok : bad("unknown flags");
    case s::kStaticReshape: {
      const uint32_t nd = u(s::kRsNumDims);
      const Fb::Vec shape = fb.vec(node.t, s::kRsNewShape, 4);
      if (fb.bad() || shape.len != nd || nd != out.ndim) return bad("new_shape does not have the output's rank");
      for (uint32_t d = 0; d < nd; ++d) {
        if (static_cast<uint32_t>(fb.vec_i32(shape, d)) != out.dims[d]) return bad("new_shape != the output's dims");
      }
      if (out.numel != in.numel) return bad("input and output element counts differ");
      return fl == 0 ? Error::Ok : bad("unknown flags");
    }
    case s::kStaticConstantPad: {
      const Fb::Vec pre = fb.vec(node.t, s::kPadPre, 4), post = fb.vec(node.t, s::kPadPost, 4);
      if (fb.bad() || pre.len != in.ndim || post.len != in.ndim || out.ndim != in.ndim) {
        return bad("paddings or output do not have the input's rank");
      }
      for (uint32_t d = 0; d < in.ndim; ++d) {
        const uint64_t want = uint64_t{in.dims[d]} + static_cast<uint32_t>(fb.vec_i32(pre, d)) +
                              static_cast<uint32_t>(fb.vec_i32(post, d));
        if (out.dims[d] != want) return bad("output dims != input + paddings");
      }
      return fl == 0 ? Error::Ok : bad("unknown flags");
    }
    case s::kStaticResizeBilinear2D: {
      const uint32_t nh = u(s::kRzNewHeight), nw = u(s::kRzNewWidth);
      if (in.ndim != 4 || out.ndim != 4 || nh == 0 || nw == 0 || out.dims[0] != in.dims[0] || out.dims[1] != nh ||
          out.dims[2] != nw || out.dims[3] != in.dims[3]) {
        return bad("input must be 4-d NHWC and output [N, new_height, new_width, C]");
      }
      const uint32_t known = XNN_FLAG_ALIGN_CORNERS | XNN_FLAG_TENSORFLOW_LEGACY_MODE;
      return (fl & ~known) == 0 ? Error::Ok : bad("unknown flags");
    }
    default:
      return bad("not a node type this backend hands to XNNPACK");
  }
}

// Defines node `n` in `sg`; lid maps graph value ids to subgraph ids.
Error define_node(xnn_subgraph_t sg, const XnnGraph& g, uint32_t n, const uint32_t* lid) {
  const XnnNode& node = g.nodes[n];
  const Fb& fb = g.fb;
  const Fb::Table& t = node.t;
  auto id = [&](uint32_t k) { return node.in[k] == kNoValue ? XNN_INVALID_VALUE_ID : lid[node.in[k]]; };
  const uint32_t out = lid[node.out];
  const float lo = node.out_min, hi = node.out_max;
  const uint32_t fl = node.flags;
  auto u = [&](int f) { return fb.u32(t, f); };
  xnn_status st = xnn_status_invalid_parameter;
  switch (node.type) {
    case s::kAdd: st = xnn_define_add2(sg, lo, hi, id(0), id(1), out, fl); break;
    case s::kSubtract: st = xnn_define_subtract(sg, lo, hi, id(0), id(1), out, fl); break;
    case s::kMultiply: st = xnn_define_multiply2(sg, lo, hi, id(0), id(1), out, fl); break;
    case s::kDiv: st = xnn_define_divide(sg, lo, hi, id(0), id(1), out, fl); break;
    case s::kMinimum: st = xnn_define_minimum2(sg, id(0), id(1), out, fl); break;
    case s::kMaximum: st = xnn_define_maximum2(sg, id(0), id(1), out, fl); break;
    case s::kPReLU: st = xnn_define_prelu(sg, id(0), id(1), out, fl); break;
    case s::kFullyConnected:
      if (g.values[node.in[1]].quant == s::kPerChannelQuant && fl == 0) return define_fc_as_conv(sg, g, n, lid);
      st = xnn_define_fully_connected(sg, lo, hi, id(0), id(1), id(2), out, fl);
      break;
    case s::kConv2d:
      st = xnn_define_convolution_2d(sg, u(s::kConvPadTop), u(s::kConvPadRight), u(s::kConvPadBottom),
                                     u(s::kConvPadLeft), u(s::kConvKernelH), u(s::kConvKernelW), u(s::kConvStrideH),
                                     u(s::kConvStrideW), u(s::kConvDilationH), u(s::kConvDilationW), u(s::kConvGroups),
                                     u(s::kConvGroupIn), u(s::kConvGroupOut), lo, hi, id(0), id(1), id(2), out, fl);
      break;
    case s::kDepthwiseConv2d: {
      const uint32_t gin = u(s::kConvGroupIn);
      if (gin == 0) {
        return ST_FAIL(Error::InvalidProgram, "{s}: node {} (XNNDepthwiseConv2d): group_input_channels is 0", g.name, n);
      }
      st = xnn_define_depthwise_convolution_2d(sg, u(s::kConvPadTop), u(s::kConvPadRight), u(s::kConvPadBottom),
                                               u(s::kConvPadLeft), u(s::kConvKernelH), u(s::kConvKernelW),
                                               u(s::kConvStrideH), u(s::kConvStrideW), u(s::kConvDilationH),
                                               u(s::kConvDilationW), u(s::kConvGroupOut) / gin, u(s::kConvGroups), lo, hi,
                                               id(0), id(1), id(2), out, fl);
      break;
    }
    case s::kConvTranspose2d:
      st = xnn_define_deconvolution_2d(sg, u(s::kConvPadTop), u(s::kConvPadRight), u(s::kConvPadBottom),
                                       u(s::kConvPadLeft), u(s::kConvAdjustH), u(s::kConvAdjustW), u(s::kConvKernelH),
                                       u(s::kConvKernelW), u(s::kConvStrideH), u(s::kConvStrideW), u(s::kConvDilationH),
                                       u(s::kConvDilationW), u(s::kConvGroups), u(s::kConvGroupIn), u(s::kConvGroupOut),
                                       lo, hi, id(0), id(1), id(2), out, fl);
      break;
    case s::kAvgPooling2d:
      // Flag 0x40 (newer XNNPACK's KEEP_DIMS, set by upstream) means nothing to pooling here.
      st = xnn_define_average_pooling_2d(sg, u(s::kPoolPadTop), u(s::kPoolPadRight), u(s::kPoolPadBottom),
                                         u(s::kPoolPadLeft), u(s::kPoolH), u(s::kPoolW), u(s::kPoolStrideH),
                                         u(s::kPoolStrideW), lo, hi, id(0), out, fl & ~0x40u);
      break;
    case s::kMaxPooling2d:
      st = xnn_define_max_pooling_2d(sg, u(s::kPoolPadTop), u(s::kPoolPadRight), u(s::kPoolPadBottom),
                                     u(s::kPoolPadLeft), u(s::kPoolH), u(s::kPoolW), u(s::kPoolStrideH),
                                     u(s::kPoolStrideW), u(s::kPoolDilationH), u(s::kPoolDilationW), lo, hi, id(0), out,
                                     fl & ~0x40u);
      break;
    case s::kGlobalAvgPooling2d: st = xnn_define_global_average_pooling_2d(sg, lo, hi, id(0), out, fl & ~0x40u); break;
    case s::kArgMaxPooling2d:
      st = xnn_define_argmax_pooling_2d(sg, u(0), u(1), u(2), u(3), u(4), u(5), id(0), out, lid[node.out2], fl);
      break;
    case s::kSoftmax: st = xnn_define_softmax(sg, id(0), out, fl); break;
    case s::kSigmoid: st = xnn_define_sigmoid(sg, id(0), out, fl); break;
    case s::kFloor: st = xnn_define_floor(sg, id(0), out, fl); break;
    case s::kCeiling: st = xnn_define_ceiling(sg, id(0), out, fl); break;
    case s::kHardswish: st = xnn_define_hardswish(sg, id(0), out, fl); break;
    case s::kNegate: st = xnn_define_negate(sg, id(0), out, fl); break;
    case s::kSquare: st = xnn_define_square(sg, id(0), out, fl); break;
    case s::kSquareRoot: st = xnn_define_square_root(sg, id(0), out, fl); break;
    case s::kAbs: st = xnn_define_abs(sg, id(0), out, fl); break;
    case s::kConvert: st = xnn_define_convert(sg, id(0), out, fl); break;
    case s::kClamp: st = xnn_define_clamp(sg, lo, hi, id(0), out, fl); break;
    case s::kELU: {
      float alpha;
      const uint32_t bits = u(s::kEluAlpha);
      memcpy(&alpha, &bits, 4);
      st = xnn_define_elu(sg, alpha, id(0), out, fl);
      break;
    }
    case s::kLeakyReLU: {
      float slope;
      const uint32_t bits = u(s::kLrSlope);
      memcpy(&slope, &bits, 4);
      st = xnn_define_leaky_relu(sg, slope, id(0), out, fl);
      break;
    }
    case s::kStaticReshape: {
      size_t shape[kMaxDims];
      const uint32_t nd = u(s::kRsNumDims);
      if (!read_sizes(fb, t, s::kRsNewShape, nd, shape)) {
        return ST_FAIL(Error::InvalidProgram, "{s}: node {} (XNNStaticReshape): num_dims {} does not match new_shape",
                       g.name, n, nd);
      }
      st = xnn_define_static_reshape(sg, nd, shape, id(0), out, fl);
      break;
    }
    case s::kStaticConstantPad: {
      size_t pre[kMaxDims], post[kMaxDims];
      const uint32_t nd = g.values[node.in[0]].ndim;
      if (!read_sizes(fb, t, s::kPadPre, nd, pre) || !read_sizes(fb, t, s::kPadPost, nd, post)) {
        return ST_FAIL(Error::InvalidProgram, "{s}: node {} (XNNStaticConstantPad): paddings do not have {} entries",
                       g.name, n, nd);
      }
      float value;
      const uint32_t bits = u(s::kPadValue);
      memcpy(&value, &bits, 4);
      st = xnn_define_static_constant_pad(sg, pre, post, value, id(0), out, fl);
      break;
    }
    case s::kStaticResizeBilinear2D:
      st = xnn_define_static_resize_bilinear_2d(sg, u(s::kRzNewHeight), u(s::kRzNewWidth), id(0), out, fl);
      break;
    default:
      return ST_FAIL(Error::Internal, "{s}: node {} ({s}) is not an XNNPACK node here", g.name, n,
                     s::node_type_name(node.type));
  }
  if (fb.bad()) {
    return ST_FAIL(Error::InvalidProgram, "{s}: node {} ({s}) has a malformed field", g.name, n,
                   s::node_type_name(node.type));
  }
  if (st != xnn_status_success) {
    return ST_FAIL(Error::NotSupported, "{s}: node {} ({s}): Debian's XNNPACK refused it ({s})", g.name, n,
                   s::node_type_name(node.type), status_name(st));
  }
  return Error::Ok;
}

// Builds the XNNPACK runtime of native stage `si`. producer[v]: stage writing v
// (-1: graph input or constant); outside[v]: v is read or returned outside its
// producer's stage (so it is external to that stage and to the ones reading it).
Error build_stage(Handle& h, uint32_t si, const int32_t* producer, const bool* outside, uint32_t* lid) {
  Stage& st = h.stages[si];
  const XnnGraph& g = h.g;
  // 1. Which values are external to this stage, in first-use order.
  for (uint32_t v = 0; v < g.num_values; ++v) lid[v] = kNoValue;
  uint32_t n_ext = 0;
  uint32_t* ext_value = h.scratch.array<uint32_t>(2 * g.num_values);
  if (ext_value == nullptr) return ST_FAIL(Error::OutOfMemory, "{s}: no memory for stage {}", g.name, si);
  uint32_t* ext_flags = ext_value + g.num_values;
  auto note = [&](uint32_t v, uint32_t flag) {
    if (v == kNoValue || g.values[v].data != nullptr) return;
    for (uint32_t k = 0; k < n_ext; ++k) {
      if (ext_value[k] == v) return;
    }
    ext_value[n_ext] = v;
    ext_flags[n_ext++] = flag;
  };
  for (uint32_t n = st.first; n < st.first + st.count; ++n) {
    const XnnNode& node = g.nodes[n];
    for (uint32_t k = 0; k < node.n_in; ++k) {
      const uint32_t v = node.in[k];
      if (v != kNoValue && producer[v] != static_cast<int32_t>(si)) note(v, XNN_VALUE_FLAG_EXTERNAL_INPUT);
    }
    if (outside[node.out]) note(node.out, XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
    if (node.out2 != kNoValue && outside[node.out2]) note(node.out2, XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
  }
  xnn_subgraph_t sg = nullptr;
  xnn_status status = xnn_create_subgraph(n_ext, 0, &sg);
  if (status != xnn_status_success) {
    return ST_FAIL(Error::NotSupported, "{s}: xnn_create_subgraph for stage {} failed ({s})", g.name, si,
                   status_name(status));
  }
  Error err = Error::Ok;
  for (uint32_t k = 0; k < n_ext && err == Error::Ok; ++k) {
    const uint32_t v = ext_value[k];
    status = define_value(sg, g.values[v], k, ext_flags[k], &lid[v]);
    if (status != xnn_status_success) {
      err = ST_FAIL(Error::NotSupported, "{s}: value {} ({s}, {} dims): XNNPACK refused it as an external value ({s})",
                    g.name, v, datatype_name(g.values[v].datatype), g.values[v].ndim, status_name(status));
    }
  }
  for (uint32_t n = st.first; n < st.first + st.count && err == Error::Ok; ++n) {
    const XnnNode& node = g.nodes[n];
    const uint32_t vals[kMaxNodeInputs + 2] = {node.in[0], node.in[1], node.in[2], node.in[3], node.in[4], node.out,
                                               node.out2};
    for (uint32_t k = 0; k < kMaxNodeInputs + 2 && err == Error::Ok; ++k) {
      const uint32_t v = vals[k];
      if (v == kNoValue || (k < kMaxNodeInputs && k >= node.n_in) || lid[v] != kNoValue) continue;
      status = define_value(sg, g.values[v], XNN_INVALID_VALUE_ID, 0, &lid[v]);
      if (status != xnn_status_success) {
        err = ST_FAIL(Error::NotSupported, "{s}: value {} ({s}, {} dims) of node {} ({s}): XNNPACK refused it ({s})",
                      g.name, v, datatype_name(g.values[v].datatype), g.values[v].ndim, n,
                      s::node_type_name(node.type), status_name(status));
      }
    }
    if (err == Error::Ok) err = define_node(sg, g, n, lid);
  }
  if (err == Error::Ok) {
    status = xnn_create_runtime_v2(sg, h.pool, 0, &st.runtime);
    if (status != xnn_status_success) {
      err = ST_FAIL(Error::NotSupported, "{s}: XNNPACK could not create the runtime of nodes {}..{} ({s})", g.name,
                    st.first, st.first + st.count - 1, status_name(status));
      st.runtime = nullptr;
    }
  }
  xnn_delete_subgraph(sg);
  if (err != Error::Ok) return err;
  st.num_ext = n_ext;
  st.ext_value = ext_value;
  st.ext = h.scratch.array<xnn_external_value>(n_ext);
  if (st.ext == nullptr) return ST_FAIL(Error::OutOfMemory, "{s}: no memory for stage {}", g.name, si);
  for (uint32_t k = 0; k < n_ext; ++k) st.ext[k].id = k;
  return Error::Ok;
}

void* worker_main(void* arg);

// Runs every stage on the bound arguments; false (and h.failure) on an XNNPACK error.
bool run_stages(Handle& h) {
  for (uint32_t si = 0; si < h.num_stages; ++si) {
    Stage& st = h.stages[si];
    if (!st.native) {
      run_own(st.own, h.ptr);
      continue;
    }
    bool changed = !st.set_up;
    for (uint32_t k = 0; k < st.num_ext; ++k) {
      void* p = h.ptr[st.ext_value[k]];
      changed |= st.ext[k].data != p;
      st.ext[k].data = p;
    }
    if (changed) {
      const xnn_status status = xnn_setup_runtime(st.runtime, st.num_ext, st.ext);
      if (status != xnn_status_success) {
        st.set_up = false;
        h.failure = RunFailure{status, si, "xnn_setup_runtime"};
        return false;
      }
      st.set_up = true;
    }
    const xnn_status status = xnn_invoke_runtime(st.runtime);
    if (status != xnn_status_success) {
      h.failure = RunFailure{status, si, "xnn_invoke_runtime"};
      return false;
    }
  }
  return true;
}

Error failure_error(const Handle& h) {
  return ST_FAIL(Error::KernelFailed, "{s}: {s} of stage {} failed ({s})", h.g.name, h.failure.call, h.failure.stage,
                 status_name(h.failure.status));
}

void* worker_main(void* arg) {
  Handle& h = *static_cast<Handle*>(arg);
  pthread_mutex_lock(&h.mu);
  for (;;) {
    while (h.state != 1 && h.state != 3) pthread_cond_wait(&h.cv, &h.mu);
    if (h.state == 3) break;
    pthread_mutex_unlock(&h.mu);
    const bool ok = run_stages(h);
    pthread_mutex_lock(&h.mu);
    h.failed = !ok;
    h.state = 2;
    pthread_cond_broadcast(&h.cv);
  }
  pthread_mutex_unlock(&h.mu);
  return nullptr;
}

bool xnn_available() { return xnn_initialize(nullptr) == xnn_status_success; }

void destroy(void* handle) {
  Handle* h = static_cast<Handle*>(handle);
  if (h == nullptr) return;
  if (h->thread_started) {
    pthread_mutex_lock(&h->mu);
    while (h->state == 1) pthread_cond_wait(&h->cv, &h->mu);  // a run still in flight ends first
    h->state = 3;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, nullptr);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
  }
  for (uint32_t i = 0; i < h->num_stages; ++i) {
    if (h->stages[i].runtime != nullptr) xnn_delete_runtime(h->stages[i].runtime);
  }
  if (h->pool != nullptr) pthreadpool_destroy(h->pool);
  h->scratch.release();
  h->~Handle();
  free(h);
}

Error init_handle(Handle& h, BackendInitContext& ctx, Span<const uint8_t> blob) {
  const char* name = ctx.delegate_id != nullptr ? ctx.delegate_id : "XnnpackBackend";
  ST_TRY(parse_graph(blob, ctx.program, name, h.scratch, &h.g));
  XnnGraph& g = h.g;
  // Arguments in upstream's order: ascending external id where every one has one.
  auto sort_by_external = [&](uint32_t* ids, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      if (g.values[ids[i]].external_id == kNoValue) return;
    }
    for (uint32_t i = 1; i < n; ++i) {  // insertion sort: a handful of ids
      const uint32_t x = ids[i];
      uint32_t j = i;
      for (; j > 0 && g.values[ids[j - 1]].external_id > g.values[x].external_id; --j) ids[j] = ids[j - 1];
      ids[j] = x;
    }
  };
  sort_by_external(g.inputs, g.num_inputs);
  sort_by_external(g.outputs, g.num_outputs);
  h.num_args = g.num_inputs + g.num_outputs;
  h.arg_value = h.scratch.array<uint32_t>(h.num_args);
  h.ptr = h.scratch.array<void*>(g.num_values);
  int32_t* producer = h.scratch.array<int32_t>(g.num_values);
  bool* outside = h.scratch.array<bool>(g.num_values);
  bool* is_arg = h.scratch.array<bool>(g.num_values);
  uint32_t* lid = h.scratch.array<uint32_t>(g.num_values);
  h.stages = h.scratch.array<Stage>(g.num_nodes);
  if (h.arg_value == nullptr || h.ptr == nullptr || producer == nullptr || outside == nullptr || is_arg == nullptr ||
      lid == nullptr || h.stages == nullptr) {
    return ST_FAIL(Error::OutOfMemory, "{s}: no memory for the tables of {} values", name, g.num_values);
  }
  for (uint32_t i = 0; i < g.num_inputs; ++i) h.arg_value[i] = g.inputs[i];
  for (uint32_t i = 0; i < g.num_outputs; ++i) h.arg_value[g.num_inputs + i] = g.outputs[i];
  for (uint32_t i = 0; i < h.num_args; ++i) is_arg[h.arg_value[i]] = true;

  // 1. Stages: maximal runs of native nodes; each own-code node alone.
  for (uint32_t v = 0; v < g.num_values; ++v) producer[v] = -1;
  for (uint32_t n = 0; n < g.num_nodes; ++n) {
    const XnnNode& node = g.nodes[n];
    const bool native = is_native(node.type);
    if (!native && !is_own_type(node.type)) {
      return ST_FAIL(Error::NotSupported,
                     "{s}: node {} is {s}, which neither Debian's XNNPACK (2022) nor this backend's own code runs", name,
                     n, s::node_type_name(node.type));
    }
    if (native) ST_TRY(check_native(g, n));
    if (native && h.num_stages > 0 && h.stages[h.num_stages - 1].native) {
      ++h.stages[h.num_stages - 1].count;
    } else {
      Stage* st = new (&h.stages[h.num_stages++]) Stage();
      st->native = native;
      st->first = n;
      st->count = 1;
      if (!native) ST_TRY(plan_own(g, n, &st->own));
    }
    producer[node.out] = static_cast<int32_t>(h.num_stages - 1);
    if (node.out2 != kNoValue) producer[node.out2] = static_cast<int32_t>(h.num_stages - 1);
  }
  // 2. Values seen outside their producing stage (or returned, or written by own code).
  for (uint32_t si = 0; si < h.num_stages; ++si) {
    const Stage& st = h.stages[si];
    for (uint32_t n = st.first; n < st.first + st.count; ++n) {
      const XnnNode& node = g.nodes[n];
      for (uint32_t k = 0; k < node.n_in; ++k) {
        const uint32_t v = node.in[k];
        if (v != kNoValue && producer[v] >= 0 && producer[v] != static_cast<int32_t>(si)) outside[v] = true;
      }
      if (!st.native) outside[node.out] = true;
    }
  }
  for (uint32_t i = 0; i < g.num_outputs; ++i) outside[g.outputs[i]] = true;
  // A value written but never read nor returned gets no memory from XNNPACK's
  // planner (its setup then asserts): give it a buffer of its own instead.
  for (uint32_t n = 0; n < g.num_nodes; ++n) {
    const uint32_t outs[2] = {g.nodes[n].out, g.nodes[n].out2};
    for (uint32_t v : outs) {
      if (v == kNoValue || outside[v]) continue;
      bool read = false;
      for (uint32_t m = n + 1; m < g.num_nodes && !read; ++m) {
        for (uint32_t k = 0; k < g.nodes[m].n_in; ++k) read |= g.nodes[m].in[k] == v;
      }
      if (!read) outside[v] = true;
    }
  }
  // 3. Memory: constants in place, arguments bound per run, a buffer for every
  // other value that leaves XNNPACK (plus XNNPACK's 16 bytes of read slack).
  for (uint32_t v = 0; v < g.num_values; ++v) {
    const XnnValue& val = g.values[v];
    if (val.data != nullptr) {
      h.ptr[v] = const_cast<uint8_t*>(val.data);
    } else if (outside[v] && !is_arg[v]) {
      h.ptr[v] = h.scratch.allocate(static_cast<size_t>(val.nbytes()) + 16);
      if (h.ptr[v] == nullptr) {
        return ST_FAIL(Error::OutOfMemory, "{s}: no memory for value {}'s {} bytes", name, v,
                       static_cast<int64_t>(val.nbytes()));
      }
    }
  }
  // 4. XNNPACK runtimes.
  const size_t threads = g_num_threads;
  if (threads > 1) {
    h.pool = pthreadpool_create(threads);
    if (h.pool == nullptr) return ST_FAIL(Error::OutOfMemory, "{s}: could not create a pool of {} threads", name, threads);
  }
  for (uint32_t si = 0; si < h.num_stages; ++si) {
    if (h.stages[si].native) ST_TRY(build_stage(h, si, producer, outside, lid));
  }
  // 5. The worker thread.
  pthread_mutex_init(&h.mu, nullptr);
  pthread_cond_init(&h.cv, nullptr);
  if (pthread_create(&h.thread, nullptr, worker_main, &h) != 0) {
    pthread_cond_destroy(&h.cv);
    pthread_mutex_destroy(&h.mu);
    return ST_FAIL(Error::OutOfMemory, "{s}: could not start the delegate's worker thread", name);
  }
  h.thread_started = true;
  return Error::Ok;
}

Error init(BackendInitContext& ctx, Span<const uint8_t> processed, const CompileSpec*, size_t, void** handle) {
  *handle = nullptr;
  const xnn_status status = xnn_initialize(nullptr);
  if (status != xnn_status_success) {
    return ST_FAIL(Error::MissingBackend, "XnnpackBackend: xnn_initialize failed ({s})", status_name(status));
  }
  void* mem = calloc(1, sizeof(Handle));
  if (mem == nullptr) return ST_FAIL(Error::OutOfMemory, "XnnpackBackend: no memory for a delegate handle");
  Handle* h = new (mem) Handle(ctx.arena);
  const Error e = init_handle(*h, ctx, processed);
  if (e != Error::Ok) {
    destroy(h);
    return e;
  }
  *handle = h;
  return Error::Ok;
}

// Checks the DelegateCall's arguments against the graph and binds their memory.
Error bind(Handle& h, EValue** args, size_t nargs) {
  const XnnGraph& g = h.g;
  if (nargs != h.num_args) {
    return ST_FAIL(Error::InvalidArgument, "{s}: the delegate takes {} inputs and {} outputs, got {} arguments", g.name,
                   g.num_inputs, g.num_outputs, static_cast<int64_t>(nargs));
  }
  for (uint32_t i = 0; i < h.num_args; ++i) {
    const XnnValue& v = g.values[h.arg_value[i]];
    const bool is_out = i >= g.num_inputs;
    const uint32_t k = is_out ? i - g.num_inputs : i;
    if (args[i] == nullptr || !args[i]->is_tensor()) {
      return ST_FAIL(Error::InvalidArgument, "{s}: {s} {} is not a tensor", g.name, is_out ? "output" : "input", k);
    }
    const Tensor& t = args[i]->to_tensor();
    ScalarType want;
    datatype_scalar_type(v.datatype, &want);
    if (t.dtype != want) {
      return ST_FAIL(Error::InvalidArgument, "{s}: {s} {} is {s}, the graph's value {} is {s}", g.name,
                     is_out ? "output" : "input", k, scalar_type_name(t.dtype), h.arg_value[i],
                     datatype_name(v.datatype));
    }
    if (t.numel != v.numel || t.data == nullptr) {
      return ST_FAIL(Error::InvalidArgument, "{s}: {s} {} has {} elements, the graph's value {} has {}", g.name,
                     is_out ? "output" : "input", k, t.numel, h.arg_value[i], static_cast<int64_t>(v.numel));
    }
    h.ptr[h.arg_value[i]] = t.data;
  }
  return Error::Ok;
}

Error wait(void* handle);

Error start(void* handle, EValue** args, size_t nargs) {
  Handle& h = *static_cast<Handle*>(handle);
  ST_TRY(wait(handle));  // a previous run of this delegate ends first
  ST_TRY(bind(h, args, nargs));
  pthread_mutex_lock(&h.mu);
  h.state = 1;
  h.failed = false;
  pthread_cond_broadcast(&h.cv);
  pthread_mutex_unlock(&h.mu);
  return Error::Ok;
}

Error wait(void* handle) {
  Handle& h = *static_cast<Handle*>(handle);
  pthread_mutex_lock(&h.mu);
  while (h.state == 1) pthread_cond_wait(&h.cv, &h.mu);
  const bool done = h.state == 2;
  const bool failed = done && h.failed;
  if (done) h.state = 0;
  pthread_mutex_unlock(&h.mu);
  return failed ? failure_error(h) : Error::Ok;
}

Error execute(void* handle, EValue** args, size_t nargs) {
  Handle& h = *static_cast<Handle*>(handle);
  ST_TRY(wait(handle));
  ST_TRY(bind(h, args, nargs));
  return run_stages(h) ? Error::Ok : failure_error(h);
}

}  // namespace

const Backend kXnnpackBackend = {"XnnpackBackend", xnn_available, init, execute, destroy, start, wait};

void set_num_threads(size_t n) { g_num_threads = n == 0 ? 1 : n; }
size_t num_threads() { return g_num_threads; }

}  // namespace xnnpack
}  // namespace slimtorch
