// Program loading and verification; see program.h for what is verified.
#include "runtime/program/program.h"

#include "runtime/core/tensor.h"
#include "runtime/platform/log.h"
#include "runtime/program/schema.h"

namespace slimtorch {
namespace {

using namespace schema;  // NOLINT: field numbers only

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | p[i];
  }
  return v;
}

bool in_range(int64_t index, uint32_t count) { return index >= 0 && index < static_cast<int64_t>(count); }

}  // namespace

Result<Program> Program::load(Span<const uint8_t> bytes, const LoadLimits& limits) {
  Program p;
  p.limits_ = limits;
  Error e = p.verify_header(bytes);
  if (e == Error::Ok) {
    e = p.verify_segments();
  }
  if (e == Error::Ok) {
    e = p.verify_checksum();
  }
  for (uint32_t i = 0; e == Error::Ok && i < p.plans_.len; ++i) {
    e = p.verify_plan(i);
  }
  if (e != Error::Ok) {
    return e;
  }
  return p;
}

// Without //runtime/program:checksum linked, a program's segment checksum is not
// verified (and costs no code); that library's strong definition replaces this one.
__attribute__((weak)) Error Program::verify_checksum() const { return Error::Ok; }

Error Program::verify_header(Span<const uint8_t> bytes) {
  if (bytes.data == nullptr || bytes.size < 8) {
    return ST_FAIL(Error::InvalidProgram, "program is {} bytes, too short for a .pte", bytes.size);
  }
  if (bytes.size > limits_.max_file_bytes || bytes.size > 0x7FFFFFFFu) {
    return ST_FAIL(Error::LimitExceeded, "program is {} bytes, above LoadLimits.max_file_bytes", bytes.size);
  }
  const uint8_t* d = bytes.data;
  if (d[4] != 'E' || d[5] != 'T' || d[6] != '1' || d[7] != '2') {
    return ST_FAIL(Error::InvalidProgram, "not an ExecuTorch program: file identifier is not 'ET12'");
  }
  file_ = d;
  file_size_ = bytes.size;
  uint64_t program_size = bytes.size;
  if (bytes.size >= 16 && d[8] == 'e' && d[9] == 'h' && d[10] == '0' && d[11] == '0') {
    const uint32_t hlen = static_cast<uint32_t>(read_le64(d + 12) & 0xFFFFFFFFu);
    if (hlen < 24 || (hlen > 24 && hlen < 32) || 8ull + hlen > bytes.size) {
      return ST_FAIL(Error::InvalidProgram, "extended header 'eh00' has bad length {}", hlen);
    }
    program_size = read_le64(d + 16);
    segment_base_ = read_le64(d + 24);
    const uint64_t data_size = hlen > 24 ? read_le64(d + 32) : 0;
    if (program_size < 8 + static_cast<uint64_t>(hlen) || program_size > bytes.size || segment_base_ < program_size ||
        segment_base_ > bytes.size) {
      return ST_FAIL(Error::InvalidProgram,
                     "extended header: program size {} / segment base {} outside the {}-byte file",
                     program_size, segment_base_, bytes.size);
    }
    if (data_size > bytes.size - segment_base_) {
      return ST_FAIL(Error::InvalidProgram, "program truncated: segments need {} bytes, file has {}",
                     segment_base_ + data_size, bytes.size);
    }
    has_header_ = true;
  }
  fb_ = Fb(d, static_cast<uint32_t>(program_size));
  return Error::Ok;
}

bool Program::segment_range(uint32_t index, uint64_t* begin, uint64_t* size) const {
  if (!has_header_ || index >= segments_.len) {
    return false;
  }
  const Fb::Table s = fb_.vec_table(segments_, index);
  const uint64_t off = fb_.u64(s, kSegmentOffset);
  const uint64_t n = fb_.u64(s, kSegmentSize);
  const uint64_t room = file_size_ - segment_base_;
  if (fb_.bad() || off > room || n > room - off) {
    return false;
  }
  *begin = segment_base_ + off;
  *size = n;
  return true;
}

