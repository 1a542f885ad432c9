"""Developer tools for profiles: reading upstream's ETDump (`ED00`) and `slimtorch profile`.

`read_etdump` decodes and checks an ETDump (raising `ETDumpError` on bad bytes);
`analyse` maps its events onto a program's instructions (`ProfileError` when they do not fit);
`format_table` and `profile_svg` print and draw the per-operator result.
"""

from __future__ import annotations

from slimtorch.profiling.etdump import (
    ETDumpError,
    is_etdump,
    read_etdump,
    read_etdump_file,
    summarize,
)
from slimtorch.profiling.report import (
    Profile,
    ProfileError,
    Row,
    analyse,
    format_table,
    profile_svg,
)

__all__ = [
    "ETDumpError",
    "Profile",
    "ProfileError",
    "Row",
    "analyse",
    "format_table",
    "is_etdump",
    "profile_svg",
    "read_etdump",
    "read_etdump_file",
    "summarize",
]
