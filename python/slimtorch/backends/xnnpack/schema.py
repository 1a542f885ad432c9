"""slimtorch's description of upstream's XNNPACK delegate graph (`schema.fbs`, identifier XN01).

The tables are dataclasses in schema order, tagged with `slimtorch.schema.fb` exactly like the
program schema, so `slimtorch.flatbuf` writes and reads them (one writer for both formats).
Deprecated fields keep their slot (flatc numbers them) but are never written. Unions whose
members share one table (`XNNAdd: _XNNNode2x1`) get one subclass per member, so the union tag
is the class: `XNNAdd(input1_id=0, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from slimtorch.schema import fb

FILE_IDENTIFIER = b"XN01"
VERSION = "0"  # XNNGraph.version as upstream 1.5.1 writes it
NO_ID = 0xFFFFFFFF  # XNNTensorValue.external_id of a value that is not an input/output
NAMED_OFFSET = 0xFFFFFFFFFFFFFFFF  # ConstantDataOffset.offset of a constant in named data

# XNNTensorValue.flags (XNNPACK's XNN_VALUE_FLAG_*)
FLAG_EXTERNAL_INPUT = 1
FLAG_EXTERNAL_OUTPUT = 2
# Pooling / padding flags (XNNPACK's XNN_FLAG_*)
FLAG_TENSORFLOW_SAME_PADDING = 4
FLAG_KEEP_DIMS = 64
FLAG_ALIGN_CORNERS = 8  # resize bilinear: align_corners=True


class XNNDatatype(IntEnum):
    invalid = 0
    fp32 = 1
    fp16 = 2
    qint8 = 3
    quint8 = 4
    qint32 = 5
    qcint8 = 6
    qcint32 = 7
    qcint4 = 8
    qdint8 = 9
    qbint4 = 10
    qpint8 = 11
    int32 = 12
    pfp32 = 13
    bf16 = 14


# ----------------------------------------------------------------------------- values


@dataclass
class Buffer:  # deprecated table, kept for its place in XNNGraph
    storage: bytes | None = fb("bytes", align=16)


@dataclass
class PerChannelGroupQuant:
    scale: list[float] = fb("[f32]", [])
    channel_dim: int = fb("i32", 0)
    group_size: int = fb("i32", 0)
    scale_bf16: list[int] | None = fb("[u16]")  # deprecated
    scale_buffer_idx: int = fb("u32", 0)
    num_scales: int = fb("u32", 0)


@dataclass
class PerChannelQuant:
    scale: list[float] = fb("[f32]", [])
    channel_dim: int = fb("i32", 0)
    scale_buffer_idx: int = fb("u32", 0)
    num_scales: int = fb("u32", 0)


@dataclass
class PerTokenDynamicQuant:
    num_nonbatch_dims: int = fb("i32", 0)


@dataclass
class PerTensorQuant:
    scale: float = fb("f32", 0.0)
    zero_point: int = fb("i32", 0)


QUANT_PARAMS: list[type] = [
    PerChannelQuant,
    PerTensorQuant,
    PerTokenDynamicQuant,
    PerChannelGroupQuant,
]


@dataclass
class XNNTensorValue:
    datatype: int = fb("i16", 0)
    num_dims: int = fb("u32", 0)
    dims: list[int] = fb("[u32]", [])
    constant_buffer_idx: int = fb("u32", 0)
    external_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)
    id_out: int = fb("u32", 0)


@dataclass
class XNNQuantizedTensorValue:
    tensor_value: XNNTensorValue | None = fb("table", cls=XNNTensorValue)
    quant_params: object | None = fb("union:XNNQuantParams", cls=QUANT_PARAMS)  # type: ignore[arg-type]


@dataclass
class XValue:
    xvalue_union: object | None = fb(
        "union:XValueUnion", cls=[XNNTensorValue, XNNQuantizedTensorValue]
    )  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- nodes


@dataclass
class _XNNNode2x1:
    input1_id: int = fb("u32", 0)
    input2_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class _XNNNode1x1:
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class _XNNCat:
    axis: int = fb("u32", 0)
    input1_id: int = fb("u32", 0)
    input2_id: int = fb("u32", 0)
    input3_id: int = fb("u32", 0)
    input4_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)
    input5_id: int = fb("u32", 0)


@dataclass
class _XNNNodeConv:
    padding_top: int = fb("u32", 0)
    padding_right: int = fb("u32", 0)
    padding_bottom: int = fb("u32", 0)
    padding_left: int = fb("u32", 0)
    kernel_height: int = fb("u32", 0)
    kernel_width: int = fb("u32", 0)
    subsampling_height: int = fb("u32", 0)
    subsampling_width: int = fb("u32", 0)
    dilation_height: int = fb("u32", 0)
    dilation_width: int = fb("u32", 0)
    group_input_channels: int = fb("u32", 0)
    group_output_channels: int = fb("u32", 0)
    groups: int = fb("u32", 0)
    adjustment_height: int = fb("u32", 0)
    adjustment_width: int = fb("u32", 0)
    input1_id: int = fb("u32", 0)
    filter_id: int = fb("u32", 0)
    bias_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class _XNNPooling2D:
    padding_top: int = fb("u32", 0)
    padding_right: int = fb("u32", 0)
    padding_bottom: int = fb("u32", 0)
    padding_left: int = fb("u32", 0)
    pooling_height: int = fb("u32", 0)
    pooling_width: int = fb("u32", 0)
    stride_height: int = fb("u32", 0)
    stride_width: int = fb("u32", 0)
    dilation_height: int = fb("u32", 0)
    dilation_width: int = fb("u32", 0)
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNStaticTranspose:
    num_dims: int = fb("u32", 0)
    perm: list[int] = fb("[u32]", [])
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNStaticResizeBilinear2D:
    new_height: int = fb("u32", 0)
    new_width: int = fb("u32", 0)
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNStaticConstantPad:
    pre_paddings: list[int] = fb("[u32]", [])
    post_paddings: list[int] = fb("[u32]", [])
    padding_value: float = fb("f32", 0.0)
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNELU:
    alpha: float = fb("f32", 0.0)
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNFullyConnected:
    input1_id: int = fb("u32", 0)
    filter_id: int = fb("u32", 0)
    bias_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNStaticReshape:
    num_dims: int = fb("u32", 0)
    new_shape: list[int] = fb("[u32]", [])
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNStaticSlice:
    num_dims: int = fb("u32", 0)
    offsets: list[int] = fb("[u32]", [])
    sizes: list[int] = fb("[u32]", [])
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNScaledDotProductAttention:
    query_id: int = fb("u32", 0)
    key_id: int = fb("u32", 0)
    value_id: int = fb("u32", 0)
    scale_id: int = fb("u32", 0)
    mask_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNArgMaxPooling2d:
    padding_top: int = fb("u32", 0)
    padding_right: int = fb("u32", 0)
    padding_bottom: int = fb("u32", 0)
    padding_left: int = fb("u32", 0)
    pooling_height: int = fb("u32", 0)
    pooling_width: int = fb("u32", 0)
    input_id: int = fb("u32", 0)
    output_value_id: int = fb("u32", 0)
    output_index_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


@dataclass
class XNNLeakyReLU:
    negative_slope: float = fb("f32", 0.0)
    input_id: int = fb("u32", 0)
    output_id: int = fb("u32", 0)
    flags: int = fb("u32", 0)


def _member(name: str, base: type) -> type:
    """A union member sharing `base`'s table (its own class, so the class is the tag)."""
    return dataclass(type(name, (base,), {"__doc__": f"{name}: a {base.__name__} node."}))


