"""Off-platform contact and payment detection for chat messages. Pure: text in, findings and a masked text out.

How it works (docs/TRUST.md has the measured precision and recall):

1. **Normalise** (`normalize`), one code point in, one code point out, so every span found in the normalised text is
   the same span in the original — no offset map to get wrong. Full-width ASCII → ASCII, A–Z → a–z, Unicode and
   zero-width spaces → ' ', dashes → '-', circled / parenthesised / dingbat / super- and subscript digits → 0–9,
   Cyrillic and Greek look-alikes → Latin; Chinese numerals (零〇一二…九, 幺洞拐两, 壹贰叁…玖) → 0–9 only inside a run
   of at least five digit-like characters, so "一起" and "三五个人" stay words while "一三八 零零一三 …" becomes digits.
   Variant spellings of words ("V信", "威信", "vx", "扣扣", "q q", "艾特") are not rewritten: the rules name them
   through the lexicon (`{WX}`, `{QQ}`, `{AT}` …), which is data like the rules.
2. **Rules** (`Rule`, the default set in `shared/chat/detection_rules.py`): a regex over the normalised text with an
   id, a kind, a weight and a Chinese reason; optional cue (context that adds `cue_weight`) and vetoes (context
   before / after the match, the matched text, its digits). A match scores `weight` (+ `cue_weight` when a cue is
   near); it becomes a finding when the score reaches the detector's threshold and no veto applies.
3. **Tech spans** (URLs, code, hex hashes): findings inside them are dropped unless the rule says `in_tech` (payment
   and WeChat/QQ links are URLs themselves).
4. **Mask**: the contact part of each finding (the regex group named `c`, else the whole match) is replaced by '*'
   for the receiver when the rule says `mask`; phrases of intent are kept readable.

Rules are validated when a detector is built (`Detector.from_rules`): an unknown key or kind, a bad regex, an
unknown lexicon macro or a pattern that matches the empty string raises `RuleError` (a `ValidationFailed`, 422) that
names every bad field. Operators override the default set without a deploy through `merge_ruleset`.

Masking promise (tested with Hypothesis): `masked_text` has exactly as many code points as the original; every code
point outside a masked span is unchanged; every code point inside one is '*'. Masked spans are the union of the
masking findings' spans, so overlapping findings mask once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from shared.chat import detection_rules as default
from shared.chat.detection_rules import SEP_CLASS
from shared.errors import ValidationFailed

KINDS = ("phone", "wechat", "qq", "email", "im", "payment", "intent")
KIND_NAMES = {  # shown to the sender in the warning
    "phone": "电话号码", "wechat": "微信号", "qq": "QQ 号", "email": "邮箱", "im": "其他聊天软件账号",
    "payment": "站外收款方式", "intent": "站外联系或交易的提议",
}
MASK_CHAR = "*"

# --- normalisation --------------------------------------------------------------------------------------------------


def _build_table() -> dict[int, str]:
    t: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        t[code] = chr(code - 0xFEE0).lower()
    for code in range(ord("A"), ord("Z") + 1):
        t[code] = chr(code).lower()
    for ch in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000":
        t[ord(ch)] = " "
    for ch in "\u200b\u200c\u2060\ufeff\u00ad":  # zero-width characters used to split a number: a separator
        t[ord(ch)] = " "
    for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u2501\ufe58\ufe63":
        t[ord(ch)] = "-"
    t[ord("\ufe6b")] = "@"  # small commercial at
    t[ord("\u3002")] = "。"  # kept: the ideographic full stop ends a sentence, rules see it as is
    digit_blocks = [
        (0x2460, "123456789"),  # ①–⑨
        (0x2474, "123456789"),  # ⑴–⑼
        (0x2488, "123456789"),  # ⒈–⒐
        (0x24F5, "123456789"),  # ⓵–⓽
        (0x2776, "123456789"),  # ❶–❾
        (0x2780, "123456789"),  # ➀–➈
        (0x278A, "123456789"),  # ➊–➒
        (0x2070, "0"), (0x00B9, "1"), (0x00B2, "2"), (0x00B3, "3"), (0x2074, "456789"),  # superscripts
        (0x2080, "0123456789"),  # subscripts
        (0x1D7CE, "0123456789"), (0x1D7D8, "0123456789"), (0x1D7E2, "0123456789"),  # mathematical digits
        (0x1D7EC, "0123456789"), (0x1D7F6, "0123456789"),
    ]
    for start, digits in digit_blocks:
        for i, d in enumerate(digits):
            t[start + i] = d
    t[0x24EA] = t[0x24FF] = "0"  # ⓪ ⓿
    lookalikes = {  # Cyrillic and Greek letters that render like Latin ones
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
        "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԛ": "q", "ԝ": "w",
        "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c", "Т": "t",
        "У": "y", "Х": "x", "І": "i", "Ј": "j", "Ѕ": "s",
        "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
        "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o",
        "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    }
    for src, dst in lookalikes.items():
        t[ord(src)] = dst
    return t


_TABLE = _build_table()
# Chinese numerals, read digit by digit as phone numbers are: 幺 (1), 洞 (0), 拐 (7) and 两 (2) are how they are read
# aloud; ○ is often typed for 〇.
_NUMERALS = {
    "零": "0", "〇": "0", "○": "0", "洞": "0", "一": "1", "幺": "1", "壹": "1", "二": "2", "两": "2", "贰": "2",
    "貳": "2", "三": "3", "叁": "3", "參": "3", "叄": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6",
    "陆": "6", "陸": "6", "七": "7", "拐": "7", "柒": "7", "八": "8", "捌": "8", "九": "9", "玖": "9",
}
_NUMERAL_TABLE = {ord(k): v for k, v in _NUMERALS.items()}
_DIGITLIKE = "0-9" + "".join(_NUMERALS)
_NUMERAL_RUN = re.compile(f"[{_DIGITLIKE}](?:{SEP_CLASS}{{0,3}}[{_DIGITLIKE}])+")
_HAS_NUMERAL = re.compile(f"[{''.join(_NUMERALS)}]")
MIN_NUMERAL_RUN = 5  # digit-like characters a run needs before its numerals are read as digits


def normalize(text: str) -> str:
    """The text rules are matched against: same length as `text`, character for character (see the module doc)."""
    out = text.translate(_TABLE)
    if _HAS_NUMERAL.search(out) is None:
        return out
    pieces: list[str] = []
    last = 0
    for m in _NUMERAL_RUN.finditer(out):
        run = m.group()
        if sum(1 for ch in run if ch.isdigit() or ch in _NUMERALS) >= MIN_NUMERAL_RUN:
            pieces.append(out[last:m.start()])
            pieces.append(run.translate(_NUMERAL_TABLE))
            last = m.end()
    if not pieces:
        return out
    pieces.append(out[last:])
    return "".join(pieces)


# --- rules ----------------------------------------------------------------------------------------------------------

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_MACRO_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")  # {WX}; regex quantifiers {2,3} hold digits, never capitals
_REGEX_FIELDS = ("pattern", "cue_before", "cue_after", "veto_before", "veto_after", "veto_match", "veto_digits")
MAX_PATTERN = 4000


@dataclass(frozen=True)
class Rule:
    """One detection rule, as data (JSON-able: `Rule(**d)` / `asdict(rule)`).

    pattern      regex over the normalised text; a group named `c` marks the contact to mask (else the whole match)
    weight       score of a match on its own; a finding needs score ≥ the detector's threshold (1.0 by default)
    cue_before / cue_after, cue_weight
                 regex searched in the `window` characters before / after the match; when one is found the match
                 scores weight + cue_weight (a bare 16-digit number is a bank card only next to "卡号")
    veto_before / veto_after
                 regex searched in the window before / after; a hit drops the match (anchor with $ / ^ to mean
                 "right before" / "right after": "订单号 139…" is an order id)
    veto_match   regex searched in the contact text (group `c`, else the match): "139.198.123.45" is an IP
    veto_digits  regex searched in the contact's digits only: well-known dummy numbers
    mask         mask the contact for the receiver (contacts, payment links); phrases of intent stay readable
    in_tech      also fire inside URLs, code and hashes (for rules that match links themselves)
    needs_contact
                 keep the finding only when the message also has a contact or payment finding: "加一下", "扫这个"
                 are intent next to a WeChat id and nothing on their own (such a rule never flags a message alone)
    """

    id: str
    kind: str
    pattern: str
    reason: str
    weight: float = 1.0
    cue_before: str | None = None
    cue_after: str | None = None
    cue_weight: float = 0.0
    veto_before: str | None = None
    veto_after: str | None = None
    veto_match: str | None = None
    veto_digits: str | None = None
    window: int = 12
    mask: bool = True
    in_tech: bool = False
    needs_contact: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class RuleError(ValidationFailed):
    """A rule set that cannot be compiled; `errors` names each bad field (`rules[3].pattern`)."""

    code = "INVALID_DETECTION_RULES"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors, message=f"检测规则无效：{errors[0]['field']} {errors[0]['message']}")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int  # code point offsets in the original text, end exclusive
    end: int
    rule_id: str
    reason: str
    text: str  # the original text of the span
    masked: bool  # whether this span is masked for the receiver
    score: float


@dataclass(frozen=True)
class Detection:
    text: str
    findings: tuple[Finding, ...]
    masked_text: str

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(f.kind for f in self.findings)

    def sender_warning(self) -> str | None:
        """The notice the sender sees (None when nothing was found)."""
        if not self.findings:
            return None
        what = "、".join(KIND_NAMES[k] for k in KINDS if k in self.kinds)
        hidden = "，已对对方隐藏" if self.masked_text != self.text else ""
        return (f"检测到疑似{what}{hidden}。为保障资金与交付安全，请在平台内沟通和付款；"
                "站外联系或交易的记录会计入信用档案。")


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    pattern: re.Pattern[str]
    cue_before: re.Pattern[str] | None
    cue_after: re.Pattern[str] | None
    veto_before: re.Pattern[str] | None
    veto_after: re.Pattern[str] | None
    veto_match: re.Pattern[str] | None
    veto_digits: re.Pattern[str] | None
    has_c: bool


def expand(pattern: str, lexicon: Mapping[str, str], *, depth: int = 0) -> str:
    """Replace every {NAME} by `(?:lexicon[NAME])`, recursively (a macro may use macros). KeyError on an unknown one."""
    if depth > 8:
        raise ValueError("词表宏嵌套过深（可能有循环引用）")

    def sub(m: re.Match[str]) -> str:
        return "(?:" + expand(lexicon[m.group(1)], lexicon, depth=depth + 1) + ")"

    return _MACRO_RE.sub(sub, pattern)


def _rule_from(raw: Rule | Mapping[str, Any], where: str, errors: list[dict[str, str]]) -> Rule | None:
    if isinstance(raw, Rule):
        return raw
    if not isinstance(raw, Mapping):
        errors.append({"field": where, "message": "规则须为对象"})
        return None
    known = set(Rule.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        errors.append({"field": f"{where}.{unknown[0]}", "message": f"未知的字段（可用：{', '.join(sorted(known))}）"})
        return None
    missing = [k for k in ("id", "kind", "pattern", "reason") if k not in raw]
    if missing:
        errors.append({"field": f"{where}.{missing[0]}", "message": "必填"})
        return None
    try:
        return Rule(**raw)
    except TypeError as exc:
        errors.append({"field": where, "message": str(exc)})
        return None


def _check_types(rule: Rule, where: str, errors: list[dict[str, str]]) -> None:
    def bad(name: str, message: str) -> None:
        errors.append({"field": f"{where}.{name}", "message": message})

    if not isinstance(rule.id, str) or not _ID_RE.match(rule.id):
        bad("id", "须为 1–64 位小写字母、数字、'.'、'_'、'-'")
    if rule.kind not in KINDS:
        bad("kind", f"须为 {', '.join(KINDS)} 之一")
    if not isinstance(rule.reason, str) or not rule.reason.strip():
        bad("reason", "须为非空的中文说明")
    for name in ("weight", "cue_weight"):
        value = getattr(rule, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
            bad(name, "须为 0–10 之间的数")
    if isinstance(rule.window, bool) or not isinstance(rule.window, int) or not 0 <= rule.window <= 200:
        bad("window", "须为 0–200 之间的整数")
    for name in ("mask", "in_tech", "needs_contact"):
        if not isinstance(getattr(rule, name), bool):
            bad(name, "须为 true 或 false")
    for name in _REGEX_FIELDS:
        value = getattr(rule, name)
        if value is not None and (not isinstance(value, str) or not value or len(value) > MAX_PATTERN):
            bad(name, f"须为 1–{MAX_PATTERN} 个字符的正则表达式")


def _compile(source: str, lexicon: Mapping[str, str], field_name: str, errors: list[dict[str, str]]
             ) -> re.Pattern[str] | None:
    try:
        return re.compile(expand(source, lexicon))
    except KeyError as exc:
        errors.append({"field": field_name, "message": f"未知的词表宏 {{{exc.args[0]}}}"})
    except (re.error, ValueError, RecursionError) as exc:
        errors.append({"field": field_name, "message": f"正则表达式无效：{exc}"})
    return None


# --- the detector ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detector:
    """A compiled rule set. Build with `from_rules` / `from_ruleset` / `default()`; then `scan(text)`."""

    rules: tuple[Rule, ...]
    lexicon: Mapping[str, str]
    tech: tuple[str, ...]
    threshold: float
    _compiled: tuple[_Compiled, ...] = field(repr=False, compare=False, default=())
    _tech: tuple[re.Pattern[str], ...] = field(repr=False, compare=False, default=())

    @classmethod
    def from_rules(cls, rules: Iterable[Rule | Mapping[str, Any]], *, lexicon: Mapping[str, str] | None = None,
                   tech: Iterable[str] | None = None, threshold: float | None = None) -> Detector:
        """Validate and compile. Lexicon, tech spans and threshold default to the built-in set's."""
        lex = dict(default.LEXICON if lexicon is None else lexicon)
        tech_list = tuple(default.TECH if tech is None else tech)
        thr = default.THRESHOLD if threshold is None else threshold
        errors: list[dict[str, str]] = []
        for name, value in lex.items():
            if not isinstance(name, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name) or not isinstance(value, str):
                errors.append({"field": f"lexicon.{name}", "message": "词表宏名须为大写字母开头，值须为正则表达式"})
        if isinstance(thr, bool) or not isinstance(thr, (int, float)) or not 0 < thr <= 10:
            errors.append({"field": "threshold", "message": "须为 0–10 之间的正数"})
        rule_list: list[Rule] = []
        seen: set[str] = set()
        for i, raw in enumerate(rules):
            where = f"rules[{i}]"
            rule = _rule_from(raw, where, errors)
            if rule is None:
                continue
            _check_types(rule, where, errors)
            if rule.id in seen:
                errors.append({"field": f"{where}.id", "message": f"规则 id 重复：{rule.id}"})
            seen.add(rule.id)
            rule_list.append(rule)
        tech_compiled: list[re.Pattern[str]] = []
        for i, source in enumerate(tech_list):
            if not isinstance(source, str) or not source:
                errors.append({"field": f"tech[{i}]", "message": "须为正则表达式"})
                continue
            compiled_tech = _compile(source, lex, f"tech[{i}]", errors)
            if compiled_tech is not None:
                tech_compiled.append(compiled_tech)
        if errors:  # types first: compiling a rule whose fields have the wrong type would only add noise
            raise RuleError(errors)
        compiled: list[_Compiled] = []
        for i, rule in enumerate(rule_list):
            where = f"rules[{i}]"
            parts = {name: _compile(getattr(rule, name), lex, f"{where}.{name}", errors)
                     for name in _REGEX_FIELDS if getattr(rule, name) is not None}
            main = parts.get("pattern")
            if main is None:
                continue
            if main.search("") is not None:
                errors.append({"field": f"{where}.pattern", "message": "不能匹配空字符串"})
                continue
            compiled.append(_Compiled(rule, main, parts.get("cue_before"), parts.get("cue_after"),
                                      parts.get("veto_before"), parts.get("veto_after"), parts.get("veto_match"),
                                      parts.get("veto_digits"), "c" in main.groupindex))
        if errors:
            raise RuleError(errors)
        return cls(tuple(rule_list), lex, tech_list, float(thr), tuple(compiled), tuple(tech_compiled))

    @classmethod
    def from_ruleset(cls, ruleset: Mapping[str, Any]) -> Detector:
        """A whole rule set as stored: {"rules": [...], "lexicon": {...}, "tech": [...], "threshold": 1.0}."""
        if not isinstance(ruleset, Mapping) or not isinstance(ruleset.get("rules"), list):
            raise RuleError([{"field": "rules", "message": "须为规则列表"}])
        return cls.from_rules(ruleset["rules"], lexicon=ruleset.get("lexicon"), tech=ruleset.get("tech"),
                              threshold=ruleset.get("threshold"))

    @classmethod
    def default(cls) -> Detector:
        """The built-in rule set, compiled once per process (a warm container reuses it)."""
        return _default_detector()

    def to_ruleset(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "lexicon": dict(self.lexicon), "tech": list(self.tech),
                "rules": [r.to_dict() for r in self.rules]}

    def scan(self, text: str) -> Detection:
        """Find contacts and intents in `text`; mask the contacts."""
        if not isinstance(text, str):
            raise TypeError("text must be str")
        norm = normalize(text)
        tech_spans = [m.span() for p in self._tech for m in p.finditer(norm) if m.end() > m.start()]
        found: list[Finding] = []
        for c in self._compiled:
            for m in c.pattern.finditer(norm):
                finding = self._judge(c, m, norm, text, tech_spans)
                if finding is not None:
                    found.append(finding)
        if any(f.kind != "intent" for f in found):
            findings = _dedupe(found)
        else:
            weak = {c.rule.id for c in self._compiled if c.rule.needs_contact}
            findings = _dedupe([f for f in found if f.rule_id not in weak])
        return Detection(text, findings, mask(text, [(f.start, f.end) for f in findings if f.masked]))

    def _judge(self, c: _Compiled, m: re.Match[str], norm: str, text: str, tech_spans: list[tuple[int, int]]
               ) -> Finding | None:
        rule = c.rule
        start, end = m.span("c") if c.has_c and m.group("c") is not None else m.span()
        if end <= start:
            return None
        if not rule.in_tech and any(s <= start and end <= e for s, e in tech_spans):
            return None
        before = norm[max(0, m.start() - rule.window):m.start()]
        after = norm[m.end():m.end() + rule.window]
        contact = norm[start:end]
        if ((c.veto_before is not None and c.veto_before.search(before))
                or (c.veto_after is not None and c.veto_after.search(after))
                or (c.veto_match is not None and c.veto_match.search(contact))
                or (c.veto_digits is not None and c.veto_digits.search("".join(ch for ch in contact
                                                                              if "0" <= ch <= "9")))):
            return None
        score = rule.weight
        if rule.cue_weight and ((c.cue_before is not None and c.cue_before.search(before))
                                or (c.cue_after is not None and c.cue_after.search(after))):
            score += rule.cue_weight
        if score < self.threshold:
            return None
        return Finding(rule.kind, start, end, rule.id, rule.reason, text[start:end], rule.mask, score)


