#include "backends/xnnpack/own_ops.h"

#include <math.h>
#include <string.h>

#include "backends/xnnpack/xnn_schema.h"
#include "runtime/platform/log.h"

namespace slimtorch {
namespace xnnpack {

namespace s = xnn_schema;

namespace {

bool is_float_unary(uint8_t t) {
  return t == s::kGelu || t == s::kTanh || t == s::kExp || t == s::kLog || t == s::kSin || t == s::kCos ||
         t == s::kReciprocalSquareRoot;
}

bool is_concat(uint8_t t) {
  return t == s::kConcatenate2 || t == s::kConcatenate3 || t == s::kConcatenate4 || t == s::kConcatenate5;
}

// Row-major element strides of v.
void strides(const XnnValue& v, uint64_t* st) {
  uint64_t acc = 1;
  for (int d = v.ndim - 1; d >= 0; --d) {
    st[d] = acc;
    acc *= v.dims[d];
  }
}

#define OWN_FAIL(code, what, ...)                                                                              \
  ST_FAIL(code, "{s}: node {} ({s}): " what, g.name, index, s::node_type_name(node.type), ##__VA_ARGS__)

}  // namespace

bool is_own_type(uint8_t type) {
  return type == s::kStaticTranspose || type == s::kStaticSlice || type == s::kCopy || is_concat(type) ||
         type == s::kBatchMatrixMultiply || is_float_unary(type);
}

Error plan_own(const XnnGraph& g, uint32_t index, OwnOp* op) {
  const XnnNode& node = g.nodes[index];
  const Fb& fb = g.fb;
  OwnOp o;
  o.type = node.type;
  o.n_in = node.n_in;
  for (uint32_t k = 0; k < node.n_in; ++k) o.in[k] = node.in[k];
  o.out = node.out;
  const XnnValue& out = g.values[node.out];
  const XnnValue& in0 = g.values[node.in[0]];
  o.numel = out.numel;
  o.elem = out.elem_size;
  for (uint32_t k = 0; k < node.n_in; ++k) {
    if (g.values[node.in[k]].datatype != out.datatype) {
      return OWN_FAIL(Error::NotSupported, "input {} is {s} but the output {s}", k,
                      datatype_name(g.values[node.in[k]].datatype), datatype_name(out.datatype));
    }
  }
  const bool float_math = is_float_unary(node.type) || node.type == s::kBatchMatrixMultiply;
  if (float_math && out.datatype != s::kFp32) {
    return OWN_FAIL(Error::NotSupported, "runs on fp32 only, not {s}", datatype_name(out.datatype));
  }
  if (float_math && (node.out_min > -__builtin_inff() || node.out_max < __builtin_inff())) {
    o.clamp = true;
    o.lo = node.out_min;
    o.hi = node.out_max;
  }
  if (is_float_unary(node.type) || node.type == s::kCopy) {
    if (in0.numel != out.numel) {
      return OWN_FAIL(Error::InvalidProgram, "input has {} elements, output {}", static_cast<int64_t>(in0.numel),
                      static_cast<int64_t>(out.numel));
    }
  } else if (node.type == s::kStaticTranspose || node.type == s::kStaticSlice) {
    const bool tr = node.type == s::kStaticTranspose;
    const uint32_t nd = fb.u32(node.t, tr ? int{s::kTrNumDims} : int{s::kSlNumDims});
    const Fb::Vec a = fb.vec(node.t, tr ? int{s::kTrPerm} : int{s::kSlOffsets}, 4);
    const Fb::Vec b = tr ? Fb::Vec() : fb.vec(node.t, s::kSlSizes, 4);
    if (fb.bad() || nd != in0.ndim || nd != out.ndim || a.len != nd || (!tr && b.len != nd)) {
      return OWN_FAIL(Error::InvalidProgram, "num_dims {} does not match its vectors or values ({} -> {} dims)", nd,
                      in0.ndim, out.ndim);
    }
    uint64_t ist[kMaxDims];
    strides(in0, ist);
    o.ndim = static_cast<uint8_t>(nd);
    uint32_t used = 0;
    for (uint32_t d = 0; d < nd; ++d) {
      const uint32_t x = static_cast<uint32_t>(fb.vec_i32(a, d));
      if (tr) {
        if (x >= nd || (used & (1u << x)) != 0) return OWN_FAIL(Error::InvalidProgram, "perm[{}] = {} is not a permutation", d, x);
        used |= 1u << x;
        if (out.dims[d] != in0.dims[x]) {
          return OWN_FAIL(Error::InvalidProgram, "output dim {} is {}, input dim perm[{}] = {} is {}", d, out.dims[d], d, x,
                          in0.dims[x]);
        }
        o.istride[d] = ist[x];
      } else {
        const uint32_t size = static_cast<uint32_t>(fb.vec_i32(b, d));
        if (size != out.dims[d] || x > in0.dims[d] || size > in0.dims[d] - x) {
          return OWN_FAIL(Error::InvalidProgram, "dim {}: offset {} size {} of input {} (output {})", d, x, size,
                          in0.dims[d], out.dims[d]);
        }
        o.istride[d] = ist[d];
        o.base += x * ist[d];
      }
      o.odims[d] = out.dims[d];
    }
  } else if (is_concat(node.type)) {
    const uint32_t axis = fb.u32(node.t, s::kCatAxis);
    if (fb.bad() || axis >= out.ndim) return OWN_FAIL(Error::InvalidProgram, "axis {} of {} dims", axis, out.ndim);
    uint64_t inner = 1;
    for (uint32_t d = axis + 1; d < out.ndim; ++d) inner *= out.dims[d];
    o.outer = 1;
    for (uint32_t d = 0; d < axis; ++d) o.outer *= out.dims[d];
    uint64_t total = 0;
    for (uint32_t k = 0; k < node.n_in; ++k) {
      const XnnValue& v = g.values[node.in[k]];
      if (v.ndim != out.ndim) return OWN_FAIL(Error::InvalidProgram, "input {} has {} dims, output {}", k, v.ndim, out.ndim);
      for (uint32_t d = 0; d < out.ndim; ++d) {
        if (d != axis && v.dims[d] != out.dims[d]) {
          return OWN_FAIL(Error::InvalidProgram, "input {} dim {} is {}, output {}", k, d, v.dims[d], out.dims[d]);
        }
      }
      o.chunk[k] = static_cast<uint64_t>(v.dims[axis]) * inner;
      total += v.dims[axis];
    }
    if (total != out.dims[axis]) {
      return OWN_FAIL(Error::InvalidProgram, "inputs give {} along axis {}, output has {}", static_cast<int64_t>(total),
                      axis, out.dims[axis]);
    }
  } else if (node.type == s::kBatchMatrixMultiply) {
    const XnnValue& b = g.values[node.in[1]];
    o.transpose_b = (node.flags & 1u) != 0;
    if (in0.ndim < 2 || b.ndim < 2 || out.ndim < 2) return OWN_FAIL(Error::InvalidProgram, "operands need 2 dims or more");
    o.m = in0.dims[in0.ndim - 2];
    o.k = in0.dims[in0.ndim - 1];
    const uint32_t bk = b.dims[b.ndim - (o.transpose_b ? 1 : 2)];
    o.n = b.dims[b.ndim - (o.transpose_b ? 2 : 1)];
    if (bk != o.k || out.dims[out.ndim - 2] != o.m || out.dims[out.ndim - 1] != o.n) {
      return OWN_FAIL(Error::InvalidProgram, "[{} x {}] times k={} n={} does not give the output [{} x {}]", o.m, o.k, bk,
                      o.n, out.dims[out.ndim - 2], out.dims[out.ndim - 1]);
    }
    o.nbatch = static_cast<uint8_t>(out.ndim - 2);
    uint64_t as = 1, bs = 1;
    for (int d = o.nbatch - 1; d >= 0; --d) {  // broadcast A's and B's batch dims (right-aligned)
      const int da = d - (out.ndim - in0.ndim);
      const int db = d - (out.ndim - b.ndim);
      const uint32_t sa = da >= 0 ? in0.dims[da] : 1;
      const uint32_t sb = db >= 0 ? b.dims[db] : 1;
      o.bdims[d] = out.dims[d];
      if ((sa != out.dims[d] && sa != 1) || (sb != out.dims[d] && sb != 1) || in0.ndim > out.ndim || b.ndim > out.ndim) {
        return OWN_FAIL(Error::InvalidProgram, "batch dim {}: {} and {} do not broadcast to {}", d, sa, sb, out.dims[d]);
      }
      o.astride[d] = sa == 1 ? 0 : as;
      o.bstride[d] = sb == 1 ? 0 : bs;
      as *= sa;
      bs *= sb;
    }
  } else {
    return OWN_FAIL(Error::Internal, "is not an own-code node type");
  }
  *op = o;
  return Error::Ok;
}

namespace {

void copy_elem(uint8_t* dst, const uint8_t* src, uint32_t elem) {
  switch (elem) {
    case 4: memcpy(dst, src, 4); break;
    case 2: memcpy(dst, src, 2); break;
    case 1: *dst = *src; break;
    default: memcpy(dst, src, elem); break;
  }
}

void gather(const OwnOp& o, const uint8_t* in, uint8_t* out) {
  const uint32_t nd = o.ndim;
  if (o.numel == 0) return;
  if (nd == 0) {
    copy_elem(out, in + o.base * o.elem, o.elem);
    return;
  }
  uint32_t idx[kMaxDims] = {};
  const uint32_t last = o.odims[nd - 1];
  const uint64_t ls = o.istride[nd - 1];
  uint64_t pos = o.base;  // input element of idx (with idx[nd-1] = 0)
  const uint64_t rows = o.numel / last;
  for (uint64_t r = 0; r < rows; ++r) {
    if (ls == 1) {
      memcpy(out, in + pos * o.elem, static_cast<size_t>(last) * o.elem);
      out += static_cast<size_t>(last) * o.elem;
    } else if (o.elem == 4) {
      const uint32_t* src = reinterpret_cast<const uint32_t*>(in) + pos;
      uint32_t* dst = reinterpret_cast<uint32_t*>(out);
      for (uint32_t j = 0; j < last; ++j) dst[j] = src[j * ls];
      out += static_cast<size_t>(last) * 4;
    } else {
      for (uint32_t j = 0; j < last; ++j, out += o.elem) copy_elem(out, in + (pos + j * ls) * o.elem, o.elem);
    }
    // Advance the odometer over dims [0, nd-1).
    for (int d = static_cast<int>(nd) - 2; d >= 0; --d) {
      pos += o.istride[d];
      if (++idx[d] < o.odims[d]) break;
      pos -= o.istride[d] * o.odims[d];
      idx[d] = 0;
    }
  }
}

float gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f)); }

void unary(const OwnOp& o, const float* x, float* y) {
  const uint64_t n = o.numel;
  switch (o.type) {
    case s::kGelu: for (uint64_t i = 0; i < n; ++i) y[i] = gelu(x[i]); break;
    case s::kTanh: for (uint64_t i = 0; i < n; ++i) y[i] = tanhf(x[i]); break;
    case s::kExp: for (uint64_t i = 0; i < n; ++i) y[i] = expf(x[i]); break;
    case s::kLog: for (uint64_t i = 0; i < n; ++i) y[i] = logf(x[i]); break;
    case s::kSin: for (uint64_t i = 0; i < n; ++i) y[i] = sinf(x[i]); break;
    case s::kCos: for (uint64_t i = 0; i < n; ++i) y[i] = cosf(x[i]); break;
    case s::kReciprocalSquareRoot: for (uint64_t i = 0; i < n; ++i) y[i] = 1.0f / sqrtf(x[i]); break;
    default: break;
  }
}

void bmm(const OwnOp& o, const float* a, const float* b, float* c) {
  uint64_t batches = 1;
  for (uint32_t d = 0; d < o.nbatch; ++d) batches *= o.bdims[d];
  const uint64_t msz = static_cast<uint64_t>(o.m) * o.k;
  const uint64_t bsz = static_cast<uint64_t>(o.k) * o.n;
  uint32_t idx[kMaxDims] = {};
  uint64_t ao = 0, bo = 0;
  for (uint64_t t = 0; t < batches; ++t) {
    const float* A = a + ao * msz;
    const float* B = b + bo * bsz;
    float* C = c + t * static_cast<uint64_t>(o.m) * o.n;
    for (uint32_t i = 0; i < o.m; ++i) {
      float* row = C + static_cast<uint64_t>(i) * o.n;
      const float* arow = A + static_cast<uint64_t>(i) * o.k;
      if (o.transpose_b) {  // B is n x k
        for (uint32_t j = 0; j < o.n; ++j) {
          const float* brow = B + static_cast<uint64_t>(j) * o.k;
          float acc = 0.0f;
          for (uint32_t p = 0; p < o.k; ++p) acc += arow[p] * brow[p];
          row[j] = acc;
        }
      } else {  // B is k x n: accumulate rows of B (unit stride inner loop)
        for (uint32_t j = 0; j < o.n; ++j) row[j] = 0.0f;
        for (uint32_t p = 0; p < o.k; ++p) {
          const float av = arow[p];
          const float* brow = B + static_cast<uint64_t>(p) * o.n;
          for (uint32_t j = 0; j < o.n; ++j) row[j] += av * brow[j];
        }
      }
    }
    for (int d = static_cast<int>(o.nbatch) - 1; d >= 0; --d) {
      ao += o.astride[d];
      bo += o.bstride[d];
      if (++idx[d] < o.bdims[d]) break;
      ao -= o.astride[d] * o.bdims[d];
      bo -= o.bstride[d] * o.bdims[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

void run_own(const OwnOp& o, void* const* ptr) {
  uint8_t* out = static_cast<uint8_t*>(ptr[o.out]);
  const uint8_t* in0 = static_cast<const uint8_t*>(ptr[o.in[0]]);
  if (o.type == s::kStaticTranspose || o.type == s::kStaticSlice) {
    gather(o, in0, out);
  } else if (o.type == s::kCopy) {
    memcpy(out, in0, static_cast<size_t>(o.numel) * o.elem);
  } else if (is_concat(o.type)) {
    const uint8_t* src[kMaxNodeInputs];
    for (uint32_t k = 0; k < o.n_in; ++k) src[k] = static_cast<const uint8_t*>(ptr[o.in[k]]);
    for (uint64_t r = 0; r < o.outer; ++r) {
      for (uint32_t k = 0; k < o.n_in; ++k) {
        const size_t bytes = static_cast<size_t>(o.chunk[k]) * o.elem;
        memcpy(out, src[k] + r * bytes, bytes);
        out += bytes;
      }
    }
  } else if (o.type == s::kBatchMatrixMultiply) {
    bmm(o, reinterpret_cast<const float*>(in0), static_cast<const float*>(ptr[o.in[1]]), reinterpret_cast<float*>(out));
  } else {
    unary(o, reinterpret_cast<const float*>(in0), reinterpret_cast<float*>(out));
  }
  if (o.clamp) {
    float* y = reinterpret_cast<float*>(static_cast<uint8_t*>(ptr[o.out]));
    for (uint64_t i = 0; i < o.numel; ++i) y[i] = y[i] < o.lo ? o.lo : (y[i] > o.hi ? o.hi : y[i]);
  }
}

}  // namespace xnnpack
}  // namespace slimtorch
