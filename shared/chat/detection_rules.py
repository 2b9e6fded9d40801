"""The built-in off-platform detection rules: data only (see `shared/chat/detection.py` for what each field means).

Everything here is JSON-able, so an operator override stored in the config table has the same shape
(`detection.merge_ruleset`). Patterns run over the *normalised* text: lower case, ASCII punctuation for full-width
('，' is ',', '：' is ':'), digits for circled digits and for runs of Chinese numerals. `{NAME}` is a lexicon macro.

Numbers are matched as whole runs: `{NB}` / `{NE}` refuse a start or an end next to another digit (even across up to
three separators), so "1.35 1.82 1.79 1.33" or "第 1 3 5 7 9 11 13 条" are never cut into an 11-digit phone.
"""

from __future__ import annotations

from typing import Any

# One separator between the digits of a number: spaces, punctuation people put between digits, arrows, dingbats,
# emoji and the keycap combining marks (1️⃣ is '1' U+FE0F U+20E3). Not ':', ',', '/', '、', '#', '=': times, lists,
# dates and key=value pairs use them, and phones almost never do.
SEP_CLASS = (r"[ \t\-_.·•*~+|\\'\"()\[\]{}<>^"
             r"\u2190-\u21ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u20e3\u200d\U0001f000-\U0001faff]")

THRESHOLD = 1.0

LEXICON: dict[str, str] = {
    # one separator between the digits of a number, and a gap of up to three of them
    "SEP": SEP_CLASS,
    "G": r"{SEP}{0,3}",
    # a number starts where no digit (nor a hex letter: hashes) precedes, even across separators, and ends likewise
    "NB": r"(?<![0-9a-f])(?<![0-9]{SEP})(?<![0-9]{SEP}{SEP})(?<![0-9]{SEP}{SEP}{SEP})",
    "NE": r"(?!{G}[0-9])",
    "MOBILE": r"(?:(?:00|\+){G}86{G}|86{G}(?=1))?1{G}[3-9](?:{G}[0-9]){9}",
    # junk people put inside a word to dodge a filter: 微-信, v❤x, q q
    "J": r"[\W_]{0,2}",
    "WX": r"[微威薇徽维危唯]{J}[信芯]|v{J}[信芯]|(?<![a-z0-9])[vw]{J}x(?![a-z])|wei{J}xin(?![a-z])"
          r"|we{J}chat(?![a-z])|卫星|绿泡泡",
    "WXV": r"{WX}|(?<![a-z0-9])v(?![a-z0-9.])",  # WeChat, or a lone 'v' ("加V", "V：…")
    "QQ": r"(?<![a-z0-9])q{J}q(?![a-z])|扣扣|抠抠|蔻蔻|寇寇|叩叩|球球|企鹅|🐧"
          r"|(?<![a-z0-9])q(?=[\W_]?[号群]|[ \t]*:[ \t]*[1-9])",  # "Q号", "Q群", "Q：1024…"
    "AT": r"[ \t]*@[ \t]*|[ \t]*艾特[ \t]*|[ \t]*圈[ \t]*|[ \t]*[(\[{<][ \t]*at[ \t]*[)\]}>][ \t]*|[ \t]+at[ \t]+",
    "DOT": r"[ \t]*\.[ \t]*|[ \t]*点[ \t]*|[ \t]*[(\[{<][ \t]*dot[ \t]*[)\]}>][ \t]*|[ \t]+dot[ \t]+|。",
    "TLD": r"(?:com|cn|net|org|edu|gov|io|me|co|cc|top|xyz|vip|info|hk|tw|jp|dev|app|ai|tech|site|online|biz|us"
           r"|uk|de|fr|ru|email)(?![a-z0-9-])",
    "MAILHOST": r"qq|163|126|139|189|gmail|outlook|hotmail|live|foxmail|sina|sohu|yahoo|aliyun|yeah|icloud"
                r"|protonmail|tom|21cn",
    # a negation right before a phrase: "别加微信", "不能私下交易"
    # (not the 不 of a question: 能不能, 可不可以, 要不要)
    "NEG": r"(?<![能可要会行是好])(?:不要|不能|不可以|不准|不许|禁止|请勿|切勿|勿|别|不会|不得|严禁|不允许"
           r"|没必要|不需要|无需|不建议|拒绝|不想|不用|不|没|莫)",
    # what follows "加微信" when it is a feature being built, not a contact: "加微信登录", "加个 QQ 号输入框"
    "FEATURE": r"登录|登陆|授权|支付|分享|扫码|小程序|公众号|开放平台|接口|sdk|api|功能|模块|字段|输入框|按钮|入口"
               r"|页面|绑定|通知|群发|客服|机器人|webhook|一键|快捷|头像|昵称|jsapi|h5|组件|插件|菜单|消息推送|模板"
               r"|认证|跳转|回调|网关|配置|验证码|验证|校验|格式|解密|加密|脱敏",
    "CONTACT": r"联系方式|联系电话|电话号码|电话|手机号码|手机号|手机|号码|(?:{WX})号?|(?:{QQ})号?|邮箱|email",
    # a number right after one of these labels is not a contact: "订单号 139…", "端口 13306", "商户号 16…"
    "NUMBER_LABEL": r"订单|单号|编号|流水|工单|任务|order|issue|pr|commit|uid|id|sn|sku|条码|快递|运单|ticket|商户号"
                    r"|mchid|mch_id|appid|交易号|批次|序列号|版本|version|build|端口|port|时间戳|timestamp|ts|错误码"
                    r"|errcode|code|金额|价格|预算|报价|¥|\$|身份证|学号|工号|#|行号|line|size|count|总数|数量|qps|tps",
    # a number that is an example, a test account or masked on purpose
    "EXAMPLE": r"测试|test|mock|示例|样例|例如|比如|e\.g\.|假的|虚拟|脱敏",
    # words a WeChat id cannot be in tech talk: "微信 access_token", "微信: miniprogram"
    "TECH_WORD": r"access_token|app_?id|app_?secret|secret|session_key|js_?code|jscode2session|code2session"
                 r"|pay_?sign|prepay_id|out_trade_no|notify_url|mch_?id|api_?key|api_?v[0-9]|open_?id|union_?id"
                 r"|sign_?type|time_?stamp|nonce_?str|package|oauth[0-9]?|sha[0-9]+|base64|md5|utf-?8|http[0-9]?"
                 r"|jsapi|native|openapi|miniprogram|official|enabled|disabled|true|false|null|none|callback"
                 r"|webhook|redirect_uri|template_id|user_?info|phone_?number|get_?phone_?number|login|request"
                 r"|payment|robot|bot|token",
    "PAY_QR": r"收款码|收款二维码|收钱码|赞赏码",
}

