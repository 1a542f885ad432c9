"""slimtorch's XNNPACK blobs (python/slimtorch/backends/xnnpack): upstream's flatc reads the
graphs we write, our reader decodes upstream's blobs, corrupt blobs only raise XnnBlobError, and
upstream's runtime (its XnnpackBackend) runs our blobs and matches PyTorch eager."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slimtorch import flatbuf, pte, schema
from slimtorch.backends import get_backend
from slimtorch.backends.xnnpack import (
    XnnBlobError,
    XnnpackBackend,
    parse_blob,
    read_blob,
)
from slimtorch.backends.xnnpack import schema as xs

from .xnnpack_helpers import decomposed, delegated_program, model_partition, whole_partition

executorch = pytest.importorskip("executorch", reason="needs upstream ExecuTorch (the wheel)")
ET = Path(list(executorch.__path__)[0])
FLATC = ET / "data" / "bin" / "flatc"
SCHEMA = ET / "backends" / "xnnpack" / "serialization" / "schema.fbs"


def flatc_json(fbuf: bytes, tmp: Path) -> dict[str, Any]:
    """The XN01 flatbuffer as upstream's flatc and schema.fbs read it (defaults included)."""
    (tmp / "g.bin").write_bytes(fbuf)
    subprocess.run(
        [
            str(FLATC),
            "--json",
            "--strict-json",
            "--defaults-json",
            "--raw-binary",
            "-o",
            str(tmp),
            str(SCHEMA),
            "--",
            str(tmp / "g.bin"),
        ],
        check=True,
    )
    text = (tmp / "g.json").read_text()
    return json.loads(re.sub(r"(?<![\w\"])(-?)inf\b", r"\1Infinity", text))


def as_json(obj: Any) -> Any:
    """What flatc --defaults-json prints for a schema dataclass (the intended graph)."""
    if isinstance(obj, list):
        return [as_json(x) for x in obj]
    out: dict[str, Any] = {}
    for spec in schema.field_specs(type(obj)):
        v = getattr(obj, spec.name)
        if v is None:
            continue
        if spec.kind.startswith("union:"):
            out[spec.name + "_type"] = type(v).__name__
            out[spec.name] = as_json(v)
        elif spec.kind in ("table", "[table]"):
            out[spec.name] = as_json(v)
        elif spec.name == "datatype":
            out[spec.name] = "xnn_datatype_" + xs.XNNDatatype(v).name
        else:
            out[spec.name] = v
    return out


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    """(partition, module, inputs) of some models of models/."""
    return {m: model_partition(m) for m in ("mlp", "ds_cnn", "resnet8", "mobilenet_v1_025")}


def upstream_blobs(module: torch.nn.Module, inputs: tuple) -> list[bytes]:
    """The XNNPACK blobs upstream's XnnpackPartitioner makes of `module`."""
    from slimtorch import upstream

    pf = pte.read_pte(upstream.export_program(module, inputs, xnnpack=True))
    out = []
    for d in pf.program.execution_plan[0].delegates:
        assert d.id == "XnnpackBackend"
        ref = d.processed
        out.append(
            pf.segment(ref.index)
            if ref.location == schema.DataLocation.SEGMENT
            else pf.program.backend_delegate_data[ref.index].data
        )
    return out


# --------------------------------------------------------------------------- the format


@pytest.mark.parametrize("model", ["mlp", "ds_cnn", "resnet8"])
def test_flatc_reads_our_graph_as_meant(ours: dict[str, Any], model: str, tmp_path: Path) -> None:
    blob = XnnpackBackend().preprocess(ours[model][0]).blob
    parts = parse_blob(blob)
    assert parts.flatbuffer[4:8] == b"XN01"
    got = flatc_json(parts.flatbuffer, tmp_path)
    assert got == as_json(parts.graph)
    assert got["xnodes"] and got["version"] == "0"


@pytest.mark.parametrize("where", ["named", "blob"])
def test_blob_layout_is_upstreams(ours: dict[str, Any], where: str) -> None:
    pre = XnnpackBackend(where).preprocess(ours["ds_cnn"][0])
    blob = pre.blob
    assert blob[:4] == b"\0\0\0\0" and blob[4:8] == b"XH00"
    length, fb_off, fb_size, c_off = struct.unpack_from("<HIII", blob, 8)
    (c_size,) = struct.unpack_from("<Q", blob, 22)
    assert (length, fb_off) == (30, 32)
    assert c_off == fb_off + (fb_size + 15) // 16 * 16 and c_off + c_size == len(blob)
    graph = parse_blob(blob).graph
    entries = graph.constant_data
    assert entries[0].size == 0 and len(entries) == 21  # 20 weights/biases after the null entry
    if where == "named":
        assert c_size == 0
        for e in entries[1:]:
            assert e.offset == xs.NAMED_OFFSET
            assert hashlib.sha256(pre.named_data[e.named_key]).hexdigest() == e.named_key
            assert len(pre.named_data[e.named_key]) == e.size
    else:
        assert not pre.named_data
        assert all(e.offset % 16 == 0 and e.named_key is None for e in entries[1:])
        assert c_size == entries[-1].offset + entries[-1].size


