// Field numbers of upstream ExecuTorch's XNNPACK delegate graph
// (backends/xnnpack/serialization/schema.fbs, file identifier "XN01"; "XN00"
// has the same layout), written as constants from the public schema's field
// order, like runtime/program/schema.h does for program.fbs. A field's number
// is its position in its table; a union takes two numbers (type byte, value).
//
// The XH00 header in front of the flatbuffer (xnnpack_graph_serialize.py):
//   [0,4)   zeros            [4,8)   "XH00"          [8,10)  header length (uint16, 30)
//   [10,14) flatbuffer offset (uint32)               [14,18) flatbuffer size (uint32)
//   [18,22) constant data offset (uint32)            [22,30) constant data size (uint64)
// all little-endian, offsets from the start of the blob.
#pragma once

#include <stdint.h>

namespace slimtorch {
namespace xnnpack {
namespace xnn_schema {

constexpr uint32_t kHeaderLength = 30;

// table XNNGraph
enum GraphField { kGraphVersion = 0, kGraphXnodes, kGraphXvalues, kGraphNumExterns, kGraphInputIds,
                  kGraphOutputIds, kGraphConstantBuffer, kGraphMemBufferSizes, kGraphConstantData };
// table XNode { xnode_union: XNodeUnion; debug_handle; output_min_max }
enum XNodeField { kNodeUnionType = 0, kNodeUnion, kNodeDebugHandle, kNodeOutputMinMax };
// table OutputMinMax
enum MinMaxField { kOutputMin = 0, kOutputMax };
// table XValue { xvalue_union: XValueUnion }
enum XValueField { kValueUnionType = 0, kValueUnion };
enum XValueKind : uint8_t { kTensorValue = 1, kQuantizedTensorValue = 2 };
// table XNNTensorValue (datatype is a 16-bit enum)
enum TensorValueField { kTvDatatype = 0, kTvNumDims, kTvDims, kTvConstantBufferIdx, kTvExternalId,
                        kTvFlags, kTvIdOut };
// table XNNQuantizedTensorValue { tensor_value; quant_params: XNNQuantParams }
enum QuantTensorField { kQtvTensorValue = 0, kQtvQuantParamsType, kQtvQuantParams };
enum QuantKind : uint8_t { kPerChannelQuant = 1, kPerTensorQuant = 2, kPerTokenDynamicQuant = 3,
                           kPerChannelGroupQuant = 4 };
// table PerChannelQuant / PerTensorQuant
enum PerChannelField { kPcScale = 0, kPcChannelDim, kPcScaleBufferIdx, kPcNumScales };
enum PerTensorField { kPtScale = 0, kPtZeroPoint };
// table ConstantDataOffset
enum ConstantDataField { kCdOffset = 0, kCdSize, kCdNamedKey };

// enum XNNDatatype (the numbers Debian's xnnpack.h uses for the first eight)
enum Datatype : uint8_t { kInvalid = 0, kFp32 = 1, kFp16 = 2, kQint8 = 3, kQuint8 = 4, kQint32 = 5,
                          kQcint8 = 6, kQcint32 = 7, kQcint4 = 8, kQdint8 = 9, kQbint4 = 10, kQpint8 = 11,
                          kInt32 = 12, kPfp32 = 13, kBf16 = 14 };

// union XNodeUnion: the type byte of each node kind.
enum NodeType : uint8_t {
  kNone = 0, kAdd, kFullyConnected, kSoftmax, kSigmoid, kStaticTranspose, kClamp, kConv2d, kDiv,
  kStaticResizeBilinear2D, kStaticConstantPad, kAvgPooling2d, kMinimum, kDepthwiseConv2d, kMaxPooling2d,
  kMultiply, kSubtract, kFloor, kConvert, kGlobalAvgPooling2d, kStaticReshape, kArgMaxPooling2d,
  kSquareRoot, kCeiling, kHardswish, kLeakyReLU, kMaximum, kNegate, kSquare, kELU, kAbs, kPReLU,
  kConcatenate2, kConcatenate3, kConcatenate4, kStaticSlice, kScaledDotProductAttention,
  kBatchMatrixMultiply, kConcatenate5, kConvTranspose2d, kReciprocalSquareRoot, kLog, kGelu, kTanh, kExp,
  kSin, kCopy, kCos,
  kNumNodeTypes
};

// The node tables' fields.
enum Node1x1Field { k11Input = 0, k11Output, k11Flags };                        // _XNNNode1x1
enum Node2x1Field { k21Input1 = 0, k21Input2, k21Output, k21Flags };            // _XNNNode2x1
enum FullyConnectedField { kFcInput = 0, kFcFilter, kFcBias, kFcOutput, kFcFlags };
enum ConvField { kConvPadTop = 0, kConvPadRight, kConvPadBottom, kConvPadLeft, kConvKernelH, kConvKernelW,
                 kConvStrideH, kConvStrideW, kConvDilationH, kConvDilationW, kConvGroupIn, kConvGroupOut,
                 kConvGroups, kConvAdjustH, kConvAdjustW, kConvInput, kConvFilter, kConvBias, kConvOutput,
                 kConvFlags };
enum PoolField { kPoolPadTop = 0, kPoolPadRight, kPoolPadBottom, kPoolPadLeft, kPoolH, kPoolW, kPoolStrideH,
                 kPoolStrideW, kPoolDilationH, kPoolDilationW, kPoolInput, kPoolOutput, kPoolFlags };
enum TransposeField { kTrNumDims = 0, kTrPerm, kTrInput, kTrOutput, kTrFlags };
enum ReshapeField { kRsNumDims = 0, kRsNewShape, kRsInput, kRsOutput, kRsFlags };
enum SliceField { kSlNumDims = 0, kSlOffsets, kSlSizes, kSlInput, kSlOutput, kSlFlags };
enum ResizeField { kRzNewHeight = 0, kRzNewWidth, kRzInput, kRzOutput, kRzFlags };
enum PadField { kPadPre = 0, kPadPost, kPadValue, kPadInput, kPadOutput, kPadFlags };
enum CatField { kCatAxis = 0, kCatInput1, kCatInput2, kCatInput3, kCatInput4, kCatOutput, kCatFlags,
                kCatInput5 };
enum EluField { kEluAlpha = 0, kEluInput, kEluOutput, kEluFlags };
enum LeakyReluField { kLrSlope = 0, kLrInput, kLrOutput, kLrFlags };

// "XNNAdd", ... for messages; "unknown" outside the union. Never null.
const char* node_type_name(uint8_t type);

}  // namespace xnn_schema
}  // namespace xnnpack
}  // namespace slimtorch
