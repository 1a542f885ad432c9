"""Operator manifests: upstream's ``selected_operators.yaml`` format.

``operators:`` maps each operator the program needs ("aten::add.out") to its
info; ``et_kernel_metadata:`` maps operators to kernel keys
(``v1/<dtype>;<dim order>|...``) saying which dtypes they run with;
``build_features:`` lists ``"backend:<id>"`` for each delegate backend the program
uses (BackendDelegate.id, e.g. ``backend:XnnpackBackend``; other features are
upstream's and ignored here). Only pyyaml is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BACKEND_FEATURE_PREFIX = "backend:"  # python/slimtorch/manifest.py writes these

_KEY_RE = re.compile(r"^(default|v1|v1/(\d+;[0-9,]*)(\|\d+;[0-9,]*)*)$")  # bare v1: no tensor args


class ManifestError(Exception):
    """A manifest is malformed; the message names the file and the fix."""


@dataclass(frozen=True)
class Manifest:
    """What one program (or a hand-written selection) needs."""

    path: str
    operators: tuple[str, ...]  # registry names, in file order
    include_all_operators: bool = False
    # op -> kernel keys ("v1/6;0,1|6;0,1"); kept for dtype selection.
    kernel_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # BackendDelegate ids the program delegates to ("XnnpackBackend"), from build_features.
    backends: tuple[str, ...] = ()


def parse_manifest(text: str, path: str) -> Manifest:
    """Parses one manifest's YAML text; ``path`` is used in error messages."""
    data = yaml.safe_load(text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ManifestError(
            f"{path}: a manifest is a YAML map with an 'operators:' key "
            "(selected_operators.yaml format)"
        )
    ops_raw = data.get("operators") or {}
    if isinstance(ops_raw, list):  # tolerate a plain list of names
        ops_raw = {name: {} for name in ops_raw}
    if not isinstance(ops_raw, dict):
        raise ManifestError(
            f"{path}: 'operators:' must map operator names (e.g. aten::add.out) to their info"
        )
    operators = tuple(str(name) for name in ops_raw)
    for name in operators:
        if "::" not in name:
            raise ManifestError(
                f"{path}: operator {name!r} has no namespace; write it as e.g. 'aten::{name}'"
            )
    meta_raw = data.get("et_kernel_metadata") or {}
    if not isinstance(meta_raw, dict):
        raise ManifestError(
            f"{path}: 'et_kernel_metadata:' must map operator names to lists of kernel keys"
        )
    keys: dict[str, tuple[str, ...]] = {}
    for name, key_list in meta_raw.items():
        if not isinstance(key_list, list):
            raise ManifestError(f"{path}: et_kernel_metadata[{name}] must be a list of kernel keys")
        for key in key_list:
            if not isinstance(key, str) or not _KEY_RE.match(key):
                raise ManifestError(
                    f"{path}: et_kernel_metadata[{name}] has malformed kernel key {key!r}; "
                    "expected 'default' or 'v1/<dtype>;<dim order>|...' such as 'v1/6;0,1|6;0,1'"
                )
        keys[str(name)] = tuple(key_list)
    include_all = bool(data.get("include_all_operators", False))
    return Manifest(
        path=path,
        operators=operators,
        include_all_operators=include_all,
        kernel_keys=keys,
        backends=_backends(data.get("build_features") or [], path),
    )


def _backends(features: object, path: str) -> tuple[str, ...]:
    """The ids of the ``backend:<id>`` entries of ``build_features``, in file order, once each."""
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ManifestError(
            f"{path}: 'build_features:' must be a list of strings such as 'backend:XnnpackBackend'"
        )
    out: list[str] = []
    for f in features:
        if not f.startswith(BACKEND_FEATURE_PREFIX):
            continue
        backend = f[len(BACKEND_FEATURE_PREFIX) :]
        if not backend:
            raise ManifestError(
                f"{path}: build_features entry {f!r} names no backend; write 'backend:<id>', "
                "the BackendDelegate id, e.g. 'backend:XnnpackBackend'"
            )
        if backend not in out:
            out.append(backend)
    return tuple(out)


def load_manifest(path: str) -> Manifest:
    """Reads and parses the manifest at ``path``."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise ManifestError(f"cannot read manifest {path}: {e.strerror}") from None
    return parse_manifest(text, path)