# Spans where contacts are not looked for (a rule with in_tech=True still fires): URLs, code, hashes, app ids.
TECH: list[str] = [
    r"(?:https?|ftp|git|ssh|wss?|postgres(?:ql)?|mysql|redis|mongodb(?:\+srv)?|amqp|file)://[^\s<>\"',。!?)\]】]+",
    r"(?<![a-z0-9@._-])(?:[a-z0-9-]+\.)+(?:com|cn|net|org|io|dev|me|app|cc|co)(?::[0-9]+)?/[^\s<>\"',。!?]*",
    r"```[\s\S]*?```",
    r"`(?=[^`\n]*[=(){};<>\[\]])[^`\n]+`",  # inline code that looks like code, not a bare number in backticks
    r"(?<![0-9a-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,}(?![0-9a-z])",  # hex: commits, hashes, ids
    r"(?<![a-z0-9])wx[0-9a-f]{16}(?![a-z0-9])",  # mini-program / official account AppID
]

_NEG_BEFORE = r"(?:{NEG})[^,。!?;\n]{0,2}$"
_FEATURE_AFTER = r"^[ \t]*(?:的|号|号码)?[ \t]*(?:{FEATURE})"
_EMAIL_VETO = (r"^(?:git|noreply|no-reply|donotreply|do-not-reply|test|user|username|yourname|your_name|name|xxx+"
               r"|example|admin)(?:{AT})|(?:{AT})(?:[a-z0-9-]+\.)*(?:example|test|domain|yourdomain|company|xxx+"
               r"|localhost|users\.noreply\.github)(?:{DOT})")