# XNodeUnion, in schema order (tag = index + 1). Members with their own table are those above.
_N1 = _XNNNode1x1
_N2 = _XNNNode2x1
_NODE_MEMBERS: list[tuple[str, type]] = [
    ("XNNAdd", _N2),
    ("XNNFullyConnected", XNNFullyConnected),
    ("XNNSoftmax", _N1),
    ("XNNSigmoid", _N1),
    ("XNNStaticTranspose", XNNStaticTranspose),
    ("XNNClamp", _N1),
    ("XNNConv2d", _XNNNodeConv),
    ("XNNDiv", _N2),
    ("XNNStaticResizeBilinear2D", XNNStaticResizeBilinear2D),
    ("XNNStaticConstantPad", XNNStaticConstantPad),
    ("XNNAvgPooling2d", _XNNPooling2D),
    ("XNNMinimum", _N2),
    ("XNNDepthwiseConv2d", _XNNNodeConv),
    ("XNNMaxPooling2d", _XNNPooling2D),
    ("XNNMultiply", _N2),
    ("XNNSubtract", _N2),
    ("XNNFloor", _N1),
    ("XNNConvert", _N1),
    ("XNNGlobalAvgPooling2d", _N1),
    ("XNNStaticReshape", XNNStaticReshape),
    ("XNNArgMaxPooling2d", XNNArgMaxPooling2d),
    ("XNNSquareRoot", _N1),
    ("XNNCeiling", _N1),
    ("XNNHardswish", _N1),
    ("XNNLeakyReLU", XNNLeakyReLU),
    ("XNNMaximum", _N2),
    ("XNNNegate", _N1),
    ("XNNSquare", _N1),
    ("XNNELU", XNNELU),
    ("XNNAbs", _N1),
    ("XNNPReLU", _N2),
    ("XNNConcatenate2", _XNNCat),
    ("XNNConcatenate3", _XNNCat),
    ("XNNConcatenate4", _XNNCat),
    ("XNNStaticSlice", XNNStaticSlice),
    ("XNNScaledDotProductAttention", XNNScaledDotProductAttention),
    ("XNNBatchMatrixMultiply", _N2),
    ("XNNConcatenate5", _XNNCat),
    ("XNNConvTranspose2d", _XNNNodeConv),
    ("XNNReciprocalSquareRoot", _N1),
    ("XNNLog", _N1),
    ("XNNGelu", _N1),
    ("XNNTanh", _N1),
    ("XNNExp", _N1),
    ("XNNSin", _N1),
    ("XNNCopy", _N1),
    ("XNNCos", _N1),
]
NODE_TYPES: list[type] = [
    table if table.__name__ == name else _member(name, table) for name, table in _NODE_MEMBERS
]
NODE = {cls.__name__: cls for cls in NODE_TYPES}  # "XNNAdd" -> its class


@dataclass
class OutputMinMax:
    output_min: float = fb("f32", 0.0)
    output_max: float = fb("f32", 0.0)


@dataclass
class XNode:
    xnode_union: object | None = fb("union:XNodeUnion", cls=NODE_TYPES)  # type: ignore[arg-type]
    debug_handle: int = fb("u32", 0)
    output_min_max: OutputMinMax | None = fb("table", cls=OutputMinMax)


@dataclass
class ConstantDataOffset:
    offset: int = fb("u64", 0)
    size: int = fb("u64", 0)
    named_key: str | None = fb("str")


@dataclass
class XNNGraph:
    version: str | None = fb("str")
    xnodes: list[XNode] = fb("[table]", [], cls=XNode)
    xvalues: list[XValue] = fb("[table]", [], cls=XValue)
    num_externs: int = fb("u32", 0)
    input_ids: list[int] = fb("[u32]", [])
    output_ids: list[int] = fb("[u32]", [])
    constant_buffer: list[Buffer] | None = fb("[table]", cls=Buffer)  # deprecated
    mem_buffer_sizes: list[int] | None = fb("[u32]")  # deprecated
    constant_data: list[ConstantDataOffset] = fb("[table]", [], cls=ConstantDataOffset)
