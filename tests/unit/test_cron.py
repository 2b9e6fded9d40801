"""SCF 7-field cron: parsing, matching, next fire time (examples and properties)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.local.cron import SCF_CRON_TZ, CronError, CronExpression, next_fire, parse

T0 = datetime(2025, 1, 1, 0, 0, 0)  # a Wednesday


def fires(expr: str, after: datetime, count: int) -> list[datetime]:
    out, t = [], after
    cron = parse(expr)
    for _ in range(count):
        nxt = cron.next_after(t)
        assert nxt is not None
        out.append(nxt)
        t = nxt
    return out


# --- parsing ---


@pytest.mark.parametrize(
    "text",
    [
        "* * * * *",  # 5 fields: the legacy form is not accepted
        "* * * * * *",
        "* * * * * * * *",
        "60 * * * * * *",
        "* 60 * * * * *",
        "* * 24 * * * *",
        "* * * 0 * * *",
        "* * * 32 * * *",
        "* * * * 13 * *",
        "* * * * * 7 *",
        "* * * * * * 1969",
        "* * * * * * 2100",
        "*/0 * * * * * *",
        "5-1 * * * * * *",
        "? * * * * * *",  # ? only in day/weekday
        "* * * * ? * *",
        "* * * 1,? * * *",
        "* L * * * * *",
        "* * * 32W * * *",
        "* * * * * 5#6 *",
        "* * * * * 7L *",
        "* * * * FOO * *",
        "* * * * * MONDAY *",
        "1,,2 * * * * * *",
        "a * * * * * *",
        "-1 * * * * * *",
    ],
)
def test_rejects_invalid_expressions(text: str) -> None:
    with pytest.raises(CronError):
        parse(text)


def test_field_sets() -> None:
    cron = parse("1/20 0-10/5 3,4 * JAN-MAR,dec * 2025-2026")
    assert cron.seconds == {1, 21, 41}
    assert cron.minutes == {0, 5, 10}
    assert cron.hours == {3, 4}
    assert cron.months == {1, 2, 3, 12}
    assert cron.years == {2025, 2026}
    assert parse("*/15 * * * * * *").seconds == {0, 15, 30, 45}
    assert parse("0 0 0 * * SUN,sat *").weekday.values == {0, 6}


def test_error_names_the_field() -> None:
    with pytest.raises(CronError, match="hour field '25'"):
        parse("0 0 25 * * * *")


# --- SCF's documented examples [cloud.tencent.com/document/product/583/9708] ---


def test_every_five_seconds() -> None:
    assert fires("*/5 * * * * * *", T0, 3) == [T0 + timedelta(seconds=s) for s in (5, 10, 15)]


def test_first_of_month_at_two() -> None:
    assert fires("0 0 2 1 * * *", T0, 2) == [datetime(2025, 1, 1, 2), datetime(2025, 2, 1, 2)]


def test_weekdays_at_ten_fifteen() -> None:
    # 2025-01-03 is a Friday: the next fire is Monday the 6th.
    got = fires("0 15 10 * * MON-FRI *", datetime(2025, 1, 3, 11), 2)
    assert got == [datetime(2025, 1, 6, 10, 15), datetime(2025, 1, 7, 10, 15)]


def test_list_of_hours_and_half_hours_in_office_hours() -> None:
    assert fires("0 0 10,14,16 * * * *", T0, 4)[-1] == datetime(2025, 1, 2, 10)
    assert fires("0 */30 9-17 * * * *", datetime(2025, 1, 1, 17, 31), 2) == [
        datetime(2025, 1, 2, 9),
        datetime(2025, 1, 2, 9, 30),
    ]


def test_wednesday_noon() -> None:
    assert fires("0 0 12 * * WED *", datetime(2025, 1, 1, 12), 1) == [datetime(2025, 1, 8, 12)]


# --- specials ---


def test_last_day_of_month() -> None:
    assert fires("0 0 0 L * * *", datetime(2024, 1, 31, 1), 2) == [datetime(2024, 2, 29), datetime(2024, 3, 31)]


def test_last_weekday_of_month() -> None:
    # August 2025 ends on a Sunday: its last weekday is Friday the 29th.
    assert next_fire("0 0 0 LW * * *", datetime(2025, 8, 1)) == datetime(2025, 8, 29)


def test_nearest_weekday() -> None:
    # 2025-03-15 is a Saturday -> Friday 14th; 2025-06-15 is a Sunday -> Monday 16th.
    assert next_fire("0 0 0 15W * * *", datetime(2025, 3, 1)) == datetime(2025, 3, 14)
    assert next_fire("0 0 0 15W * * *", datetime(2025, 6, 1)) == datetime(2025, 6, 16)
    # 2025-02-01 is a Saturday: "1W" does not leave the month, so Monday the 3rd.
    assert next_fire("0 0 0 1W * * *", datetime(2025, 1, 31)) == datetime(2025, 2, 3)
    # "31W" skips months without a 31st.
    assert next_fire("0 0 0 31W * * *", datetime(2025, 4, 1)) == datetime(2025, 5, 30)  # 31 May is a Saturday


def test_last_and_nth_weekday() -> None:
    assert next_fire("0 0 0 ? * 5L *", datetime(2025, 1, 1)) == datetime(2025, 1, 31)
    assert next_fire("0 0 0 ? * FRI#3 *", datetime(2025, 1, 1)) == datetime(2025, 1, 17)
    assert next_fire("0 0 0 * * 1#5 *", datetime(2025, 1, 1)) == datetime(2025, 3, 31)  # first month with 5 Mondays


def test_day_and_weekday_both_restricted_means_both() -> None:
    # Friday the 13th, not "the 13th or any Friday".
    assert next_fire("0 0 0 13 * FRI *", datetime(2025, 1, 1)) == datetime(2025, 6, 13)


def test_years_run_out() -> None:
    assert next_fire("0 0 0 1 1 * 2025", datetime(2025, 1, 1)) is None
    assert next_fire("0 0 0 30 2 * *", datetime(2025, 1, 1)) is None
    assert next_fire("0 0 0 29 2 * *", datetime(2025, 1, 1)) == datetime(2028, 2, 29)


# --- time semantics ---


def test_strictly_after_and_sub_second() -> None:
    cron = parse("0 * * * * * *")
    assert cron.next_after(datetime(2025, 1, 1, 0, 1)) == datetime(2025, 1, 1, 0, 2)
    assert cron.next_after(datetime(2025, 1, 1, 0, 0, 59, 999_999)) == datetime(2025, 1, 1, 0, 1)
    assert cron.matches(datetime(2025, 1, 1, 0, 1))
    assert not cron.matches(datetime(2025, 1, 1, 0, 1, 0, 1))


def test_aware_datetimes_use_beijing_time() -> None:
    cron = parse("0 0 10 * * * *")  # payments_reconcile
    utc = timezone.utc
    nxt = cron.next_after(datetime(2025, 1, 1, 1, 59, 59, tzinfo=utc))
    assert nxt == datetime(2025, 1, 1, 2, 0, tzinfo=utc)  # 10:00 +08:00
    assert nxt.utcoffset() == timedelta(hours=8) and nxt.tzinfo is SCF_CRON_TZ
    assert cron.matches(datetime(2025, 1, 1, 2, 0, tzinfo=utc))
    assert not cron.matches(datetime(2025, 1, 1, 10, 0, tzinfo=utc))


def test_year_boundary_and_leap_day() -> None:
    assert next_fire("59 59 23 31 12 * *", datetime(2024, 12, 31, 23, 59, 59)) == datetime(2025, 12, 31, 23, 59, 59)
    assert next_fire("0 0 0 * * * *", datetime(2024, 2, 28, 12)) == datetime(2024, 2, 29)


# --- properties ---

# Field text generators: plain values, ranges, steps and lists, plus the specials where SCF allows them.


def _numeric(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    step = st.integers(1, max(1, (high - low) // 2 + 1))

    @st.composite
    def item(draw: st.DrawFn) -> str:
        kind = draw(st.sampled_from(["value", "range", "star_step", "value_step", "range_step"]))
        a, b = sorted((draw(value), draw(value)))
        if kind == "value":
            return str(a)
        if kind == "range":
            return f"{a}-{b}"
        if kind == "star_step":
            return f"*/{draw(step)}"
        if kind == "value_step":
            return f"{a}/{draw(step)}"
        return f"{a}-{b}/{draw(step)}"

    listed = st.lists(item(), min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), listed)


_DAY = st.one_of(
    _numeric(1, 31),
    st.sampled_from(["?", "L", "LW"]),
    st.integers(1, 31).map(lambda n: f"{n}W"),
)
_WEEKDAY = st.one_of(
    st.just("*"),
    st.just("?"),
    _numeric(0, 6),
    st.sampled_from(["MON-FRI", "SAT,SUN", "WED"]),
    st.integers(0, 6).map(lambda n: f"{n}L"),
    st.tuples(st.integers(0, 6), st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"),
)
_YEAR = st.one_of(st.just("*"), _numeric(2024, 2032))
EXPRESSIONS = st.tuples(_numeric(0, 59), _numeric(0, 59), _numeric(0, 23), _DAY, _numeric(1, 12), _WEEKDAY, _YEAR).map(
    " ".join
)
MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31, 23, 59, 59))


def brute_force_next(cron: CronExpression, after: datetime, limit: datetime) -> datetime | None:
    """Walk forward a second at a time, jumping over whole days/hours/minutes that cannot match.

    Independent of next_after's search: it only uses the field sets and date matching one unit at a time.
    """
    t = after.replace(microsecond=0) + timedelta(seconds=1)
    while t <= limit:
        if not cron.matches_date(t.date()):
            t = datetime.combine(t.date() + timedelta(days=1), datetime.min.time())
        elif t.hour not in cron.hours:
            t = t.replace(minute=0, second=0) + timedelta(hours=1)
        elif t.minute not in cron.minutes:
            t = t.replace(second=0) + timedelta(minutes=1)
        elif t.second not in cron.seconds:
            t += timedelta(seconds=1)
        else:
            return t
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, MOMENTS)
def test_next_fire_matches_and_nothing_earlier_does(text: str, after: datetime) -> None:
    cron = parse(text)
    nxt = cron.next_after(after)
    if nxt is None:
        # Nothing in the next two years either (the year field may still allow later years only if empty).
        assert brute_force_next(cron, after, min(after + timedelta(days=731), datetime(2099, 12, 31))) is None
        return
    assert nxt > after
    assert cron.matches(nxt)
    assert brute_force_next(cron, after, nxt) == nxt


@settings(max_examples=200, deadline=None)
@given(EXPRESSIONS, MOMENTS)
def test_a_fire_time_is_found_from_one_second_before(text: str, moment: datetime) -> None:
    cron = parse(text)
    fire = cron.next_after(moment)
    if fire is not None:
        assert cron.next_after(fire - timedelta(seconds=1)) == fire
        assert cron.next_after(fire - timedelta(microseconds=1)) == fire


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 6))
def test_last_weekday_of_month_property(d: date, weekday: int) -> None:
    cron = parse(f"0 0 0 ? * {weekday}L *")
    fire = cron.next_after(datetime.combine(d, datetime.min.time()))
    assert fire is not None
    assert fire.isoweekday() % 7 == weekday
    assert (fire + timedelta(days=7)).month != fire.month
