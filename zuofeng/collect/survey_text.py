"""What the survey page says, in Chinese and English, and how refusals are worded for respondents.

The privacy promise states what is stored, the reporting thresholds of the round and that nobody can
link answers to a token; ``zuofeng.collect.survey`` fills in the round's k and comment threshold.
"""

from __future__ import annotations

from ..errors import RoundError, TokenError, ZuofengError

TEXT = {
    "zh": {
        "token_prompt": "请输入答题码（纸条上的16位字母数字，大小写、空格和横线均可）",
        "start": "开始答题",
        "self_heading": "自评：本人（所在部门：{dept}）",
        "peer_inside_heading": "互评：对本部门「{dept}」的评价",
        "peer_outside_heading": "互评：对「{dept}」的评价",
        "scale_hint": "请对每个问题选择“{question}”。不清楚的请选“不了解”。",
        "category_heading": "政治面貌（选填）",
        "category_hint": "只用于核对党员、非党员是否都参与了测评，可以不填。",
        "party": "党员",
        "non_party": "非党员",
        "comment_heading": "意见建议（选填）",
        "comment_hint": "最多{n}字。请勿写入姓名等能认出您或他人的信息。",
        "comment_placeholder": "您的意见建议……",
        "progress": "已答 {done} / {n} 题",
        "overall_missing": "还需选择总体评价",
        "table_missing": "民主测评表还有 {n} 个部门未评完",
        "submit": "提交问卷",
        "thanks_title": "提交成功，谢谢参与！",
        "thanks": "您的答卷已匿名保存，答题码已作废。现在可以关闭本页面。",
        "round_closed": "本轮测评目前不接受答卷。",
        "unavailable": "问卷暂时无法打开，请稍后再试或联系组织单位。",
        "system_error": "系统暂时无法保存，请稍后再试。您的答题码仍然有效。",
        "bad_format": "答题码格式不对：应为16位字母和数字，例如 ABCD-EFGH-JKLM-NPQR。",
        "invalid": "答题码无效：请核对纸条上的答题码。",
        "used": "该答题码已经使用过，每个答题码只能提交一次。",
        "other_survey": "该答题码不属于本问卷。",
        "not_open": "本轮测评目前不接受答卷。",
        "too_long": "意见建议超过字数上限，请删减后再提交。",
        "comment_left": "已输入 {used} 字，还可输入 {left} 字（上限{n}字）",
        "comment_full": "已达{n}字上限，不能再输入。",
        "comment_over": "超出{n}字上限 {over} 字，请删减。",
        "missing": "还有 {count} 项未答，已为您标出并跳到{first}。",
        "item_label": "第{n}题",
        "overall_label": "总体评价",
        "expired": "页面已过期或答题码已在别处打开。",
        "back_to_entry": "返回重新输入答题码",
    },
    "en": {
        "token_prompt": "Enter your token (the 16 letters and digits on your slip; case, spaces and dashes do not matter)",
        "start": "Start",
        "self_heading": "Self survey: yourself (department: {dept})",
        "peer_inside_heading": "Peer survey: your own department, {dept}",
        "peer_outside_heading": "Peer survey: {dept}",
        "scale_hint": "For each problem, choose: {question} If you cannot judge, choose \"Don't know\".",
        "category_heading": "Party membership (optional)",
        "category_hint": "Used only to check that members and non-members both took part; you may skip it.",
        "party": "Party member",
        "non_party": "Not a Party member",
        "comment_heading": "Suggestions (optional)",
        "comment_hint": "At most {n} characters. Do not write names or anything that identifies you or others.",
        "comment_placeholder": "Your suggestions…",
        "progress": "{done} of {n} answered",
        "overall_missing": "the overall rating is still missing",
        "table_missing": "{n} departments of the evaluation table still to rate",
        "submit": "Submit",
        "thanks_title": "Submitted. Thank you!",
        "thanks": "Your answers were stored anonymously and your token is now used up. You may close this page.",
        "round_closed": "This survey round is not accepting answers.",
        "unavailable": "The survey cannot be opened right now. Please try again later or ask the organisers.",
        "system_error": "Your answers could not be stored right now. Please try again; your token is still valid.",
        "bad_format": "This is not a token: it has 16 letters and digits, like ABCD-EFGH-JKLM-NPQR.",
        "invalid": "This token is not valid: please check it against your slip.",
        "used": "This token has already been used; each token can submit once.",
        "other_survey": "This token belongs to another survey.",
        "not_open": "This survey round is not accepting answers.",
        "too_long": "The suggestion is longer than allowed: please shorten it before submitting.",
        "comment_left": "{used} characters typed, {left} left (limit {n})",
        "comment_full": "The limit of {n} characters is reached.",
        "comment_over": "{over} characters over the limit of {n}: please shorten it.",
        "missing": "{count} still unanswered: they are marked, and the page moved to {first}.",
        "item_label": "question {n}",
        "overall_label": "the overall rating",
        "expired": "This page has expired, or the token was opened elsewhere.",
        "back_to_entry": "Enter the token again",
    },
}

