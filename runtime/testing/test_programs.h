// Small hand-made programs for the runtime's unit tests, written with
// FbBuilder in the .pte wire format, with knobs that break one thing at a time.
//
// The base program computes out = x + alpha * c with one `aten::add.out`
// KernelCall: x (input, planned in memory id 1 at offset 0), c (constant
// [1..6] in the constant segment), alpha (Int 1), out (output, planned).
// Tensors are float [dim0, 3].
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace slimtorch_test {

struct ProgramSpec {
  const char* op_name = "aten::add";
  const char* overload = "out";
  int32_t op_index = 0;        // KernelCall.op_index of the add
  int32_t first_arg = 0;       // value index of the add's first argument
  uint32_t memory_id = 1;      // the output tensor's memory id
  uint64_t out_offset = 32;    // the output tensor's offset
  uint32_t constant_idx = 1;   // c's data_buffer_idx
  int32_t dim0 = 2;            // dim 0 of every tensor
  int32_t dim1 = 3;            // dim 1 of every tensor
  int64_t buffer_size = 64;    // non_const_buffer_sizes[1]
  bool loop = false;           // out = x + 3c through a counted loop (prim ops, JumpFalse)
  bool endless = false;        // with loop: the back-edge never exits
  bool delegate = false;       // a DelegateCall to "TestBackend" instead of the KernelCall
  bool move_output = false;    // add into value 9, then MoveCall 9 -> out
};

// Writes the program into `out` (16-byte aligned, `cap` bytes); returns its size (0 if too big).
size_t build_program(const ProgramSpec& spec, uint8_t* out, size_t cap);

// Any plan, for executor tests that need their own instruction sequence: 1-D
// float tensors planned in memory id 1, Ints, Bools, tensor lists; instructions of
// every kind; operators; delegates (each with the inline blob "blob" and no
// compile specs). Arrays are the caller's; nothing is checked (a bad sketch
// makes a program the loader refuses).
struct SketchValue {
  enum Kind : uint8_t { kTensor, kInt, kBool, kTensorList };
  Kind kind = kTensor;
  int32_t numel = 0;               // kTensor: float [numel]
  uint64_t offset = 0;             // kTensor: byte offset in memory id 1
  int64_t i = 0;                   // kInt; kBool (0 or 1)
  const int32_t* items = nullptr;  // kTensorList: value indices
  uint32_t num_items = 0;
};
struct SketchInstr {
  uint8_t kind;           // slimtorch::schema::InstrKind
  int32_t index;          // op / delegate index, move source, jump condition, freed value
  const int32_t* args;    // KernelCall / DelegateCall
  uint32_t nargs;
  int32_t b;              // move destination, jump target
};
struct ProgramSketch {
  const SketchValue* values = nullptr;
  uint32_t num_values = 0;
  const int32_t* inputs = nullptr;
  uint32_t num_inputs = 0;
  const int32_t* outputs = nullptr;
  uint32_t num_outputs = 0;
  const SketchInstr* instrs = nullptr;
  uint32_t num_instrs = 0;
  const char* const* ops = nullptr;  // "name.overload", e.g. "aten::add.out"
  uint32_t num_ops = 0;
  const char* const* delegates = nullptr;  // backend ids
  uint32_t num_delegates = 0;
  int64_t buffer_size = 0;  // memory id 1
};

// Writes the sketch's program like build_program().
size_t build_sketch(const ProgramSketch& sketch, uint8_t* out, size_t cap);

}  // namespace slimtorch_test
