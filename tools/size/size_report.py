"""Size report and size budgets for linked images (issue 8).

    size_report.py --image KEY=ELF:MAP:TOOLPREFIX [--image ...] [--budgets budgets.yaml]
                   [--check] [--svg OUT.svg] [--write-budgets]

For each image: text, data, bss, flash (text + data) and stripped file size
(from `<prefix>size` / `<prefix>strip`), and flash bytes by component from the
GNU ld map: each input section placed in a loaded output section is charged to
the component of the object it came from (runtime core files, each kernel, the
generated registry, the embedded model, libc / libgcc / libstdc++ / libm, the
board's start-up code, the application).

--check: exit 1 when an image's flash exceeds its budget (budgets.yaml), naming
the components that grew against the baseline recorded beside the budget.
--write-budgets: print a budgets.yaml for the images (measured flash + margin).
Normally run through Bazel: `bazel run //tools/size:report`, and the
size_budget_test targets (tools/size/BUILD.bazel).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Output sections that occupy flash (their bytes are in the image file).
FLASH_SECTIONS = (
    ".vectors",
    ".text",
    ".rodata",
    ".data",
    ".ARM.exidx",
    ".ARM.extab",
    ".init_array",
    ".fini_array",
    ".preinit_array",
    ".init",
    ".fini",
    ".eh_frame",
    ".gcc_except_table",
    ".tdata",
    ".data.rel.ro",
    ".plt",
    ".plt.got",
    ".got",
    ".got.plt",
    ".dynamic",
)
MARGIN = 256  # bytes of headroom a budget leaves over today's measurement

_SECTION_RE = re.compile(r"^(\.[\w.]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)")
_INPUT_RE = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


@dataclass
class Image:
    key: str
    elf: Path
    map: Path
    prefix: str
    text: int = 0
    data: int = 0
    bss: int = 0
    stripped: int = 0
    planned: int = 0  # RAM of the embedded model's planned buffers (kPlanned<i>)
    components: dict[str, int] = field(default_factory=dict)

    @property
    def flash(self) -> int:
        return self.text + self.data


_SYSTEM_LIBS = {
    "libc",
    "libc_nano",
    "libg",
    "libg_nano",
    "libnosys",
    "libm",
    "libgcc",
    "libstdc++",
    "libstdc++_nano",
    "libsupc++",
    "libsupc++_nano",
}


def component(obj: str) -> str:
    """Component of an input object path from the map, as "group: detail"."""
    base = os.path.basename(obj)
    lib = re.match(r"(lib[\w+-]*)\.(?:a|lo)\((.*)\)$", base)
    member = lib.group(2) if lib else base
    libname = lib.group(1) if lib else ""
    stem = re.sub(r"\.(pic\.)?o$", "", member)
    if ".ltrans" in base:
        # Link-time optimised code (temporary ltrans objects): parse_map
        # attributes it by source file through the image's debug information.
        return LTO_UNATTRIBUTED
    if obj.startswith("/") or libname in _SYSTEM_LIBS:
        name = libname or stem
        kind = (
            "libstdc++"
            if name.startswith(("libstdc++", "libsupc++"))
            else "libgcc"
            if name.startswith(("libgcc", "crt"))
            else "libm"
            if name.startswith("libm")
            else "libc"
        )
        return f"C/C++ libraries: {kind} {stem}"
    if stem.endswith("_registry"):
        return "kernel registry: generated"
    if stem.endswith("_embedded"):
        return "model data: embedded program"
    if "/kernels/" in obj or stem.startswith("op_"):
        return "kernels: " + (stem[3:] if stem.startswith("op_") else stem)
    if "/runtime/" in obj:
        return "runtime core: " + stem
    if "/platforms/" in obj:
        return "start-up: " + stem
    return "application: " + stem


LTO_UNATTRIBUTED = "link-time optimised: strings and constants (no symbol)"


def source_component(path: str) -> str:
    """Component of a source file (from debug information) of link-time optimised code.
    Code inlined across files counts for the function it was inlined into.
    Data has no source line: "symbol:<mangled name>", attributed by name."""
    if path.startswith("symbol:"):
        name = path[len("symbol:"):]
        if "kProgramData" in name:
            return "model data: embedded program"
        if "kInput" in name or "kShape" in name:
            return "model data: example inputs"
        if "slimtorch_app" in name:
            return "application: data"
        return "runtime core: data" if "slimtorch" in name else "link-time optimised: other data"
    stem = re.sub(r"(_inl)?\.(cc|cpp|c|h|S)$", "", os.path.basename(path))
    if stem.endswith("_registry"):
        return "kernel registry: generated"
    if stem.endswith("_embedded"):
        return "model data: embedded program"
    if "/kernels/" in path:
        return "kernels: " + (stem[3:] if stem.startswith("op_") else stem)
    if "/runtime/" in path:
        return "runtime core: " + stem
    if "/platforms/" in path:
        return "start-up: " + stem
    return "application: " + stem


def symbol_sources(prefix: str, elf: Path) -> dict[int, str]:
    """Address -> defining source file of every symbol with debug information."""
    out = subprocess.run(
        [prefix + "nm", "-l", "--defined-only", str(elf)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    sources: dict[int, str] = {}
    for line in out:
        parts = line.split("\t")
        fields = parts[0].split()
        if len(parts) == 2 and ":" in parts[1]:
            sources[int(fields[0], 16)] = parts[1].rsplit(":", 1)[0]
        elif len(fields) == 3:  # data: debug information gives no line, keep the name
            sources.setdefault(int(fields[0], 16), "symbol:" + fields[2])
    return sources


def loaded_sections(prefix: str, elf: Path) -> tuple[str, ...]:
    """Output sections of `elf` whose bytes are in the image (flags ALLOC and LOAD)."""
    out = subprocess.run(
        [prefix + "objdump", "-h", str(elf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    names = []
    for i, line in enumerate(out):
        parts = line.split()
        if len(parts) >= 7 and parts[0].isdigit() and i + 1 < len(out):
            flags = out[i + 1]
            if "ALLOC" in flags and "LOAD" in flags:
                names.append(parts[1])
    return tuple(names)


def parse_map(
    path: Path,
    flash_sections: tuple[str, ...] = FLASH_SECTIONS,
    sources: dict[int, str] | None = None,
) -> dict[str, int]:
    """Flash bytes per component from a GNU ld map file. `sources` (address ->
    source file) attributes link-time optimised input sections."""
    sizes: dict[str, int] = {}
    in_map = False
    current = ""
    pending: str | None = None  # input section name on its own line (long names wrap)
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(("Linker script and memory map", "Memory map")):  # GNU ld, gold
            in_map = True
            continue
        if not in_map:
            continue
        m = _SECTION_RE.match(line)
        if m and not line.startswith(" "):
            current = m.group(1)
            pending = None
            continue
        if line and not line.startswith(" "):
            current = line.split()[0]
            pending = None
            continue
        if current not in flash_sections:
            continue
        m = _INPUT_RE.match(line)
        if m and (m.group(1) or pending):
            size = int(m.group(3), 16)
            name = m.group(1) or pending
            pending = None
            if size and name and not name.startswith("*fill*") and m.group(4).strip():
                obj = m.group(4).strip()
                if obj.startswith("load address") or obj.startswith("0x"):
                    continue
                key = component(obj)
                if key == LTO_UNATTRIBUTED and sources and int(m.group(2), 16) in sources:
                    key = source_component(sources[int(m.group(2), 16)])
                sizes[key] = sizes.get(key, 0) + size
        elif re.match(r"^ (\.\S+|COMMON)$", line):
            pending = line.strip()
        elif line.startswith((" *fill*", " ** fill")):
            parts = line.split()
            at = 3 if parts[0] == "**" else 2  # gold: "** fill ADDR SIZE"; ld: "*fill* ADDR SIZE"
            size = int(parts[at], 16) if len(parts) > at else 0
            sizes["alignment padding"] = sizes.get("alignment padding", 0) + size
    return sizes


def measure(image: Image) -> None:
    # text / data / bss as `size` (Berkeley format) counts them.
    berkeley = (
        subprocess.run(
            [image.prefix + "size", str(image.elf)], check=True, capture_output=True, text=True
        )
        .stdout.splitlines()[1]
        .split()
    )
    image.text, image.data, image.bss = int(berkeley[0]), int(berkeley[1]), int(berkeley[2])
    with tempfile.TemporaryDirectory() as tmp:
        stripped = Path(tmp) / "stripped"
        subprocess.run([image.prefix + "strip", "-o", str(stripped), str(image.elf)], check=True)
        image.stripped = stripped.stat().st_size
    image.components = parse_map(
        image.map, loaded_sections(image.prefix, image.elf), symbol_sources(image.prefix, image.elf)
    )
    image.planned = planned_bytes(image.prefix, image.elf)
    rest = image.flash - sum(image.components.values())
    if rest > 0:  # host ELFs: dynamic-linking tables, unwind index, notes
        image.components["other sections: not in the map's input sections"] = rest


def planned_bytes(prefix: str, elf: Path) -> int:
    """Bytes of the planned buffers `slimtorch embed` defines (kPlanned<i>): the model's RAM
    for activations (app/embedded_model.h). Sizes from the symbol table (`nm -S`)."""
    out = subprocess.run([prefix + "nm", "-S", "--defined-only", str(elf)], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    total = 0
    for line in out:
        fields = line.split()
        if len(fields) == 4 and "kPlanned" in fields[3]:
            total += int(fields[1], 16)
    return total


def group(components: dict[str, int]) -> dict[str, int]:
    """Totals per group (the part of a component name before ':')."""
    out: dict[str, int] = {}
    for name, size in components.items():
        g = name.split(":")[0]
        out[g] = out.get(g, 0) + size
    return out


MODEL_KEY = re.compile(r"^model/(?P<model>[^/]+)/(?P<dtype>float|int8)/")


def print_model_table(images: list[Image]) -> None:
    """The model images (keys `model/<name>/<float|int8>/<platform>`): flash of their kernels
    and of their weights (the embedded program), RAM of their planned buffers; an int8 row
    also as a share of its float row (issue 13 asks for at most 30% of planned RAM and
    weights)."""
    rows = [(m, im) for im in images if (m := MODEL_KEY.match(im.key))]
    if not rows:
        return
    floats = {(m.group("model"), im.key[m.end():]): im for m, im in rows
              if m.group("dtype") == "float"}
    print(f"\n{'model image':<40} {'kernels':>9} {'weights':>9} {'planned RAM':>12}"
          f" {'weights/float':>14} {'RAM/float':>10}")
    for m, im in rows:
        groups = group(im.components)
        kernels = groups.get("kernels", 0) + groups.get("kernel registry", 0)
        weights = im.components.get("model data: embedded program", 0)
        line = f"{im.key:<40} {kernels:>9} {weights:>9} {im.planned:>12}"
        base = floats.get((m.group("model"), im.key[m.end():]))
        if m.group("dtype") == "int8" and base is not None:
            w_base = base.components.get("model data: embedded program", 0)
            line += f" {weights / w_base:>13.0%}" if w_base else f" {'-':>13}"
            line += f" {im.planned / base.planned:>10.0%}" if base.planned else f" {'-':>10}"
        print(line)


def print_report(images: list[Image]) -> None:
    print(f"{'image':<40} {'text':>8} {'data':>6} {'bss':>8} {'flash':>8} {'stripped':>9}")
    for im in images:
        print(f"{im.key:<40} {im.text:>8} {im.data:>6} {im.bss:>8} {im.flash:>8} {im.stripped:>9}")
    for im in images:
        print(
            f"\n{im.key}: flash by component (linker map; total {sum(im.components.values())})"
        )
        for g, size in sorted(group(im.components).items(), key=lambda kv: -kv[1]):
            print(f"  {g:<38} {size:>8}")
            for name, s in sorted(im.components.items(), key=lambda kv: -kv[1]):
                if name.startswith(g + ":"):
                    print(f"      {name[len(g) + 2 :]:<34} {s:>8}")
    print_model_table(images)


_COLORS = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]


def write_svg(images: list[Image], path: Path) -> None:
    groups = sorted({g for im in images for g in group(im.components)})
    color = {g: _COLORS[i % len(_COLORS)] for i, g in enumerate(groups)}
    widest = max((im.flash for im in images), default=1) or 1
    scale = 700 / widest
    rows = []
    y = 30
    for im in images:
        x = 260.0
        rows.append(f'<text x="5" y="{y + 14}" font-size="12">{im.key} ({im.flash} B)</text>')
        for g, size in sorted(group(im.components).items(), key=lambda kv: -kv[1]):
            w = size * scale
            rows.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="20" fill="{color[g]}">'
                f"<title>{g}: {size} B</title></rect>"
            )
            x += w
        y += 30
    legend = []
    for i, g in enumerate(groups):
        legend.append(
            f'<rect x="{260 + (i % 4) * 180}" y="{y + 10 + (i // 4) * 18}" width="12" height="12" '
            f'fill="{color[g]}"/><text x="{276 + (i % 4) * 180}" y="{y + 21 + (i // 4) * 18}" '
            f'font-size="11">{g}</text>'
        )
    height = y + 30 + (len(groups) // 4 + 1) * 18
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="980" '
        f'height="{height}" font-family="sans-serif">'
        '<text x="5" y="16" font-size="13" font-weight="bold">flash bytes by component</text>'
        + "".join(rows)
        + "".join(legend)
        + "</svg>\n"
    )


def check(images: list[Image], budgets: dict, limit: int | None = None) -> int:
    """Each image against its budget (and, with `limit`, against that target too)."""
    status = 0
    for im in images:
        if limit is not None and im.flash > limit:
            print(f"FAIL: {im.key}: flash {im.flash} bytes exceeds the target of {limit} bytes "
                  "(platforms/defs.bzl size_budget) by " + str(im.flash - limit))
            status = 1
        elif limit is not None:
            print(f"PASS: {im.key}: flash {im.flash} bytes <= target {limit}")
        entry = budgets.get("images", {}).get(im.key)
        if entry is None:
            print(
                f"FAIL: {im.key} has no budget in budgets.yaml; add one (--write-budgets prints it)"
            )
            status = 1
            continue
        budget = int(entry["flash"])
        if im.flash <= budget:
            print(
                f"PASS: {im.key}: flash {im.flash} bytes <= budget {budget} "
                f"({budget - im.flash} to spare)"
            )
            continue
        status = 1
        base = entry.get("components", {})
        grew = sorted(
            (
                (name, size - int(base.get(name, 0)))
                for name, size in im.components.items()
                if size > int(base.get(name, 0))
            ),
            key=lambda kv: -kv[1],
        )
        print(
            f"FAIL: {im.key}: flash {im.flash} bytes exceeds its budget of {budget} "
            f"by {im.flash - budget}"
        )
        for name, delta in grew:
            print(f"  grew: {name}: +{delta} bytes ({base.get(name, 0)} -> {im.components[name]})")
        print(
            "fix: make it smaller, or raise the budget in tools/size/budgets.yaml with the reason"
        )
    return status


BUDGETS_HEADER = """\
# Flash budgets (text + data bytes) per image and platform, checked by the
# size_budget_test targets in tools/size/BUILD.bazel (part of `bazel test //...`).
# Each budget is what the image measured when it was set plus a small margin;
# `components` is that measurement by component (from the linker map), so a
# failing check names what grew. Regenerate after a deliberate change with:
#   bazel run //tools/size:report -- --write-budgets > tools/size/budgets.yaml
# (and say in the commit message why the budget moved).
"""


def budgets_yaml(images: list[Image]) -> str:
    doc = {
        "images": {
            im.key: {"flash": im.flash + MARGIN, "components": dict(sorted(im.components.items()))}
            for im in images
        }
    }
    return BUDGETS_HEADER + yaml.safe_dump(doc, sort_keys=False)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", action="append", default=[], metavar="KEY=ELF:MAP:PREFIX")
    parser.add_argument("--budgets", type=Path)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--limit", type=int, metavar="BYTES",
                        help="with --check: also fail above this many flash bytes (a target)")
    parser.add_argument(
        "--svg",
        type=Path,
        help="write the bar chart here (default with bazel run: <workspace>/bazel-size-report.svg)",
    )
    parser.add_argument("--write-budgets", action="store_true")
    args = parser.parse_args(argv)
    images = []
    for spec in args.image:
        key, rest = spec.split("=", 1)
        elf, map_path, prefix = rest.split(":")
        images.append(Image(key, Path(elf), Path(map_path), prefix))
    for im in images:
        measure(im)
    if args.check:
        budgets = yaml.safe_load(args.budgets.read_text()) if args.budgets else {}
        print_report(images)
        return check(images, budgets or {}, args.limit)
    if args.write_budgets:
        print(budgets_yaml(images), end="")
        return 0
    print_report(images)
    svg = args.svg
    if svg is None and "BUILD_WORKSPACE_DIRECTORY" in os.environ:
        svg = Path(os.environ["BUILD_WORKSPACE_DIRECTORY"]) / "size-report.svg"
    if svg is not None:
        write_svg(images, svg)
        print(f"\nwrote {svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
