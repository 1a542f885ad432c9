"""ctypes access to //kernels/portable/testing:libkernel_abi.so for the kernel tests.

The library is built with Bazel (``bazel build //kernels/portable/testing:libkernel_abi.so``)
unless ``SLIMTORCH_KERNEL_ABI_LIB`` names an already built copy.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
TARGET = "//kernels/portable/testing:libkernel_abi.so"

# numpy dtype -> ScalarType number (scalar_type.fbs)
SCALAR_TYPE: dict[np.dtype, int] = {
    np.dtype(np.uint8): 0,
    np.dtype(np.int8): 1,
    np.dtype(np.int16): 2,
    np.dtype(np.int32): 3,
    np.dtype(np.int64): 4,
    np.dtype(np.float16): 5,
    np.dtype(np.float32): 6,
    np.dtype(np.float64): 7,
    np.dtype(np.bool_): 11,
}

ERROR_NAMES = [
    "Ok",
    "InvalidArgument",
    "InvalidProgram",
    "NotSupported",
    "MissingKernel",
    "MissingBackend",
    "OutOfMemory",
    "LimitExceeded",
    "KernelFailed",
    "Internal",
]


class StTestArg(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int32),
        ("dtype", ctypes.c_int32),
        ("i", ctypes.c_int64),
        ("d", ctypes.c_double),
        ("ndim", ctypes.c_int32),
        ("dynamism", ctypes.c_int32),
        ("sizes", ctypes.POINTER(ctypes.c_int32)),
        ("list", ctypes.POINTER(ctypes.c_int64)),
        ("dim_order", ctypes.POINTER(ctypes.c_uint8)),
        ("data", ctypes.c_void_p),
        ("capacity_bytes", ctypes.c_uint64),
        ("hidden", ctypes.c_int32),
    ]


(
    KIND_NONE,
    KIND_INT,
    KIND_DOUBLE,
    KIND_BOOL,
    KIND_TENSOR,
    KIND_INT_LIST,
    KIND_ALIAS,
    KIND_STRING,
    KIND_TENSOR_LIST,
    KIND_OPT_TENSOR_LIST,
    KIND_DOUBLE_LIST,
) = range(11)


@dataclass
class IntList:
    """An int[] / SymInt[] argument (a Python list would be ambiguous)."""

    values: list[int]


@dataclass
class DoubleList:
    """A float[] argument (upsample's scale_factors)."""

    values: list[float]


@dataclass
class Out:
    """An output tensor: the kernel resizes it (dynamic), or it has the result shape (static)."""

    dtype: np.dtype
    shape: tuple[int, ...]  # initial shape
    dynamic: bool = False
    capacity_elems: int = 0  # dynamic: elements available (>= result numel)
    dim_order: list[int] | None = None  # None: contiguous


@dataclass
class Str:
    """A str argument (gelu's `approximate`)."""

    value: str


@dataclass
class TensorListArg:
    """A Tensor[] argument made of the tensor args at these indices (often Hidden ones)."""

    indices: list[int]


@dataclass
class Hidden:
    """A tensor (array or Out) that is only an item of a TensorListArg, not a kernel argument."""

    tensor: object


@dataclass
class Strided:
    """A tensor passed with an explicit (non-identity) dim order."""

    array: np.ndarray
    dim_order: list[int]


def build_library(target: str = TARGET, env_var: str = "SLIMTORCH_KERNEL_ABI_LIB") -> Path:
    """Path of a kernel-ABI library: $env_var, or `target` built now with Bazel.

    The default is the portable kernels' library; kernels/cortex_m/tests pass
    //kernels/cortex_m/testing:libkernel_abi_cortex_m.so.
    """
    override = os.environ.get(env_var)
    if override:
        return Path(override)
    bazel = shutil.which("bazel")
    if bazel is None:
        raise RuntimeError(
            "bazel is not on PATH, so the kernel test library cannot be built; install Debian's "
            f"bazel-bootstrap, or build {target} elsewhere and set {env_var} to it"
        )
    proc = subprocess.run(
        [bazel, "build", "--nosandbox_debug", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bazel build {target} failed:\n{proc.stderr[-4000:]}")
    info = subprocess.run(
        [bazel, "info", "bazel-bin"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    return Path(info.stdout.strip()) / target.lstrip("/").replace(":", "/")


class KernelLib:
    """Loaded library: call kernels by registry name with numpy arrays and Python scalars."""

    def __init__(self, path: Path) -> None:
        self.lib = ctypes.CDLL(str(path))
        self.lib.st_test_call.argtypes = [
            ctypes.c_char_p,
            ctypes.POINTER(StTestArg),
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        self.lib.st_test_call.restype = ctypes.c_int
        self.lib.st_test_num_kernels.restype = ctypes.c_int
        self.lib.st_test_kernel_name.argtypes = [ctypes.c_int]
        self.lib.st_test_kernel_name.restype = ctypes.c_char_p

    def kernel_names(self) -> list[str]:
        return [
            self.lib.st_test_kernel_name(i).decode() for i in range(self.lib.st_test_num_kernels())
        ]

    def call(self, op: str, args: list[object]) -> tuple[int, str, list[np.ndarray | None]]:
        """Calls `op`; returns (error code, message, per-arg result arrays for Out args).

        An Out arg's result is its buffer viewed with the shape the kernel left in its sizes.
        Appends nothing: pass the return-value alias explicitly with ("alias", index).
        A Python list of arrays / None is a Tensor?[] argument (its tensors are appended as
        Hidden args, which the list refers to).
        """
        args = list(args)
        lists: dict[int, list[int]] = {}
        for idx in range(len(args)):
            if isinstance(args[idx], list):
                refs = []
                for item in args[idx]:  # type: ignore[union-attr]
                    if item is None:
                        refs.append(-1)
                    else:
                        refs.append(len(args))
                        args.append(Hidden(item))
                lists[idx] = refs
        keep: list[object] = []  # keeps ctypes buffers alive during the call
        structs = (StTestArg * max(1, len(args)))()
        outs: dict[int, tuple[np.ndarray, ctypes.Array, Out]] = {}
        for idx, arg in enumerate(args):
            s = structs[idx]
            if isinstance(arg, Hidden):
                s.hidden = 1
                arg = arg.tensor
            if arg is None:
                s.kind = KIND_NONE
            elif isinstance(arg, tuple) and len(arg) == 2 and arg[0] == "alias":
                s.kind, s.i = KIND_ALIAS, int(arg[1])
            elif isinstance(arg, bool):
                s.kind, s.i = KIND_BOOL, int(arg)
            elif isinstance(arg, int):
                s.kind, s.i = KIND_INT, arg
            elif isinstance(arg, float):
                s.kind, s.d = KIND_DOUBLE, arg
            elif idx in lists:
                refs_c = (ctypes.c_int64 * max(1, len(lists[idx])))(*lists[idx])
                keep.append(refs_c)
                s.kind, s.ndim, s.list = KIND_OPT_TENSOR_LIST, len(lists[idx]), refs_c
            elif isinstance(arg, Str):
                raw = ctypes.create_string_buffer(arg.value.encode())
                keep.append(raw)
                s.kind, s.ndim, s.data = KIND_STRING, len(arg.value), ctypes.addressof(raw)
            elif isinstance(arg, TensorListArg):
                values = (ctypes.c_int64 * max(1, len(arg.indices)))(*arg.indices)
                keep.append(values)
                s.kind, s.ndim, s.list = KIND_TENSOR_LIST, len(arg.indices), values
            elif isinstance(arg, DoubleList):
                doubles = (ctypes.c_double * max(1, len(arg.values)))(*arg.values)
                keep.append(doubles)
                s.kind, s.ndim = KIND_DOUBLE_LIST, len(arg.values)
                s.data = ctypes.addressof(doubles)
            elif isinstance(arg, IntList):
                values = (ctypes.c_int64 * max(1, len(arg.values)))(*arg.values)
                keep.append(values)
                s.kind, s.ndim, s.list = KIND_INT_LIST, len(arg.values), values
            elif isinstance(arg, (np.ndarray, Strided, Out)):
                if isinstance(arg, Out):
                    n = (
                        arg.capacity_elems
                        if arg.dynamic
                        else int(np.prod(arg.shape, dtype=np.int64))
                    )
                    buf = np.zeros(max(1, n), dtype=arg.dtype)
                    if buf.dtype.kind == "f":
                        buf[:] = np.nan  # unwritten elements show up as NaN
                    shape, array, order = arg.shape, buf, arg.dim_order
                    s.dynamism = 1 if arg.dynamic else 0
                    s.capacity_bytes = n * buf.itemsize
                else:
                    array = arg.array if isinstance(arg, Strided) else arg
                    order = arg.dim_order if isinstance(arg, Strided) else None
                    array = np.require(
                        array, requirements="C"
                    )  # (ascontiguousarray makes 0-dim 1-dim)
                    shape = array.shape
                    s.capacity_bytes = array.nbytes
                sizes = (ctypes.c_int32 * max(1, len(shape)))(*shape)
                keep += [array, sizes]
                s.kind, s.dtype, s.ndim, s.sizes = (
                    KIND_TENSOR,
                    SCALAR_TYPE[array.dtype],
                    len(shape),
                    sizes,
                )
                s.data = array.ctypes.data
                if order is not None:
                    dim_order = (ctypes.c_uint8 * len(order))(*order)
                    keep.append(dim_order)
                    s.dim_order = dim_order
                if isinstance(arg, Out):
                    outs[idx] = (array, sizes, arg)
            else:
                raise TypeError(f"cannot pass {type(arg).__name__} to a kernel")
        msg = ctypes.create_string_buffer(256)
        err = self.lib.st_test_call(op.encode(), structs, len(args), msg, len(msg))
        results: list[np.ndarray | None] = [None] * len(args)
        for idx, (array, sizes, out) in outs.items():
            shape = tuple(sizes[d] for d in range(len(out.shape)))
            numel = int(np.prod(shape, dtype=np.int64))
            results[idx] = array[:numel].reshape(shape)
        return err, msg.value.decode(), results
