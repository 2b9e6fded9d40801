"""The off-platform detector (shared/chat/detection.py): normalisation, each built-in rule, masking, rule validation,
operator overrides, and properties over arbitrary text. Precision and recall: test_chat_detection_quality.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.chat import detection_rules
from shared.chat.detection import (
    KINDS,
    MASK_CHAR,
    Detector,
    Rule,
    RuleError,
    detect,
    mask,
    merge_ruleset,
    normalize,
)
from shared.errors import ValidationFailed

# --- normalisation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("１３９８７６５４３２１", "13987654321"),  # full-width digits
    ("ＶＸ：ＡＢＣ＿１２３", "vx:abc_123"),  # full-width letters and punctuation, lower-cased
    ("①③⑨⑧⑦", "13987"),  # circled digits
    ("❶❸❼", "137"),  # dingbat digits
    ("一三九 八七六五 四三二一", "139 8765 4321"),  # Chinese numerals in a run of ≥ 5 become digits
    ("壹叁玖捌柒陆伍肆叁贰壹", "13987654321"),
    ("幺三八 洞洞幺三", "138 0013"),  # read-aloud numerals
    ("13八8七六5四3二1", "13887654321"),  # mixed
    ("一起去吃饭", "一起去吃饭"),  # a numeral in a word stays a word
    ("三五个人一两天", "三五个人一两天"),  # short runs stay words
    ("1\u200b3\u200b9", "1 3 9"),  # zero-width characters become separators
    ("138—2013—8088", "138-2013-8088"),  # dashes
    ("аbс", "abc"),  # Cyrillic look-alikes
    ("收款码，扫一下！", "收款码,扫一下!"),
])
def test_normalize(text, expected):
    assert normalize(text) == expected
    assert len(normalize(text)) == len(text)


def test_normalize_keeps_the_ideographic_full_stop_and_cjk():
    assert normalize("好的。谢谢") == "好的。谢谢"


# --- every built-in rule, on an example of its own -------------------------------------------------------------------

# (rule id, message, the contact text the finding covers or None to only require the rule)
EXAMPLES = [
    ("phone.mobile", "我手机 13912345678，有事打我", "13912345678"),
    ("phone.mobile", "1 3 8 2 6 5 4 7 7 1 9 有事打这个", "1 3 8 2 6 5 4 7 7 1 9"),
    ("phone.mobile", "+86 177 0011 2299 这个是我工作手机", "+86 177 0011 2299"),
    ("phone.landline", "座机 0755-86013388 找张经理", "0755-86013388"),
    ("phone.landline", "(010)62345678 公司前台", "(010)62345678"),
    ("phone.landline_labelled", "电话 01062345678", "01062345678"),
    ("phone.hotline", "400-820-1234 转 8002", "400-820-1234"),
    ("phone.foreign", "WhatsApp +852 6123 4567", "+852 6123 4567"),
    ("wechat.id_labelled", "微信号：zhang_san88", "zhang_san88"),
    ("wechat.id_labelled", "加个V吧，V：jiang-dev", "jiang-dev"),
    ("wechat.id_spaced", "v信 lihua1992", "lihua1992"),
    ("wechat.id_before", "zhao_fe_666 是我微信", "zhao_fe_666"),
    ("wechat.wxid", "wxid_k2j3h4g5f6 这是我的", "wxid_k2j3h4g5f6"),
    ("wechat.number", "vx 13566778899", "13566778899"),
    ("wechat.same_as_phone", "手机 15900001111，VX同号", "VX同号"),
    ("wechat.link", "u.wechat.com/EBcdefgHijk 扫这个加我", "u.wechat.com/EBcdefgHijk"),
    ("qq.number", "扣扣 785412369 加我", "785412369"),
    ("qq.number", "q q：9 3 8 4 7 1 6 2", "9 3 8 4 7 1 6 2"),
    ("qq.group", "群号 813579246 里面有文档", "813579246"),
    ("qq.mail", "8675309@qq.com", "8675309"),
    ("qq.link", "qm.qq.com/cgi-bin/qm/qr?k=aBcD 点这个", "qm.qq.com/cgi-bin/qm/qr?k=aBcD"),
    ("email.plain", "邮箱：lily.zhang@outlook.com", "lily.zhang@outlook.com"),
    ("email.spelled", "my mail: tony(at)gmail(dot)com", "tony(at)gmail(dot)com"),
    ("email.spelled", "zhaolei2008 艾特 qq 点 com", "zhaolei2008 艾特 qq 点 com"),
    ("email.hash", "发到 wangming#126.com", "wangming#126.com"),
    ("im.id", "telegram: @coder_zhou", "@coder_zhou"),
    ("payment.wxp", "wxp://f2f0abcDEF123xyz 扫这个付吧", "wxp://f2f0abcDEF123xyz"),
    ("payment.wxpay_link", "weixin://wxpay/bizpayurl?pr=AbCdEfG 点开", "weixin://wxpay/bizpayurl?pr=AbCdEfG"),
    ("payment.alipay_link", "https://qr.alipay.com/fkx12345abcde 直接付", "https://qr.alipay.com/fkx12345abcde"),
    ("payment.alipays", "alipays://platformapi/startapp?appId=20000067", "alipays://platformapi/startapp?appId=20000067"),
    ("payment.unionpay", "qr.95516.com/00010000/0123 扫这个", "qr.95516.com/00010000/0123"),
    ("payment.paypal", "paypal.me/zhangdev 也可以", "paypal.me/zhangdev"),
    ("payment.qr_mine", "我的支付宝收款码发你了", None),
    ("payment.qr_offer", "扫一下收款码就行", "扫一下收款码"),
    ("payment.qr_then", "收款二维码我放云盘了，你扫就行", None),
    ("payment.scan_pay", "扫码付给我就行", "扫码付给我"),
    ("payment.card", "卡号 6217001234567890123 建行", "6217001234567890123"),
    ("payment.alipay_account", "支付宝账号 13812349876，直接转我", "13812349876"),
    ("intent.add_wechat", "加我微信吧", "加我微信"),
    ("intent.add_wechat", "加个企业微信吧", "加个企业微信"),
    ("intent.add_qq", "加我扣扣聊", "加我扣扣"),
    ("intent.add_other", "加我钉钉吧", "加我钉钉"),
    ("intent.other_app_search", "飞书搜 陈工 就能找到我", "飞书搜"),
    ("intent.wechat_talk", "微信上说吧", "微信上说"),
    ("intent.ask_contact", "你手机号多少", "你手机号多少"),
    ("intent.have_wechat", "有微信吗？", "有微信吗"),
    ("intent.leave_contact", "留个电话吧", "留个电话"),
    ("intent.how_contact", "怎么联系你？", "怎么联系你"),
    ("intent.call", "有空给我打个电话", None),
    ("intent.phone_talk", "电话沟通一下需求吧", "电话沟通"),
    ("intent.private_deal", "我们私下交易吧", "私下交易"),
    ("intent.private_deal", "能不能私下交易？", "私下交易"),  # a question, not a refusal
    ("intent.offline_deal", "走平台要抽成，我们线下结算吧", "线下结算"),
    ("intent.bypass", "不走平台的话我可以便宜 500", "不走平台"),
    ("intent.fee_dodge", "私下交易吧，省点手续费", "省点手续费"),
    ("intent.elsewhere", "咱们换个地方聊", "换个地方聊"),
    ("intent.direct_pay", "剩下的钱支付宝转我吧", "支付宝转我"),
    ("intent.red_packet", "我给你发红包吧", None),
    ("intent.email", "需求文档发我邮箱", "发我邮箱"),
    ("intent.act_on_contact", "扣扣 785412369 加我", "加我"),
    ("intent.wechat_qr", "我头像就是我的vx二维码", "我的vx二维码"),
]


@pytest.mark.parametrize(("rule_id", "text", "contact"), EXAMPLES, ids=[f"{r}:{t[:12]}" for r, t, _ in EXAMPLES])
def test_rule_fires_on_its_example(rule_id, text, contact):
    found = [f for f in detect(text).findings if f.rule_id == rule_id]
    assert found, f"{rule_id} did not fire on {text!r}: {detect(text).findings}"
    if contact is not None:
        assert [f.text for f in found] == [contact]
        f = found[0]
        assert text[f.start:f.end] == contact


def test_every_built_in_rule_has_an_example():
    assert {r["id"] for r in detection_rules.RULES} == {rule_id for rule_id, _, _ in EXAMPLES}


# Near misses: what each family must NOT take for a contact (each one is a message from a real task chat).
@pytest.mark.parametrize("text", [
    "订单 13912345678 那笔退款卡住了",  # an order id after its label
    "公网 IP 是 139.198.123.45，域名还没备案",  # an IP that has 11 digits
    "测试手机号 13800138000，验证码固定 123456",  # a test number
    "延迟分别是 1.35 1.82 1.79 1.33 1.56 ms",  # decimals in a row
    "第 1 3 5 7 9 11 13 15 条数据有问题",  # a list of small numbers
    "键盘只允许输入 0 1 2 3 4 5 6 7 8 9",
    "数据库主键从 13000000001 开始自增",
    "预算 13800 元，能做吗",
    "时间戳 1700000000 和 1700003600 差了一个小时",
    "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "`wx.setStorageSync('phone', '13912345678')` 这样存可以吗",
    "看看这个回答 https://stackoverflow.com/questions/13912345/how-to-validate-phone",
    "卡号 6217001234567890123",  # (a card number is only a payment channel next to a bank word — this has one)
])
def test_near_misses_of_the_number_rules(text):
    kinds = detect(text).kinds
    if text.startswith("卡号"):
        assert kinds == {"payment"}  # the counterpart: with a cue it is found
    else:
        assert not kinds & {"phone", "qq", "payment"}, detect(text).findings


@pytest.mark.parametrize("text", [
    "需要做手机号登录，加微信登录，再加个 QQ 登录",  # a feature, not a contact
    "别加微信了，平台上聊就行，有记录",  # a refusal
    "平台规定不能私下交易，我们还是按里程碑走",
    "之前被私下交易坑过，所以这次一定走平台",
    "支持线上支付和线下付款两种方式",
    "这个接口不走平台网关，直接调内网服务",
    "微信 access_token 7200 秒过期，要做缓存",
    "appid 是 wx8f3a2b1c4d5e6f70，secret 我私信你",
    "git clone git@github.com:codelink/demo.git",
    "测试账号用 test@example.com / 123456",
    "商家后台要能上传自己的收款码",
    "个人收款码不能用于商业收款，要申请商户",
    "做成跟微信一样的聊天界面",
    "Ctrl+V 粘贴一下",
    "有问题找我",  # a follow-up phrase with no contact next to it
])
def test_near_misses_of_the_word_rules(text):
    assert not detect(text).flagged, detect(text).findings


def test_a_bare_bank_number_needs_a_bank_word():
    assert not detect("6217001234567890123").flagged


# --- masking ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "masked"), [
    ("我手机 13912345678，有事打我", "我手机 ***********，有事打我"),
    ("加我微信：zhangwei_dev，图发你看", "加我微信：************，图发你看"),  # the phrase stays, the id goes
    ("1 3 8 2 6 5 4 7 7 1 9 有事打这个", "*" * 21 + " 有事打这个"),
    ("１３９８７６５４３２１", "*" * 11),
    ("vx 13566778899", "vx ***********"),  # a phone and a WeChat id on one span: masked once
    ("my mail: tony(at)gmail(dot)com", "my mail: " + "*" * 21),
    ("QQ邮箱也行 8675309@qq.com", "QQ邮箱也行 " + "*" * 14),
    ("wxp://f2f0abcDEF123xyz 扫这个付吧", "*" * 22 + " 扫这个付吧"),
    ("我们私下交易吧，省点手续费", "我们私下交易吧，省点手续费"),  # intent only: flagged, nothing hidden
    ("预算 13800 元，能做吗", "预算 13800 元，能做吗"),
])
def test_masked_text(text, masked):
    assert detect(text).masked_text == masked


def test_intent_is_flagged_but_not_masked():
    d = detect("我们私下交易吧")
    assert d.flagged and d.kinds == {"intent"}
    assert all(not f.masked for f in d.findings)


def test_mask_merges_overlapping_spans_and_clips():
    assert mask("abcdefgh", [(1, 3), (2, 5), (7, 99), (4, 4)]) == "a****fg*"
    assert mask("abc", []) == "abc"


def test_sender_warning_names_what_was_found():
    d = detect("加我微信 zhangwei_dev，或者打 13912345678")
    warning = d.sender_warning()
    assert warning is not None
    assert "电话号码" in warning and "微信号" in warning and "已对对方隐藏" in warning
    assert detect("好的，收到").sender_warning() is None


def test_findings_carry_kind_rule_reason_and_score():
    (f,) = [f for f in detect("手机 13912345678").findings]
    assert (f.kind, f.rule_id, f.start, f.end, f.masked) == ("phone", "phone.mobile", 3, 14, True)
    assert f.reason == "疑似手机号码" and f.score >= 1.0


# --- rules as data: validation ---------------------------------------------------------------------------------------

GOOD = {"id": "x.ok", "kind": "phone", "pattern": r"\d{5}", "reason": "测试"}
OTHER = {**GOOD, "id": "x.two"}


def _errors(rules, **kw):
    with pytest.raises(RuleError) as exc:
        Detector.from_rules(rules, **kw)
    err = exc.value
    assert isinstance(err, ValidationFailed) and err.status == 422 and err.code == "INVALID_DETECTION_RULES"
    return err.details["errors"]


@pytest.mark.parametrize(("rule", "field", "words"), [
    ({**OTHER, "pattern": "(unclosed"}, "rules[1].pattern", "正则表达式无效"),
    ({**OTHER, "pattern": "{NOPE}1"}, "rules[1].pattern", "未知的词表宏"),
    ({**OTHER, "veto_before": "[z-a]"}, "rules[1].veto_before", "正则表达式无效"),
    ({**OTHER, "pattern": "a*"}, "rules[1].pattern", "不能匹配空字符串"),
    ({**OTHER, "patern": "x"}, "rules[1].patern", "未知的字段"),
    ({"id": "x.y", "kind": "phone", "pattern": "x"}, "rules[1].reason", "必填"),
    ({**OTHER, "kind": "sms"}, "rules[1].kind", "须为"),
    ({**OTHER, "id": "Bad Id"}, "rules[1].id", "小写"),
    ({**OTHER, "weight": "1"}, "rules[1].weight", "0–10"),
    ({**OTHER, "window": 1000}, "rules[1].window", "0–200"),
    ({**OTHER, "mask": "yes"}, "rules[1].mask", "true 或 false"),
    ({**OTHER, "id": "x.dup"}, "rules[1].id", "重复"),
    ("not a rule", "rules[1]", "对象"),
])
def test_bad_rules_are_refused_naming_the_field(rule, field, words):
    first = {**GOOD, "id": "x.dup"} if field == "rules[1].id" and words == "重复" else GOOD
    errors = _errors([first, rule])
    assert errors[0]["field"] == field
    assert words in errors[0]["message"]


def test_every_bad_rule_is_reported_at_once():
    errors = _errors([{**GOOD, "id": "a.one", "pattern": "("}, GOOD, {**GOOD, "id": "a.two", "kind": "fax"}])
    assert [e["field"] for e in errors] == ["rules[2].kind"]  # types first …
    errors = _errors([{**GOOD, "id": "a.one", "pattern": "("}, {**GOOD, "id": "a.two", "cue_after": ")"}])
    assert [e["field"] for e in errors] == ["rules[0].pattern", "rules[1].cue_after"]  # … then every regex


def test_bad_lexicon_tech_and_threshold_are_refused():
    assert _errors([GOOD], lexicon={"lower": "x"})[0]["field"] == "lexicon.lower"
    assert _errors([GOOD], tech=["("])[0]["field"] == "tech[0]"
    assert _errors([GOOD], threshold=0)[0]["field"] == "threshold"
    with pytest.raises(RuleError):
        Detector.from_ruleset({"rules": "nope"})


def test_a_macro_cycle_is_an_error_not_a_crash():
    assert "嵌套过深" in _errors([{**GOOD, "pattern": "{A}"}], lexicon={"A": "{B}", "B": "{A}"})[0]["message"]


# --- rules as data: the operator override ----------------------------------------------------------------------------


def _with(override):
    return Detector.from_ruleset(merge_ruleset(detection_rules.DEFAULT_RULESET, override))


def test_the_default_ruleset_round_trips_through_json():
    stored = json.loads(json.dumps(Detector.default().to_ruleset(), ensure_ascii=False))
    again = Detector.from_ruleset(stored)
    for text in ["加我微信：zhangwei_dev", "电话 1 3 8 2 6 5 4 7 7 1 9", "预算 13800 元", "私下交易吧"]:
        assert again.scan(text) == Detector.default().scan(text)


def test_override_disables_replaces_and_adds_rules():
    assert not _with({"disable": ["phone.mobile"]}).scan("13912345678").flagged
    assert not _with({"rules": [{**detection_rules.RULES[0], "weight": 0.5}]}).scan("13912345678").flagged
    line = {"id": "im.line", "kind": "im", "pattern": r"line[ \t]*id[ \t:]*(?P<c>[a-z0-9_.]{4,})",
            "reason": "LINE 账号"}
    d = _with({"rules": [line]}).scan("LINE ID: kimdev88")
    assert [(f.rule_id, f.text) for f in d.findings] == [("im.line", "kimdev88")]
    assert d.masked_text == "LINE ID: ********"
    assert not detect("LINE ID: kimdev88").flagged  # the default set is untouched


def test_override_extends_the_lexicon():
    slang = "绿色软件：kk_dev_01"
    assert not detect(slang).flagged
    d = _with({"lexicon": {"WX": detection_rules.LEXICON["WX"] + "|绿色软件"}}).scan(slang)
    assert d.kinds == {"wechat"} and d.masked_text == "绿色软件：*********"


def test_override_can_replace_everything_and_raise_the_threshold():
    only = _with({"replace": True, "rules": [GOOD]})
    assert [r.id for r in only.rules] == ["x.ok"]
    assert not _with({"threshold": 2.0}).scan("13912345678").flagged
    with pytest.raises(RuleError):
        merge_ruleset(detection_rules.DEFAULT_RULESET, {"rulez": []})


def test_an_override_with_a_bad_rule_is_refused_and_the_default_keeps_working():
    with pytest.raises(RuleError):
        _with({"rules": [{**GOOD, "id": "phone.mobile", "pattern": "(["}]})
    assert detect("13912345678").flagged


def test_rule_objects_and_dicts_are_interchangeable():
    rule = Rule(**GOOD)
    assert rule.to_dict() == {**GOOD, "weight": 1.0, "cue_weight": 0.0, "window": 12, "mask": True,
                              "in_tech": False, "needs_contact": False}
    assert Detector.from_rules([rule]).scan("12345").kinds == {"phone"}


def test_the_default_detector_is_compiled_once():
    assert Detector.default() is Detector.default()


def test_scan_refuses_a_non_string():
    with pytest.raises(TypeError):
        Detector.default().scan(12345)  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------------------------------

TOKENS = ["1", "3", "8", "9", "0", "5", " ", "-", ".", "一", "三", "八", "零", "幺", "①", "１", "Ａ", "微信", "vx",
          "v", "V", "qq", "扣扣", "@", "163", ".com", "加", "私下", "交易", "wxp://", "abc_123", "：", "，", "\n", "`",
          "https://", "github.com/", "❤", "🐧", "艾特", "点", "号", "是", "电话", "收款码", "转我", "不", "能", "(",
          ")", "\u200b", "\u3000", "卡号", "6", "2", "x", "wxid_", "#", "群号", "支付宝"]
TEXTS = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_scan_never_crashes_and_masking_keeps_its_promise(text):
    d = detect(text)
    assert d.text == text
    # the promise: same length; outside the masked spans unchanged; inside them only MASK_CHAR
    assert len(d.masked_text) == len(text)
    hidden = set()
    for f in d.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.text == text[f.start:f.end]
        assert f.kind in KINDS and f.reason
        if f.masked:
            hidden.update(range(f.start, f.end))
    for i, (a, b) in enumerate(zip(text, d.masked_text, strict=True)):
        assert b == (MASK_CHAR if i in hidden else a)
    assert d.flagged == bool(d.findings)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_normalize_is_idempotent_and_keeps_length(text):
    once = normalize(text)
    assert len(once) == len(text)
    assert normalize(once) == once


NUMERALS = "零一二三四五六七八九"
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
FULLWIDTH = "０１２３４５６７８９"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9),
       st.sampled_from(["", " ", "-", ".", "  ", " - ", "❤", "*"]), st.sampled_from(["ascii", "numerals", "circled",
                                                                                     "fullwidth", "mixed"]))
def test_a_mobile_number_is_found_however_it_is_written(second, rest, sep, style):
    digits = "1" + second + rest
    if digits in {"13800138000", "13800000000", "12345678901"}:
        return  # well-known dummies are vetoed on purpose
    def write(i: int, d: str) -> str:
        if style == "numerals" or (style == "mixed" and i % 2):
            return NUMERALS[int(d)]
        if style == "circled":
            return CIRCLED[int(d)]
        if style == "fullwidth":
            return FULLWIDTH[int(d)]
        return d
    number = sep.join(write(i, d) for i, d in enumerate(digits))
    text = f"我的电话 {number} 谢谢"
    d = detect(text)
    phones = [f for f in d.findings if f.kind == "phone"]
    assert [f.text for f in phones] == [number], (text, d.findings)
    assert d.masked_text == f"我的电话 {MASK_CHAR * len(number)} 谢谢"


def test_importing_the_detector_stays_light():
    """Cold start: the chat function imports the detector on every container start; it must not pull in the ORM,
    the database driver or pydantic."""
    code = ("import sys, shared.chat.detection as d; d.detect('13912345678');"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'sqlalchemy', 'sqlmodel',"
            " 'psycopg2', 'wechatpy'}))")
    out = subprocess.run([sys.executable, "-c", code],  # noqa: S603 - our own interpreter
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
