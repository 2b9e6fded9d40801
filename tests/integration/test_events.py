"""The event system on the real database: publish is atomic with the use case, in-transaction subscribers share its
fate, after-commit subscribers take effect exactly once (retries, concurrent workers), replays change nothing, loops
are stopped, and no adapter can be called with a transaction open."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import events, jobs, subscriptions
from shared.events.delivery import deliver, replay_events
from shared.subscriptions import AFTER_COMMIT, IN_TRANSACTION, Subscription
from shared.uow import EventLoop, UnitOfWork, run
from tests.support import subscribers as test_subs
from tests.support.api import call
from tests.support.db import rows, scalar

EVENT = "HallBrowsed"  # no production subscriber: the tests plug their own in


@pytest.fixture
def plug(db, monkeypatch):
    """plug(("name", "function", mode), …): the subscribers of HallBrowsed for this test."""
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS test_effects (event_id bigint, subscriber text)")
    test_subs.reset()

    def install(*subs: tuple[str, str, str]) -> None:
        monkeypatch.setitem(subscriptions.SUBSCRIPTIONS, EVENT, [
            Subscription(f"tests.{name}", f"tests.support.subscribers:{fn}", mode) for name, fn, mode in subs])

    yield install
    test_subs.reset()


def publish(user_id: int = 1, *, fail: bool = False) -> int:
    def use_case(uow: UnitOfWork) -> int:
        stored = uow.publish(events.HallBrowsed(user_id=user_id))
        assert stored is not None
        if fail:
            raise RuntimeError("the use case fails after publishing")
        return stored.id

    return run(use_case)


def effects(subscriber: str) -> int:
    return int(scalar("SELECT count(*) FROM test_effects WHERE subscriber = :s", s=subscriber))


def delivery_jobs(state: str | None = None) -> int:
    return int(scalar("SELECT count(*) FROM jobs WHERE kind = 'event_delivery'"
                      + (" AND status = :st" if state else ""), st=state))


# --- publishing ---------------------------------------------------------------------------------------------------


def test_publish_writes_the_event_and_one_job_per_after_commit_subscriber(plug):
    plug(("steady", "steady", AFTER_COMMIT), ("flaky", "flaky", AFTER_COMMIT), ("now", "recorder", IN_TRANSACTION))
    event_id = publish(7)
    [row] = rows("SELECT name, version, entity, entity_id, actor_id, user_ids, data FROM event_log")
    assert (row.name, row.version, row.entity, row.entity_id, row.actor_id, row.user_ids) == (
        "HallBrowsed", 1, "user", 7, 7, [7])
    assert events.parse(row.name, row.version, row.data) == events.HallBrowsed(user_id=7)
    assert test_subs.calls == {"recorder": 1}  # in-transaction: ran at once
    payloads = sorted(r.payload["subscriber"] for r in rows("SELECT payload FROM jobs WHERE kind = 'event_delivery'"))
    assert payloads == ["tests.flaky", "tests.steady"]
    assert {r.payload["event_id"] for r in rows("SELECT payload FROM jobs")} == {event_id}


def test_a_rolled_back_use_case_leaves_no_event_and_no_job(plug):
    plug(("steady", "steady", AFTER_COMMIT))
    with pytest.raises(RuntimeError, match="after publishing"):
        publish(fail=True)
    assert scalar("SELECT count(*) FROM event_log") == 0 and scalar("SELECT count(*) FROM jobs") == 0


def test_an_in_transaction_subscriber_that_fails_rolls_the_whole_use_case_back(plug):
    plug(("steady", "steady", AFTER_COMMIT), ("broken", "broken", IN_TRANSACTION))
    with pytest.raises(RuntimeError, match="in-transaction subscriber fails"):
        publish()
    assert scalar("SELECT count(*) FROM event_log") == 0 and scalar("SELECT count(*) FROM jobs") == 0


def test_a_milestone_split_that_does_not_add_up_refuses_the_whole_publication(world, db):
    """The real thing: milestones are the payments area's in-transaction subscriber of TaskPublished."""
    merchant = world.merchant()
    body = {**world.task_body(), "reward_fen": 50_000,
            "milestones": [{"title": "第一阶段", "reward_fen": 20_000}, {"title": "第二阶段", "reward_fen": 20_000}]}
    r = call("POST", "/tasks", body, merchant.token)
    assert r.status == 422 and r["errors"][0]["field"] == "milestones"
    assert scalar("SELECT count(*) FROM tasks") == 0 and scalar("SELECT count(*) FROM event_log"
                                                                " WHERE name = 'TaskPublished'") == 0


