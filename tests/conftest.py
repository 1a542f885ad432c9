"""Shared fixtures for the end-to-end tests: paths, and binaries built by Bazel."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_FILES_EXPR = "' '.join([f.path for f in target.files.to_list()])"


def bazel_build(*targets: str) -> list[Path]:
    """Builds host targets with Bazel and returns the files they produce.

    Tests that need a runner call this rather than assuming a previous build: Bazel makes it a
    no-op when everything is current.
    """
    if shutil.which("bazel") is None:
        pytest.fail("bazel is not on PATH: run `make test` (scripts/setup.sh installs it)")
    subprocess.run(["bazel", "build", "--noshow_progress", *targets], cwd=REPO, check=True)
    # Bazel 4.2.3's cquery has no --output=files; a Starlark expression prints the same paths.
    out = subprocess.run(
        ["bazel", "cquery", "--output=starlark", f"--starlark:expr={_FILES_EXPR}", *targets],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [REPO / p for p in out]


@pytest.fixture(scope="session")
def pte_runner() -> Path:
    """The host runner with every kernel the project has (//app:pte_runner)."""
    return bazel_build("//app:pte_runner")[0]
