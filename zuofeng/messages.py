"""Every line the command line prints, in Chinese (the default) and English (``--lang en``).

A message is ``(zh, en)``; an English text that depends on a count is ``(one, many)`` and is chosen by
the ``n`` given to :func:`say`, so no ``(s)`` or wrong plural reaches English output and no English
plural reaches Chinese output. Column headers and the words that fill cells (round states, views,
flags) are declared here once too; the respondent's code is 答题码 in every Chinese text.
"""

from __future__ import annotations

from .axes import OUTSIDE_MODES, kind_label

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str | tuple[str, str]]] = {
    # errors and interruptions (main)
    # the prefix stays one greppable form, like the program's name; the message after it is the error's own
    "error": ("zuofeng: error: {message}", "zuofeng: error: {message}"),
    "aborted": ("zuofeng: 已中止", "zuofeng: aborted"),
    "usage_hint": ("请用 '{command} --help' 查看帮助。", "Try '{command} --help' for help."),
    "usage_error": ("错误：{message}", "Error: {message}"),
    "db_error": ("数据库：{detail}", "database: {detail}"),
    "more_problems": ("  ……另有 {n} 处", ("  … and {n} more", "  … and {n} more")),
    "note": ("说明：{note}", "note: {note}"),
    # notes of an import
    "incomplete_left_out": ("未导入 {n} 份未提交的答卷", ("left out {n} incomplete response (not submitted)",
                                                        "left out {n} incomplete responses (not submitted)")),
    "too_fast": ("{n} 份答卷答题过快，已标记（保留，未删除）",
                 ("{n} answer sheet flagged as answered too fast (kept, not deleted)",
                  "{n} answer sheets flagged as answered too fast (kept, not deleted)")),
    "label_row_skipped": ("已跳过第二行表头（题目说明）", "skipped the second header row (item labels)"),
    "table_rows_read": ("其中 {n} 行是测评表第一部分民主测评表中对其他部门的评价（另有 {ballots} 份答卷）",
                        ("of these, {n} are rows of the evaluation table about other departments "
                         "({ballots} answer sheets besides)")),
    # rounds
    "round_created": ("已创建轮次 {code}（问卷 {instrument} v{version}），状态：草稿",
                      "created round {code} ({instrument} v{version}), status draft"),
    "round_opened": ("轮次 {code} 已开放（k = {k}，意见建议 k = {k_comment}）",
                     "round {code} is open (k = {k}, comments k = {k_comment})"),
    "round_outside": ("外部门互评：{mode}（{text}）", "outside view: {mode} ({text})"),
    "round_closed": ("轮次 {code} 已关闭", "round {code} is closed"),
    "no_rounds": ("还没有轮次（zuofeng round create）", "no rounds (zuofeng round create)"),
    "simulated": ("已在轮次 {round} 存入 {n} 份模拟答卷",
                  ("stored {n} simulated answer sheet in round {round}",
                   "stored {n} simulated answer sheets in round {round}")),
    # status
    "status_head": ("轮次 {round}（{status}），k = {k}", "round {round} ({status}), k = {k}"),
    "status_view": ("{view}：{responses}/{headcount}（{coverage}）", "{view}: {responses}/{headcount} ({coverage})"),
    "outside_received": ("外部互评收到：{counts}", "outside view received: {counts}"),
    "status_gaps": ("有标记的部门×视角：{n} 个", ("flagged: {n} department × view", "flagged: {n} department × views")),
    "outside_gap": ("盲区：{rater} 对 {target} 的外部互评无人作答（已发放 {n} 个答题码）",
                    ("blind spot: outside view {rater} → {target} has no answers ({n} token issued)",
                     "blind spot: outside view {rater} → {target} has no answers ({n} tokens issued)")),
    # tokens
    "key_created": ("已创建答题码密钥 {path}：请立即离线备份；没有它，尚未使用的答题码都无法核验",
                    ("created the token key {path}: back it up offline now; without it no outstanding "
                    "token can be verified")),
    "nothing_to_issue": ("轮次 {round} 无需发放：每个范围都已有答题码（--extra N 可加发备用）；没有写文件",
                         ("nothing to issue in round {round}: every scope has its tokens (--extra N adds spares); "
                         "no file written")),
    "issued": ("轮次 {round} 新发放 {n} 个答题码（{views}）",
               ("issued {n} new token in round {round} ({views})", "issued {n} new tokens in round {round} ({views})")),
    "issued_by_group": ("按测评人员类别：{groups}", "by rater group: {groups}"),
    "wrote_slips": ("已写入 {path}：{n} 张答题码纸条，共 {pages} 页 A4",
                    ("wrote {path}: {n} slip on {pages} A4 pages", "wrote {path}: {n} slips on {pages} A4 pages")),
    "wrote_csv": ("已写入 {path}：邮件合并用 CSV（UTF-8，带 BOM）", "wrote {path}: mail-merge CSV, UTF-8 with BOM"),
    "wrote_ballots": ("已写入 {path}：{n} 份纸质答卷和 {sheets} 张计票单，共 {pages} 页 A4",
                      "wrote {path}: {n} paper ballots and {sheets} count sheets on {pages} A4 pages"),
    "live_tokens": ("这些文件里是有效的答题码（仅本人可读，0600）：打印或发出后请删除；纸条丢失无法补打",
                    ("these files hold live tokens (mode 0600): print or send them, then delete them; "
                    "lost slips cannot be reprinted")),
    "no_tokens": ("轮次 {round} 还没有发放答题码（zuofeng tokens issue {round}）",
                  "no tokens issued in round {round} (zuofeng tokens issue {round})"),
    "tokens_total": ("合计：已用 {used}/{issued}（{share}）", "total: {used}/{issued} used ({share})"),
    # the survey server
    "serving": ("轮次 {round} 的测评页面：{url}（预热内核 {pool} 个，空闲 {idle} 秒后关闭内核）；按 Ctrl-C 停止",
                ("serving the survey of round {round} at {url} (preheated kernels: {pool}, idle kernels culled after "
                "{idle} s); Ctrl-C stops")),
    "page_cap": (("打开文件数上限 {limit} 只够同时打开 {room} 个测评页面，而不是 {asked}：其余答题人排队等候"
                 "（用 ulimit -n 调高上限）"),
                 ("the limit of {limit} open files leaves room for {room} survey pages at once, not {asked}: "
                 "respondents beyond them wait (raise it with ulimit -n for more)")),
    # scoring, reports, demo
    "wrote_scores": ("已写入 {out}：{n} 行（其中 {suppressed} 行抑制）",
                     ("wrote {n} row ({suppressed} suppressed) to {out}", "wrote {n} rows ({suppressed} suppressed) to {out}")),
    "report_index": ("目录：{path}", "index: {path}"),
    "reports_done": ("{n} 份报告，用时 {seconds:.1f} 秒", ("{n} report in {seconds:.1f} s", "{n} reports in {seconds:.1f} s")),
    "demo_round": ("轮次 {round}：{n} 份模拟答卷", ("round {round}: {n} simulated answer sheet",
                                                "round {round}: {n} simulated answer sheets")),
    "demo_ledger": ("台账 {round}：已填入演示数据（真实整改、文字整改、一条逾期、一个部门只在自评中改善）",
                    ("ledger {round}: seeded (real improvements, paper rectification, one overdue entry, "
                    "one department improving only in self-ratings)")),
    # import, export, backup
    "template_written": ("已写入空白录入模板 {path}", "wrote an empty ballot template to {path}"),
    "template_or_file": ("--template FILE 与 ROUND FILE 只能给一个", "give either --template FILE or ROUND FILE, not both"),
    "round_and_file": ("请给出 ROUND 和 FILE（或 --template FILE）", "give ROUND and FILE (or --template FILE)"),
    "imported_before": ("说明：同样的内容已导入过：{when}", "note: the same content was imported before: {when}"),
    "imported_when": ("{date} 导入轮次 {round}", "round {round} on {date}"),
    "open_first": ("；轮次 {round} 状态为{status}：请先开放再导入", "; round {round} is {status}: open it before importing"),
    "dry_run_import": ("试导入：{path}（{format}）中 {n} 份答卷全部有效；未存入任何内容{state}",
                       ("dry run: {n} answer sheet in {path} ({format}) is valid; nothing stored{state}",
                        "dry run: {n} answer sheets in {path} ({format}) are valid; nothing stored{state}")),
    "imported": ("已从 {path}（{format}）导入 {n} 份答卷到轮次 {round}",
                 ("imported {n} answer sheet from {path} ({format}) into round {round}",
                  "imported {n} answer sheets from {path} ({format}) into round {round}")),
    "exported": ("已写入 {path}：{n} 份答卷；另有 {groups} 组 {held} 份（少于 k = {k} 或被抑制）未导出",
                 (("wrote {path}: {n} answer sheet; {held} in {groups} group(s) under k = {k} or suppressed "
                  "were left out"),
                  ("wrote {path}: {n} answer sheets; {held} in {groups} group(s) under k = {k} or suppressed "
                  "were left out"))),
    "backed_up": ("已将 {source} 备份到 {path}（{kb} KB，{rounds} 个轮次，{n} 份答卷）",
                  ("backed up {source} to {path} ({kb} KB; rounds: {rounds}; {n} answer sheet)",
                   "backed up {source} to {path} ({kb} KB; rounds: {rounds}; {n} answer sheets)")),
    # ledger
    "ledger_init": ("台账 {round}：新增 {n} 条", ("ledger {round}: {n} new entry", "ledger {round}: {n} new entries")),
    "wrote": ("已写入 {path}", "wrote {path}"),
    "no_problems": ("没有问题", "no problems"),
    "ledger_added": ("{verb} {n} 条自查问题", ("{verb} {n} 自查问题 entry", "{verb} {n} 自查问题 entries")),
    "would_add": ("将新增", "would add"),
    "added": ("新增", "added"),
    "ledger_import": ("{dry}{path}：轮次 {round} 共 {entries} 条；{verb} {entry_n} 条中的 {fields} 项",
                      ("{dry}{path}: {entries} entries of round {round}; {verb} {fields} field(s) in {entry_n} entry",
                       "{dry}{path}: {entries} entries of round {round}; {verb} {fields} field(s) in {entry_n} entries")),
    "dry_run": ("试导入：", "dry run: "),
    "would_change": ("将修改", "would change"),
    "changed": ("修改了", "changed"),
    "ledger_empty": ("台账 {round}：还没有条目（zuofeng ledger init {round}）",
                     "ledger {round}: no entries (zuofeng ledger init {round})"),
    "verified_against": ("已用 {round} 核验", "verified against {round}"),
    "not_verified": ("尚未核验：还没有以本轮为上一轮的轮次", "not verified yet: no round names this one as previous"),
}

