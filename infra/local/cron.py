"""Tencent SCF timer-trigger cron expressions: parse, match, and find the next fire time.

SCF cron has seven fields, seconds first and year last [cloud.tencent.com/document/product/583/9708]:

    second(0-59) minute(0-59) hour(0-23) day(1-31) month(1-12|JAN-DEC) weekday(0-6|SUN-SAT) year(1970-2099)

(weekday 0 is Sunday.)

Every field takes `*`, lists `a,b`, ranges `a-b` and steps `*/n`, `a/n`, `a-b/n` (`a/n` runs from a to the
field's maximum, as in the SCF examples: `1/10` in the minute field is 1, 11, 21, ...). Day and weekday also
take `?` (no constraint). The day-of-month specials `L` (last day), `LW` (last weekday) and `nW` (weekday
nearest day n, never leaving the month) and the weekday specials `nL` (last weekday n of the month) and
`n#k` (k-th weekday n) are supported because they are cheap; each must be the whole field.

Day and weekday combine with AND, with `*` and `?` meaning "no constraint": SCF's own examples write `*` in
both (`0 0 2 1 * * *` = 02:00 on the 1st) and restrict one while the other is `*` (`0 15 10 * * MON-FRI *`).
Vixie cron's OR rule for two restricted fields is not documented for SCF, so we do not guess it.

Times are wall-clock times in the time zone SCF evaluates timers in. SCF's documentation does not say which
that is; the platform is operated from China and its examples read as Beijing time, and uniCloud (which runs
its Tencent functions on SCF) states "定时触发使用的是utc+8的时间" [uniapp.dcloud.net.cn/uniCloud/trigger]. We
therefore use UTC+8 (`SCF_CRON_TZ`, China has had no DST since 1991, so a fixed offset is exact). Note the
function runtime's own clock is UTC unless TZ is set [cloud.tencent.com/document/product/583/19805], and the
Timer event's `Time` is UTC.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

SCF_CRON_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

MONTH_NAMES = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
WEEKDAY_NAMES = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}

# (name, minimum, maximum, names) for the seven fields in order.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, MONTH_NAMES),
    ("weekday", 0, 6, WEEKDAY_NAMES),
    ("year", 1970, 2099, {}),
)
MIN_YEAR, MAX_YEAR = 1970, 2099


class CronError(ValueError):
    """The expression is not a valid SCF 7-field cron expression."""


@dataclass(frozen=True)
class DayOfMonth:
    """The day field. `values is None` means any day; at most one special is set."""

    values: frozenset[int] | None = None
    last: bool = False  # L
    last_weekday: bool = False  # LW
    nearest_weekday: int | None = None  # nW

    def matches(self, d: date) -> bool:
        last_day = calendar.monthrange(d.year, d.month)[1]
        if self.last:
            return d.day == last_day
        if self.last_weekday:
            return d.day == _nearest_weekday(d.year, d.month, last_day)
        if self.nearest_weekday is not None:
            if self.nearest_weekday > last_day:  # "31W" in a 30-day month: that month has no such day
                return False
            return d.day == _nearest_weekday(d.year, d.month, self.nearest_weekday)
        return self.values is None or d.day in self.values


@dataclass(frozen=True)
class DayOfWeek:
    """The weekday field in cron numbering (0 = Sunday). `values is None` means any weekday."""

    values: frozenset[int] | None = None
    last_of: int | None = None  # nL: the last weekday n of the month
    nth: tuple[int, int] | None = None  # n#k: (weekday n, k-th occurrence)

    def matches(self, d: date) -> bool:
        weekday = cron_weekday(d)
        if self.last_of is not None:
            return weekday == self.last_of and d.day + 7 > calendar.monthrange(d.year, d.month)[1]
        if self.nth is not None:
            return weekday == self.nth[0] and (d.day - 1) // 7 + 1 == self.nth[1]
        return self.values is None or weekday in self.values


@dataclass(frozen=True)
class CronExpression:
    source: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    day: DayOfMonth
    months: frozenset[int]
    weekday: DayOfWeek
    years: frozenset[int]

    def matches_date(self, d: date) -> bool:
        return d.year in self.years and d.month in self.months and self.day.matches(d) and self.weekday.matches(d)

    def matches(self, moment: datetime) -> bool:
        """Does the expression fire at this second? Aware datetimes are converted to `SCF_CRON_TZ` first."""
        moment = _wall_clock(moment)
        return (
            moment.microsecond == 0
            and moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and self.matches_date(moment.date())
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after `moment`, or None when it never fires again (years run out).

        A naive `moment` is read as wall-clock time in `SCF_CRON_TZ` and a naive result comes back; an aware
        one gives an aware result in `SCF_CRON_TZ`.
        """
        aware = moment.tzinfo is not None
        wall = _wall_clock(moment)
        # The first whole second after `moment`: a candidate at whole seconds is > moment iff it is >= this.
        start = wall.replace(microsecond=0) + timedelta(seconds=1)
        found = self._first_at_or_after(start)
        if found is None:
            return None
        return found.replace(tzinfo=SCF_CRON_TZ) if aware else found

    def _first_at_or_after(self, start: datetime) -> datetime | None:
        months = sorted(self.months)
        for year in sorted(y for y in self.years if y >= start.year):
            for month in months:
                if (year, month) < (start.year, start.month):
                    continue
                first_day = start.day if (year, month) == (start.year, start.month) else 1
                for day in range(first_day, calendar.monthrange(year, month)[1] + 1):
                    d = date(year, month, day)
                    if not (self.day.matches(d) and self.weekday.matches(d)):
                        continue
                    t = self._first_time_at_or_after(start.time() if d == start.date() else time(0))
                    if t is not None:
                        return datetime.combine(d, t)
        return None

    def _first_time_at_or_after(self, lower: time) -> time | None:
        for hour in sorted(h for h in self.hours if h >= lower.hour):
            min_minute = lower.minute if hour == lower.hour else 0
            for minute in sorted(m for m in self.minutes if m >= min_minute):
                min_second = lower.second if (hour, minute) == (lower.hour, lower.minute) else 0
                for second in sorted(self.seconds):
                    if second >= min_second:
                        return time(hour, minute, second)
        return None


