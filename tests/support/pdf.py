"""Reading PDFs back in tests: text through poppler's pdftotext, pages as images through pdftoppm (Debian
poppler-utils, installed by `make test` through infra/setup/ensure-apt.sh), compared with Pillow."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: run `bash infra/setup/ensure-apt.sh poppler-utils` (make test does)")
    return path


def pdftotext(pdf: bytes, *, layout: bool = False) -> str:
    args = [_tool("pdftotext"), "-enc", "UTF-8"] + (["-layout"] if layout else []) + ["-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")  # noqa: S603


def page_count(pdf: bytes) -> int:
    out = subprocess.run([_tool("pdfinfo"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def render_page(pdf: bytes, page: int = 1, dpi: int = 40):
    """One page as an 8-bit grayscale PIL image."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run([_tool("pdftoppm"), "-gray", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),  # noqa: S603
                        "-singlefile", str(src), str(Path(tmp) / "out")], check=True, capture_output=True)
        return Image.open(io.BytesIO((Path(tmp) / "out.png").read_bytes())).convert("L")


def difference(a, b) -> tuple[float, float]:
    """(mean absolute difference 0–255, share of pixels differing by more than 64) of two same-size gray images."""
    from PIL import ImageChops

    if a.size != b.size:
        return 255.0, 1.0
    diff = ImageChops.difference(a, b)
    hist = diff.histogram()
    total = a.size[0] * a.size[1]
    mean = sum(i * n for i, n in enumerate(hist)) / total
    big = sum(hist[65:]) / total
    return mean, big
