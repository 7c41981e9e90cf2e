"""The interval (and test) behind every kind of figure the scorer publishes, declared once.

The scorer records, for each statistic, the id of the method it used (``Scores.meta["intervals"]``:
statistic → method id, :data:`INTERVALS`); every report's methods note writes those methods in words
from :data:`METHODS`, so a note cannot claim a method the engine did not use; the documentation's
statistics page is generated from the same registry (``docs/hooks.py``).
"""

from __future__ import annotations

#: method id → (Chinese, English) description
METHODS: dict[str, tuple[str, str]] = {
    "wilson_effective_n": (
        "均值换算到 0–1 后的 95% Wilson 区间，样本量取有效样本量 n/c（c 为方差与其上限之比，向全轮同类数值的合并比值调和，8 个自由度）",
        ("95% Wilson interval of the mean rescaled to 0–1, with the effective sample size n/c (c, the variance "
         "over its maximum, moderated towards the round's pooled ratio with 8 df)")),
    "mean_mapped": ("均值的区间换算到 0–100", "the mean's interval mapped onto 0–100"),
    "wilson": ("95% Wilson 得分区间", "95% Wilson score interval"),
    "feldt": ("95% Feldt 区间（n 为答全该方面的答卷数）", "95% Feldt interval (n = complete answer sets)"),
    "gap_welch_or_bound": (
        "外部门视角：基于调和方差的 95% Welch 区间；本部门视角（同一批人）：以 se(自评) + se(互评) 为上界的区间；p 值与区间来自同一 t",
        ("outside view: 95% Welch interval on moderated variances; inside view (the same people): the bound "
         "se_self + se_peer; p from the same t")),
    "welch": ("基于调和方差的 95% Welch 区间，p 值来自同一 t（p < 0.05 当且仅当区间不含 0）",
              ("95% Welch interval on moderated variances; p from the same t (p < 0.05 exactly when the interval "
               "excludes 0)")),
    "same_people_bound": ("加权上界 Σ w·se（同一批人的各视角，任意相关下都成立），t 取最小自由度",
                          ("the bound Σ w·se (views of the same people, valid for any correlation), t with the "
                           "smallest df")),
    "views_bound": ("各视角加权：均值为 Σ w·x ± t·Σ w·se，比例为各视角 Wilson 上下限的加权和（任意相关下都成立）",
                    ("views combined: Σ w·x ± t·Σ w·se for means, the weighted Wilson limits for shares (valid for "
                     "any correlation)")),
    "exact_one_sided": (
        "严重评分占比的单侧95%精确（Clopper–Pearson）下限高于报告阈值，即单侧精确二项检验 p < 0.05，且严重评分不少于规则的最少份数；综合视角取各视角下限的加权和",
        ("the one-sided 95% exact (Clopper–Pearson) lower bound of the serious share lies above the reporting "
         "threshold, i.e. the one-sided exact binomial test has p < 0.05, with at least the rule's minimum of serious ratings; for all "
         "raters the weighted sum of the views' bounds")),
    "departments_as_clusters": (
        ("全组织的数值以部门为整群（初级抽样单位）计算区间：每个部门都参加了测评，第一阶段的有限总体校正为 0，"
         "方差只含各部门内部的抽样误差 Σ W²s²/n（W 为部门答卷占比；答卷不公布的部门合为一层），"
         "自由度按 Satterthwaite 计算，区间为按有效样本量计算的 Wilson 区间。部门之间的差异是本单位实际情况的一部分，"
         "不计入误差：结论针对本单位这些部门"),
        ("organisation figures treat departments as clusters (primary sampling units), every one of them surveyed: "
         "the first stage's finite-population correction is 0, so the variance is the within-department term "
         "Σ W²s²/n (W a department's share of the sheets; departments whose figure is hidden form one stratum), "
         "with Satterthwaite's df and a Wilson interval on the effective sample size. The differences between "
         "departments are part of what the figure describes, not error: the findings are about these departments")),
    # the former method, for the methods note of snapshots scored before the cluster interval
    "pooled_sheets": (
        "全组织的数值把各部门的答卷合为一个样本计算区间：部门间的差异也计入误差，因而区间偏宽（保守）",
        ("organisation figures take the departments' sheets as one sample: the differences between departments "
         "count as error too, so the interval is wide (conservative)")),
    "newcombe": ("95% Newcombe 混合得分区间（方法 10）", "95% Newcombe hybrid score interval (method 10)"),
    "rank_simulation": ("模拟排名表中名次的 2.5%–97.5% 分位（各部门指数按 指数 + 标准误 × t 独立重抽，不重抽答卷）",
                        ("2.5–97.5% range of ranks over simulated league tables (each index redrawn as index + se × t; "
                         "answer sheets are not resampled)")),
}

#: statistic → method id (recorded in ``Scores.meta["intervals"]``)
INTERVALS: dict[str, str] = {
    "mean": "wilson_effective_n",
    "index": "mean_mapped",
    "problem_rate": "wilson",
    "red_line_share": "wilson",
    "red_line_alert": "exact_one_sided",
    "satisfaction": "wilson",
    "eval_score": "wilson_effective_n",
    "alpha": "feldt",
    "gap": "gap_welch_or_bound",
    "change": "welch",
    "composite": "same_people_bound",
    "all": "views_bound",
    "satisfaction_change": "newcombe",
    "rank": "rank_simulation",
    "organisation": "departments_as_clusters",
}


def method_text(method: str, lang: str = "zh") -> str:
    """The words for a method id; a text that is not an id (an older snapshot's) is returned as it is."""
    zh, en = METHODS.get(method, (method, method))
    return en if lang == "en" else zh
