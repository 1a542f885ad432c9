// Hand-made test programs; see test_programs.h.
#include "runtime/testing/test_programs.h"

#include <string.h>

#include "runtime/program/schema.h"
#include "runtime/testing/fb_builder.h"

namespace slimtorch_test {

using namespace slimtorch::schema;  // NOLINT: field numbers only

namespace {

FbBuilder g_b(true);  // static: 64 KiB is too big for a test's stack

uint32_t value_table(FbBuilder& b, uint32_t values, uint32_t i, uint8_t kind, int payload_fields) {
  const uint32_t ev = b.table(2);
  b.vec_ref(values, i, ev);
  b.u8(ev, kValueType, kind);
  const uint32_t payload = b.table(payload_fields);
  b.ref(ev, kValueVal, payload);
  return payload;
}

void tensor(FbBuilder& b, uint32_t values, uint32_t i, const ProgramSpec& s, uint32_t buffer_idx,
            uint32_t memory_id, uint64_t offset, bool planned = true) {
  const uint32_t t = value_table(b, values, i, kValTensor, 10);
  b.u8(t, kTensorScalarType, 6);  // Float
  b.u32(t, kTensorDataBufferIdx, buffer_idx);
  const int32_t sizes[2] = {s.dim0, s.dim1};
  const uint8_t order[2] = {0, 1};
  const uint32_t sv = b.vec(sizes, 2);
  b.ref(t, kTensorSizes, sv);
  const uint32_t ov = b.vec(order, 2);
  b.ref(t, kTensorDimOrder, ov);
  if (planned) {
    const uint32_t a = b.table(3);
    b.ref(t, kTensorAllocationInfo, a);
    b.u32(a, kAllocMemoryId, memory_id);
    b.u32(a, kAllocOffsetLow, static_cast<uint32_t>(offset));
    b.u32(a, kAllocOffsetHigh, static_cast<uint32_t>(offset >> 32));
  }
}

void int_value(FbBuilder& b, uint32_t values, uint32_t i, int64_t v) {
  b.i64(value_table(b, values, i, kValInt, 1), kScalarField, v);
}

void bool_value(FbBuilder& b, uint32_t values, uint32_t i, bool v) {
  b.u8(value_table(b, values, i, kValBool, 1), kScalarField, v ? 1 : 0);
}

uint32_t call(FbBuilder& b, uint32_t instrs, uint32_t pc, uint8_t kind, int32_t x, const int32_t* args, uint32_t n) {
  const uint32_t ins = b.table(2);
  b.vec_ref(instrs, pc, ins);
  b.u8(ins, kInstrType, kind);
  const uint32_t a = b.table(2);
  b.ref(ins, kInstrArgs, a);
  b.i32(a, 0, x);
  const uint32_t v = b.vec(args, n);
  b.ref(a, kCallArgs, v);
  return ins;
}

void two_ints(FbBuilder& b, uint32_t instrs, uint32_t pc, uint8_t kind, int32_t x, int32_t y) {
  const uint32_t ins = b.table(2);
  b.vec_ref(instrs, pc, ins);
  b.u8(ins, kInstrType, kind);
  const uint32_t a = b.table(2);
  b.ref(ins, kInstrArgs, a);
  b.i32(a, 0, x);
  b.i32(a, 1, y);
}

void op(FbBuilder& b, uint32_t ops, uint32_t i, const char* name, const char* overload) {
  const uint32_t t = b.table(2);
  b.vec_ref(ops, i, t);
  const uint32_t n = b.str(name);
  b.ref(t, kOpName, n);
  const uint32_t o = b.str(overload);
  b.ref(t, kOpOverload, o);
}

// Program-level tables every test program has: one segment holding the
// constant segment (eight floats), and the extended header.
uint32_t finish_program(FbBuilder& b, uint32_t root, uint32_t num_delegates) {
  const uint32_t segs = b.vec_refs(1);
  b.ref(root, kProgramSegments, segs);
  const uint32_t seg = b.table(2);
  b.vec_ref(segs, 0, seg);
  b.u64(seg, kSegmentOffset, 0);
  b.u64(seg, kSegmentSize, 32);
  const uint32_t cs = b.table(2);
  b.ref(root, kProgramConstantSegment, cs);
  b.u32(cs, kSubsegmentIndex, 0);
  const uint64_t offsets[2] = {0, 0};
  b.ref(cs, kSubsegmentOffsets, b.vec(offsets, 2));
  if (num_delegates > 0) {
    const uint32_t dd = b.vec_refs(1);
    b.ref(root, kProgramDelegateData, dd);
    const uint32_t blob = b.table(1);
    b.vec_ref(dd, 0, blob);
    const uint8_t bytes[4] = {'b', 'l', 'o', 'b'};
    b.ref(blob, kBytesField, b.vec(bytes, 4));
  }
  b.align(16);
  const uint32_t program_size = b.size();
  const float c[8] = {1, 2, 3, 4, 5, 6, 0, 0};
  const uint32_t base = b.raw(c, sizeof(c), 16);
  memcpy(b.data() + 8, "eh00", 4);
  b.put32(12, 32);
  b.put64(16, program_size);
  b.put64(24, base);
  b.put64(32, sizeof(c));
  return b.size();
}

}  // namespace

size_t build_program(const ProgramSpec& s, uint8_t* out, size_t cap) {
  FbBuilder& b = g_b;
  b.reset(true);
  const uint32_t root = b.table(8);
  b.finish(root);
  b.u32(root, kProgramVersion, 0);
  const uint32_t plans = b.vec_refs(1);
  b.ref(root, kProgramPlans, plans);
  const uint32_t plan = b.table(10);
  b.vec_ref(plans, 0, plan);
  b.ref(plan, kPlanName, b.str("forward"));

  const uint32_t n_values = s.loop ? 9 : s.move_output ? 10 : 4;
  const uint32_t values = b.vec_refs(n_values);
  b.ref(plan, kPlanValues, values);
  tensor(b, values, 0, s, 0, 1, 0);
  tensor(b, values, 1, s, s.constant_idx, 0, 0, false);
  int_value(b, values, 2, 1);
  tensor(b, values, 3, s, 0, s.memory_id, s.out_offset);
  if (s.loop) {
    int_value(b, values, 4, 0);  // i
    int_value(b, values, 5, 1);  // one
    int_value(b, values, 6, 3);  // n
    bool_value(b, values, 7, false);  // cond
    bool_value(b, values, 8, false);  // constant false
  } else if (s.move_output) {
    for (uint32_t i = 4; i < 9; ++i) {
      int_value(b, values, i, 0);
    }
    tensor(b, values, 9, s, 0, 1, 32);
  }
  const int32_t in_idx[1] = {0};
  const int32_t out_idx[1] = {3};
  b.ref(plan, kPlanInputs, b.vec(in_idx, 1));
  b.ref(plan, kPlanOutputs, b.vec(out_idx, 1));

  const uint32_t chains = b.vec_refs(1);
  b.ref(plan, kPlanChains, chains);
  const uint32_t chain = b.table(4);
  b.vec_ref(chains, 0, chain);
  const uint32_t n_instr = s.loop ? 6 : s.move_output ? 2 : 1;
  const uint32_t instrs = b.vec_refs(n_instr);
  b.ref(chain, kChainInstructions, instrs);
  const int32_t a = s.first_arg;
  const int32_t add_args[5] = {a, 1, 2, 3, 3};
  if (s.delegate) {
    const int32_t dargs[3] = {0, 1, 3};
    call(b, instrs, 0, kDelegateCall, 0, dargs, 3);
  } else if (s.move_output) {
    const int32_t margs[5] = {a, 1, 2, 9, 9};
    call(b, instrs, 0, kKernelCall, s.op_index, margs, 5);
    two_ints(b, instrs, 1, kMoveCall, 9, 3);
  } else {
    call(b, instrs, 0, kKernelCall, s.op_index, add_args, 5);
  }
  if (s.loop) {
    const int32_t inc[3] = {4, 5, 4};
    const int32_t lt[3] = {4, 6, 7};
    const int32_t acc[5] = {3, 1, 2, 3, 3};
    call(b, instrs, 1, kKernelCall, 1, inc, 3);
    call(b, instrs, 2, kKernelCall, 2, lt, 3);
    two_ints(b, instrs, 3, kJumpFalseCall, 7, 6);
    call(b, instrs, 4, kKernelCall, 0, acc, 5);
    two_ints(b, instrs, 5, kJumpFalseCall, 8, s.endless ? 4 : 1);
  }

  const uint32_t ops = b.vec_refs(s.loop ? 3 : 1);
  b.ref(plan, kPlanOperators, ops);
  op(b, ops, 0, s.op_name, s.overload);
  if (s.loop) {
    op(b, ops, 1, "executorch_prim::add", "Scalar");
    op(b, ops, 2, "executorch_prim::lt", "Scalar");
  }
  if (s.delegate) {
    const uint32_t dels = b.vec_refs(1);
    b.ref(plan, kPlanDelegates, dels);
    const uint32_t d = b.table(3);
    b.vec_ref(dels, 0, d);
    b.ref(d, kDelegateId, b.str("TestBackend"));
    const uint32_t ref = b.table(2);
    b.ref(d, kDelegateProcessed, ref);
    b.u8(ref, kDataRefLocation, kInline);
    b.u32(ref, kDataRefIndex, 0);
    const uint32_t specs = b.vec_refs(1);
    b.ref(d, kDelegateCompileSpecs, specs);
    const uint32_t spec = b.table(2);
    b.vec_ref(specs, 0, spec);
    b.ref(spec, kSpecKey, b.str("scale"));
    const uint8_t seven[1] = {7};
    b.ref(spec, kSpecValue, b.vec(seven, 1));
  }
  const int64_t sizes[2] = {0, s.buffer_size};
  b.ref(plan, kPlanBufferSizes, b.vec(sizes, 2));

  finish_program(b, root, s.delegate ? 1 : 0);
  if (b.size() > cap) {
    return 0;
  }
  memcpy(out, b.data(), b.size());
  return b.size();
}

size_t build_sketch(const ProgramSketch& s, uint8_t* out, size_t cap) {
  FbBuilder& b = g_b;
  b.reset(true);
  const uint32_t root = b.table(8);
  b.finish(root);
  b.u32(root, kProgramVersion, 0);
  const uint32_t plans = b.vec_refs(1);
  b.ref(root, kProgramPlans, plans);
  const uint32_t plan = b.table(10);
  b.vec_ref(plans, 0, plan);
  b.ref(plan, kPlanName, b.str("forward"));

  const uint32_t values = b.vec_refs(s.num_values);
  b.ref(plan, kPlanValues, values);
  for (uint32_t i = 0; i < s.num_values; ++i) {
    const SketchValue& v = s.values[i];
    if (v.kind == SketchValue::kInt) {
      int_value(b, values, i, v.i);
    } else if (v.kind == SketchValue::kBool) {
      bool_value(b, values, i, v.i != 0);
    } else if (v.kind == SketchValue::kTensorList) {
      const uint32_t t = value_table(b, values, i, kValTensorList, 1);
      b.ref(t, kScalarField, b.vec(v.items, v.num_items));
    } else {
      const uint32_t t = value_table(b, values, i, kValTensor, 10);
      b.u8(t, kTensorScalarType, 6);  // Float
      const int32_t sizes[1] = {v.numel};
      const uint8_t order[1] = {0};
      b.ref(t, kTensorSizes, b.vec(sizes, 1));
      b.ref(t, kTensorDimOrder, b.vec(order, 1));
      const uint32_t a = b.table(3);
      b.ref(t, kTensorAllocationInfo, a);
      b.u32(a, kAllocMemoryId, 1);
      b.u32(a, kAllocOffsetLow, static_cast<uint32_t>(v.offset));
      b.u32(a, kAllocOffsetHigh, static_cast<uint32_t>(v.offset >> 32));
    }
  }
  b.ref(plan, kPlanInputs, b.vec(s.inputs, s.num_inputs));
  b.ref(plan, kPlanOutputs, b.vec(s.outputs, s.num_outputs));

  const uint32_t chains = b.vec_refs(1);
  b.ref(plan, kPlanChains, chains);
  const uint32_t chain = b.table(4);
  b.vec_ref(chains, 0, chain);
  const uint32_t instrs = b.vec_refs(s.num_instrs);
  b.ref(chain, kChainInstructions, instrs);
  for (uint32_t pc = 0; pc < s.num_instrs; ++pc) {
    const SketchInstr& in = s.instrs[pc];
    if (in.kind == kKernelCall || in.kind == kDelegateCall) {
      call(b, instrs, pc, in.kind, in.index, in.args, in.nargs);
    } else if (in.kind == kFreeCall) {
      const uint32_t ins = b.table(2);
      b.vec_ref(instrs, pc, ins);
      b.u8(ins, kInstrType, kFreeCall);
      const uint32_t a = b.table(1);
      b.ref(ins, kInstrArgs, a);
      b.i32(a, 0, in.index);
    } else {
      two_ints(b, instrs, pc, in.kind, in.index, in.b);
    }
  }

  const uint32_t ops = b.vec_refs(s.num_ops);
  b.ref(plan, kPlanOperators, ops);
  for (uint32_t i = 0; i < s.num_ops; ++i) {
    char name[64];
    const size_t len = strlen(s.ops[i]);
    const char* dot = strrchr(s.ops[i], '.');
    const size_t n = dot != nullptr ? static_cast<size_t>(dot - s.ops[i]) : len;
    memcpy(name, s.ops[i], n);
    name[n] = '\0';
    op(b, ops, i, name, dot != nullptr ? dot + 1 : "");
  }
  if (s.num_delegates > 0) {
    const uint32_t dels = b.vec_refs(s.num_delegates);
    b.ref(plan, kPlanDelegates, dels);
    for (uint32_t i = 0; i < s.num_delegates; ++i) {
      const uint32_t d = b.table(3);
      b.vec_ref(dels, i, d);
      b.ref(d, kDelegateId, b.str(s.delegates[i]));
      const uint32_t ref = b.table(2);
      b.ref(d, kDelegateProcessed, ref);
      b.u8(ref, kDataRefLocation, kInline);
      b.u32(ref, kDataRefIndex, 0);
    }
  }
  const int64_t sizes[2] = {0, s.buffer_size};
  b.ref(plan, kPlanBufferSizes, b.vec(sizes, 2));
  const uint32_t size = finish_program(b, root, s.num_delegates);
  if (size > cap) {
    return 0;
  }
  memcpy(out, b.data(), size);
  return size;
}

}  // namespace slimtorch_test