#: Column headers of the printed tables.
COLUMNS: dict[str, tuple[str, str]] = {
    "round": ("轮次", "round"), "status": ("状态", "status"), "title": ("标题", "title"), "k": ("k", "k"),
    "previous": ("上一轮", "previous"), "outside": ("外部门互评", "outside"), "created": ("创建日期", "created"),
    "code": ("代码", "code"), "name": ("名称", "name"), "view": ("视角", "view"),
    "issued": ("发出", "issued"), "returned": ("收回", "returned"), "valid": ("有效", "valid"),
    "headcount": ("人数", "staff"), "coverage": ("覆盖率", "coverage"), "party": ("党员", "party"),
    "non_party": ("非党员", "non-party"), "flags": ("标记", "flags"),
    "rater": ("评价部门", "rater"), "survey": ("问卷", "survey"), "target": ("被评部门", "target"),
    "used": ("已用", "used"), "unused": ("未用", "unused"), "group": ("测评人员类别", "rater group"),
    "department": ("部门", "department"), "priority": ("序号", "#"), "item": ("题号", "item"),
    "label": ("问题", "label"), "views": ("视角", "views"), "detail": ("规则、数值、回答数", "rule, figure, n"),
    "entries": ("条目", "entries"), "done": ("完成率", "done"), "overdue": ("逾期", "overdue"),
    "no_evidence": ("缺佐证", "no evidence"), "flagged": ("有标记", "flagged"),
    "column": ("列", "column"), "matched_by": ("匹配方式", "matched by"),
    "未启动": ("未启动", "not started"), "整改中": ("整改中", "in progress"), "已完成": ("已完成", "done"),
    "已销号": ("已销号", "closed"), "verification": ("核验", "verification"),
}

