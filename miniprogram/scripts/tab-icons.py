"""Draw the tab bar icons (81×81 PNG, WeChat's recommended size) in the normal and selected colours.

Run once when they change, with the repository's venv (Pillow comes with fpdf2):
    ../.venv/bin/python scripts/tab-icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE, SCALE = 81, 4  # drawn 4× larger, then scaled down: smooth edges
COLOURS = {"": (122, 126, 133, 255), "-active": (31, 111, 235, 255)}
OUT = Path(__file__).resolve().parents[1] / "src" / "assets" / "tab"


def hall(d: ImageDraw.ImageDraw, c: tuple) -> None:  # four tiles: the task board
    for x in (14, 44):
        for y in (14, 44):
            d.rounded_rectangle([x * SCALE, y * SCALE, (x + 23) * SCALE, (y + 23) * SCALE], radius=5 * SCALE, fill=c)


def applications(d: ImageDraw.ImageDraw, c: tuple) -> None:  # a sheet with lines: what I sent
    d.rounded_rectangle([18 * SCALE, 10 * SCALE, 63 * SCALE, 71 * SCALE], radius=7 * SCALE, outline=c, width=6 * SCALE)
    for y in (26, 38, 50):
        d.line([28 * SCALE, y * SCALE, 53 * SCALE, y * SCALE], fill=c, width=5 * SCALE)


def notifications(d: ImageDraw.ImageDraw, c: tuple) -> None:  # a speech bubble
    d.rounded_rectangle([10 * SCALE, 14 * SCALE, 71 * SCALE, 56 * SCALE], radius=12 * SCALE, fill=c)
    d.polygon([(24 * SCALE, 54 * SCALE), (22 * SCALE, 70 * SCALE), (40 * SCALE, 54 * SCALE)], fill=c)


def growth(d: ImageDraw.ImageDraw, c: tuple) -> None:  # rising bars: the skill graph
    for i, h in enumerate((22, 38, 56)):
        x = 12 + i * 21
        d.rounded_rectangle([x * SCALE, (70 - h) * SCALE, (x + 15) * SCALE, 70 * SCALE], radius=3 * SCALE, fill=c)


def me(d: ImageDraw.ImageDraw, c: tuple) -> None:  # a person
    d.ellipse([27 * SCALE, 10 * SCALE, 54 * SCALE, 37 * SCALE], fill=c)
    d.pieslice([14 * SCALE, 42 * SCALE, 67 * SCALE, 96 * SCALE], 180, 360, fill=c)


for name, draw in {"hall": hall, "applications": applications, "notifications": notifications, "growth": growth,
                   "me": me}.items():
    for suffix, colour in COLOURS.items():
        big = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
        draw(ImageDraw.Draw(big), colour)
        big.resize((SIZE, SIZE), Image.LANCZOS).save(OUT / f"{name}{suffix}.png", optimize=True)