PRIVACY = {
    "zh": (
        "<b>隐私承诺</b><ul>"
        "<li>本问卷匿名填写。答题码只证明您可以提交一份答卷，提交后即作废；系统只保存答题码的加密摘要，"
        "不记录谁领取了哪个答题码。</li>"
        "<li>保存的内容：您对{n}个问题的选择、总体评价（互评时）、选填的政治面貌和意见建议，以及提交日期"
        "（不含时刻）。答卷中不保存姓名、答题码、网络地址或提交时刻。</li>"
        "<li>任何人（包括管理员）都无法把答卷与答题码或答题人对应起来。</li>"
        "<li>结果只按组统计：少于{k}人的组不单独报告；意见建议只在不少于{k_comment}人的组中汇总呈现。</li>"
        "</ul>"
    ),
    "en": (
        "<b>Privacy promise</b><ul>"
        "<li>This survey is anonymous. Your token only proves that you may submit one answer sheet and is "
        "used up when you submit; only a keyed hash of it is stored, and nobody records who received which token.</li>"
        "<li>What is stored: your choices on the {n} problems, the overall rating (peer surveys), the optional "
        "Party membership and suggestion, and the date of submission (not the time). Your answers are stored "
        "without your name, your token, your network address or the time of day.</li>"
        "<li>Nobody, administrators included, can link the answers to a token or to a person.</li>"
        "<li>Results are reported for groups only: a group with fewer than {k} respondents is not reported on "
        "its own, and suggestions are shown only for groups of at least {k_comment}.</li>"
        "</ul>"
    ),
}

# The library's refusals (English, for analysts) mapped to what a respondent reads.
_TOKEN_MESSAGES = {
    "this token is not valid for this survey": "invalid",
    "this token has already been used": "used",
    "this token belongs to another survey": "other_survey",
    "this survey is not open": "not_open",
    "a 民主测评 table is stored only with the 互评 answer sheet of its 答题码": "invalid",
}


def token_message(error: ZuofengError, lang: str = "zh") -> str:
    """What the respondent reads for a refused token or sheet (never the raw input).

    >>> from zuofeng.errors import TokenError
    >>> token_message(TokenError("该答题码已经使用过", "this token has already been used"))
    '该答题码已经使用过，每个答题码只能提交一次。'
    """
    t = TEXT["en" if lang == "en" else "zh"]
    if isinstance(error, TokenError):
        key = _TOKEN_MESSAGES.get(error.en)
        if key is None and error.en.startswith("a token is"):
            key = "bad_format"
        return t[key or "invalid"]
    if isinstance(error, RoundError):
        return t["not_open"]
    if "suggestion is longer" in error.en:
        return t["too_long"]
    return t["system_error"]