#: The two surveys (a token's kind; a view is a survey seen from a rater, see :mod:`zuofeng.axes`).
SURVEY_WORDS: dict[str, tuple[str, str]] = {"self": ("自评", "self"), "peer": ("互评", "peer")}

#: Words that fill cells: round states, coverage flags.
WORDS: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"), "open": ("开放", "open"), "closed": ("已关闭", "closed"),
    "收回多于发出": ("收回多于发出", "more returned than issued"), "盲区": ("盲区", "blind spot"),
    "低于k": ("低于k", "below k"), "未全覆盖": ("未全覆盖", "not everyone"),
    "党员未覆盖": ("党员未覆盖", "no party members"), "非党员未覆盖": ("非党员未覆盖", "no non-party members"),
}


class Bilingual(str):
    """A message a library function returns (an import's note): English as a string, with its Chinese in
    ``zh``; :func:`in_lang` picks the one to show."""

    zh: str


def both(key: str, n: int | None = None, **fields) -> Bilingual:
    """The message ``key`` as a :class:`Bilingual`."""
    text = Bilingual(say(key, "en", n, **fields))
    text.zh = say(key, "zh", n, **fields)
    return text


def in_lang(text: str, lang: str = "zh") -> str:
    """A library message in ``lang``: the Chinese of a :class:`Bilingual`, else the text itself."""
    return getattr(text, "zh", text) if lang == "zh" else str(text)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        from .errors import ZuofengError
        raise ZuofengError(f"--lang 必须是 zh 或 en，而不是 {lang!r}", f"--lang must be zh or en, not {lang!r}")
    return lang


