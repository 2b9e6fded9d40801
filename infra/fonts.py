"""Build the report fonts (`make fonts`) into build/fonts/ — generated, never committed (they are megabytes).

    python -m infra.fonts [--out build/fonts] [--force]

Sources are Debian packages (`infra/setup/ensure-apt.sh fonts-noto-cjk fonts-dejavu-core`, run by `make fonts`):
- Noto Sans CJK SC Regular, face "Noto Sans CJK SC" of /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
  (SIL Open Font License 1.1 — bundling and subsetting allowed, the licence travels with the font);
- DejaVu Sans (Bitstream Vera licence + public domain changes — free to bundle).

Outputs (what the reports layer ships; docs/REPORTS.md explains the choice):
- NotoSansSC-GB2312.ttf  the primary font: ASCII, Latin-1/Latin Extended-A, common punctuation and symbols and the
                         7,445 characters of GB2312 (all everyday simplified Chinese). ~1.9 MB, ~8,000 glyphs.
- NotoSansSC-Rest.ttf    the fallback for rare characters: every other character of Noto Sans CJK SC (rare and
                         traditional hanzi, CJK Extension A/B, kana, hangul …). ~9 MB, ~37,000 glyphs.
- DejaVuSans.ttf         the Latin fallback for what the CJK fonts lack (Vietnamese, IPA, arrows, dingbats …),
                         without hinting and layout tables. ~0.6 MB.
- OFL-NotoSansCJK.txt, LICENSE-DejaVu.txt, fonts.json (build version, sources' SHA-256, glyph counts).

Why the Noto fonts are transformed and not copied (numbers in docs/REPORTS.md):
- CFF outlines → TrueType (quadratic, cu2qu within 4/1000 em): fpdf2 subsets a glyf font on output ~10× faster than
  a CFF one, and a glyf table can be cut by raw byte ranges (shared/reports/fonts.py relies on that).
- units per em 1000 → 256: coordinates fit in one byte more often — 22 % fewer bytes per embedded glyph in the PDF,
  the difference invisible even at 28 pt printed at 600 dpi.
- hinting, GSUB/GPOS and vertical metrics dropped: a PDF at print resolution needs none of them.
- one (3,1) cmap in the primary font, post names kept (fpdf2 keys glyphs by name; format 3 made layout 4× slower).
The build is reproducible: same sources → same bytes (the head table's timestamps are the source's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "fonts"
# Bump when the recipe below changes: shared/reports/fonts.py refuses fonts of another version.
BUILD_VERSION = 1

NOTO_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_FACE = "Noto Sans CJK SC"
NOTO_LICENSE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
DEJAVU_TTF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_LICENSE = Path("/usr/share/doc/fonts-dejavu-core/copyright")

PRIMARY = "NotoSansSC-GB2312.ttf"
REST = "NotoSansSC-Rest.ttf"
LATIN = "DejaVuSans.ttf"
MANIFEST = "fonts.json"

# The tables the fonts keep (shared/reports/fonts.py shares exactly these between documents).
TABLES = frozenset({"head", "hhea", "maxp", "OS/2", "hmtx", "cmap", "loca", "glyf", "post", "name"})
TARGET_UPEM = 256
CU2QU_MAX_ERR = 4.0  # font units at 1000 upem before scaling: 1/250 em, one unit after scaling to 256

# Beyond GB2312: what Latin text, numbers, prices and our own labels use.
EXTRA_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x017F),  # Latin-1 supplement, Latin Extended-A
    (0x2000, 0x206F),  # general punctuation (— … ‘ ’ “ ” •)
    (0x20A0, 0x20CF),  # currency
    (0x2100, 0x214F),  # letterlike (℃ №)
    (0x2190, 0x22FF),  # arrows, mathematical operators
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x2500, 0x27BF),  # box drawing, geometric shapes, misc symbols (★ ☆), dingbats (✓)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)


def gb2312_codepoints() -> set[int]:
    """Every character GB2312 encodes (682 symbols + 6,763 hanzi), decoded from the codec's own table."""
    out: set[int] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.update(map(ord, bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return out


def primary_codepoints() -> set[int]:
    cps = gb2312_codepoints()
    for lo, hi in EXTRA_RANGES:
        cps.update(range(lo, hi + 1))
    return cps


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _face_number(ttc: Path, family: str) -> int:
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(ttc), lazy=True)
    try:
        for i, font in enumerate(coll.fonts):
            if font["name"].getBestFullName() == family:
                return i
    finally:
        coll.close()
    raise SystemExit(f"{ttc} has no face named {family!r}")


def _otf_to_ttf(font: Any) -> None:
    """Replace the CFF outlines by TrueType ones (what fontTools' otf2ttf example does, without hinting)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, CU2QU_MAX_ERR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                 "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    del font["CFF "]
    font.sfntVersion = "\x00\x01\x00\x00"


def build_noto(src: Path, face: int, unicodes: set[int], dst: Path, *, bmp_cmap_only: bool) -> dict[str, Any]:
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    started = time.perf_counter()
    font = TTFont(str(src), fontNumber=face, recalcTimestamp=False)
    opts = subset.Options()
    opts.hinting = False
    opts.desubroutinize = True
    opts.layout_features = []
    opts.notdef_outline = True
    opts.glyph_names = True
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep copyright, version and the licence + its URL
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG", "meta"]
    subsetter = subset.Subsetter(opts)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    _otf_to_ttf(font)
    scale_upem(font, TARGET_UPEM)
    cmap = font["cmap"]
    keep = {(3, 1)} if bmp_cmap_only else {(3, 1), (3, 10)}
    cmap.tables = [t for t in cmap.tables if (t.platformID, t.platEncID) in keep]
    font["head"].modified = font["head"].created  # reproducible bytes
    _keep_only_shared_tables(font)
    font.save(str(dst))
    font.close()
    check = TTFont(str(dst), lazy=True)
    info = {"file": dst.name, "glyphs": len(check.getGlyphOrder()), "characters": len(check.getBestCmap()),
            "bytes": dst.stat().st_size, "seconds": round(time.perf_counter() - started, 1)}
    check.close()
    return info


def _keep_only_shared_tables(font: Any) -> None:
    """Leave the tables shared/reports/fonts.py's FontTemplate knows how to share between documents."""
    for tag in [t for t in font.keys() if t != "GlyphOrder" and t not in TABLES]:  # noqa: SIM118 - not a dict
        del font[tag]


def build_latin(src: Path, dst: Path) -> dict[str, Any]:
    """DejaVu Sans without hinting or layout tables (a PDF at print resolution needs neither), all characters."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    started = time.perf_counter()
    font = TTFont(str(src), recalcTimestamp=False)
    opts = subset.Options()
    opts.hinting = False
    opts.layout_features = []
    opts.notdef_outline = True
    opts.glyph_names = True
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    subsetter = subset.Subsetter(opts)
    subsetter.populate(unicodes=font.getBestCmap().keys())
    subsetter.subset(font)
    _keep_only_shared_tables(font)
    cmap = font["cmap"]
    cmap.tables = [t for t in cmap.tables if (t.platformID, t.platEncID) in {(3, 1), (3, 10)}]
    font.save(str(dst))
    font.close()
    check = TTFont(str(dst), lazy=True)
    info = {"file": dst.name, "glyphs": len(check.getGlyphOrder()), "characters": len(check.getBestCmap()),
            "bytes": dst.stat().st_size, "seconds": round(time.perf_counter() - started, 1)}
    check.close()
    return info


def build(out: Path = DEFAULT_OUT, force: bool = False) -> Path:
    missing = [p for p in (NOTO_TTC, DEJAVU_TTF) if not p.exists()]
    if missing:
        raise SystemExit(f"missing {', '.join(map(str, missing))}: run"
                         " `bash infra/setup/ensure-apt.sh fonts-noto-cjk fonts-dejavu-core` (make fonts does)")
    sources = {"noto": {"path": str(NOTO_TTC), "sha256": _sha256(NOTO_TTC)},
               "dejavu": {"path": str(DEJAVU_TTF), "sha256": _sha256(DEJAVU_TTF)}}
    manifest_path = out / MANIFEST
    if not force and manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text())
        except ValueError:
            old = {}
        if (old.get("version") == BUILD_VERSION and old.get("sources") == sources
                and all((out / name).exists() for name in (PRIMARY, REST, LATIN))):
            print(f"fonts up to date in {out}")
            return out
    out.mkdir(parents=True, exist_ok=True)
    face = _face_number(NOTO_TTC, NOTO_FACE)
    primary_set = primary_codepoints()
    print(f"building {PRIMARY} ({len(primary_set)} code points requested) …", flush=True)
    primary = build_noto(NOTO_TTC, face, primary_set, out / PRIMARY, bmp_cmap_only=True)
    from fontTools.ttLib import TTFont

    src = TTFont(str(NOTO_TTC), fontNumber=face, lazy=True)
    rest_set = set(src.getBestCmap()) - set(TTFont(str(out / PRIMARY), lazy=True).getBestCmap())
    src.close()
    print(f"building {REST} ({len(rest_set)} code points) …", flush=True)
    rest = build_noto(NOTO_TTC, face, rest_set, out / REST, bmp_cmap_only=False)
    print(f"building {LATIN} …", flush=True)
    latin = build_latin(DEJAVU_TTF, out / LATIN)
    for src_path, name in ((NOTO_LICENSE, "OFL-NotoSansCJK.txt"), (DEJAVU_LICENSE, "LICENSE-DejaVu.txt")):
        if src_path.exists():
            shutil.copyfile(src_path, out / name)
    manifest = {"version": BUILD_VERSION, "sources": sources, "upem": TARGET_UPEM,
                "fonts": {"primary": primary, "rest": rest, "latin": latin}}
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"fonts written to {out}: {primary['bytes'] / 1e6:.1f} MB + {rest['bytes'] / 1e6:.1f} MB"
          f" ({primary['seconds']} s + {rest['seconds']} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset; dropped" is what we want
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="build even if fonts.json says they are up to date")
    args = parser.parse_args(argv)
    build(args.out, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