Error Program::verify_segments() {
  root_ = fb_.root();
  if (fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: root table out of bounds");
  }
  plans_ = fb_.vec(root_, kProgramPlans, 4);
  segments_ = fb_.vec(root_, kProgramSegments, 4);
  if (fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: plan or segment list out of bounds");
  }
  if (plans_.len > limits_.max_plans) {
    return ST_FAIL(Error::LimitExceeded, "program has {} methods, above LoadLimits.max_plans", plans_.len);
  }
  const Fb::Table cs = fb_.table(root_, kProgramConstantSegment);
  const uint32_t constant_segment = cs.present() ? fb_.u32(cs, kSubsegmentIndex) : 0xFFFFFFFFu;
  for (uint32_t i = 0; i < segments_.len; ++i) {
    uint64_t begin = 0, size = 0;
    const Fb::Table s = fb_.vec_table(segments_, i);
    if (!has_header_ && !fb_.bad() && fb_.u64(s, kSegmentSize) == 0) {
      continue;  // a header-less program still lists one empty segment
    }
    if (!segment_range(i, &begin, &size)) {
      return ST_FAIL(Error::InvalidProgram,
                     "segment {} lies outside the file (truncated program or missing 'eh00' header)",
                     i);
    }
    if (i == constant_segment) {
      // Found once here, not per constant tensor. Left null (an error only if a
      // tensor uses it, in tensor_info) when the index names no segment.
      constants_ = file_ + begin;
      constants_size_ = size;
    }
  }
  if (cs.present()) {
    constant_offsets_ = fb_.vec(cs, kSubsegmentOffsets, 8);
  } else {
    constants_inline_ = true;
    constant_buffers_ = fb_.vec(root_, kProgramConstantBuffer, 4);
  }
  mutable_segments_ = fb_.vec(root_, kProgramMutableSegments, 4);
  delegate_data_ = fb_.vec(root_, kProgramDelegateData, 4);
  for (uint32_t i = 0; i < mutable_segments_.len; ++i) {
    fb_.vec(fb_.vec_table(mutable_segments_, i), kSubsegmentOffsets, 8);
  }
  for (uint32_t i = 0; i < delegate_data_.len; ++i) {
    fb_.vec(fb_.vec_table(delegate_data_, i), kBytesField, 1);
  }
  for (uint32_t i = 0; i < constant_buffers_.len; ++i) {
    fb_.vec(fb_.vec_table(constant_buffers_, i), kBytesField, 1);
  }
  if (fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: constant, mutable or delegate data table out of bounds");
  }
  return Error::Ok;
}

const char* Program::method_name(size_t index) const {
  const Fb::Str s = fb_.str(plan(index), kPlanName);
  return s.data != nullptr ? s.data : "";
}

Result<size_t> Program::method_index(const char* name) const {
  for (uint32_t i = 0; i < plans_.len; ++i) {
    const char* m = method_name(i);
    size_t k = 0;
    while (m[k] != '\0' && m[k] == name[k]) {
      ++k;
    }
    if (m[k] == '\0' && name[k] == '\0') {
      return static_cast<size_t>(i);
    }
  }
  return ST_FAIL(Error::InvalidArgument, "program has no method '{s}'", name);
}

size_t Program::num_memory_ids(size_t plan_index) const {
  const Fb::Vec v = fb_.vec(plan(plan_index), kPlanBufferSizes, 8);
  return v.len > 0 ? v.len - 1 : 0;
}

uint64_t Program::planned_buffer_size(size_t plan_index, size_t memory_id) const {
  const Fb::Vec v = fb_.vec(plan(plan_index), kPlanBufferSizes, 8);
  return memory_id >= 1 && memory_id < v.len ? fb_.vec_u64(v, static_cast<uint32_t>(memory_id)) : 0;
}

Span<const uint8_t> Program::delegate_blob(uint8_t location, uint32_t index) const {
  if (location == kInline) {
    if (index >= delegate_data_.len) {
      return Span<const uint8_t>();
    }
    const Fb::Vec v = fb_.vec(fb_.vec_table(delegate_data_, index), kBytesField, 1);
    return Span<const uint8_t>(fb_.vec_bytes(v), v.len);
  }
  uint64_t begin = 0, size = 0;
  if (!segment_range(index, &begin, &size)) {
    return Span<const uint8_t>();
  }
  return Span<const uint8_t>(file_ + begin, static_cast<size_t>(size));
}

