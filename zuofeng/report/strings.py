"""Every word a report shows, in Chinese (default) and English."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # titles and sections
    "dept_title": ("{name} 作风建设测评报告", "Work-style assessment report: {name}"),
    "overview_title": ("总体报告（领导小组）", "Overview for the leading group"),
    "index_title": ("{title} · 报告目录", "{title} · reports"),
    "sec_coverage": ("一、参与情况", "1. Participation"),
    "sec_overall": ("二、作风指数与民主测评", "2. Work-style index and democratic evaluation"),
    "sec_dimensions": ("三、五个方面", "3. The five dimensions"),
    "sec_items": ("四、22个问题（由差到好）", "4. The 22 problems, worst first"),
    "sec_self_peer": ("五、自评与互评对比", "5. Self versus peer ratings"),
    "sec_change": ("六、与上一轮相比", "6. Change since the previous round"),
    "sec_problems": ("七、问题清单与数据质量", "7. Problem list and data quality"),
    "sec_comments": ("八、意见建议", "8. Suggestions"),
    "sec_methods": ("方法说明", "Methods"),
    "ov_heatmap": ("一、各部门五个方面作风指数", "1. Work-style index by department and dimension"),
    "ov_coverage": ("二、参与覆盖与盲区", "2. Coverage and blind spots (盲区)"),
    "ov_ranking": ("三、排名及其不确定性", "3. Ranking with its uncertainty"),
    "ov_reliability": ("四、信度与评价一致性", "4. Reliability and agreement"),
    "ov_trend": ("五、轮次变化趋势", "5. Trend between rounds"),
    "ov_redline": ("六、红线问题预警", "6. Red-line alerts"),
    "ov_quality": ("七、数据质量提示", "7. Data-quality flags"),
    # labels
    "round": ("测评轮次", "Round"),
    "department": ("部门", "Department"),
    "organisation": ("全组织", "Organisation"),
    "departments": ("部门数", "Departments"),
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "unit_type": ("单位类型", "Unit type"),
    "division": ("所属", "Division"),
    "kind": ("测评类型", "Survey"),
    "kind_self": ("自评", "Self"),
    "kind_peer_inside": ("互评（本部门）", "Peer (inside)"),
    "kind_peer_outside": ("互评（其他部门）", "Peer (outside)"),
    "kind_all": ("综合", "All"),
    "kind_peer": ("互评", "Peer"),
    "dimension": ("方面", "Dimension"),
    "item": ("问题", "Problem"),
    "overall": ("总体", "Overall"),
    "respondents": ("答卷数", "Respondents"),
    "headcount": ("在册人数", "Staff"),
    "coverage": ("覆盖率", "Coverage"),
    "mean": ("均值", "Mean"),
    "sd": ("标准差", "SD"),
    "index": ("作风指数", "Index"),
    "ci": ("95%区间", "95% interval"),
    "problem_rate": ("问题率", "Problem rate"),
    "red_line_alert": ("红线预警", "Red-line alert"),
    "gap": ("自评−互评", "Self − peer"),
    "gap_flag": ("差距提示", "Gap flag"),
    "satisfaction": ("满意率", "Satisfaction"),
    "eval_score": ("测评得分", "Evaluation score"),
    "composite": ("综合得分", "Composite"),
    "alpha": ("α系数", "Cronbach's α"),
    "icc1": ("ICC(1)", "ICC(1)"),
    "icc2": ("ICC(2)", "ICC(2)"),
    "rwg_j": ("rwg(j)", "rwg(j)"),
    "change": ("变化", "Change"),
    "change_p": ("p值", "p"),
    "icc_le_zero": ("≤ 0（部门之间无差异）", "≤ 0 (no difference between departments)"),
    "change_q": ("q值（BH）", "q (BH)"),
    "rank": ("名次", "Rank"),
    "rank_range": ("名次区间", "Rank range"),
    "bottom": ("确属末位", "Clearly last"),
    "n": ("人数", "n"),
    "rule": ("规则", "Rule"),
    "value": ("数值", "Value"),
    "note": ("说明", "Note"),
    "flag": ("提示", "Flag"),
    "count": ("份数", "Count"),
    "detail": ("详情", "Detail"),
    "category": ("类别", "Category"),
    "reason": ("原因", "Reason"),
    "status": ("状态", "Status"),
    "report": ("报告", "Report"),
    "ok": ("已生成", "ok"),
    "failed": ("生成失败", "failed"),
    "notebook": ("笔记本", "notebook"),
    "html": ("网页", "page"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "blind_spot": ("盲区", "blind spot"),
    "suppressed": ("已抑制", "suppressed"),
    "not_available": ("—", "—"),
    "previous": ("上一轮", "Previous round"),
    "this_round": ("本轮", "This round"),
    "scored_on": ("计分日期", "Scored on"),
    "responses_total": ("答卷总数", "Answer sheets"),
    "k_rule": ("公布门槛", "Publication threshold"),
    # sentences
    "lead_dept": ("{unit_type} · {round_title}（{round}） · 计分日期 {scored_on}",
                  "{unit_type} · {round_title} ({round}) · scored on {scored_on}"),
    "lead_overview": ("{round_title}（{round}） · {n_dept} 个部门 · {n} 份答卷 · 计分日期 {scored_on}",
                      "{round_title} ({round}) · {n_dept} departments · {n} answer sheets · scored on {scored_on}"),
    "legend_suppressed": ("“已抑制”：该组答卷少于 k={k} 份（或为防止推算而一并隐藏），不公布任何数值。",
                          ("\"suppressed\": fewer than k={k} answer sheets in this group (or hidden so that it cannot be "
                           "recovered by subtraction); no figure is published.")),
    "legend_index": ("作风指数 = 100 ×（5 − 均值）/ 4，0–100，越高越好；方括号内为95%区间。",
                     "Work-style index = 100 × (5 − mean) / 4, from 0 to 100, higher is better; brackets: 95% interval."),
    "no_previous": ("本轮没有可比较的上一轮。", "This round has no previous round to compare with."),
    "no_problems": ("没有达到标记规则的问题。", "No problem reaches a flagging rule."),
    "no_quality": ("没有数据质量提示。", "No data-quality flags."),
    "no_comments": ("没有可公布的意见建议（答卷少于 {k} 份的组不公布意见建议）。",
                    "No suggestions can be shown (groups with fewer than {k} answer sheets show none)."),
    "no_redline": ("本轮没有红线问题预警。", "No red-line alerts in this round."),
    "no_rows": ("无数据。", "No data."),
    "quality_note": ("数据质量提示只作提醒，不删除任何答卷。", "Data-quality flags are reminders; no answer sheet is deleted."),
    "comments_note": ("意见建议按原文照录（已转义），顺序随机。", "Suggestions verbatim (escaped), in random order."),
    "rank_note": ("名次区间来自模拟排名表（按各部门指数的区间重抽指数）；只有在整个区间都处于末位时才标记为“确属末位”。",
                  ("Rank ranges come from simulated league tables (each department's index redrawn from its interval); "
                   "a department is marked clearly last only when its whole range is last.")),
    "gap_note": ("差距 = 自评指数 − 互评指数；差距明显为正说明自我评价偏高。",
                 "Gap = self index − peer index; a clearly positive gap means the self-assessment is rosier than peers'."),
    "change_note": (("变化 = 本轮指数 − 上一轮指数；区间与 p 值均来自 Welch t 检验（p < 0.05 当且仅当区间不含 0）；"
                     "q 值为 Benjamini–Hochberg 校正（同一张表的多重比较），q < 0.05 的发现中误报的期望比例不超过 5%。"),
                    ("Change = index this round − previous round; interval and p both from Welch's t test (p < 0.05 "
                     "exactly when the interval excludes 0); q is the Benjamini–Hochberg adjustment for the many "
                     "comparisons of one table: among findings with q < 0.05, at most 5% are expected to be false.")),
    "m_instrument": ("问卷：{title}（{id} 第{version}版）。", "Instrument: {title} ({id} version {version})."),
    "m_scale": ("题目量表：{scale}；“{missing}”不计入。问题率 = 选择 {problem} 的比例。",
                "Item scale: {scale}; \"{missing}\" is not counted. Problem rate = share answering {problem}."),
    "m_overall": ("民主测评：{options}；满意率 = {satisfied} 占有效票的比例，测评得分按 {scores} 加权。",
                  ("Democratic evaluation: {options}; satisfaction = share of {satisfied} among valid votes; the score "
                   "weights {scores}.")),
    "m_weights": ("综合得分的评价主体权重：{weights}。", "Weights of the rater groups in the composite: {weights}."),
    "m_k": ("公布门槛：每组至少 {k} 份答卷，意见建议至少 {kc} 份；少于门槛的组及为防推算而一并隐藏的组均显示为“已抑制”。",
            ("Publication thresholds: at least {k} answer sheets per group, {kc} for suggestions; groups under the "
             "threshold, and groups hidden so they cannot be recovered by subtraction, are shown as suppressed.")),
    "m_redline": ("红线问题：{items}；只要 {share} 以上的评价为 {values} 即提示领导小组。",
                  "Red-line problems: {items}; flagged to the leading group when at least {share} of ratings are {values}."),
    "m_reliability": ("信度：各方面 Cronbach α（全部答卷）：{alphas}。", "Reliability: Cronbach's α per dimension (all sheets): {alphas}."),
    "m_seed": (("区间为t区间（不重抽样）。名次区间：每次模拟按各部门指数的区间（指数 + 标准误 × t）独立重抽各部门指数并排名，"
                "共{n_boot}次，种子{seed}；不重抽答卷。2.5%/97.5%分位处的蒙特卡罗标准误为{mc}。"),
               ("Intervals are t intervals (nothing is resampled). Rank ranges: each simulated league table redraws "
                "every department's index independently from its interval (index + se × t) and ranks them; "
                "{n_boot} tables, seed {seed}; answer sheets are not resampled. Monte Carlo standard error of the "
                "2.5%/97.5% tail share: {mc}.")),
    "m_suppressed_groups": ("本部门被抑制的组：{groups}。", "Suppressed groups of this department: {groups}."),
    "alt_dimensions": ("条形图：{name} 五个方面的作风指数及95%区间（{kinds}）。",
                       "Bar chart: work-style index of {name} for the five dimensions with 95% intervals ({kinds})."),
    "alt_items": ("点图：{name} 22个问题的作风指数，由差到好排列。", "Dot plot: {name}'s index for the 22 problems, worst first."),
    "alt_self_peer": ("分组条形图：{name} 各方面自评与互评指数对比。", "Grouped bars: self versus peer index per dimension for {name}."),
    "alt_heatmap": ("热力图：各部门（行）五个方面（列）的作风指数；灰色斜纹为已抑制。",
                    "Heat map: index of each department (rows) per dimension (columns); grey hatching marks suppressed cells."),
    "alt_ranking": ("区间图：各部门总体作风指数及95%区间，按指数排列。",
                    "Interval plot: overall index of each department with its 95% interval, ordered by index."),
    "alt_trend": ("折线图：各部门总体作风指数在两轮之间的变化。", "Slope chart: overall index of each department across rounds."),
    "alt_coverage": ("条形图：各部门自评与互评的覆盖率。", "Bar chart: coverage of the self and peer surveys per department."),
    "suppressed_chart": ("（已抑制的组不绘制）", "(suppressed groups are not drawn)"),
    "chart_dims": ("作风指数（{kind}）", "Index ({kind})"),
    "chart_self_peer": ("作风指数：自评与互评", "Index: self and peer views"),
    "red_line_share": ("红线占比", "Red-line share"),
    "reason_n<k": ("少于k", "n < k"),
    "reason_complementary": ("防推算", "complementary"),
    "flag_straight_lined": ("整齐划一作答", "straight-lined"),
    "flag_too_fast": ("答题过快", "too fast"),
    "flag_uniform_department": ("部门答案高度一致", "uniform department"),
    "flag_jump": ("与上一轮相比突变", "jump since the previous round"),
    "rule_red_line": ("红线", "red line"),
    "rule_problem_rate": ("问题率", "problem rate"),
    "rule_below_organisation": ("低于全组织", "below the organisation"),
    "legend_item": ("问题", "problem"),
    "legend_red_item": ("红线问题", "red-line problem"),
    "sec_quality_flags": ("数据质量提示", "Data-quality flags"),
    "basis": ("排序依据：{kind}", "Ordered by: {kind}"),
    "chart_index_axis": ("作风指数（越高越好）", "Index (higher is better)"),
    "chart_coverage_axis": ("覆盖率", "Coverage"),
    "failed_note": ("生成失败的报告保留了执行过的笔记本，供分析人员查看错误。",
                    "A failed report keeps its executed notebook so an analyst can see the error."),
}


def label(prefix: str, name: str, lang: str = "zh") -> str:
    """A translated name (flag, rule, reason…), or the name itself when there is none."""
    key = f"{prefix}_{name}"
    return t(key, lang) if key in STRINGS else str(name)


def t(key: str, lang: str = "zh", **kw) -> str:
    """The text for ``key`` in ``lang`` ("zh" unless "en"), formatted with ``kw``."""
    zh, en = STRINGS[key]
    s = en if lang == "en" else zh
    return s.format(**kw) if kw else s


def page_chars(scores) -> str:
    """Every character a page of this round can show: all report strings, the instrument, the roster,
    titles, flags and suggestions. Used to subset the embedded font once per batch."""
    from ..instrument import load_instrument

    meta = scores.meta
    parts = [z for z, _ in STRINGS.values()] + [str(meta.get("title", ""))]
    try:
        inst = load_instrument(meta["instrument_id"], int(meta["instrument_version"]))
    except Exception:  # noqa: BLE001 - the font subset is best effort
        inst = None
    if inst is not None:
        parts += [inst.title.zh, inst.count_note.zh, inst.source.zh, inst.item_scale.missing.zh,
                  inst.item_scale.question.zh, inst.overall_scale.question.zh, inst.red_line_note.zh]
        parts += [o.text.zh for o in inst.item_scale.options + inst.overall_scale.options]
        for d in inst.dimensions:
            parts += [d.id, d.heading.zh, d.label.zh] + [i.label.zh + i.text.zh for i in d.items]
    for frame, cols in ((scores.departments, ("name", "unit_type", "division")),
                        (scores.comments, ("comment",)), (scores.problems, ("label", "rule", "note")),
                        (scores.quality, ("flag", "detail")), (scores.suppression, ("category", "reason")),
                        (scores.table, ("note",))):
        for c in cols:
            if c in frame.columns:
                parts += [str(v) for v in frame[c].dropna().unique()]
    return "".join(parts)