def test_subscribers_publishing_in_a_loop_are_stopped(plug):
    plug(("echo", "echo", IN_TRANSACTION))
    with pytest.raises(EventLoop):
        publish()
    assert scalar("SELECT count(*) FROM event_log") == 0


@pytest.mark.parametrize("users", [[3, 1, 2], [5]])
def test_publish_many_logs_in_order_and_runs_every_subscriber_as_publish_does(plug, users):
    plug(("steady", "steady", AFTER_COMMIT), ("now", "recorder", IN_TRANSACTION))
    stored = run(lambda uow: uow.publish_many([events.HallBrowsed(user_id=u) for u in users]))
    assert [s.event for s in stored] == [events.HallBrowsed(user_id=u) for u in users]
    logged = rows("SELECT id, entity_id, user_ids FROM event_log ORDER BY id")
    assert [(r.id, r.entity_id, r.user_ids) for r in logged] == [(s.id, u, [u]) for s, u in zip(stored, users,
                                                                                               strict=True)]
    assert test_subs.calls == {"recorder": len(users)}
    delivered = sorted(r.payload["event_id"] for r in rows("SELECT payload FROM jobs WHERE kind = 'event_delivery'"))
    assert delivered == sorted(s.id for s in stored)


def test_publish_many_still_stops_a_loop(plug):
    plug(("echo", "echo", IN_TRANSACTION))
    with pytest.raises(EventLoop):
        run(lambda uow: uow.publish_many([events.HallBrowsed(user_id=1), events.HallBrowsed(user_id=2)]))
    assert scalar("SELECT count(*) FROM event_log") == 0


def test_a_dedupe_key_publishes_once(db):
    def twice(uow: UnitOfWork) -> list[object]:
        return [uow.publish(events.HallBrowsed(user_id=1), dedupe_key="k") for _ in range(2)]

    first, second = run(twice)
    assert first is not None and second is None
    assert run(lambda uow: uow.publish(events.HallBrowsed(user_id=1), dedupe_key="k")) is None
    assert scalar("SELECT count(*) FROM event_log") == 1


def test_the_event_log_is_append_only(db):
    publish()
    with pytest.raises(Exception, match="append-only"), db.begin() as conn:
        conn.exec_driver_sql("DELETE FROM event_log")
    with pytest.raises(Exception, match="append-only"), db.begin() as conn:
        conn.exec_driver_sql("UPDATE event_log SET name = 'x'")
    assert scalar("SELECT count(*) FROM event_log") == 1


# --- after-commit delivery ----------------------------------------------------------------------------------------


def test_a_subscriber_failing_twice_then_succeeding_takes_effect_once_and_delays_no_other(plug, clock):
    plug(("flaky", "flaky", AFTER_COMMIT), ("steady", "steady", AFTER_COMMIT))
    test_subs.fail_first["flaky"] = 2
    publish()
    assert scalar("SELECT count(*) FROM event_log") == 1  # the use case committed, once

    assert jobs.work().as_dict() == {"done": 1, "retried": 1, "failed": 0}
    assert effects("steady") == 1 and effects("flaky") == 0  # the other subscriber was not held up
    assert jobs.work().as_dict() == {"done": 0, "retried": 0, "failed": 0}  # backing off
    clock.advance(timedelta(seconds=31))
    assert jobs.work().as_dict() == {"done": 0, "retried": 1, "failed": 0}
    clock.advance(timedelta(minutes=1, seconds=1))
    assert jobs.work().as_dict() == {"done": 1, "retried": 0, "failed": 0}

    assert test_subs.calls == {"flaky": 3, "steady": 1}
    assert effects("flaky") == 1 and effects("steady") == 1  # each took effect exactly once
    assert scalar("SELECT count(*) FROM event_deliveries") == 2
    assert delivery_jobs("done") == 2