Span<const uint8_t> Program::named_data(const char* key, size_t len) const {
  // Named data is not verified at load (only backends read it): a copy of the
  // reader keeps a malformed entry's sticky bad() flag away from fb_.
  const Fb f = fb_;
  const Fb::Vec named = f.vec(root_, kProgramNamedData, 4);
  for (uint32_t i = 0; !f.bad() && i < named.len; ++i) {
    const Fb::Table entry = f.vec_table(named, i);
    const Fb::Str k = f.str(entry, 0);  // NamedData { key: string; segment_index: uint }
    const uint32_t segment = f.u32(entry, 1);
    if (f.bad() || k.data == nullptr || k.len != len) {
      continue;
    }
    uint32_t c = 0;
    while (c < len && k.data[c] == key[c]) {
      ++c;
    }
    uint64_t begin = 0, size = 0;
    if (c == len && segment_range(segment, &begin, &size)) {
      return Span<const uint8_t>(file_ + begin, static_cast<size_t>(size));
    }
  }
  return Span<const uint8_t>();
}

uint8_t Program::value_kind(const Fb::Vec& values, int64_t i) const {
  if (!in_range(i, values.len)) {
    return 0xFF;
  }
  return fb_.u8(fb_.vec_table(values, static_cast<uint32_t>(i)), kValueType);
}

