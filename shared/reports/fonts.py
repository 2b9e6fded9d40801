"""The report fonts: where they are, which characters they draw, what each glyph costs, and how they get into a PDF.

Three fonts, built by `make fonts` (infra/fonts.py; the choice and licences in docs/REPORTS.md), found in the
directory named by the REPORT_FONT_DIR setting (default: /opt/fonts when the reports layer is mounted, else
build/fonts):

    primary  NotoSansSC-GB2312.ttf   Latin, punctuation and all of GB2312 — what nearly every report needs
    rest     NotoSansSC-Rest.ttf     every other character of Noto Sans CJK SC (rare hanzi in names, 繁体, kana …)
    latin    DejaVuSans.ttf          the Latin fallback (Vietnamese, IPA, more symbols)

A document gets only the fonts its text needs (fpdf2 embeds every font added, used or not) and the fallbacks through
`FPDF.set_fallback_fonts`. A character none of them has is replaced before layout (`FontSet.sanitize`), so a report
never shows a missing-glyph box.

Why `FontTemplate` exists: `FPDF.add_font` parses the font again for every document (~25 ms for the primary font,
a whole report's budget), and on output fpdf2 subsets it with fontTools, which decompiles the cmap, post, hmtx and
glyf tables of the whole font again (~20 ms; more for the 36,000-glyph rest font). A template parses once per
process and hands each document a TTFont that holds only the glyphs that document draws, its tables shallow copies
of the parsed ones. fontTools' subsetter *replaces* the containers it prunes (glyph dict, metrics, cmap dicts, name
list) instead of mutating them, so the template stays intact; composite glyphs (whose component ids the subsetter
would rewrite in place) are kept decoded, parts by name. `recalcBBoxes=False` lets fontTools write each glyph's
bytes as they are instead of decoding and re-encoding every outline (the bounding boxes are already right:
infra/fonts.py wrote them). tests/unit/test_report_fonts.py checks that a document built this way is byte for byte
the one fpdf2's own `add_font` makes, and that the template is unchanged after many documents.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "build" / "fonts"
LAYER_DIR = Path("/opt/fonts")
BUILD_VERSION = 1  # infra/fonts.py BUILD_VERSION this code understands

PRIMARY_FILE = "NotoSansSC-GB2312.ttf"
REST_FILE = "NotoSansSC-Rest.ttf"
LATIN_FILE = "DejaVuSans.ttf"

PRIMARY = "sc"
REST = "screst"
LATIN = "latin"

# The tables infra/fonts.py leaves in the fonts; `_fresh_ttfont` knows how each one is pruned by the subsetter.
_TABLES = frozenset({"head", "hhea", "maxp", "OS/2", "hmtx", "cmap", "loca", "glyf", "post", "name"})
# What a glyph costs in the PDF besides its outline: hmtx + loca entries, its ToUnicode and width entries.
GLYPH_OVERHEAD_BYTES = 24
# Shown instead of a character that no font can draw (emoji, private use …); it is in the primary font.
REPLACEMENT = "?"
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff\U000e0000-\U000e01ef]")


class FontsMissing(RuntimeError):
    """The fonts are not where the settings say: run `make fonts` (or set REPORT_FONT_DIR)."""


def font_dir() -> Path:
    from shared.config import get_settings

    configured = get_settings().report_font_dir
    if configured:
        return Path(configured)
    # In SCF the codelink-reports layer carries build/fonts at /opt/fonts (layers unpack to /opt; infra/package.py).
    return LAYER_DIR if LAYER_DIR.is_dir() else DEFAULT_DIR


@lru_cache(maxsize=1)
def _trimmed_glyph_class() -> type:
    """A fontTools Glyph whose padding was trimmed when the template loaded: the subsetter trims every glyph of every
    output again (~25 µs each, ~10 ms a report); for these that is a no-op, so it is skipped. Removing hinting is
    still done (the fonts have none, but the call stays correct)."""
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    class TrimmedGlyph(Glyph):
        def trim(self, remove_hinting: bool = False, *, extended: bool = False) -> None:
            if remove_hinting:
                super().trim(remove_hinting=True, extended=extended)

    return TrimmedGlyph


class FontTemplate:
    """One TrueType font parsed once; `install` puts a fresh, independent copy into an FPDF document."""

    def __init__(self, path: Path, family: str) -> None:
        from fontTools.ttLib import TTFont
        from fpdf import FPDF

        if not path.exists():
            raise FontsMissing(f"report font {path} not found: run `make fonts` or set REPORT_FONT_DIR")
        self.path = path
        self.family = family
        probe = FPDF()
        probe.add_font(family, "", str(path))
        self._proto: Any = cast(Any, probe.fonts[family])  # an fpdf.fonts.TTFFont
        # lazy=None (not False): glyphs stay raw bytes — False would decode every outline (slow to load, and fontTools
        # would then re-encode each used one on output).
        font = TTFont(str(path), recalcBBoxes=False, recalcTimestamp=False)
        tags = {t for t in font.keys() if t != "GlyphOrder"}  # noqa: SIM118 - a TTFont is not a dict
        if not tags <= _TABLES:
            raise FontsMissing(f"{path.name} has tables {sorted(tags - _TABLES)} the template cannot share:"
                               " rebuild with `make fonts`")
        self._tags = sorted(tags)
        for tag in self._tags:
            font[tag]  # decompile each table now, once
        for sub in font["cmap"].tables:
            sub.ensureDecompiled()
        glyf = font["glyf"]
        glyph_class = _trimmed_glyph_class()
        self.glyph_bytes: dict[str, int] = {}
        self._components: dict[str, tuple[str, ...]] = {}
        composites: list[str] = []
        for name in font.getGlyphOrder():
            glyph = glyf.glyphs[name]
            glyph.trim(remove_hinting=False, extended=glyf.extended)  # what the subsetter would do, done once …
            glyph.__class__ = glyph_class  # … so its per-document trim can be skipped
            data = getattr(glyph, "data", b"")
            self.glyph_bytes[name] = len(data)
            if data and int.from_bytes(data[:2], "big", signed=True) < 0:
                composites.append(name)
        for name in composites:
            # A composite names its parts by glyph id, and the ids change in a document's smaller font: keep it
            # decoded (parts by name), re-encoded for each document's glyph order on output.
            self._components[name] = tuple(glyf.glyphs[name].getComponentNames(glyf))
            glyf.glyphs[name].expand(glyf)
        self._gid = {name: i for i, name in enumerate(font.getGlyphOrder())}
        # per cmap subtable, glyph → every code point mapped to it (space is U+0020 and U+00A0): a document's cmap
        # keeps all of them, as fontTools' subsetter would from the whole font
        self._sub_unicodes: list[dict[str, list[int]]] = []
        for sub in font["cmap"].tables:
            reverse: dict[str, list[int]] = {}
            for cp, name in sorted(sub.cmap.items()):
                reverse.setdefault(name, []).append(cp)
            self._sub_unicodes.append(reverse)
        self._font = font
        self.cmap: dict[int, str] = self._proto.cmap

    @property
    def widths(self) -> Any:
        """Advance widths by code point, in thousandths of the font size (fpdf2's own table)."""
        return self._proto.cw

    def covers(self, codepoint: int) -> bool:
        return codepoint in self.cmap

    def cost(self, codepoint: int) -> int:
        """Bytes this character's glyph adds to a PDF (before compression)."""
        return self.glyph_bytes.get(self.cmap.get(codepoint, ".notdef"), 0) + GLYPH_OVERHEAD_BYTES

    def _fresh_ttfont(self, codepoints: Iterable[int]) -> Any:
        """A TTFont holding just the glyphs of `codepoints` (plus space and the first four glyphs), its tables
        shallow copies of the template's: what fontTools' subsetter then prunes on output is a few hundred glyphs,
        not the 8,000 or 36,000 of the font, so a document's font costs the same whatever the font's size."""
        from fontTools.ttLib import TTFont

        src = self._font
        names = set(self._font.getGlyphOrder()[:4])  # what fpdf2's subsetter adds anyway (recommended_glyphs)
        names.update(self.cmap[cp] for cp in (*codepoints, 0x20) if cp in self.cmap)
        todo = [n for n in names if n in self._components]
        while todo:  # the parts of composite glyphs (DejaVu's accented letters)
            for part in self._components[todo.pop()]:
                if part not in names:
                    names.add(part)
                    todo.extend([part] if part in self._components else [])
        order = sorted(names, key=self._gid.__getitem__)
        font = TTFont(recalcBBoxes=False, recalcTimestamp=False)
        font.sfntVersion = src.sfntVersion
        for tag in self._tags:
            table = copy.copy(src[tag])
            if tag == "glyf":
                table.glyphs = {n: src[tag].glyphs[n] for n in order}
                table.glyphOrder = order
                table._reverseGlyphOrder = {}
            elif tag == "hmtx":
                table.metrics = {n: src[tag].metrics[n] for n in order}
            elif tag == "cmap":
                table.tables = []
                for sub, reverse in zip(src[tag].tables, self._sub_unicodes, strict=True):
                    small = copy.copy(sub)
                    small.cmap = {cp: n for n in order for cp in reverse.get(n, ())}
                    table.tables.append(small)
            font[tag] = table
        font.setGlyphOrder(order)
        return font

    def install(self, pdf: Any) -> None:
        """Add this font to `pdf` under its family name, as `pdf.add_font` would, without parsing it again. Call
        `finish` before `pdf.output()`: the font's outlines are attached then, once it is known what was drawn."""
        from fpdf.fonts import SubsetMap

        font: Any = copy.copy(self._proto)
        font.i = len(pdf.fonts) + 1
        font.ttfont = None
        font.desc = copy.copy(self._proto.desc)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[self.family] = font

    def finish(self, font: Any) -> None:
        """Attach to an installed font the outlines of exactly the characters the document drew with it."""
        used = {cp for glyph, _ in font.subset.items() if glyph is not None and isinstance(glyph.unicode, tuple)
                for cp in glyph.unicode}
        font.ttfont = self._fresh_ttfont(used)


@dataclass(frozen=True)
class FontPlan:
    """Which fonts one document needs, and what its glyphs cost."""

    families: tuple[str, ...]  # primary first, then the fallbacks needed
    glyph_bytes: int


class FontSet:
    """The three report fonts, loaded lazily (the rest and Latin fonts only when a report needs them)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        manifest = directory / "fonts.json"
        if not manifest.exists():
            raise FontsMissing(f"no report fonts in {directory}: run `make fonts` or set REPORT_FONT_DIR")
        version = json.loads(manifest.read_text()).get("version")
        if version != BUILD_VERSION:
            raise FontsMissing(f"report fonts in {directory} are build {version}, this code needs {BUILD_VERSION}:"
                               " run `make fonts`")
        self._files = {PRIMARY: PRIMARY_FILE, REST: REST_FILE, LATIN: LATIN_FILE}
        self._templates: dict[str, FontTemplate] = {}
        self._lock = threading.Lock()
        self._primary: FontTemplate | None = None

    def template(self, family: str) -> FontTemplate:
        with self._lock:
            found = self._templates.get(family)
            if found is None:
                found = self._templates[family] = FontTemplate(self.directory / self._files[family], family)
            return found

    @property
    def primary(self) -> FontTemplate:
        if self._primary is None:
            self._primary = self.template(PRIMARY)
        return self._primary

    def family_of(self, codepoint: int) -> str | None:
        """The font that draws this character, in fallback order; None if none does."""
        if self.primary.covers(codepoint) or codepoint == 0x0A:  # a line break: the renderer wraps on it
            return PRIMARY
        for family in (REST, LATIN):
            if self.template(family).covers(codepoint):
                return family
        return None

    def sanitize(self, text: str) -> str:
        """Text every character of which some font draws: invisible format characters (zero-width joiners, bidi
        controls, variation selectors) are dropped even where a font has a glyph for them; emoji, private-use and
        combining marks no font has are dropped; any other unknown character (a letter of a script we carry no font
        for) becomes '?'."""
        text = _INVISIBLE.sub("", text)
        if all(self.primary.covers(ord(c)) for c in text):  # the common case, without the slow path
            return text
        out = []
        for c in unicodedata.normalize("NFC", text):
            if self.family_of(ord(c)) is not None:
                out.append(c)
            elif unicodedata.category(c) in ("Mn", "Me", "Cf", "Cc", "So", "Sk", "Cs", "Co"):
                continue
            else:
                out.append(REPLACEMENT)
        return "".join(out)

    def cost(self, codepoint: int) -> int:
        family = self.family_of(codepoint)
        return 0 if family is None else self.template(family).cost(codepoint)

    def plan(self, characters: Iterable[str]) -> FontPlan:
        families = {PRIMARY}
        total = 0
        for c in set(characters):
            cp = ord(c)
            family = self.family_of(cp)
            if family is None or cp < 0x20:
                continue
            families.add(family)
            total += self.template(family).cost(cp)
        return FontPlan(tuple(f for f in (PRIMARY, REST, LATIN) if f in families), total)

    def install(self, pdf: Any, family: str) -> None:
        """Make `family` available in `pdf` (a no-op when it already is). Draw text in runs of one family
        (`family_of`): fpdf2's own fallback is not used — `FPDF.text` ignores it."""
        if family not in pdf.fonts:
            self.template(family).install(pdf)

    def finish(self, pdf: Any) -> None:
        """Before `pdf.output()`: give every installed report font the outlines of what was drawn with it."""
        for family, font in pdf.fonts.items():
            if family in self._files:
                self.template(family).finish(font)


@lru_cache(maxsize=4)
def _font_set(directory: str) -> FontSet:
    return FontSet(Path(directory))


def get_fonts() -> FontSet:
    """The process's font set for the configured directory (parsed once, then shared by every report)."""
    return _font_set(str(font_dir()))