def test_a_delivery_that_runs_again_does_nothing_more(plug):
    plug(("steady", "steady", AFTER_COMMIT))
    event_id = publish()
    payload = {"event_id": event_id, "subscriber": "tests.steady"}
    deliver(payload)
    deliver(payload)  # a retried job, or a lease that expired after the commit
    assert test_subs.calls == {"steady": 1} and effects("steady") == 1


def test_two_workers_delivering_the_same_event_at_once_take_effect_once(plug):
    plug(("slow", "slow", AFTER_COMMIT))
    event_id = publish()
    payload = {"event_id": event_id, "subscriber": "tests.slow"}
    start, errors = threading.Barrier(2), []

    def worker() -> None:
        try:
            start.wait()
            deliver(payload)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert effects("slow") == 1 and scalar("SELECT count(*) FROM event_deliveries") == 1
    # The second worker waited on the first one's marker and then found it: the subscriber ran once.
    assert test_subs.calls == {"slow": 1}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(failures=st.integers(min_value=0, max_value=7))
def test_whatever_the_failures_a_delivery_takes_effect_at_most_once(plug, clock, failures):
    """Jobs try 6 times: up to 5 failures end in one effect, 6 or more park it in the dead-letter queue, none."""
    with _clean():
        plug(("flaky", "flaky", AFTER_COMMIT))
        test_subs.fail_first["flaky"] = failures
        publish()
        for _ in range(8):
            jobs.work()
            clock.advance(timedelta(hours=3))
        assert effects("flaky") == (1 if failures < 6 else 0)
        assert delivery_jobs("done" if failures < 6 else "failed") == 1


class _clean:
    """Hypothesis reuses the function's fixtures across examples: empty the tables and counters per example."""

    def __enter__(self) -> None:
        from infra.local.platform import truncate_all
        from shared.db import get_engine

        truncate_all(get_engine())
        test_subs.reset()

    def __exit__(self, *exc: object) -> None:
        return None


# --- replay -------------------------------------------------------------------------------------------------------


def _no_response(world, clock):
    """A real after-commit subscriber: the points for an application left unanswered 48 hours."""
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    call("POST", "/applications", {"task_id": task["id"]}, dev.token)
    clock.advance(timedelta(hours=49))
    from tests.support.db import timer

    assert timer("feedback_guarantee")["closed"] == 1
    jobs.work()
    return dev


def test_replaying_twice_changes_nothing(world, clock):
    dev = _no_response(world, clock)
    balance = "SELECT points_balance FROM developer_profiles WHERE user_id = :u"
    assert scalar(balance, u=dev.user_id) == 10
    day = timedelta(days=1)
    for _ in range(2):
        result = run(lambda uow: replay_events(uow, "ApplicationUnanswered", "points.no_response_compensation",
                                               clock.now() - 3 * day, clock.now() + day))
        assert result["queued"] == 1 and not result["truncated"]
        assert jobs.work().done == 1
    assert scalar(balance, u=dev.user_id) == 10
    assert scalar("SELECT count(*) FROM points_entries") == 1


def test_a_replay_reaches_the_subscriber_flagged_and_bypasses_the_marker(plug, clock):
    plug(("recorder", "recorder", AFTER_COMMIT))
    publish()
    jobs.work()
    assert test_subs.replays == [False]
    run(lambda uow: replay_events(uow, EVENT, "tests.recorder", clock.now() - timedelta(hours=1),
                                  clock.now() + timedelta(hours=1)))
    jobs.work()
    assert test_subs.replays == [False, True]
    assert scalar("SELECT count(*) FROM event_deliveries") == 1  # the replay left the marker as it was


def test_only_after_commit_subscribers_can_be_replayed(plug, clock):
    plug(("now", "recorder", IN_TRANSACTION))
    from shared.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        run(lambda uow: replay_events(uow, EVENT, "tests.now", clock.now() - timedelta(days=1), clock.now()))
    with pytest.raises(ValidationFailed):
        run(lambda uow: replay_events(uow, EVENT, "nobody", clock.now() - timedelta(days=1), clock.now()))


