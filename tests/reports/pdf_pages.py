"""A rendered PDF read back: each page's text (pdftotext) and how far down its content area
the ink reaches (pdftoppm), with the fill below which a page counts as nearly empty."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

# A4 at 30 dpi is 248 x 351 px; the page margins hold the running header and footer.
TOP, BOTTOM = 26, 351 - 24
MIN_FILL = 0.3


def pages_text(path: Path, count: int) -> list[str]:
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for i in range(1, count + 1)
    ]


def page_fill(path: Path, tmp_path: Path) -> list[float]:
    """For each page, how far down its content area the lowest ink reaches (0..1)."""
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "p")], check=True)
    fills = []
    for png in sorted(tmp_path.glob("p-*.png")):
        image = Image.open(png).convert("L")
        width = image.width
        inked = [
            y for y in range(TOP, BOTTOM) if image.crop((0, y, width, y + 1)).getextrema()[0] < 200
        ]
        fills.append((max(inked) - TOP) / (BOTTOM - TOP) if inked else 0.0)
    return fills