_PHONE_VETOES: dict[str, Any] = {
    "veto_before": r"(?:(?:{NUMBER_LABEL})[ \t]*(?:号码?|id|编号)?[ \t]*(?:是|为|:|=|#)?[ \t]*$)"
                   r"|(?:{EXAMPLE})[^,。!?;\n]{0,8}$",
    "veto_after": r"^[ \t]*(?:元|块|rmb|¥|ms|毫秒|秒|字节|bytes?|kb|mb|gb|次|条|行|px|%|个|件|笔|单|rows?|万"
                  r"|开始|起|以上|以下|之后|之前)",
    # an IPv4 address; a list of decimals ("1.35 1.82 …"); a date
    "veto_match": r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$|[0-9]\.[0-9]+[ \t]+[0-9]|^(?:19|20)[0-9]{2}[-./年]",
    # well-known dummies: 10086's 13800138000, all one digit, 12345678901
    "veto_digits": r"^(?:00)?(?:86)?(?:13800138000|13800000000|12345678901|([0-9])\1{10})$",
}

RULES: list[dict[str, Any]] = [
    # --- phone numbers ---------------------------------------------------------------------------------------
    {"id": "phone.mobile", "kind": "phone", "reason": "疑似手机号码",
     "pattern": r"{NB}(?P<c>{MOBILE}){NE}", **_PHONE_VETOES},
    {"id": "phone.landline", "kind": "phone", "reason": "疑似固定电话号码",
     "pattern": r"{NB}(?P<c>(?:\(0[1-9][0-9]{1,2}\){G}|0{G}[1-9]{G}[0-9](?:{G}[0-9])?{SEP}{1,3})"
                r"[2-9](?:{G}[0-9]){6,7}){NE}",
     **{**_PHONE_VETOES, "veto_digits": _PHONE_VETOES["veto_digits"] + r"|^0?123456789"}},
    {"id": "phone.landline_labelled", "kind": "phone", "reason": "座机/电话号码",
     "pattern": r"(?:座机|电话|固话|tel|办公室)[^0-9\n]{0,4}(?P<c>0[1-9][0-9]{9,10}){NE}"},
    {"id": "phone.hotline", "kind": "phone", "reason": "400/800 电话号码",
     "pattern": r"{NB}(?P<c>[48]00-[0-9]{3}-?[0-9]{4}|[48]00[0-9]{3}-[0-9]{4}){NE}",
     "veto_before": r"(?:{EXAMPLE}|格式)[^,。!?;\n]{0,8}$"},
    {"id": "phone.foreign", "kind": "phone", "reason": "境外电话号码",
     "pattern": r"(?<![0-9a-z])(?P<c>\+(?:852|853|886|65|60|81|82|44|1)[ \t-]?[0-9](?:[ \t-]?[0-9]){6,10}){NE}"},
    # --- WeChat ----------------------------------------------------------------------------------------------
    {"id": "wechat.id_labelled", "kind": "wechat", "reason": "微信号",
     "pattern": r"(?:{WXV}){J}(?:(?:号码?|小号|大号|账号|id)[ \t]*(?:是|为|:|=)?|是|为|:|=|搜"
                r"|(?:找我|加我|私我|聊|联系)[ \t]*:)"
                r"[ \t]*(?P<c>[a-z][a-z0-9_-]{5,19})(?![a-z0-9_-])",
     "veto_match": r"^(?:{TECH_WORD})$"},
    {"id": "wechat.id_spaced", "kind": "wechat", "reason": "微信号",
     "pattern": r"(?:{WX})[ \t]+(?P<c>(?=[a-z]*[0-9_-])[a-z][a-z0-9_-]{5,19})(?![a-z0-9_-])",
     "veto_match": r"^(?:{TECH_WORD})$"},
    {"id": "wechat.id_before", "kind": "wechat", "reason": "微信号",
     "pattern": r"(?<![a-z0-9_-])(?P<c>[a-z][a-z0-9_-]{5,19})[ \t]*(?:是|就是)(?:我的?)?(?:{WX})",
     "veto_match": r"^(?:{TECH_WORD})$"},
    {"id": "wechat.wxid", "kind": "wechat", "reason": "微信原始 ID（wxid_）",
     "pattern": r"(?<![a-z0-9])(?P<c>wxid_[a-z0-9_-]{4,30})"},
    {"id": "wechat.number", "kind": "wechat", "reason": "以手机号作微信号",
     "pattern": r"(?:{WXV}){J}(?:号码?|账号|id|同号|同手机号?|同电话)?{J}(?:是|为)?[ \t:=]*(?P<c>{MOBILE}){NE}"},
    {"id": "wechat.same_as_phone", "kind": "wechat", "reason": "微信号与手机号相同（微信同号）", "mask": False,
     "pattern": r"(?:{WXV}){J}号?(?:同号|同手机号?|同电话|和手机号?一样|跟手机号?一样|就是(?:我的?)?手机号?|=手机号?)"
                r"|\(同(?:{WX})号?\)|(?<=[0-9])[ \t]?同(?:{WX})",  # "139…（同微信）"
     "veto_after": _FEATURE_AFTER},
    {"id": "wechat.link", "kind": "wechat", "reason": "微信个人/群二维码链接", "in_tech": True,
     "pattern": r"(?P<c>(?:https?://)?(?:u\.wechat\.com|weixin\.qq\.com/[grq])/[a-z0-9_/=?&.-]+)"},
    # --- QQ --------------------------------------------------------------------------------------------------
    {"id": "qq.number", "kind": "qq", "reason": "QQ 号",
     "pattern": r"(?:{QQ}){J}(?:号码?|账号|群号?)?{J}(?:是|为)?[ \t:=]*(?P<c>[1-9](?:{G}[0-9]){4,10}){NE}"},
    {"id": "qq.group", "kind": "qq", "reason": "QQ 群号",
     "pattern": r"群号码?{J}(?:是|为)?[ \t:=]*(?P<c>[1-9](?:{G}[0-9]){5,10}){NE}"},
    {"id": "qq.mail", "kind": "qq", "reason": "QQ 邮箱中的 QQ 号",
     "pattern": r"(?<![0-9a-z._-])(?P<c>[1-9][0-9]{4,10})(?=@qq\.com)"},
    {"id": "qq.link", "kind": "qq", "reason": "QQ 名片/群链接", "in_tech": True,
     "pattern": r"(?P<c>(?:https?://)?(?:qm|jq)\.qq\.com/[^\s,。]+)"},
    # --- e-mail ----------------------------------------------------------------------------------------------
    {"id": "email.plain", "kind": "email", "reason": "邮箱地址",
     "pattern": r"(?<![a-z0-9._%+-])(?P<c>[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.{TLD}(?:\.cn)?)",
     "veto_match": _EMAIL_VETO},
    {"id": "email.spelled", "kind": "email", "reason": "拆写的邮箱地址（艾特、(at)、点）",
     "pattern": r"(?<![a-z0-9._-])(?P<c>[a-z0-9][a-z0-9._-]{1,63}(?:{AT})(?:{MAILHOST}|[a-z0-9-]{2,})(?:{DOT}){TLD}"
                r"(?:(?:{DOT})cn)?)", "veto_match": _EMAIL_VETO},
    {"id": "email.hash", "kind": "email", "reason": "用 # 代替 @ 的邮箱地址",
     "pattern": r"(?<![a-z0-9._-])(?P<c>[a-z0-9][a-z0-9._-]{1,63}#(?:{MAILHOST})\.(?:com|cn|net)(?:\.cn)?)",
     "veto_match": _EMAIL_VETO},
    # --- other messengers ------------------------------------------------------------------------------------
    {"id": "im.id", "kind": "im", "reason": "其他聊天软件账号",
     "pattern": r"(?<![a-z])(?:钉钉|telegram|tg|电报|whatsapp|skype|飞书)(?:号|id|账号)?{J}(?:是|为)?[ \t:=]*"
                r"(?P<c>@?[a-z][a-z0-9_.:+-]{3,31}|\+?[0-9](?:[ \t-]?[0-9]){6,14})",
     "veto_match": r"^@?(?:{TECH_WORD})$"},
    # --- payment artefacts -----------------------------------------------------------------------------------
    {"id": "payment.wxp", "kind": "payment", "reason": "微信收款码链接", "in_tech": True,
     "pattern": r"(?P<c>wxp://[a-z0-9_-]+)"},
    {"id": "payment.wxpay_link", "kind": "payment", "reason": "微信支付链接", "in_tech": True,
     "pattern": r"(?P<c>weixin://wxpay/[^\s,。]+)"},
    {"id": "payment.alipay_link", "kind": "payment", "reason": "支付宝收款/转账链接", "in_tech": True,
     "pattern": r"(?P<c>(?:https?://)?(?:qr|ds|render|mobilecodec)\.alipay\.com/[^\s,。]*)"},
    {"id": "payment.alipays", "kind": "payment", "reason": "支付宝转账链接", "in_tech": True,
     "pattern": r"(?P<c>alipays?://platformapi/[^\s,。]*)"},
    {"id": "payment.unionpay", "kind": "payment", "reason": "云闪付收款链接", "in_tech": True,
     "pattern": r"(?P<c>(?:https?://)?qr\.95516\.com/[^\s,。]*)"},
    {"id": "payment.paypal", "kind": "payment", "reason": "PayPal 收款链接", "in_tech": True,
     "pattern": r"(?P<c>(?:https?://)?(?:www\.)?paypal\.me/[a-z0-9_.-]+)"},
    {"id": "payment.qr_mine", "kind": "payment", "reason": "提供个人收款码", "mask": False,
     "pattern": r"(?:我的?|个人|私人)[^,。!?\n]{0,4}(?:{PAY_QR})",
     "veto_after": r"^[^,。\n]{0,4}(?:不能|不可以|页面|功能|接口|模块|组件)"},
    {"id": "payment.qr_offer", "kind": "payment", "reason": "发送或要求扫描收款码", "mask": False,
     "pattern": r"(?:发|给|扫|加)[^,。!?\n]{0,4}(?:{PAY_QR})",
     "veto_before": r"(?:上传|生成|实现|对接|支持|展示|显示)[^,。\n]{0,4}$", "veto_after": _FEATURE_AFTER},
    {"id": "payment.qr_then", "kind": "payment", "reason": "发送或要求扫描收款码", "mask": False,
     "pattern": r"(?:{PAY_QR})[^。!?;\n]{0,12}?(?:发你|发给你|给你|你扫|扫一?下|转)"},
    {"id": "payment.scan_pay", "kind": "payment", "reason": "要求扫码付款给个人", "mask": False,
     "pattern": r"扫(?:我的?|这个)?码(?:付|转|支付|打)(?:款|钱|账)?给?(?:我|你)", "veto_after": _FEATURE_AFTER},
    {"id": "payment.card", "kind": "payment", "reason": "银行卡号", "weight": 0.0, "cue_weight": 1.0, "window": 16,
     "pattern": r"{NB}(?P<c>(?:62|4[0-9]|5[1-5])(?:{G}[0-9]){14,17}){NE}",
     "cue_before": r"(?:卡|银行|账号|账户|工行|建行|农行|中行|招行|交行|card)[^。\n]{0,10}$",
     "cue_after": r"^[^。\n]{0,6}(?:银行|工行|建行|农行|中行|招行|交行|卡)"},
    {"id": "payment.alipay_account", "kind": "payment", "reason": "支付宝账号",
     "pattern": r"支付宝(?:账号|账户|号)?{J}(?:是|为)?[ \t:=]*"
                r"(?P<c>{MOBILE}|[a-z0-9][a-z0-9._-]*@[a-z0-9.-]+\.[a-z]{2,}|[a-z][a-z0-9_.-]{5,})"},
    # --- phrases of intent (kept readable) -------------------------------------------------------------------
    {"id": "intent.add_wechat", "kind": "intent", "reason": "提议加微信", "mask": False,
     "pattern": r"(?:加|添加|(?<![a-z0-9])\+|➕|私)(?:个|下|一下|我|你|我的|你的)?[ \t]*(?:企业)?(?:{WXV})",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.add_qq", "kind": "intent", "reason": "提议加 QQ", "mask": False,
     "pattern": r"(?:加|添加)(?:个|下|一下|我|你|我的|你的)?[ \t]*(?:{QQ})",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.add_other", "kind": "intent", "reason": "提议加其他聊天软件", "mask": False,
     "pattern": r"(?:加|添加)(?:个|下|一下|我|你|我的|你的)?[ \t]*(?:钉钉|飞书|telegram|tg|电报|whatsapp|skype|好友)",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.other_app_search", "kind": "intent", "reason": "提议在其他聊天软件上联系", "mask": False,
     "pattern": r"(?:钉钉|飞书)(?:上)?(?:搜|找我|联系|聊)", "veto_before": _NEG_BEFORE},
    {"id": "intent.wechat_talk", "kind": "intent", "reason": "提议到微信上沟通", "mask": False,
     "pattern": r"(?:{WX})[ \t]*(?:(?:上|里)[ \t]*发|(?:上|里)?[ \t]*(?:说(?!明)|聊(?!天)|谈|联系(?!人)|沟通|细聊|详聊"
                r"|私聊|找我))",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.ask_contact", "kind": "intent", "reason": "索要联系方式", "mask": False,
     "pattern": r"(?:你|您)的?[ \t]*(?:{CONTACT})[ \t]*(?:是多少|多少|发我|给我|发一下|告诉我|有吗|方便给)"},
    {"id": "intent.have_wechat", "kind": "intent", "reason": "询问微信", "mask": False,
     "pattern": r"有(?:{WX})号?吗|有没有(?:{WX})|(?:{WX})号?(?:多少|发我|给我)"},
    {"id": "intent.leave_contact", "kind": "intent", "reason": "索要或提供联系方式", "mask": False,
     "pattern": r"(?:留|给|发|报|交换|换)(?:个|下|一下)?(?:你的|我的|你|我)?(?:一下)?[ \t]*"
                r"(?:联系方式|电话|手机号?码?|号码|(?:{WX})|(?:{QQ})|邮箱)",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.how_contact", "kind": "intent", "reason": "询问站外联系方式", "mask": False,
     "pattern": r"怎么(?:联系|找|加|联络)(?:你|您)"},
    {"id": "intent.call", "kind": "intent", "reason": "提议电话联系", "mask": False,
     "pattern": r"(?:打|拨)(?:我|给我|个|一个|我的)?的?[ \t]*(?:电话|手机)|给(?:我|你)(?:打|拨)(?:个|一个)?[ \t]*电话"
                r"|打给(?:我|你)|(?<![a-z])call[ \t]*(?:我|me)|发短信|短信联系|打这个(?:号|电话|号码)?"
                r"|打我(?=$|[\s,.!?。~吧啊哈])"
                r"|(?:打|拨打?)[ \t]*(?=(?:{MOBILE})|0[1-9][0-9]{1,2}[ \t-])",
     "veto_before": _NEG_BEFORE},
    {"id": "intent.phone_talk", "kind": "intent", "reason": "提议电话沟通", "mask": False,
     "pattern": r"(?:电话|手机|语音电话)(?:上|里)?(?:沟通|联系(?!人|方式)|聊|细聊|详聊|谈)"
                r"|(?:直接|方便|可以)(?:打)?电话(?!号|字段|号码|本)",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.private_deal", "kind": "intent", "reason": "提议私下交易", "mask": False,
     "pattern": r"私了|走私下|私{J}下(?:里)?{J}(?:交{J}易|付{J}款?|转{J}账?|结算|结|给|打(?:款|钱|给)?|收款|支付|合作"
                r"|联系|沟通|对接|算|谈|签|成交|交)",
     "veto_before": _NEG_BEFORE, "veto_after": r"^(?:坑|被坑|跑路|风险|不安全|违规|是违规|会被|容易)"},
    {"id": "intent.offline_deal", "kind": "intent", "reason": "提议线下交易", "mask": False,
     "pattern": r"线下(?:交易|付款|付|转账|结算|结|支付|给钱|给|打款|收款|成交|转)"
                r"|线下[^,。!?\n]{0,6}(?:把钱|付钱|给钱|结钱|结清|钱结)",
     "veto_before": r"(?:{NEG})[^,。!?;\n]{0,2}$|(?:支持|导出|实现|开发|对接|统计)[^,。\n]{0,8}$",
     "veto_after": r"^[^,。\n]{0,3}(?:方式|功能|记录|模块|场景|订单|流程|页面|接口|系统|门店|收银|核销|两种)"},
    {"id": "intent.bypass", "kind": "intent", "reason": "提议绕开平台", "mask": False,
     "pattern": r"(?:绕过|绕开|避开|跳过|脱离|撇开|甩开|抛开|离开)(?:这个|咱们|我们)?(?:平台|托管|担保)"
                r"|(?:不|别|不用|不再|没必要)(?:走|通过|经过|用|在)(?:这个)?(?:平台|托管|担保)"
                r"|平台外|站外(?:交易|联系|沟通|合作|付款|转账|结算)|不用在这(?:上面|里)(?:下单|交易|付|聊)"
                r"|(?:下次|以后|之后|后面|下一单)[^,。\n]{0,8}直接(?:找我|联系我|找你|联系你|对接)",
     "veto_before": r"(?<![能可要会行是好])(?:不要|不能|别|不会|禁止|严禁)[^,。!?;\n]{0,2}$",
     "veto_after": r"^[ \t]*(?:的)?[ \t]*(?:网关|接口|api|路由|代理|服务|cdn|限制|审核|检测|校验|sdk|部分)"},
    {"id": "intent.fee_dodge", "kind": "intent", "reason": "提议省掉平台费用", "mask": False,
     "pattern": r"(?:省|免|逃|避|躲)(?:掉|点|了|下|去)?(?:平台)?(?:的)?(?:手续费|抽成|佣金|服务费|中介费)"
                r"|手续费(?:我们|咱们)?(?:一人一半|平摊|对半|平分|各出一半)|省得平台(?:扣|抽)",
     "veto_before": _NEG_BEFORE},
    {"id": "intent.elsewhere", "kind": "intent", "reason": "提议换到站外沟通", "mask": False,
     "pattern": r"换个?(?:地方|软件|app|平台|渠道)(?:聊|说|谈|沟通|联系)|出去聊|拉你进(?:个|我们的?|项目|技术)?群",
     "veto_before": _NEG_BEFORE},
    {"id": "intent.direct_pay", "kind": "intent", "reason": "提议直接转账", "mask": False,
     "pattern": r"(?:{WX}|支付宝|银行卡|卡上|网银)(?:上)?(?:直接)?转(?:账)?(?:给)?(?:我|你)"
                r"|转(?:账)?到(?:我|你)的?(?:{WX}|支付宝|卡|银行卡|账户|私人账户)"
                r"|(?:直接|私下|单独)(?:转|打|付)(?:账|款|钱)?(?:给)?(?:你|我)(?!们)|钱直接给(?:你|我)"
                r"|打(?:到)?(?:你|我)的?[^,。\n]{0,2}卡上?|给(?:你|我)现金|现金(?:交易|支付|结算|付)",
     "veto_before": r"(?:{NEG})[^,。!?;\n]{0,2}$|平台[^,。\n]{0,6}$"},
    {"id": "intent.red_packet", "kind": "intent", "reason": "提议发红包付款", "mask": False,
     "pattern": r"(?:发|给)(?:你|我)?(?:发)?(?:个)?(?:微信)?红包",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.email", "kind": "intent", "reason": "提议邮件联系", "mask": False,
     "pattern": r"发(?:到)?(?:我|你)的?[ \t]*(?:私人)?(?:邮箱|gmail|email|mail|邮件)"
                r"|(?:发|寄)(?:个)?邮件(?:给)?(?:你|我)|(?:给|跟)(?:你|我)发(?:个)?邮件|邮箱联系|邮件联系",
     "veto_before": _NEG_BEFORE, "veto_after": _FEATURE_AFTER},
    {"id": "intent.act_on_contact", "kind": "intent", "reason": "催促对方使用站外联系方式", "mask": False,
     "needs_contact": True,
     "pattern": r"加一下|加下|有空加|你加|加我|扫这个|扫一?下|你扫|扫码|点这个|点开|找我|找她|找他|联系我|转这里|付这里"
                r"|打这个|随时(?:可以)?打|直接付|搜我|进群|私聊我|通过一下|通过下"},
    {"id": "intent.wechat_qr", "kind": "intent", "reason": "提供微信二维码", "mask": False,
     "pattern": r"(?:我的?|个人)(?:{WXV})的?(?:二维码|名片)|扫(?:这个|一下|我)?码?加我"},
]

DEFAULT_RULESET: dict[str, Any] = {"threshold": THRESHOLD, "lexicon": LEXICON, "tech": TECH, "rules": RULES}