def test_the_replay_endpoint_is_for_admins_and_audited(world, clock):
    dev = _no_response(world, clock)
    admin = world.admin()
    world.renew(dev, admin)  # 49 hours later
    body = {"event": "ApplicationUnanswered", "subscriber": "points.no_response_compensation",
            "since": (clock.now() - timedelta(days=3)).isoformat(),
            "until": (clock.now() + timedelta(days=1)).isoformat()}
    assert call("POST", "/admin/events/replay", body, dev.token).status == 403
    r = call("POST", "/admin/events/replay", body, admin.token)
    assert r.status == 200 and r["queued"] == 1
    bad = call("POST", "/admin/events/replay", {**body, "subscriber": "profiles.count_no_response"}, admin.token)
    assert bad.status == 422
    [audit] = rows("SELECT actor_id, data FROM event_log WHERE name = 'AdminAudited'"
                   " AND data->>'action' = 'events.replay'")
    assert audit.actor_id == admin.user_id and audit.data["after"]["queued"] == 1
    jobs.work()
    assert scalar("SELECT points_balance FROM developer_profiles WHERE user_id = :u", u=dev.user_id) == 10


def test_the_replay_command(world, clock, capsys):
    _no_response(world, clock)
    from shared.events.__main__ import main

    day = clock.now().date()
    main(["replay", "--type", "ApplicationUnanswered", "--subscriber", "points.no_response_compensation",
          "--since", (day - timedelta(days=3)).isoformat(), "--until", day.isoformat(), "--work"])
    out = capsys.readouterr().out
    assert "queued 1 ApplicationUnanswered deliveries" in out and "worked off 1 jobs" in out
    assert scalar("SELECT count(*) FROM points_entries") == 1


# --- querying the log ---------------------------------------------------------------------------------------------


def test_the_log_finds_everything_about_a_user_and_a_task(world):
    merchant, dev = world.merchant(), world.developer()
    task = world.open_task(merchant)
    app = call("POST", "/applications", {"task_id": task["id"]}, dev.token).body
    assert call("POST", f"/applications/{app['id']}/accept", None, merchant.token).status == 200
    mine = [r.name for r in rows("SELECT name FROM event_log WHERE user_ids @> ARRAY[CAST(:u AS bigint)]"
                                 " ORDER BY id", u=dev.user_id)]
    assert mine[-3:] == ["ApplicationSubmitted", "ApplicationAnswered", "TaskAssigned"]
    about_task = [r.name for r in rows("SELECT name FROM event_log WHERE entity = 'task' AND entity_id = :t"
                                       " ORDER BY id", t=task["id"])]
    assert about_task[0] == "TaskPublished" and about_task[-1] == "TaskAssigned"


def test_hall_visits_are_one_event_per_user_and_day(world, clock):
    dev = world.developer()
    for _ in range(3):
        assert call("GET", "/tasks", token=dev.token).status == 200
    assert call("GET", "/tasks", token="not-a-token").status == 200  # public: a bad token is just anonymous
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'HallBrowsed'") == 1
    clock.advance(timedelta(days=1))
    world.renew(dev)
    call("GET", "/tasks", token=dev.token)
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'HallBrowsed'") == 2


# --- no external call inside a transaction ------------------------------------------------------------------------


def test_an_adapter_called_with_a_transaction_open_refuses(platform, db):
    from shared.adapters import clients
    from shared.txguard import ExternalCallInTransaction

    def inside(uow: UnitOfWork) -> None:
        uow.execute("SELECT 1")  # the transaction is open from here
        clients.sms().send_code("+8613800000000", "123456", 5)

    with pytest.raises(ExternalCallInTransaction, match="SMS"):
        run(inside)
    with pytest.raises(ExternalCallInTransaction, match="WeChat"):
        run(lambda uow: (uow.execute("SELECT 1"), clients.wechat().check_text("你好", "")))
    with pytest.raises(ExternalCallInTransaction, match="WeChat Pay"):
        run(lambda uow: (uow.execute("SELECT 1"), clients.wechatpay().query_order("CL000")))
    # Before the first statement (or after the commit) nothing is open: the call goes out.
    run(lambda uow: clients.sms().send_code("+8613800000000", "123456", 5))