@pytest.mark.parametrize("model", ["mlp", "ds_cnn"])
def test_read_blob_decodes_upstreams_blobs(
    ours: dict[str, Any], model: str, tmp_path: Path
) -> None:
    _, module, inputs = ours[model]
    blobs = upstream_blobs(module, inputs)
    assert blobs
    for blob in blobs:
        summary = read_blob(blob)
        fb_off, fb_size = struct.unpack_from("<II", blob, 10)
        ref = flatc_json(blob[fb_off : fb_off + fb_size], tmp_path)
        assert summary.node_types == [n["xnode_union_type"] for n in ref["xnodes"]]
        assert summary.num_values == len(ref["xvalues"])
        assert summary.input_ids == ref["input_ids"]
        assert summary.output_ids == ref["output_ids"]
        assert summary.num_constants == len(ref["constant_data"]) - 1
        assert summary.constant_bytes == sum(c["size"] for c in ref["constant_data"])
    if model == "ds_cnn":  # one delegate: our lowering makes upstream's node sequence
        ourblob = XnnpackBackend().preprocess(ours[model][0]).blob
        assert read_blob(ourblob).node_types == read_blob(blobs[0]).node_types


def _flips() -> st.SearchStrategy:
    return st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 7)), min_size=1, max_size=4)


@pytest.fixture(scope="module")
def sample_blob() -> bytes:
    lm_part = whole_partition(
        decomposed(
            torch.nn.Sequential(
                torch.nn.Conv2d(3, 4, 3, padding=1),
                torch.nn.ReLU(),
                torch.nn.Flatten(),
                torch.nn.Linear(4 * 6 * 6, 5),
            ).eval(),
            (torch.randn(1, 3, 6, 6),),
        )
    )
    return XnnpackBackend("blob").preprocess(lm_part).blob


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(flips=_flips(), cut=st.integers(0, 1 << 20))
def test_corrupt_blobs_raise_only_xnn_blob_error(sample_blob: bytes, flips: list, cut: int) -> None:
    _read_corrupted(sample_blob, flips, cut)


def _read_corrupted(blob: bytes, flips: list, cut: int) -> None:
    """read_blob on `blob` with bits flipped, then also cut short: XnnBlobError or a summary."""
    data = bytearray(blob)
    for pos, bit in flips:
        data[pos % len(data)] ^= 1 << bit
    for candidate in (bytes(data), bytes(data[: cut % (len(data) + 1)])):
        try:
            read_blob(candidate)
        except XnnBlobError:
            pass


def test_corrupt_blob_messages_name_the_field(sample_blob: bytes) -> None:
    def patched(offset: int, fmt: str, value: int) -> bytes:
        b = bytearray(sample_blob)
        struct.pack_into(fmt, b, offset, value)
        return bytes(b)

    cases = {
        b"\0\0\0\0XH01" + sample_blob[8:]: "magic",
        patched(10, "<I", 1 << 30): "flatbuffer of",
        patched(22, "<Q", 1 << 40): "constant data",
        sample_blob[:20]: "shorter than",
    }
    for blob, words in cases.items():
        with pytest.raises(XnnBlobError, match=words):
            read_blob(blob)
    g = parse_blob(sample_blob)
    g.graph.input_ids = [999]
    with pytest.raises(XnnBlobError, match="input_ids refers to value 999"):
        read_blob(_reserialize(g.graph, g.constants))
    g.graph.input_ids = [0]
    g.graph.constant_data[1].size = 1 << 20
    with pytest.raises(XnnBlobError, match=r"constant_data\[1\]"):
        read_blob(_reserialize(g.graph, g.constants))


def _reserialize(graph: xs.XNNGraph, constants: bytes) -> bytes:
    from slimtorch.backends.xnnpack import serialize_blob

    return serialize_blob(graph, constants)


def test_flatbuf_writer_handles_the_new_kinds() -> None:
    g = xs.XNNGraph(
        version="0",
        xnodes=[xs.XNode(xs.XNNLeakyReLU(0.25, 0, 1), 7, xs.OutputMinMax(-1.5, float("inf")))],
        xvalues=[
            xs.XValue(
                xs.XNNQuantizedTensorValue(
                    xs.XNNTensorValue(datatype=3, num_dims=1, dims=[4]), xs.PerTensorQuant(0.5, -3)
                )
            )
        ],
        input_ids=[0],
        output_ids=[1],
    )
    back = flatbuf.decode(xs.XNNGraph, flatbuf.encode(g, file_identifier=b"XN01"))
    assert back == g


