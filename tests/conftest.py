"""Shared fixtures for the end-to-end tests: paths, and binaries built by Bazel."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def bazel_build(*targets: str, flags: tuple[str, ...] = ()) -> list[Path]:
    """Builds host targets (`//pkg:name` binaries) with Bazel and returns their executables
    (`flags`: more build options, e.g. `--config=host_avx2`).

    Tests that need a runner call this rather than assuming a previous build: Bazel makes it a
    no-op when everything is current. The path is the host configuration's output tree
    (`bazel info bazel-bin`): cquery would also list copies built through transitions.
    """
    if shutil.which("bazel") is None:
        pytest.fail("bazel is not on PATH: run `make test` (scripts/setup.sh installs it)")
    subprocess.run(["bazel", "build", "--noshow_progress", *flags, *targets], cwd=REPO, check=True)
    bin_dir = subprocess.run(
        ["bazel", "info", *flags, "bazel-bin"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    return [Path(bin_dir) / t.lstrip("/").replace(":", "/") for t in targets]


@pytest.fixture(scope="session")
def pte_runner() -> Path:
    """The host runner with every kernel the project has (//app:pte_runner)."""
    return bazel_build("//app:pte_runner")[0]
