"""Profiles: the developer's resume card (validation, moderation, public view) and the merchant profile."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.support.api import call
from tests.support.db import scalar, uniq

BLOCKED = "赌博"  # in infra/fakes/wechat.py DEFAULT_BLOCKLIST: msg_sec_check answers "risky"
RISKY_MESSAGE = "内容未通过安全检测，请修改后重试"


def card(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "display_name": "小王", "headline": "全栈工程师", "bio": "五年 Python 与 Vue 经验", "city": "深圳",
        "years_experience": 5, "skills": ["python", "vue"],
        "links": [{"title": "GitHub", "url": "https://github.com/xiaowang"}],
        "experience": [{"title": "后端工程师", "organization": "某科技", "start": "2020-03-01", "end": None,
                        "description": "负责订单系统"}],
    }
    body.update(over)
    return body


@pytest.fixture
def dev(world):
    return world.login_wechat(uniq("dev"))


# --- creating and reading the resume card ---


def test_save_resume_card_creates_it_and_grants_the_developer_role(world, dev, db):
    assert call("GET", "/profiles/developer", token=dev.token).status == 404
    r = call("PUT", "/profiles/developer", card(), dev.token)
    assert r.status == 200, r.body
    assert r["user_id"] == dev.user_id
    assert r["display_name"] == "小王" and r["city"] == "深圳" and r["years_experience"] == 5
    assert r["skills"] == [{"slug": "python", "name": "Python", "category": "backend"},
                           {"slug": "vue", "name": "Vue", "category": "frontend"}]
    assert r["links"][0]["title"] == "GitHub" and r["links"][0]["url"].startswith("https://github.com/xiaowang")
    assert r["experience"][0]["start"] == "2020-03-01"
    assert r["public_fields"] == ["display_name", "headline", "skills", "rating", "completed_tasks"]
    assert r["rating_average"] is None and r["rating_count"] == 0
    assert r["completed_tasks"] == 0 and r["points_balance"] == 0
    assert r["complete"] is True
    assert call("GET", "/profiles/developer", token=dev.token).body == r.body
    assert call("GET", "/auth/me", token=dev.token)["roles"] == ["developer"]
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'DeveloperProfileSaved'"
                      " AND (data->>'created')::boolean") == 1
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'ProfileCompleted'") == 1


def test_saving_again_updates_in_place(world, dev, db):
    call("PUT", "/profiles/developer", card(), dev.token)
    r = call("PUT", "/profiles/developer", card(display_name="王工", headline="", skills=["go"], links=[]), dev.token)
    assert r.status == 200
    assert r["display_name"] == "王工" and r["links"] == []
    assert [s["slug"] for s in r["skills"]] == ["go"]
    assert r["complete"] is False  # no headline
    assert call("GET", "/auth/me", token=dev.token)["roles"] == ["developer"]  # not granted twice
    assert scalar("SELECT count(*) FROM developer_profiles") == 1
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'DeveloperProfileSaved'"
                      " AND NOT (data->>'created')::boolean") == 1
    assert scalar("SELECT count(*) FROM event_log WHERE name = 'ProfileCompleted'") == 1  # only the first time


def test_duplicate_skills_are_kept_once_in_order(dev):
    r = call("PUT", "/profiles/developer", card(skills=["vue", "python", "vue"]), dev.token)
    assert [s["slug"] for s in r["skills"]] == ["vue", "python"]


def test_resume_card_needs_login(world):
    r = call("PUT", "/profiles/developer", card())
    assert r.status == 401 and r["code"] == "UNAUTHORIZED"
    assert call("GET", "/profiles/developer").status == 401


# --- validation ---


def test_unknown_skill_is_422_naming_skills(dev, db):
    r = call("PUT", "/profiles/developer", card(skills=["python", "cobol", "fortran"]), dev.token)
    assert r.status == 422
    assert r["errors"] == [{"field": "skills", "message": "未知的技能标签：cobol, fortran"}]
    assert scalar("SELECT count(*) FROM developer_profiles") == 0
    assert call("GET", "/auth/me", token=dev.token)["roles"] == []


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"skills": []}, "skills", "至少需要 1 项"),
        ({"skills": ["python"] * 21}, "skills", "最多 20 项"),
        ({"skills": "python"}, "skills", "应为数组"),
        ({"display_name": ""}, "display_name", "长度至少为 1"),
        ({"display_name": "名" * 31}, "display_name", "长度最多为 30"),
        ({"headline": "h" * 61}, "headline", "长度最多为 60"),
        ({"bio": "b" * 2001}, "bio", "长度最多为 2000"),
        ({"years_experience": 61}, "years_experience", "应不大于 60"),
        ({"years_experience": -1}, "years_experience", "应不小于 0"),
        ({"years_experience": "五年"}, "years_experience", "应为整数"),
        ({"links": [{"title": "x", "url": "not a url"}]}, "links.0.url", None),
        ({"links": [{"title": "x", "url": "ftp://example.com"}]}, "links.0.url", "链接须以 http 或 https 开头"),
        ({"links": [{"title": "", "url": "https://example.com"}]}, "links.0.title", "长度至少为 1"),
        ({"links": [{"title": "x", "url": "https://e.com", "rel": "me"}]}, "links.0.rel", "不支持的字段"),
        ({"experience": [{"title": "x"}]}, "experience.0.start", "必填"),
        ({"experience": [{"title": "x", "start": "去年"}]}, "experience.0.start", None),
        ({"public_fields": ["display_name", "phone"]}, "public_fields.1", None),
        ({"nickname": "x"}, "nickname", "不支持的字段"),
    ],
)
def test_resume_card_validation(dev, over, field, message):
    r = call("PUT", "/profiles/developer", card(**over), dev.token)
    assert r.status == 422, r.body
    fields = {e["field"]: e["message"] for e in r["errors"]}
    assert field in fields, r["errors"]
    if message is not None:
        assert fields[field] == message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in fields[field])


def test_missing_required_fields_are_all_named(dev):
    r = call("PUT", "/profiles/developer", {}, dev.token)
    assert r.status == 422
    assert {e["field"] for e in r["errors"]} == {"display_name", "skills"}


# --- content security ---


@pytest.mark.parametrize("field", ["display_name", "headline", "bio"])
def test_blocklisted_word_in_main_text_is_422(dev, db, field):
    value = f"小王{BLOCKED}" if field == "display_name" else f"我擅长{BLOCKED}网站开发"
    r = call("PUT", "/profiles/developer", card(**{field: value}), dev.token)
    assert r.status == 422
    assert r["errors"] == [{"field": field, "message": RISKY_MESSAGE}]
    assert scalar("SELECT count(*) FROM developer_profiles") == 0


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"city": f"{BLOCKED}城"}, "city"),
        ({"links": [{"title": f"{BLOCKED}导航", "url": "https://example.com"}]}, "links"),
        ({"experience": [{"title": "工程师", "start": "2020-01-01", "description": f"开发{BLOCKED}平台"}]},
         "experience.0"),
        ({"experience": [{"title": "工程师", "start": "2020-01-01"},
                         {"title": "代考枪手", "start": "2021-01-01"}]}, "experience.1"),
    ],
)
def test_blocklisted_word_anywhere_on_the_card_is_422(dev, db, over, field):
    r = call("PUT", "/profiles/developer", card(**over), dev.token)
    assert r.status == 422, r.body
    assert r["errors"] == [{"field": field, "message": RISKY_MESSAGE}]
    assert scalar("SELECT count(*) FROM developer_profiles") == 0


def test_blocklisted_update_keeps_the_previous_card(dev):
    call("PUT", "/profiles/developer", card(), dev.token)
    assert call("PUT", "/profiles/developer", card(bio=f"{BLOCKED}"), dev.token).status == 422
    assert call("GET", "/profiles/developer", token=dev.token)["bio"] == card()["bio"]


def test_review_level_text_is_allowed_on_profiles(dev):
    # "review" (e.g. an off-platform contact) is not refused: only "risky" is.
    r = call("PUT", "/profiles/developer", card(bio="欢迎加微信交流"), dev.token)
    assert r.status == 200 and r["bio"] == "欢迎加微信交流"


def test_sms_only_user_can_save_a_resume_card(world):
    # No openid for msg_sec_check v2: the text still gets checked (v1), and clean text passes.
    actor = world.login_sms("13800139000")
    r = call("PUT", "/profiles/developer", card(), actor.token)
    assert r.status == 200, r.body
    assert r["display_name"] == "小王"


def test_sms_only_user_is_still_moderated(world, db):
    actor = world.login_sms("13800139001")
    r = call("PUT", "/profiles/developer", card(bio=f"{BLOCKED}"), actor.token)
    assert r.status == 422
    assert r["errors"] == [{"field": "bio", "message": RISKY_MESSAGE}]
    r = call("PUT", "/profiles/merchant", {"name": f"{BLOCKED}店"}, actor.token)
    assert r.status == 422 and r["errors"][0]["field"] == "name"
    assert scalar("SELECT count(*) FROM developer_profiles") == 0


# --- the public card ---


def test_public_card_shows_only_the_chosen_fields(world, dev):
    call("PUT", "/profiles/developer", card(public_fields=["display_name", "skills"]), dev.token)
    r = call("GET", f"/profiles/developers/{dev.user_id}")
    assert r.status == 200
    assert r["user_id"] == dev.user_id
    assert r["display_name"] == "小王"
    assert [s["slug"] for s in r["skills"]] == ["python", "vue"]
    hidden = ["headline", "bio", "city", "years_experience", "links", "experience", "rating_average", "rating_count",
              "completed_tasks"]
    assert {k: r[k] for k in hidden} == dict.fromkeys(hidden)
    assert "points_balance" not in r.body and "public_fields" not in r.body


def test_public_card_with_default_fields(world, dev):
    call("PUT", "/profiles/developer", card(), dev.token)
    r = call("GET", f"/profiles/developers/{dev.user_id}")
    assert r["display_name"] == "小王" and r["headline"] == "全栈工程师"
    assert r["rating_count"] == 0 and r["rating_average"] is None and r["completed_tasks"] == 0
    assert r["bio"] is None and r["city"] is None and r["links"] is None and r["experience"] is None


def test_public_card_with_everything_public(world, dev):
    everything = ["display_name", "headline", "bio", "city", "years_experience", "skills", "links", "experience",
                  "rating", "completed_tasks"]
    call("PUT", "/profiles/developer", card(public_fields=everything), dev.token)
    r = call("GET", f"/profiles/developers/{dev.user_id}")
    assert r["bio"] == card()["bio"] and r["city"] == "深圳" and r["years_experience"] == 5
    assert r["links"][0]["title"] == "GitHub" and r["experience"][0]["title"] == "后端工程师"


def test_public_card_with_nothing_public_shows_only_the_id(world, dev):
    call("PUT", "/profiles/developer", card(public_fields=[]), dev.token)
    r = call("GET", f"/profiles/developers/{dev.user_id}")
    assert {k: v for k, v in r.body.items() if v is not None} == {"user_id": dev.user_id}


def test_public_card_of_unknown_developer_is_404(world):
    r = call("GET", "/profiles/developers/999999")
    assert r.status == 404 and r["code"] == "PROFILE_NOT_FOUND"
    assert call("GET", "/profiles/developers/abc").status == 404


# --- nobody edits someone else's profile ---


def test_put_always_targets_the_caller(world, db):
    alice = world.login_wechat(uniq("alice"))
    bob = world.login_wechat(uniq("bob"))
    call("PUT", "/profiles/developer", card(display_name="Alice"), alice.token)
    # Bob has no way to name Alice's profile: the id routes are read-only.
    for method in ("PUT", "POST", "PATCH", "DELETE"):
        r = call(method, f"/profiles/developers/{alice.user_id}", card(display_name="Bob was here"), bob.token)
        assert r.status == 405, (method, r.body)
        r = call(method, f"/profiles/merchants/{alice.user_id}", {"name": "Bob"}, bob.token)
        assert r.status == 405
    # Smuggling a user id in the body is refused, not obeyed.
    r = call("PUT", "/profiles/developer", card(display_name="Bob", user_id=alice.user_id), bob.token)
    assert r.status == 422 and r["errors"] == [{"field": "user_id", "message": "不支持的字段"}]
    # Bob's PUT writes Bob's own card.
    r = call("PUT", "/profiles/developer", card(display_name="Bob"), bob.token)
    assert r["user_id"] == bob.user_id
    assert call("GET", f"/profiles/developers/{alice.user_id}")["display_name"] == "Alice"
    assert call("GET", f"/profiles/developers/{bob.user_id}")["display_name"] == "Bob"
    assert scalar("SELECT display_name FROM developer_profiles WHERE user_id = :u", u=alice.user_id) == "Alice"


# --- merchant profile ---


def test_merchant_profile_starts_without_rates(world, db):
    m = world.login_wechat(uniq("shop"))
    assert call("GET", "/profiles/merchant", token=m.token).status == 404
    r = call("PUT", "/profiles/merchant", {"name": "小店", "company": "小店科技", "description": "做外包"}, m.token)
    assert r.status == 200, r.body
    assert r.body == {"user_id": m.user_id, "name": "小店", "company": "小店科技", "description": "做外包",
                      "rating_average": None, "rating_count": 0, "response_rate": None}
    assert call("GET", "/profiles/merchant", token=m.token).body == r.body
    assert call("GET", f"/profiles/merchants/{m.user_id}").body == r.body  # public, no token
    assert call("GET", "/auth/me", token=m.token)["roles"] == ["merchant"]


def test_merchant_response_rate_reflects_the_counters(world, db):
    m = world.merchant(uniq("shop"))
    with db.begin() as conn:
        conn.execute(text("UPDATE merchant_profiles SET responses_due = 4, responses_on_time = 3,"
                          " rating_count = 2, rating_sum = 9 WHERE user_id = :u"), {"u": m.user_id})
    r = call("GET", f"/profiles/merchants/{m.user_id}")
    assert r["response_rate"] == 0.75 and r["rating_average"] == 4.5 and r["rating_count"] == 2


def test_merchant_profile_update_and_validation(world):
    m = world.merchant(uniq("shop"))
    r = call("PUT", "/profiles/merchant", {"name": "新名字"}, m.token)
    assert r.status == 200 and r["name"] == "新名字" and r["company"] == ""
    for body, field in [({}, "name"), ({"name": ""}, "name"), ({"name": "n" * 41}, "name"),
                        ({"name": "x", "company": "c" * 61}, "company"), ({"name": "x", "rate": 1}, "rate")]:
        r = call("PUT", "/profiles/merchant", body, m.token)
        assert r.status == 422 and field in {e["field"] for e in r["errors"]}


@pytest.mark.parametrize("field", ["name", "company", "description"])
def test_merchant_blocklisted_word_is_422(world, db, field):
    m = world.login_wechat(uniq("shop"))
    body = {"name": "小店", field: f"{BLOCKED}推广"}
    r = call("PUT", "/profiles/merchant", body, m.token)
    assert r.status == 422
    assert r["errors"] == [{"field": field, "message": RISKY_MESSAGE}]
    assert scalar("SELECT count(*) FROM merchant_profiles") == 0


def test_unknown_merchant_is_404(world):
    r = call("GET", "/profiles/merchants/424242")
    assert r.status == 404 and r["code"] == "PROFILE_NOT_FOUND"


def test_one_account_can_be_developer_and_merchant(world):
    actor = world.login_wechat(uniq("both"))
    assert call("PUT", "/profiles/developer", card(), actor.token).status == 200
    assert call("PUT", "/profiles/merchant", {"name": "两栖"}, actor.token).status == 200
    assert sorted(call("GET", "/auth/me", token=actor.token)["roles"]) == ["developer", "merchant"]


# --- skill taxonomy ---


def test_skill_taxonomy_is_public_and_grouped(world):
    r = call("GET", "/profiles/skills")
    assert r.status == 200
    slugs = [c["slug"] for c in r.body]
    assert slugs[:3] == ["backend", "frontend", "mobile"]  # by position
    backend = next(c for c in r.body if c["slug"] == "backend")
    assert backend["name"] == "后端"
    assert {"slug": "python", "name": "Python", "category": "backend"} in backend["skills"]
    for category in r.body:
        assert all(s["category"] == category["slug"] for s in category["skills"])
        assert [s["slug"] for s in category["skills"]] == sorted(s["slug"] for s in category["skills"])
