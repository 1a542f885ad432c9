// Field numbers of the ExecuTorch program schema (program.fbs, file identifier
// "ET12"), written from /work/shared/FORMAT.md and the public schema's field
// order. A field's number is its position in its table; a union occupies two
// numbers (type byte, then the value).
#pragma once

namespace slimtorch {
namespace schema {

// table Program
enum ProgramField { kProgramVersion = 0, kProgramPlans, kProgramConstantBuffer, kProgramDelegateData,
                    kProgramSegments, kProgramConstantSegment, kProgramMutableSegments, kProgramNamedData };
// table ExecutionPlan
enum PlanField { kPlanName = 0, kPlanContainerMeta, kPlanValues, kPlanInputs, kPlanOutputs, kPlanChains,
                 kPlanOperators, kPlanDelegates, kPlanBufferSizes, kPlanBufferDevice };
// table Chain
enum ChainField { kChainInputs = 0, kChainOutputs, kChainInstructions, kChainStacktrace };
// table Instruction { instr_args: InstructionArguments (union) }
enum InstructionField { kInstrType = 0, kInstrArgs };
enum InstrKind : uint8_t { kInstrNone = 0, kKernelCall, kDelegateCall, kMoveCall, kJumpFalseCall, kFreeCall };
// KernelCall / DelegateCall { index: int; args: [int] }, MoveCall { from, to },
// JumpFalseCall { cond_value_index, destination_instruction }, FreeCall { value_index }
enum CallField { kCallIndex = 0, kCallArgs };
// table Operator
enum OperatorField { kOpName = 0, kOpOverload };
// table EValue { val: KernelTypes (union) }
enum EValueField { kValueType = 0, kValueVal };
enum ValueKind : uint8_t { kValNone = 0, kValNull, kValInt, kValBool, kValDouble, kValTensor, kValString,
                           kValIntList, kValDoubleList, kValBoolList, kValTensorList, kValOptTensorList };
// Int/Bool/Double/String and the list tables have one field: their value / items.
constexpr int kScalarField = 0;
// table Tensor
enum TensorField { kTensorScalarType = 0, kTensorStorageOffset, kTensorSizes, kTensorDimOrder,
                   kTensorRequiresGrad, kTensorDataBufferIdx, kTensorAllocationInfo, kTensorLayout,
                   kTensorDynamism, kTensorExtraInfo };
// table AllocationDetails
enum AllocField { kAllocMemoryId = 0, kAllocOffsetLow, kAllocOffsetHigh };
// table ExtraTensorInfo
enum ExtraInfoField { kExtraMutableSegmentsIdx = 0, kExtraFqn, kExtraLocation };
// table BackendDelegate
enum DelegateField { kDelegateId = 0, kDelegateProcessed, kDelegateCompileSpecs };
// table BackendDelegateDataReference
enum DataRefField { kDataRefLocation = 0, kDataRefIndex };
enum DataLocation : uint8_t { kInline = 0, kSegment = 1 };
// table CompileSpec
enum CompileSpecField { kSpecKey = 0, kSpecValue };
// table Buffer / BackendDelegateInlineData { storage/data: [ubyte] }
constexpr int kBytesField = 0;
// table DataSegment
enum SegmentField { kSegmentOffset = 0, kSegmentSize };
// table SubsegmentOffsets
enum SubsegmentField { kSubsegmentIndex = 0, kSubsegmentOffsets };

}  // namespace schema
}  // namespace slimtorch
