"""The statistic names the report pages read from ``Scores.table``, in one place.

The scoring engine owns these names (README, "Scoring"); when one is renamed there, it is renamed here
and every page follows. Nothing else in ``zuofeng.report`` should spell a statistic that may change.
"""

from __future__ import annotations

RESPONDENTS = "respondents"
HEADCOUNT = "headcount"
COVERAGE = "coverage"
INDEX = "index"
PROBLEM_RATE = "problem_rate"
RED_LINE_SHARE = "red_line_share"
RED_LINE_ALERT = "red_line_alert"
SATISFACTION = "satisfaction"
EVAL_SCORE = "eval_score"
COMPOSITE = "composite"
ALPHA = "alpha"
ICC1 = "icc1"
ICC2 = "icc2"
RWG = "rwg_j"
GAP = "gap"
GAP_FLAG = "gap_flag"
CHANGE = "change"
CHANGE_P = "change_p"
"""Welch p-value of the change since the previous round (the same t as its interval)."""
CHANGE_Q = "change_q"
"""Benjamini–Hochberg q-value of that change within its family."""
GAP_P, GAP_Q = "gap_p", "gap_q"
ICC_P = "icc_p"
SATISFACTION_CHANGE = "satisfaction_change"
RANK, RANK_LOW, RANK_HIGH, BOTTOM = "rank", "rank_low", "rank_high", "bottom"

# levels and keys of the long table
LEVEL_OVERALL, LEVEL_DIMENSION, LEVEL_ITEM, LEVEL_EVALUATION = "overall", "dimension", "item", "evaluation"