def cron_weekday(d: date) -> int:
    """Cron weekday numbering: 0 = Sunday ... 6 = Saturday (Python's isoweekday has Sunday = 7)."""
    return d.isoweekday() % 7


def parse(text: str) -> CronExpression:
    """Parse a 7-field SCF cron expression; raises CronError with the offending field."""
    parts = text.split()
    if len(parts) != 7:
        raise CronError(
            f"SCF cron needs 7 fields (second minute hour day month weekday year), got {len(parts)}: {text!r}"
        )
    sets: dict[str, frozenset[int]] = {}
    day = DayOfMonth()
    weekday = DayOfWeek()
    for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        try:
            if name == "day":
                day = _parse_day(part)
            elif name == "weekday":
                weekday = _parse_weekday(part)
            else:
                sets[name] = _parse_set(part, low, high, names)
        except CronError as exc:
            raise CronError(f"{name} field {part!r} in {text!r}: {exc}") from None
    return CronExpression(
        source=text,
        seconds=sets["second"],
        minutes=sets["minute"],
        hours=sets["hour"],
        day=day,
        months=sets["month"],
        weekday=weekday,
        years=sets["year"],
    )


def next_fire(expression: str | CronExpression, after: datetime) -> datetime | None:
    expr = parse(expression) if isinstance(expression, str) else expression
    return expr.next_after(after)


# --- field parsing ---


def _parse_day(part: str) -> DayOfMonth:
    upper = part.upper()
    if upper in ("*", "?"):
        return DayOfMonth()
    if upper == "L":
        return DayOfMonth(last=True)
    if upper == "LW":
        return DayOfMonth(last_weekday=True)
    if upper.endswith("W"):
        n = _number(upper[:-1], 1, 31, {})
        return DayOfMonth(nearest_weekday=n)
    return DayOfMonth(values=_parse_set(upper, 1, 31, {}))


def _parse_weekday(part: str) -> DayOfWeek:
    upper = part.upper()
    if upper in ("*", "?"):
        return DayOfWeek()
    if upper.endswith("L") and len(upper) > 1:
        return DayOfWeek(last_of=_number(upper[:-1], 0, 6, WEEKDAY_NAMES))
    if "#" in upper:
        weekday_text, _, nth_text = upper.partition("#")
        return DayOfWeek(nth=(_number(weekday_text, 0, 6, WEEKDAY_NAMES), _number(nth_text, 1, 5, {})))
    return DayOfWeek(values=_parse_set(upper, 0, 6, WEEKDAY_NAMES))


def _parse_set(part: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    upper = part.upper()
    if "?" in upper:
        raise CronError("'?' is only allowed as the whole day or weekday field")
    values: set[int] = set()
    for item in upper.split(","):
        values.update(_parse_item(item, low, high, names))
    return frozenset(values)


def _parse_item(item: str, low: int, high: int, names: dict[str, int]) -> Iterable[int]:
    if not item:
        raise CronError("empty list item")
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        step = _number(step_text, 1, high - low + 1, {})
    if base == "*":
        start, end = low, high
    elif "-" in base:
        start_text, _, end_text = base.partition("-")
        start, end = _number(start_text, low, high, names), _number(end_text, low, high, names)
        if start > end:
            raise CronError(f"range {base!r} runs backwards")
    else:
        start = _number(base, low, high, names)
        end = high if slash else start
    return range(start, end + 1, step)


def _number(text: str, low: int, high: int, names: dict[str, int]) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise CronError(f"{text!r} is not a number" + (f" or one of {', '.join(names)}" if names else ""))
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{value} is outside {low}-{high}")
    return value


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The Monday-to-Friday day nearest `day` within the same month (Quartz's `W` rule)."""
    last_day = calendar.monthrange(year, month)[1]
    weekday = date(year, month, day).weekday()  # Monday = 0
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, unless that leaves the month
        return day + 1 if day < last_day else day - 2
    return day


def _wall_clock(moment: datetime) -> datetime:
    """Naive wall-clock time in SCF_CRON_TZ."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(SCF_CRON_TZ).replace(tzinfo=None)