def _dedupe(found: list[Finding]) -> tuple[Finding, ...]:
    """One finding per contact and kind: a span inside another finding of the same kind is dropped (the plain and
    the spelled-out e-mail rule both see 'a@b.com'); different kinds on one span stay (a number given as a WeChat id
    is a phone and a WeChat account)."""
    kept: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start), -f.score, f.rule_id)):
        if any(k.kind == f.kind and k.start <= f.start and f.end <= k.end for k in kept):
            continue
        kept.append(f)
    return tuple(kept)


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` with every code point inside any of `spans` replaced by MASK_CHAR; same length, the rest unchanged."""
    marks = sorted((max(0, s), min(len(text), e)) for s, e in spans if e > s)
    if not marks:
        return text
    out: list[str] = []
    pos = 0
    for s, e in marks:
        if e <= pos:
            continue
        s = max(s, pos)
        out.append(text[pos:s])
        out.append(MASK_CHAR * (e - s))
        pos = e
    out.append(text[pos:])
    return "".join(out)


def merge_ruleset(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """The rule set an operator override makes of `base` (both as stored JSON). Override keys, all optional:
    `replace` (true: its `rules` replace base's entirely), `rules` (a rule with a base id replaces it, a new id is
    appended), `disable` (ids dropped), `lexicon` (entries added or replaced), `tech` (replaces the list),
    `threshold`. Validation happens when the result is compiled (`Detector.from_ruleset`)."""
    lexicon: dict[str, Any] = dict(base.get("lexicon") or {})
    tech: list[Any] = list(base.get("tech") or [])
    rules: list[Any] = [dict(r) if isinstance(r, Mapping) else r for r in base.get("rules") or []]
    threshold = base.get("threshold")
    if override:
        unknown = sorted(set(override) - {"replace", "rules", "disable", "lexicon", "tech", "threshold"})
        if unknown:
            raise RuleError([{"field": unknown[0], "message": "未知的覆盖字段"}])
        if override.get("replace"):
            rules = []
        index = {r.get("id"): i for i, r in enumerate(rules) if isinstance(r, Mapping)}
        for r in override.get("rules") or []:
            rid = r.get("id") if isinstance(r, Mapping) else None
            new = dict(r) if isinstance(r, Mapping) else r
            if rid is not None and rid in index:
                rules[index[rid]] = new
            else:
                index[rid] = len(rules)
                rules.append(new)
        disabled = set(override.get("disable") or [])
        rules = [r for r in rules if not (isinstance(r, Mapping) and r.get("id") in disabled)]
        lexicon.update(override.get("lexicon") or {})
        if "tech" in override:
            tech = list(override["tech"])
        if "threshold" in override:
            threshold = override["threshold"]
    return {"threshold": threshold, "lexicon": lexicon, "tech": tech, "rules": rules}


@lru_cache(maxsize=1)
def _default_detector() -> Detector:
    return Detector.from_rules(default.RULES)


def detect(text: str) -> Detection:
    """Scan with the built-in rule set."""
    return Detector.default().scan(text)
