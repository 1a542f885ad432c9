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

}  // namespace slimtorch_test
