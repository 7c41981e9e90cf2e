"""Every word a report shows, in Chinese (default) and English."""

from __future__ import annotations

from ..axes import KINDS, kind_label

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
    "ov_findings": ("主要发现", "Main findings"),
    "ov_heatmap": ("一、各部门五个方面作风指数", "1. Work-style index by department and dimension"),
    "ov_coverage": ("二、参与覆盖与盲区", "2. Coverage and gaps"),
    "ov_ranking": ("三、排名及其不确定性", "3. Ranking with its uncertainty"),
    "ov_trend": ("四、轮次变化趋势", "4. Trend between rounds"),
    "ov_redline": ("五、红线问题", "5. Red-line problems"),
    "ov_quality": ("六、数据质量提示", "6. Data-quality flags"),
    "ov_reliability": ("附录：信度与评价一致性", "Appendix: reliability and agreement"),
    # main findings (主要发现)
    "f_overall": ("本轮共收回答卷 {n} 份；全组织作风指数（全部评价者）为 {index}。",
                  "{n} answer sheets came in this round; the organisation's work-style index (all raters) is {index}."),
    "f_satisfaction": ("民主测评满意率 {sat}。", " Satisfaction in the democratic evaluation: {sat}."),
    "f_item": ("{label}（{index}）", "{label} ({index})"),
    "f_weakest": ("作风最弱的方面是“{dim}”（指数 {dim_index}）", "The weakest area of conduct is \"{dim}\" (index {dim_index})"),
    "f_weakest_items": ("；得分最低的问题是：{items}。", "; the lowest-scoring problems are: {items}."),
    "f_weakest_some": ("；已公布的 {shown} 个问题中得分最低的是：{items}（另有 {hidden} 个问题的全单位得分为保护匿名不公布）。",
                       ("; of the {shown} problems published, the lowest-scoring are: {items} (the organisation's scores "
                        "of {hidden} more are not published, to protect anonymity).")),
    "f_weakest_none": ("；各问题的全单位得分为保护匿名均不公布。",
                       "; no problem's organisation-wide score is published, to protect anonymity."),
    "f_change_improved": ("与上一轮（{previous}）相比，总体作风指数明显提高，变化 {change}。",
                          "Compared with the previous round ({previous}) the overall index clearly improved: {change}."),
    "f_change_worse": ("与上一轮（{previous}）相比，总体作风指数明显下降，变化 {change}。",
                       "Compared with the previous round ({previous}) the overall index clearly fell: {change}."),
    "f_change_unclear": ("与上一轮（{previous}）相比，总体作风指数没有明确变化，变化 {change}。",
                         "Compared with the previous round ({previous}) the overall index shows no clear change: {change}."),
    "f_dim_change": ("{dim} {change}", "{dim} {change}"),
    "f_dims_improved": ("明显改善的方面：{dims}。", " Clearly improved: {dims}."),
    "f_dims_unclear": ("没有明确变化的方面：{dims}。", " No clear change: {dims}."),
    "f_dims_worse": ("明显变差的方面：{dims}。", " Clearly worse: {dims}."),
    "f_gaps": ("覆盖仍有缺口：{depts} 个部门共 {groups} 处（未全员参与、答卷太少，或某类人员、某个外部评价无人作答）。",
               ("Coverage still has gaps: {groups} in {depts} departments (not everyone answered, too few answered, or "
                "nobody of a category or of an outside view answered).")),
    "f_gaps_blind": ("其中 {n} 处无人作答（盲区）。", " {n} of them have no answers at all (blind spots)."),
    "f_gaps_below": ("其中 {n} 处答卷不足公布门槛，无法单独公布。", " {n} of them have too few answers to be published."),
    "f_gaps_over": ("{depts} 收回的答卷多于发出的答卷（收回多于发出），按计票规则这些计票无效，请核查。",
                    " {depts}: more ballots returned than issued; as in a paper count, those counts are void: check them."),
    "f_no_gaps": ("所有部门的自评和互评均做到全员参与，没有盲区。", "Every department reached all its staff in both surveys: no gaps."),
    "f_redline": ("{n} 项红线问题预警（涉及 {depts} 个部门）已单独报送纪检监察组，本报告不列部门明细。",
                  ("{n} red-line matters ({depts} departments) were sent to the discipline-inspection team separately; "
                  "this report does not list them by department.")),
    "f_redline_pending": (("{n} 项红线问题预警（涉及 {depts} 个部门）须单独报送纪检监察组，本报告不列部门明细；"
                           "纪检监察组报告尚未生成。"),
                          ("{n} red-line matters ({depts} departments) are to go to the discipline-inspection team "
                           "separately; this report does not list them by department. The inspection report has not "
                           "been rendered yet.")),
    "f_no_redline": ("本轮没有红线问题预警需要报送纪检监察组。", "No red-line matter had to be sent to the discipline-inspection team."),
    "f_ledger": ("整改台账：{entries} 项整改任务中 {done} 项已完成，{overdue} 项逾期。",
                 "Rectification ledger: {done} of {entries} measures completed, {overdue} overdue."),
    "f_note": ("以上每个数字均取自本轮计分表；“明显”指95%区间不含0。",
               "Every figure above comes from this round's score table; \"clearly\" means the 95% interval excludes 0."),
    # red lines (overview, department, inspection)
    "redline_count": (("本轮共 {n} 项红线问题预警（某部门某红线条目在至少一个评价视角中，评为“比较突出”或“非常突出”的比例达到 {share}"
                       "且至少 {count} 份），涉及 {depts} 个部门，已单独报送纪检监察组。"),
                      ("{n} red-line matters this round (a department's red-line item rated \"fairly\" or \"very serious\" "
                       "by at least {share} of one view's raters, and by at least {count}) in {depts} departments; sent to "
                       "the discipline-inspection team separately.")),
    "redline_count_pending": (("本轮共 {n} 项红线问题预警（某部门某红线条目在至少一个评价视角中，评为“比较突出”或“非常突出”的比例达到 "
                               "{share}且至少 {count} 份），涉及 {depts} 个部门，须单独报送纪检监察组；纪检监察组报告尚未生成"
                               "（zuofeng report {round} --audience inspection）。"),
                              ("{n} red-line matters this round (a department's red-line item rated \"fairly\" or \"very "
                               "serious\" by at least {share} of one view's raters, and by at least {count}) in {depts} "
                               "departments, to go to the discipline-inspection team separately; its report has not been "
                               "rendered yet (zuofeng report {round} --audience inspection).")),
    "red_line_item": ("红线条目", "red-line item"),
    "in_problem_list": ("列入问题清单", "On the problem list"),
    "redline_dept_note": ("标注“红线条目”的问题（廉洁与纪律）与其他问题一样显示指数和问题率；是否预警由纪检监察组掌握，本报告不作预警。",
                          ("Problems marked red-line item (integrity and discipline) show their index and problem rate like "
                           "any other; alerts on them go to the discipline-inspection team, not into this report.")),
    # appendix: how to read reliability and agreement
    "appendix_intro": ("这些指标说明测评本身是否可靠，不评价任何部门。", "These figures say how far the survey itself can be trusted; they rate no department."),
    "read_alpha": ("α系数（Cronbach α）：同一方面的几个问题是否被一致地回答。0.7 以上说明这些问题测的是同一件事；明显较低说明该方面的分数要谨慎解读。",
                   ("Cronbach's α: whether the problems of one dimension were answered consistently. Above 0.7 they "
                    "measure one thing; clearly lower means that dimension's score should be read with care.")),
    "read_icc1": ("ICC(1)：部门之间的差异占全部差异的比例。接近 0 或为负数，说明各部门得分没有真正差别，差别主要来自个人看法；0.1 以上说明部门之间确有差别。",
                  ("ICC(1): the share of all differences that lies between departments. Near 0 or negative means the "
                   "departments do not really differ (the differences are between individual raters); above 0.1 means "
                   "departments do differ.")),
    "read_icc2": ("ICC(2)：部门平均分是否可靠到足以比较排名。0.7 以上可以比较；较低或为负数（可能远小于 0），说明部门之间的排名不可靠，不宜据此排序。",
                  ("ICC(2): whether department averages are reliable enough to rank. Above 0.7 they can be compared; lower "
                   "or negative (it can be far below 0) means rankings between departments are not reliable.")),
    "read_rwg": ("rwg(j)：同一部门内评价者意见是否一致（0–1）。0.7 以上为一致；较低说明同事之间看法分歧大。",
                 ("rwg(j): whether raters within one department agree (0 to 1). Above 0.7 they agree; lower means "
                  "colleagues see the department quite differently.")),
    "effect_note": (("p值：若两轮实际没有差别，出现至少这么大差别的概率（Welch t 检验，与区间同一方法）。"
                     "q值：对同一组多项比较（一个部门的各方面、总览中的各部门）按 Benjamini–Hochberg 方法校正后的 p 值；"
                     "以 q < 0.05 作为结论时，误判的比例预期不超过 5%。"),
                    ("p: the chance of a difference at least this large if the two rounds did not really differ "
                     "(Welch's t test, the same method as the interval). q: the p-value adjusted for the many "
                     "comparisons of one family (a department's dimensions, the departments of the overview) by "
                     "Benjamini–Hochberg; reading q < 0.05 as a finding keeps the expected share of false findings "
                     "below 5%.")),
    # coverage gap flags (zuofeng status)
    "gapflag_盲区": ("盲区", "no answers"),
    "gapflag_低于k": ("低于k", "below k"),
    "gapflag_未全覆盖": ("未全覆盖", "not everyone answered"),
    "gapflag_党员未覆盖": ("党员未覆盖", "no Party member answered"),
    "gapflag_非党员未覆盖": ("非党员未覆盖", "no non-member answered"),
    "gapflag_收回多于发出": ("收回多于发出（计票无效）", "more ballots returned than issued (count void)"),
    # division pools (归口): a department's hidden figure is shown as part of its division's
    "pool_kind": ("“{pool}”归口合并·{kind}", "division {pool} pooled · {kind}"),
    "pool_note": (("本部门{kinds}结果不单独公布（保护匿名），图表和表中标注“归口合并”的是所属归口“{pool}”的合并结果"
                   "（含{members}）。"),
                  ("This department's {kinds} figures are not published on their own (anonymity); the chart and the "
                   "rows marked \"pooled\" show its division {pool} as a whole ({members}).")),
    "outside_view": ("{rater} 对本部门的评价", "view from {rater}"),
    # English renderings of the scorer's notes and details
    "en_rule_red_line": ("", "Red-line item: {value} of ratings \"fairly\" or \"very serious\" (threshold {threshold})"),
    "en_rule_problem_rate": ("", "Problem rate {value} (threshold {threshold})"),
    "en_rule_below_organisation": ("", "Index {value}: its 95% interval lies wholly below the organisation's"),
    "en_flag_straight_lined": ("", "Every answered item (at least half) given the same answer"),
    "en_flag_too_fast": ("", "Imported answer time too short"),
    "en_flag_uniform_department": ("", "Answers in this group are suspiciously alike"),
    "en_flag_jump": ("", "Overall index changed by {change} points since the previous round (threshold {threshold})"),
    "en_flag_jump_sat": ("", "Satisfaction changed by {change} since the previous round (threshold {threshold})"),
    # English renderings of the scorer's notes of hidden figures (zuofeng.score.suppress)
    "en_hidden": ("", ("suppressed: to protect anonymity, no figure resting on fewer than {k} {what} is published, nor "
                       "any figure from which one could be recovered")),
    "en_pooled": ("", ("suppressed: to protect anonymity, this department's {kind} figures are not published on their "
                       "own but counted in its division {pool} ({members})")),
    "en_resting": ("", "suppressed: a figure it rests on is not published (anonymity): {what}"),
    "en_unreliable": ("", "suppressed: fewer than {k} complete answer sheets, so no reliability is computed"),
    # inspection report (纪检监察组)
    "internal": ("内部", "INTERNAL"),
    "insp_title": ("{title} · 红线问题与问题线索（纪检监察组，内部）", "{title} · red-line matters and clues (discipline inspection, internal)"),
    "insp_lead": (("本报告只送纪检监察组，不在报告目录中列出。与其他报告一样，答卷少于 k={k} 份的组不公布任何数字，"
                  "意见建议只来自答卷不少于 {kc} 份的组；答卷不记录任何人的身份。"),
                  ("For the discipline-inspection team only; it is not listed in the report index. As in every report, "
                   "groups with fewer than k={k} answer sheets show no figure, and suggestions come only from groups "
                   "with at least {kc} sheets; no answer sheet records who gave it.")),
    "insp_redline": ("一、红线问题预警（按部门和评价视角）", "1. Red-line alerts by department and view"),
    "insp_matters": ("共 {n} 项（部门 × 红线条目）；下表列出每项在各评价视角中的证据。",
                     "{n} matters (department × red-line item); the table gives the evidence of every view."),
    "insp_rule": (("预警规则：某部门某红线条目在一个评价视角中，评为{values}的占比的单侧95%精确下限高于 {share}"
                   "（单侧精确二项检验 p < 0.05），且至少 {count} 份，才发出预警；只看占比本身（例如8份中2份）不发预警。"
                   "误报率：若某部门各红线条目的真实严重占比为 {true}（低于阈值），该部门至少一项预警的概率"
                   "（{tests}个条目×视角，二项分布精确计算，任意相关下的上限）为：{rates}。"),
                  ("Alert rule: a red-line item of a department fires in one view only when the one-sided 95% exact "
                   "lower bound of the share of {values} ratings lies above {share} (one-sided exact binomial test, "
                   "p < 0.05) and at least {count} ratings are serious; a share alone (say 2 of 8) does not fire. "
                   "False alerts: if the true serious share of every red-line item of a department is {true} (below "
                   "the threshold), the chance that the department gets at least one alert ({tests} item × view "
                   "cells, exact binomial, an upper bound for any correlation) is: {rates}.")),
    "insp_rate": ("每组{n}份回答时至多{rate}（至少{x}份严重评分才预警）", "at most {rate} with {n} answers per group (an alert needs {x} serious ratings)"),
    "insp_clues": ("二、含线索词的意见建议", "2. Suggestions containing clue words"),
    "insp_words": ("线索词：{words}", "Clue words: {words}"),
    "insp_no_clues": ("没有可公布的意见建议含线索词。", "No published suggestion contains a clue word."),
    "insp_footer": ("线索只是评价者的原话，须核实后方可作为问题线索处置。",
                    "Clues are raters' own words and must be verified before they are handled as leads."),
    "comment": ("意见建议", "Suggestion"),
    "clue_note": ("含问题线索词（如举报、受贿、利益输送）的意见建议只送纪检监察组，不在部门报告中显示。",
                  ("Suggestions containing clue words (such as reports of bribery or improper benefits) go to the "
                   "discipline-inspection team only and are not shown in department reports.")),
    "clue_words": ("线索词", "Clue words"),
    "n_answers": ("有效回答", "Answers"),
    # public summary (宣传)
    "pub_title": ("{title} · 结果公示", "{title} · results"),
    "pub_lead": ("本页只公布全单位的总体结果，不涉及任何部门。", "This page shows organisation-wide results only; no department is named."),
    "pub_participation": ("参与情况", "Participation"),
    "pub_index": ("作风指数", "Work-style index"),
    "pub_dims": ("五个方面", "The five dimensions"),
    "pub_respondents": ("收回答卷", "Answer sheets"),
    "pub_coverage_self": ("自评覆盖率", "Self-rating coverage"),
    "pub_coverage_peer": ("互评覆盖率", "Peer-rating coverage"),
    "pub_departments": ("参评部门", "Departments taking part"),
    "pub_change": ("比上一轮", "Change since the previous round"),
    "pub_ledger": ("整改措施已完成", "Rectification measures completed"),
    "pub_satisfaction": ("民主测评满意率", "Satisfaction"),
    "pub_footer": ("作风指数 0–100，越高越好；方括号内为95%区间。测评匿名进行。",
                   "Work-style index from 0 to 100, higher is better; brackets: 95% interval. The survey is anonymous."),
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
    **{f"kind_{k}": (kind_label(k), kind_label(k, "en")) for k in KINDS},  # the rating axes' labels
    "kind_peer": ("互评", "Peer"),
    "dimension": ("方面", "Dimension"),
    "item": ("问题", "Problem"),
    "overall": ("总体", "Overall"),
    "respondents": ("答卷数", "Respondents"),
    "headcount": ("在册人数", "Staff on roster"),
    "coverage": ("覆盖率", "Coverage"),
    "mean": ("均值", "Mean"),
    "sd": ("标准差", "SD"),
    "index": ("作风指数", "Work-style index"),
    "ci": ("95%区间", "95% interval"),
    "problem_rate": ("问题率", "Problem rate"),
    "red_line_alert": ("红线预警", "Red-line alert"),
    "gap": ("自评−互评", "Self − peer"),
    "gap_flag": ("差距明显", "Clear gap"),
    "satisfaction": ("满意率", "Satisfaction"),
    "eval_score": ("测评得分", "Evaluation score"),
    "composite": ("综合得分", "Weighted composite"),
    "alpha": ("α系数", "Cronbach's α"),
    "icc1": ("ICC(1)", "ICC(1)"),
    "icc2": ("ICC(2)", "ICC(2)"),
    "rwg_j": ("rwg(j)", "rwg(j)"),
    "change": ("变化", "Change"),
    "change_p": ("p值", "p (chance)"),
    "icc_le_zero": ("≤ 0（部门之间无差异）", "≤ 0 (no difference between departments)"),
    "change_q": ("q值（BH）", "q (BH: share of false findings)"),
    "rank": ("名次", "Rank"),
    "rank_range": ("名次区间", "Rank range"),
    "bottom": ("确属末位", "Clearly last"),
    "n": ("人数", "n"),
    "rule": ("规则", "Rule"),
    "value": ("数值", "Value"),
    "note": ("说明", "Note"),
    "flag": ("提示", "Flag"),
    "gaps": ("覆盖缺口", "Coverage gaps"),
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
    "blind_spot": ("盲区", "no answers"),
    "none": ("无", "none"),
    "suppressed": ("已抑制", "suppressed"),
    "rater_group": ("测评人员类别", "Rater group"),
    "group_weight": ("权重", "Weight"),
    "group_composite": ("加权综合", "Weighted composite"),
    "sec_groups": ("按测评人员类别", "By rater group"),
    "groups_note": (("各类别的作风指数（答卷不足 k={k} 份的类别不单独列出）；加权综合只用达到 k 份的类别，"
                    "其权重重新归一，所用类别见说明。"),
                    ("The index of each rater group (a group with fewer than k={k} answer sheets is not shown on "
                    "its own); the weighted composite uses only the groups that reach k, their weights "
                    "renormalised; the note names the groups used.")),
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
    "legend_suppressed": (("“已抑制”：为保护匿名，该组答卷或该数值所依据的回答少于 k={k} 份，或可据以推算出这类数值，"
                           "不公布数值；答卷数、编制人数和覆盖率照常公布。"),
                          ("\"suppressed\": to protect anonymity, fewer than k={k} answer sheets in this group or fewer "
                           "than k answers behind this figure, or a figure from which such a one could be recovered by "
                           "subtraction; no value is published. Sheet counts, headcount and coverage are always shown.")),
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
    "gap_note": (("差距 = 自评指数 − 互评指数；差距明显为正说明自我评价偏高。“差距明显”为“是”须同时满足：q < 0.05（本表各方面一起按"
                  " Benjamini–Hochberg 校正，此时95%区间也不含 0），且自评和该互评视角各至少有 {n} 个回答。"),
                 ("Gap = self index − peer index; a clearly positive gap means the self-assessment is rosier than peers'. "
                  "A gap is marked clear only when its q < 0.05 (Benjamini–Hochberg over the dimensions of the table; "
                  "its 95% interval then excludes 0 too) and both the self and that peer view have at least {n} "
                  "answers.")),
    "mdc": (("本部门样本量下，可检出的最小变化约为：{views}（总体作风指数，{power}把握、双侧5%检验）；"
             "小于这一幅度的变化即使真实存在，也多半显示为“没有明确变化”。"),
            ("With this department's numbers of answers, the smallest change that could be detected is about: "
             "{views} (overall index, {power} power, two-sided 5% test); a real change smaller than that will "
             "mostly show as no clear change.")),
    "org_figures": ("全组织数值", "Organisation figures"),
    "mdc_view": ("{kind} {mdc}分", "{kind} {mdc} points"),
    "gap_q_high": ("否（区间不含0，但q≥0.05）", "no (interval excludes 0, but q ≥ 0.05)"),
    "gap_few": ("否（区间不含0，但回答少于{n}个）", "no (interval excludes 0, but fewer than {n} answers)"),
    "change_note": (("变化 = 本轮指数 − 上一轮指数；区间与 p 值均来自 Welch t 检验（p < 0.05 当且仅当区间不含 0）；"
                     "q 值为 Benjamini–Hochberg 校正（同一张表的多重比较），q < 0.05 的发现中误报的期望比例不超过 5%；"
                     "“明显改善/明显变差”即按 q < 0.05 判断。"),
                    ("Change = index this round − previous round; interval and p both from Welch's t test (p < 0.05 "
                     "exactly when the interval excludes 0); q is the Benjamini–Hochberg adjustment for the many "
                     "comparisons of one table: among findings with q < 0.05, at most 5% are expected to be false; "
                     "clearly improved / clearly worse means q < 0.05.")),
    "m_instrument": ("问卷：{title}（{id} 第{version}版）。", "Instrument: {title} ({id} version {version})."),
    "m_scale": ("题目量表：{scale}；“{missing}”不计入。问题率 = 选择 {problem} 的比例。",
                "Item scale: {scale}; \"{missing}\" is not counted. Problem rate = share answering {problem}."),
    "m_overall": ("民主测评：{options}；满意率 = {satisfied} 占有效票的比例，测评得分按 {scores} 加权。",
                  ("Democratic evaluation: {options}; satisfaction = share of {satisfied} among valid votes; the score "
                   "weights {scores}.")),
    "m_weights": ("综合得分的评价主体权重：{weights}。", "Weights of the rater groups in the composite: {weights}."),
    "m_outside": (("互评（外部门）：本轮为“{mode}”。参加互评的每个人在民主测评表上评价{whom}（总体评价，以及五个方面各按"
                   "1–5 评分，可选“不了解”）；名册 peer_targets 所列部门仍按22项问卷评价，不再列入测评表。某一方面的外部门得分："
                   "每位评价者一个分数（测评表上该方面的评分，或22项问卷中该方面所答各题的平均分），再求平均；总体得分同样，"
                   "测评表取所评方面（至少3个）的平均。各题的得分、问题率和信度只来自22项问卷。外部门的 n 是评价该部门的其他部门人员数。"),
                  ("Other departments' view: this round is \"{mode}\". Everyone in the peer survey rates {whom} on the "
                   "evaluation table (the overall rating, and each of the five areas from 1 to 5, or don't know); the "
                   "departments in the roster's peer_targets are still rated on the 22 items and are not on the table. An "
                   "area's outside figure takes one score per rater (the table's rating of that area, or the mean of the "
                   "area's answered items on a 22-item sheet) and averages them; the overall figure likewise, a table row "
                   "giving the mean of the areas it rated (at least 3). Item figures, problem rates and reliability come "
                   "from the 22-item sheets only. The outside n is the number of raters from other departments.")),
    "m_outside_all": ("本单位其他所有部门", "every other department of the organisation"),
    "m_outside_division": ("本归口的其他部门", "the other departments of their division"),
    "outside_sources": (("互评（外部门）的 {n} 份评价中，民主测评表 {table} 份（总体评价和五个方面），22项问卷 {items} 份；"
                         "各题的得分只来自22项问卷。"),
                        ("Of the {n} ratings from other departments, {table} come from the evaluation table (overall "
                         "rating and the five areas) and {items} from 22-item sheets; item figures rest on the 22-item "
                         "sheets only.")),
    "respondents_table": ("其中民主测评表", "of which evaluation table"),
    "m_k": (("公布门槛：每组至少 {k} 份答卷，每个数值所依据的回答（不含“不了解”）至少 {k} 份，意见建议至少 {kc} 份；"
             "少于门槛的组和数值，以及为防推算而一并隐藏的，均显示为“已抑制”。"),
            ("Publication thresholds: at least {k} answer sheets per group and {k} answers (\"don't know\" not counted) "
             "behind every figure, {kc} sheets for suggestions; groups and figures under the threshold, and those "
             "hidden so they cannot be recovered by subtraction, are shown as suppressed.")),
    "m_redline": (("红线问题：{items}；某部门某红线条目在一个评价视角中评为 {values} 的占比的单侧95%精确下限高于 {share}、"
                   "且至少 {count} 份，即为一项红线问题预警，只报送纪检监察组，总体报告只报数量。"),
                  ("Red-line problems: {items}; when the one-sided 95% exact lower bound of the share of one view's "
                   "ratings of one of them for a department that are {values} lies above {share}, with at least "
                   "{count} such ratings, that is a red-line matter: it goes to the discipline-inspection team alone, "
                   "and the overview gives only their number.")),
    "m_redline_dept": ("标注“红线条目”的问题（廉洁与纪律）：{items}；在本报告中与其他问题一样计分，按同样的规则列入问题清单。",
                       ("Problems marked red-line item (integrity and discipline): {items}; this report scores them "
                        "and puts them on the problem list by the same rules as any other.")),
    "m_intervals": ("区间与检验（本轮计分实际所用）：{methods}。", "Intervals and tests (as this round was scored): {methods}."),
    "m_problem_rules": (("问题清单的规则：问题率的95% Wilson 区间下限至少 {rate}（问题率规则）；或该问题指数的区间整体低于全组织，"
                         "且至少有 {n} 个回答（低于全组织规则）。"),
                        ("Problem-list rules: the lower 95% Wilson limit of the problem rate is at least {rate} (problem "
                         "rate); or the item's index interval lies wholly below the organisation's, with at least {n} "
                         "answers (below the organisation).")),
    "m_reliability": ("信度：各方面 Cronbach α（全部答卷）：{alphas}。", "Reliability: Cronbach's α per dimension (all sheets): {alphas}."),
    "m_seed": ("名次区间共模拟 {n_boot} 张排名表，种子 {seed}；2.5%/97.5% 分位处的蒙特卡罗标准误为 {mc}。",
               ("Rank ranges: {n_boot} simulated league tables, seed {seed}; Monte Carlo standard error of the "
                "2.5%/97.5% tail share: {mc}.")),
    "m_suppressed_groups": ("本部门被抑制的组：{groups}。", "Suppressed groups of this department: {groups}."),
    "alt_dimensions": ("条形图：{name} 五个方面的作风指数及95%区间（{kinds}）。",
                       "Bar chart: work-style index of {name} for the five dimensions with 95% intervals ({kinds})."),
    "alt_items": ("点图：{name} 22个问题的作风指数，由差到好排列。", "Dot plot: {name}'s index for the 22 problems, worst first."),
    "alt_self_peer": ("分组条形图：{name} 各方面自评与互评指数对比。", "Grouped bars: self versus peer index per dimension for {name}."),
    # the overview's heat map of all raters: a department whose combined index is hidden shows its outside one
    "outside_mark": ("（民主测评）", " (democratic evaluation)"),
    "outside_legend": (("标注“（民主测评）”（图中标 *）的数值：该部门的综合指数为保护匿名不单独公布，"
                        "所示为它的“{kind}”指数，即其他部门在民主测评中对它的评价。"),
                       ("Figures marked \"(democratic evaluation)\" (* in the chart): the department's combined index "
                        "is not published on its own, to protect anonymity; shown is its \"{kind}\" index, how other "
                        "departments rated it in the democratic evaluation.")),
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
    "reason_protected": ("保护匿名", "protected"),
    "reason_n<k": ("保护匿名", "protected"),            # snapshots scored before the reasons were one
    "reason_complementary": ("保护匿名", "protected"),
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
    from ..score.core import PRELIMINARY
    from ..score.intervals import METHODS

    meta = scores.meta
    parts = [z for z, _ in STRINGS.values()] + [str(meta.get("title", ""))]
    parts += [z for z, _ in METHODS.values()] + [PRELIMINARY[0]]
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
                        (scores.table, ("note",)), (getattr(scores, "groups", scores.table), ("group", "note"))):
        for c in cols:
            if c in frame.columns:
                parts += [str(v) for v in frame[c].dropna().unique()]
    return "".join(parts)
