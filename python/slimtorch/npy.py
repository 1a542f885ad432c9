"""Reading .npy files whose headers may lie: the header is checked before numpy trusts it.

numpy.load accepts a header whose shape needs more bytes than the file has past the header
only by failing late, and one whose data is shorter than the file silently; it also accepts
dimensions the runtime cannot hold (int32 sizes). `load_npy` checks, naming the field:
the format version, `descr` (no Python objects), `shape` (a tuple of integers, each at most
2^31 - 1, the runtime's limit) and that shape x itemsize is exactly the data the file holds.
The C++ runner's parser (app/runner_main.cc, read_npy) checks the same things.
"""

from __future__ import annotations

import math
import os

import numpy as np
from numpy.lib import format as npy_format

MAX_DIM = 2**31 - 1  # runtime tensor sizes are int32


class NpyError(ValueError):
    """The file is not a .npy the runtime can take; the message names the field."""


def load_npy(path: str) -> np.ndarray:
    """The array in `path`, after checking its header against its size (NpyError if not)."""
    try:
        with open(path, "rb") as f:
            try:
                version = npy_format.read_magic(f)
            except ValueError:
                raise NpyError(
                    f"{path} is not a .npy file (no \\x93NUMPY magic); write it with numpy.save"
                ) from None
            try:
                if version == (1, 0):
                    shape, fortran, dtype = npy_format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = npy_format.read_array_header_2_0(f)
                else:
                    raise NpyError(
                        f"{path}: .npy format version {version[0]}.{version[1]} is "
                        "not supported (1.0 and 2.0 are); write it with numpy.save"
                    )
            except NpyError:
                raise
            except (ValueError, OSError, EOFError) as e:
                raise NpyError(
                    f"{path}: the .npy header is invalid ({e}); 'shape' must be a "
                    "tuple of integers and 'descr' a dtype: write it with "
                    "numpy.save"
                ) from None
            data_bytes = os.fstat(f.fileno()).st_size - f.tell()
    except OSError as e:
        raise NpyError(f"cannot read {path}: {e.strerror}") from None
    if dtype.hasobject:
        raise NpyError(f"{path}: header 'descr' {dtype} holds Python objects; save a numeric array")
    for d, size in enumerate(shape):
        if size < 0:
            raise NpyError(f"{path}: header 'shape' {shape}: dimension {d} is negative")
        if size > MAX_DIM:
            raise NpyError(
                f"{path}: header 'shape' {shape}: dimension {d} is {size}, above "
                f"the runtime's limit {MAX_DIM}"
            )
    need = math.prod(shape) * dtype.itemsize
    if need != data_bytes:
        raise NpyError(
            f"{path}: header 'shape' {shape} of 'descr' {dtype.str} needs {need} "
            f"data bytes, the file holds {data_bytes}: the header does not match "
            "the data (truncated or edited file?); write it again with numpy.save"
        )
    del fortran  # numpy.load handles Fortran order; the embed copy makes it C order
    return np.load(path, allow_pickle=False)