Error Program::tensor_info(const Fb::Vec& sizes, const Fb::Table& t, TensorInfo* out) const {
  // Decoded straight into *out (a fresh TensorInfo): building a local and
  // copying it out stored it byte by byte and read it back in wide loads, a
  // store-forwarding stall that was a third of this function's time on x86.
  TensorInfo& info = *out;
  info.dtype = static_cast<ScalarType>(static_cast<int8_t>(fb_.u8(t, kTensorScalarType)));
  const size_t esize = element_size(info.dtype);
  info.sizes = fb_.vec(t, kTensorSizes, 4);
  info.dim_order = fb_.vec(t, kTensorDimOrder, 1);
  info.dynamism = fb_.u8(t, kTensorDynamism);
  const uint32_t buffer_idx = fb_.u32(t, kTensorDataBufferIdx);
  const Fb::Table alloc = fb_.table(t, kTensorAllocationInfo);
  if (fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: tensor table out of bounds");
  }
  if (esize == 0) {
    return ST_FAIL(Error::NotSupported, "tensor dtype {} is not supported", static_cast<int8_t>(info.dtype));
  }
  if (info.sizes.len > static_cast<uint32_t>(kMaxTensorDim)) {
    return ST_FAIL(Error::NotSupported, "tensor has {} dims; at most 16 are supported", info.sizes.len);
  }
  if (info.dynamism > 2) {
    return ST_FAIL(Error::InvalidProgram, "tensor shape_dynamism {} is unknown", info.dynamism);
  }
  info.dim = static_cast<uint8_t>(info.sizes.len);
  uint64_t numel = 1;
  uint32_t seen = 0;  // bit d set when dim d appeared in dim_order
  for (uint32_t d = 0; d < info.dim; ++d) {
    const int32_t s = fb_.vec_i32(info.sizes, d);
    if (s < 0) {
      return ST_FAIL(Error::InvalidProgram, "tensor size {} is negative", s);
    }
    numel *= static_cast<uint64_t>(s);
    if (numel * esize > 0x7FFFFFFFull) {
      return ST_FAIL(Error::LimitExceeded, "tensor of more than 2^31 bytes");
    }
  }
  if (info.dim_order.len != 0) {
    for (uint32_t d = 0; d < info.dim_order.len; ++d) {
      const uint8_t o = fb_.vec_u8(info.dim_order, d);
      if (info.dim_order.len != info.dim || o >= info.dim || (seen & (1u << o)) != 0) {
        return ST_FAIL(Error::InvalidProgram, "tensor dim_order is not a permutation of its {} dims", info.dim);
      }
      seen |= 1u << o;
    }
  }
  info.numel = static_cast<uint32_t>(numel);
  info.nbytes = static_cast<uint32_t>(numel * esize);
  if (alloc.present()) {
    info.storage = TensorInfo::kPlanned;
    info.memory_id = fb_.u32(alloc, kAllocMemoryId);
    info.offset = (static_cast<uint64_t>(fb_.u32(alloc, kAllocOffsetHigh)) << 32) | fb_.u32(alloc, kAllocOffsetLow);
    if (info.memory_id == 0 || info.memory_id >= sizes.len) {
      return ST_FAIL(Error::InvalidProgram, "tensor memory_id {} has no planned buffer", info.memory_id);
    }
    const uint64_t cap = fb_.vec_u64(sizes, info.memory_id);
    if (info.offset > cap || info.nbytes > cap - info.offset) {
      return ST_FAIL(Error::InvalidProgram, "planned tensor at offset {} ({} bytes) overruns memory id {} of {} bytes",
                     info.offset, info.nbytes, info.memory_id, cap);
    }
    // Planned buffers are 8-byte aligned; element sizes are powers of two (a mask, not a
    // 64-bit modulo, which would pull libgcc's division into Cortex-M images).
    if ((static_cast<uint32_t>(info.offset) & ((esize < 8 ? esize : 8) - 1)) != 0) {
      return ST_FAIL(Error::InvalidProgram, "planned tensor offset is not a multiple of its element size");
    }
    if (buffer_idx > 0) {  // planned tensor with an initial value (mutable buffer)
      const Fb::Table extra = fb_.table(t, kTensorExtraInfo);
      const uint64_t list = extra.present() ? fb_.u64(extra, kExtraMutableSegmentsIdx) : 0;
      uint64_t begin = 0, size = 0;
      if (list >= mutable_segments_.len) {
        return ST_FAIL(Error::InvalidProgram, "malformed program: mutable data segment list {} is out of bounds", list);
      }
      const Fb::Table sub = fb_.vec_table(mutable_segments_, static_cast<uint32_t>(list));
      const Fb::Vec offs = fb_.vec(sub, kSubsegmentOffsets, 8);
      if (fb_.bad() || buffer_idx >= offs.len || !segment_range(fb_.u32(sub, kSubsegmentIndex), &begin, &size) ||
          fb_.vec_u64(offs, buffer_idx) > size || info.nbytes > size - fb_.vec_u64(offs, buffer_idx)) {
        return ST_FAIL(Error::InvalidProgram, "malformed program: mutable tensor data {} is out of bounds", buffer_idx);
      }
      info.initial = file_ + begin + fb_.vec_u64(offs, buffer_idx);
    }
  } else if (buffer_idx > 0) {
    info.storage = TensorInfo::kConstant;
    if (constants_inline_) {
      const Fb::Vec v = buffer_idx < constant_buffers_.len
                            ? fb_.vec(fb_.vec_table(constant_buffers_, buffer_idx), kBytesField, 1)
                            : Fb::Vec();
      if (fb_.bad() || buffer_idx >= constant_buffers_.len || info.nbytes > v.len) {
        return ST_FAIL(Error::InvalidProgram, "malformed program: constant buffer {} is out of bounds", buffer_idx);
      }
      info.initial = fb_.vec_bytes(v);
    } else {
      const uint64_t off = buffer_idx < constant_offsets_.len ? fb_.vec_u64(constant_offsets_, buffer_idx) : 0;
      if (constants_ == nullptr || buffer_idx >= constant_offsets_.len || off > constants_size_ ||
          info.nbytes > constants_size_ - off) {
        return ST_FAIL(Error::InvalidProgram, "malformed program: constant tensor data {} is out of bounds",
                       buffer_idx);
      }
      info.initial = constants_ + off;
    }
    const uintptr_t align = esize < 8 ? esize : 8;
    if (reinterpret_cast<uintptr_t>(info.initial) % align != 0) {
      return ST_FAIL(Error::InvalidArgument,
                     "constant tensor data is misaligned: load the program into a 16-byte aligned buffer");
    }
  }
  return Error::Ok;
}