def say(key: str, lang: str = "zh", n: int | None = None, **fields) -> str:
    """The message ``key`` in ``lang``, filled with ``fields`` (and ``n``, which picks the English plural)."""
    zh, en = MESSAGES[key]
    text = zh if check_lang(lang) == "zh" else en
    if isinstance(text, tuple):
        text = text[0] if n == 1 else text[1]
    return text.format(n=n, **fields)


def header(lang: str, *keys: str) -> list[str]:
    """Column headers of a printed table, in ``lang``."""
    return [COLUMNS[k][0 if lang == "zh" else 1] for k in keys]


def survey_word(survey: str, lang: str = "zh") -> str:
    """自评 or 互评 (self or peer): a token's survey."""
    return SURVEY_WORDS[survey][lang == "en"] if survey in SURVEY_WORDS else survey


def word(value: str, lang: str = "zh") -> str:
    """A cell word (a round state, a coverage flag, a view) in ``lang``; other values unchanged."""
    if value in WORDS:
        return WORDS[value][0 if lang == "zh" else 1]
    return kind_label(value, lang)


def outside_line(mode: str, lang: str = "zh") -> str:
    """The round's outside mode as ``round create`` and ``status`` say it: its code and its words."""
    return say("round_outside", lang, mode=mode, text=OUTSIDE_MODES[mode][lang == "en"])
