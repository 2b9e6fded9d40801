"""Files that ship in a layer rather than in the code package: the report fonts.

`make package` copies infra/fonts/* into the codelink-reports layer under fonts/, which SCF mounts at /opt/fonts
(layers unpack to /opt). A function that lists that layer finds them there; locally and in tests they are read from
infra/fonts. Only functions that list codelink-reports in serverless.yml may call this.
"""

from __future__ import annotations

from pathlib import Path

LAYER_FONTS = Path("/opt/fonts")
SOURCE_FONTS = Path(__file__).resolve().parents[1] / "infra" / "fonts"


def fonts_dir() -> Path:
    return LAYER_FONTS if LAYER_FONTS.is_dir() else SOURCE_FONTS


def font_path(name: str) -> Path:
    """The path of font file `name` (e.g. "NotoSansSC-Regular.ttf"); FileNotFoundError if it is not shipped."""
    path = fonts_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"font {name} is in neither {LAYER_FONTS} nor {SOURCE_FONTS}")
    return path