# --------------------------------------------------------------------------- upstream runs ours


def _run_upstream(partition: Any, where: str, inputs: tuple) -> list[torch.Tensor]:
    from slimtorch.upstream import run_program

    pre = XnnpackBackend(where).preprocess(partition)
    return run_program(
        delegated_program(partition, "XnnpackBackend", pre.blob, pre.named_data), list(inputs)
    )


@pytest.mark.parametrize("where", ["named", "blob"])
@pytest.mark.parametrize("model", ["mlp", "ds_cnn", "resnet8", "mobilenet_v1_025"])
def test_upstream_runtime_runs_our_blobs(ours: dict[str, Any], model: str, where: str) -> None:
    partition, module, inputs = ours[model]
    got = _run_upstream(partition, where, inputs)
    torch.testing.assert_close(got[0], module(*inputs), atol=1e-4, rtol=1e-4)


class _Ops(torch.nn.Module):
    """Every other node type the lowering takes, in NCHW around convolutions."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=1, padding=1)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn = torch.nn.BatchNorm2d(8)
        self.register_buffer("scale", torch.linspace(0.5, 1.5, 8).reshape(8, 1, 1))
        self.fc = torch.nn.Linear(8 * 4 * 4, 6)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
        a = torch.nn.functional.hardtanh(self.bn(self.dw(self.conv(x))), -1.0, 2.0)
        a = torch.nn.functional.max_pool2d(a, 3, stride=2, padding=1)  # 8x8 -> 4x4
        b = torch.nn.functional.avg_pool2d(a, 3, stride=1, padding=1, count_include_pad=False)
        b = torch.nn.functional.leaky_relu(b * self.scale, 0.1) - 0.25
        c = torch.nn.functional.elu(b) / 2.0 + torch.sigmoid(a)
        c = torch.maximum(torch.nn.functional.hardswish(c), torch.abs(-a))
        pooled = c.mean(dim=(2, 3), keepdim=True)
        flat = (c + pooled).view(1, -1)
        z = torch.softmax(self.fc(flat), dim=-1)
        w = torch.sqrt(torch.abs(y) + 1.0) * torch.floor(y) + torch.ceil(y).neg()
        padded = torch.nn.functional.pad(c, (1, 2, 0, 1), value=0.5)
        return z, torch.clamp(w, -3.0, 3.0), padded


def test_upstream_runtime_runs_every_lowered_node_type() -> None:
    torch.manual_seed(0)
    module = _Ops().eval()
    with torch.no_grad():
        module.bn.running_mean.uniform_(-0.2, 0.2)
        module.bn.running_var.uniform_(0.5, 1.5)
    inputs = (torch.randn(1, 3, 8, 8), torch.randn(2, 5) * 3)
    ep = decomposed(module, inputs)
    backend = get_backend("xnnpack")
    refused = [
        n.name for n in ep.graph.nodes if n.op == "call_function" and not backend.supports(n, ep)
    ]
    assert refused == []
    partition = whole_partition(ep)
    types = set(read_blob(backend.preprocess(partition).blob).node_types)
    # (hardswish reaches the backend decomposed: add, clamp, mul, div)
    assert {
        "XNNDepthwiseConv2d",
        "XNNMaxPooling2d",
        "XNNAvgPooling2d",
        "XNNLeakyReLU",
        "XNNELU",
        "XNNGlobalAvgPooling2d",
        "XNNStaticConstantPad",
        "XNNSoftmax",
        "XNNClamp",
        "XNNMaximum",
        "XNNSquareRoot",
        "XNNFloor",
        "XNNCeiling",
        "XNNNegate",
        "XNNAbs",
        "XNNSigmoid",
        "XNNDiv",
        "XNNSubtract",
        "XNNMultiply",
        "XNNAdd",
        "XNNStaticReshape",
        "XNNStaticTranspose",
    } <= types
    got = _run_upstream(partition, "named", inputs)
    for g, want in zip(got, module(*inputs), strict=True):
        torch.testing.assert_close(g, want, atol=1e-4, rtol=1e-4)


class _Refused(torch.nn.Module):
    def forward(self, x: torch.Tensor, i: torch.Tensor) -> tuple[torch.Tensor, ...]:
        t = torch.tanh(x) + torch.exp(x)
        g = torch.nn.functional.gelu(x)
        m = torch.bmm(x, x.transpose(1, 2))
        c = torch.cat([x, g], dim=1)[:, 1:3]
        s = torch.softmax(x.unsqueeze(0), dim=1)
        return t, m, c, s, i + 1


def test_supports_refuses_what_debians_xnnpack_lacks() -> None:
    ep = decomposed(_Refused(), (torch.randn(2, 3, 3), torch.ones(3, dtype=torch.int32)))
    backend = get_backend("xnnpack")
    taken = {
        str(n.target) for n in ep.graph.nodes if n.op == "call_function" and backend.supports(n, ep)
    }
    assert taken <= {"aten.add.Tensor", "aten.view.default", "aten.unsqueeze.default"}, taken
    ints = [
        n for n in ep.graph.nodes if n.op == "call_function" and n.meta["val"].dtype == torch.int32
    ]
    assert ints and not any(backend.supports(n, ep) for n in ints)


# The whole path (slimtorch.export(backends=["xnnpack"]) on upstream's runtime) for every model is
# tests/test_xnnpack_compat.py's.


F = torch.nn.functional


class _SharedWeight(torch.nn.Module):  # one weight in two delegates, tanh between them
    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(torch.tanh(self.lin(x)))


class _PoolAfterPortable(torch.nn.Module):  # a 4-d delegate input that pooling reads first
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(torch.tanh(self.conv(x)), 2)


class _ManyUsers(torch.nn.Module):  # a conv read by a clamp, an add and a batch norm
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)
        self.bn = torch.nn.BatchNorm2d(3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        y = self.conv(x)
        return torch.relu(y) + y, self.bn(y)


class _LayoutConsumers(torch.nn.Module):  # NHWC values read by row-major-only consumers
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        y = self.conv(x)
        return (
            torch.softmax(y, -1),
            y.view(1, 8, 2, 4),
            y.mean((2, 3)),
            torch.tanh(y) + 1,
            y + v,
            F.pad(y, (1, 1, 2, 0)),
            y.permute(0, 2, 3, 1),
        )


class _Upsample(torch.nn.Module):  # bilinear upsampling both ways of aligning corners
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        y = self.conv(x)
        return (
            F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False),
            F.interpolate(y, size=(7, 5), mode="bilinear", align_corners=True),
        )


@pytest.mark.parametrize(
    ("module", "inputs"),
    [
        (_SharedWeight(), (torch.randn(2, 8),)),
        (_PoolAfterPortable(), (torch.randn(1, 3, 9, 9),)),
        (_ManyUsers(), (torch.randn(1, 3, 4, 4),)),
        (_LayoutConsumers(), (torch.randn(1, 3, 4, 4), torch.randn(4))),
        (_Upsample(), (torch.randn(1, 2, 3, 4),)),
    ],
    ids=["shared-weight", "pool-after-portable", "many-users", "layout-consumers", "upsample"],
)
def test_partial_delegation_runs_on_upstream(module: torch.nn.Module, inputs: tuple) -> None:
    import slimtorch
    from slimtorch.upstream import run_program

    module.eval()
    prog = slimtorch.export(module, inputs, backends=["xnnpack"])
    plan = pte.read_pte(prog.buffer).program.execution_plan[0]
    assert plan.delegates
    if isinstance(module, _Upsample):  # all of it delegated
        assert len(plan.chains[0].instructions) == 1
    if isinstance(module, _SharedWeight):  # two delegates, one copy of the weight and bias
        assert len(plan.delegates) == 2
        assert len(pte.read_pte(prog.buffer).program.named_data or []) == 2
    want = module(*inputs)
    want = [want] if isinstance(want, torch.Tensor) else list(want)
    for g, w in zip(run_program(prog.buffer, list(inputs)), want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-4, rtol=1e-4)


class _AwkwardOutputs(torch.nn.Module):  # a repeated output, a constant-only output
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("c", torch.arange(6.0).reshape(2, 3))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        y = torch.relu(x)
        return y, y, (self.c * 2.0) + 1.0


def test_awkward_outputs_get_their_own_values() -> None:
    """An output repeated or computed from constants only gets an identity clamp of its own
    (an external value may be written by one node only)."""
    module = _AwkwardOutputs().eval()
    inputs = (torch.randn(2, 3),)
    partition = whole_partition(decomposed(module, inputs))
    summary = read_blob(XnnpackBackend().preprocess(partition).blob)
    assert summary.node_types.count("XNNClamp") == 3  # relu, then the copies
    for g, w in zip(_run_upstream(partition, "named", inputs), module(*inputs), strict=True):
        torch.testing.assert_close(g, w)


@pytest.fixture(scope="module")
def upstream_sample_blob() -> bytes:
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()).eval()
    return upstream_blobs(module, (torch.randn(1, 3, 6, 6),))[0]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(flips=_flips(), cut=st.integers(0, 1 << 20))
def test_corrupt_upstream_blobs_raise_only_xnn_blob_error(
    upstream_sample_blob: bytes, flips: list, cut: int
) -> None:
    read_blob(upstream_sample_blob)  # the intact blob reads
    _read_corrupted(upstream_sample_blob, flips, cut)