Error Program::verify_value(const Fb::Vec& buffer_sizes, const Fb::Vec& values, uint32_t i) const {
  const Fb::Table v = fb_.vec_table(values, i);
  const uint8_t kind = fb_.u8(v, kValueType);
  const Fb::Table val = fb_.table(v, kValueVal);
  if (fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: value {} is out of bounds", i);
  }
  if (kind > kValOptTensorList) {
    return ST_FAIL(Error::InvalidProgram, "value {} has unknown type {}", i, kind);
  }
  if (kind >= kValInt && !val.present()) {
    return ST_FAIL(Error::InvalidProgram, "value {} has no payload", i);
  }
  switch (kind) {
    case kValInt:
    case kValDouble:
      fb_.u64(val, kScalarField);
      break;
    case kValBool:
      fb_.u8(val, kScalarField);
      break;
    case kValString:
      fb_.str(val, kScalarField);
      break;
    case kValTensor: {
      TensorInfo info;
      const Error e = tensor_info(buffer_sizes, val, &info);
      if (e != Error::Ok) {
        st_error_context("in value ", i);
        return e;
      }
      break;
    }
    case kValIntList:
    case kValDoubleList:
    case kValBoolList:
    case kValTensorList:
    case kValOptTensorList: {
      const uint32_t width = kind == kValIntList || kind == kValDoubleList ? 8 : kind == kValBoolList ? 1 : 4;
      const Fb::Vec items = fb_.vec(val, kScalarField, width);
      if (fb_.bad()) {
        return ST_FAIL(Error::InvalidProgram, "malformed program: list value {} is out of bounds", i);
      }
      if (items.len > limits_.max_list_items) {
        return ST_FAIL(Error::LimitExceeded, "value {}: list of {} items, above LoadLimits.max_list_items",
                       i, items.len);
      }
      for (uint32_t k = 0; k < items.len && (kind == kValIntList || kind >= kValTensorList); ++k) {
        const int64_t ref = kind == kValIntList ? fb_.vec_i64(items, k) : fb_.vec_i32(items, k);
        const uint8_t rk = value_kind(values, ref);
        const bool ok = kind == kValIntList ? rk == kValInt
                        : kind == kValTensorList ? rk == kValTensor
                        : (ref == -1 || rk == kValTensor || rk == kValNull || rk == kValNone);
        if (!ok) {
          return ST_FAIL(Error::InvalidProgram,
                         "value {}: list item {} refers to value {}, which is missing or of the wrong type",
                         i, k, ref);
        }
      }
      break;
    }
    default:
      break;
  }
  if (fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: value {} is out of bounds", i);
  }
  return Error::Ok;
}

Error Program::verify_instruction(const Fb::Vec& values, uint32_t n_ops, uint32_t n_delegates, uint32_t n_instr, uint32_t pc,
                                  const Fb::Table& ins) const {
  const uint8_t kind = fb_.u8(ins, kInstrType);
  const Fb::Table a = fb_.table(ins, kInstrArgs);
  if (fb_.bad() || !a.present() || kind == kInstrNone || kind > kFreeCall) {
    return ST_FAIL(Error::InvalidProgram, "instruction {} is malformed or of unknown kind {}", pc, kind);
  }
  const uint32_t n_values = values.len;
  const int32_t x = fb_.i32(a, 0);
  const int32_t y = kind == kFreeCall ? 0 : fb_.i32(a, 1);
  bool ok = true;
  if (kind == kKernelCall || kind == kDelegateCall) {
    const uint32_t count = kind == kKernelCall ? n_ops : n_delegates;
    const Fb::Vec args = fb_.vec(a, kCallArgs, 4);
    ok = in_range(x, count);
    if (args.len > limits_.max_args) {
      return ST_FAIL(Error::LimitExceeded, "instruction {} has {} args, above LoadLimits.max_args", pc, args.len);
    }
    for (uint32_t k = 0; ok && k < args.len; ++k) {
      ok = in_range(fb_.vec_i32(args, k), n_values);
    }
  } else if (kind == kMoveCall) {
    ok = in_range(x, n_values) && in_range(y, n_values);
  } else if (kind == kJumpFalseCall) {
    const uint8_t ck = value_kind(values, x);
    ok = (ck == kValBool || ck == kValTensor) && y >= 0 && static_cast<uint32_t>(y) <= n_instr;
  } else {
    ok = in_range(x, n_values);
  }
  if (!ok || fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "instruction {} refers to a missing value, operator, delegate or instruction",
                   pc);
  }
  return Error::Ok;
}

Error Program::verify_plan(uint32_t index) const {
  const Fb::Table p = plan(index);
  const Fb::Str name = fb_.str(p, kPlanName);
  const Fb::Vec values = fb_.vec(p, kPlanValues, 4);
  const Fb::Vec sizes = fb_.vec(p, kPlanBufferSizes, 8);
  const Fb::Vec inputs = fb_.vec(p, kPlanInputs, 4);
  const Fb::Vec outputs = fb_.vec(p, kPlanOutputs, 4);
  const Fb::Vec chains = fb_.vec(p, kPlanChains, 4);
  const Fb::Vec ops = fb_.vec(p, kPlanOperators, 4);
  const Fb::Vec delegates = fb_.vec(p, kPlanDelegates, 4);
  if (fb_.bad() || name.data == nullptr) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: method {} is out of bounds", index);
  }
  if (values.len > limits_.max_values || ops.len > limits_.max_operators || sizes.len > limits_.max_memory_ids + 1) {
    return ST_FAIL(Error::LimitExceeded, "method '{s}' has {} values, {} operators, {} buffers: above LoadLimits",
                   name.data, values.len, ops.len, sizes.len);
  }
  uint64_t planned = 0;
  for (uint32_t i = 1; i < sizes.len; ++i) {
    const int64_t s = fb_.vec_i64(sizes, i);
    if (s < 0 || static_cast<uint64_t>(s) > limits_.max_planned_bytes - planned) {
      return ST_FAIL(Error::LimitExceeded,
                     "method '{s}': planned buffer {} of {} bytes exceeds LoadLimits.max_planned_bytes",
                     name.data, i, s);
    }
    planned += static_cast<uint64_t>(s);
  }
  for (uint32_t i = 0; i < values.len; ++i) {
    ST_TRY(verify_value(sizes, values, i));
  }
  for (uint32_t i = 0; i < inputs.len + outputs.len; ++i) {
    const int32_t v = i < inputs.len ? fb_.vec_i32(inputs, i) : fb_.vec_i32(outputs, i - inputs.len);
    if (!in_range(v, values.len)) {
      return ST_FAIL(Error::InvalidProgram, "malformed program: method input/output value {} is out of bounds", v);
    }
  }
  for (uint32_t i = 0; i < ops.len; ++i) {
    const Fb::Table op = fb_.vec_table(ops, i);
    const Fb::Str op_name = fb_.str(op, kOpName);
    fb_.str(op, kOpOverload);
    if (fb_.bad() || op_name.data == nullptr || op_name.len == 0) {
      return ST_FAIL(Error::InvalidProgram, "malformed program: operator {} is out of bounds", i);
    }
  }
  for (uint32_t i = 0; i < delegates.len; ++i) {
    const Fb::Table d = fb_.vec_table(delegates, i);
    const Fb::Str id = fb_.str(d, kDelegateId);
    const Fb::Table ref = fb_.table(d, kDelegateProcessed);
    const uint8_t loc = fb_.u8(ref, kDataRefLocation);
    const uint32_t at = fb_.u32(ref, kDataRefIndex);
    const Fb::Vec specs = fb_.vec(d, kDelegateCompileSpecs, 4);
    for (uint32_t k = 0; k < specs.len && !fb_.bad(); ++k) {
      const Fb::Table spec = fb_.vec_table(specs, k);
      fb_.str(spec, kSpecKey);
      fb_.vec(spec, kSpecValue, 1);
    }
    uint64_t b = 0, n = 0;
    const bool blob_ok = loc == kInline ? at < delegate_data_.len : (loc == kSegment && segment_range(at, &b, &n));
    if (fb_.bad() || id.data == nullptr || !ref.present() || !blob_ok || specs.len > limits_.max_list_items) {
      return ST_FAIL(Error::InvalidProgram, "malformed program: delegate {} is out of bounds", i);
    }
  }
  if (chains.len > 1) {
    return ST_FAIL(Error::NotSupported, "method '{s}' has {} chains; one is supported", name.data, chains.len);
  }
  if (chains.len == 1) {
    const Fb::Table chain = fb_.vec_table(chains, 0);
    const Fb::Vec instrs = fb_.vec(chain, kChainInstructions, 4);
    if (fb_.bad()) {
      return ST_FAIL(Error::InvalidProgram, "malformed program: chain {} is out of bounds", 0);
    }
    if (instrs.len > limits_.max_instructions) {
      return ST_FAIL(Error::LimitExceeded, "method '{s}' has {} instructions, above LoadLimits.max_instructions",
                     name.data, instrs.len);
    }
    for (uint32_t pc = 0; pc < instrs.len; ++pc) {
      ST_TRY(verify_instruction(values, ops.len, delegates.len, instrs.len, pc, fb_.vec_table(instrs, pc)));
    }
  }
  return Error::Ok;
}

}  // namespace slimtorch
