"""Coverage and error rates of the published figures, re-measured with a generator of the study's own.

The generator is independent of ``zuofeng.simulate`` and of the scorer: a latent normal model. For item j
of a sheet in department d and view v, ``y = μ_d + β_v + s_j + u_p + e``, with u_p ~ N(0, σ_u²) the
person's effect — the same person for their self sheet and their inside-peer sheet, other people for the
outside view — and e ~ N(0, σ_e²) per answer; the rating is y cut at 1.5, 2.5, 3.5, 4.5 (1–5), and each
answer is 不了解 at random with probability ``P_MISSING``. The red-line items (10–12) sit where
P(rating ≥ 4) is exactly ``SHARE`` (2%) in every department and view. True values follow from the normal
distribution function: an item's mean is Σ k P(cut_{k−1} < y ≤ cut_k), the overall mean the mean of the
item means (answers missing at random do not move it).

It prints, per n (answers per view and department):

- the red-line false-alert rate: departments with at least one alert (any red-line item, any view) at a
  true serious share of 2%, beside the bound the inspection report states;
- null-round label rates per kind: two rounds from the same model, the share of departments labelled
  改善/变差 on the overall index (change q < 0.05), on any dimension, and 差距明显 (gap_flag) with no
  true gap;
- power of a half-SD improvement: the share of departments whose overall index is labelled improved when
  every department improved by half the SD of respondent scores;
- index coverage: how often the 95% interval of the overall index holds the true value, departments and
  organisation;
- the organisation's interval (``ALL``, per view): coverage of the published interval for the overall
  index and for the 22 item indices, of the true value of these departments (the mean of their true
  means: what the organisation's figure describes); beside it two intervals the study computes itself
  from the sheets — the pooled-sheets t interval (the scorer's former method) and the with-replacement
  cluster interval (departments as primary units drawn from an infinite population of departments,
  ratio-estimator linearisation, t on J − 1 df, Lohr 2010 §5.2–5.3) — of the same truth, and the
  cluster interval's coverage of the super-population mean (the mean over the distribution departments
  are drawn from, which the cluster interval estimates), with the median widths.

``python bench/bench_study.py`` runs the full study (100 departments × 10 organisations per n, 2–7
minutes); ``--fast`` the small version that ``tests/test_bench_study.py`` runs and checks.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats as sps

from zuofeng.instrument import load_instrument
from zuofeng.score import score_frames
from zuofeng.score.alerts import false_alert_rates

INST = load_instrument()
KEYS = list(INST.item_keys)
RED = [j for j, it in enumerate(INST.items) if it.red_line]
DIMS = [d.id for d in INST.dimensions]
VIEWS = ("self", "peer_inside", "peer_outside")
BIAS = {"self": 0.0, "peer_inside": 0.0, "peer_outside": 0.0}   # no true gap: gap flags are false findings
SIGMA_U, SIGMA_E = 0.4, 0.55
SIGMA = float(np.hypot(SIGMA_U, SIGMA_E))
CUTS = np.array([1.5, 2.5, 3.5, 4.5])
SHARE = 0.02
P_MISSING = 0.08
VOTES = ("好", "较好", "一般", "差")
INFO = {"title": "study", "k_min": 5, "k_comment": 10, "eval_scores": dict(zip(VOTES, (100.0, 80.0, 60.0, 40.0)))}
SIZES = (8, 12, 20, 50)
LEVEL_MEAN, LEVEL_SD = 2.2, 0.35   # departments' latent levels ~ N(LEVEL_MEAN, LEVEL_SD²)


def item_shift(rng) -> np.ndarray:
    """Item shifts s_j; red-line items get none (their level is set per department, see ``red_level``)."""
    s = rng.normal(0.0, 0.3, len(KEYS))
    s[RED] = 0.0
    return s


def red_level() -> float:
    """The latent mean at which P(y > 3.5) = SHARE: 3.5 − σ z_{1−SHARE}."""
    return float(CUTS[2] - SIGMA * sps.norm.ppf(1 - SHARE))


def category_mean(mu: np.ndarray, sigma: float = SIGMA) -> np.ndarray:
    """E[rating] for latent means ``mu`` (y ~ N(mu, sigma²) cut at CUTS)."""
    mu = np.asarray(mu, dtype="float64")
    cdf = sps.norm.cdf((CUTS - mu[..., None]) / sigma)
    p = np.diff(np.concatenate([np.zeros(mu.shape + (1,)), cdf, np.ones(mu.shape + (1,))], axis=-1), axis=-1)
    return p @ np.arange(1, 6)


def superpopulation_items(shift: np.ndarray, view: str) -> np.ndarray:
    """The true item means over the distribution of departments (level ~ N(LEVEL_MEAN, LEVEL_SD²)): the
    latent answer is then N(LEVEL_MEAN + β_v + s_j, LEVEL_SD² + SIGMA²); red-line items sit at their
    fixed level in every department."""
    out = category_mean(LEVEL_MEAN + BIAS[view] + shift, float(np.hypot(LEVEL_SD, SIGMA)))
    out[RED] = category_mean(np.array([red_level()]))[0]
    return out


def organisation(n_depts: int, n: int, rng, level: np.ndarray, shift: np.ndarray, gain: float = 0.0):
    """One round's frames and the true overall mean per (view, department); ``truth[(view, "items")]``
    holds the true item means (departments × items). ``gain`` lowers every department's latent level (an
    improvement)."""
    dept = np.repeat(np.arange(n_depts), n)
    codes = np.array([f"D{i:03d}" for i in range(n_depts)], dtype=object)
    person = rng.normal(0.0, SIGMA_U, len(dept))
    frames, truth = [], {}
    for view in VIEWS:
        u = person if view != "peer_outside" else rng.normal(0.0, SIGMA_U, len(dept))
        mu = level[:, None] - gain + BIAS[view] + shift[None, :]
        mu[:, RED] = red_level()                       # red-line items: 2% serious everywhere
        y = mu[dept] + u[:, None] + rng.normal(0.0, SIGMA_E, (len(dept), len(KEYS)))
        vals = 1.0 + (y[..., None] > CUTS).sum(axis=-1)
        vals[rng.random(vals.shape) < P_MISSING] = np.nan
        df = pd.DataFrame(vals, columns=KEYS)
        df["department"], df["view"], df["category"], df["comment"], df["too_fast"] = codes[dept], view, None, None, None
        df["overall"] = None if view == "self" else rng.choice(np.array(VOTES, dtype=object), len(dept))
        frames.append(df)
        truth[(view, "items")] = category_mean(mu)
        truth[view] = truth[(view, "items")].mean(axis=1)
    depts = pd.DataFrame({"code": codes, "name": codes, "unit_type": "机关部室", "headcount": n})
    return pd.concat(frames, ignore_index=True), depts, truth


def respondent_overall(frame: pd.DataFrame) -> pd.Series:
    """Each sheet's overall score as the scorer defines it, written here again: the mean of the items it
    answered, when it answered at least half of them."""
    vals = frame[KEYS].to_numpy(float)
    answered = (~np.isnan(vals)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        score = np.nanmean(np.where(answered[:, None] > 0, vals, 0.0), axis=1)
    return pd.Series(np.where(answered * 2 >= len(KEYS), score, np.nan), index=frame.index)


def own_intervals(frame: pd.DataFrame, view: str) -> dict[str, tuple[float, float]]:
    """The organisation's overall index of ``view`` with two intervals computed here from the sheets:
    ``pooled`` (one random sample of sheets, Student's t) and ``cluster`` (the with-replacement
    linearisation variance of the ratio estimator over departments, t on J − 1 df: Lohr 2010 eq. 5.x,
    v = J/(J−1) Σ (y_d − r m_d)² / M², y_d the department's sum of scores, m_d its number of scores)."""
    sub = frame[frame["view"] == view]
    score = respondent_overall(sub).dropna()
    dept = sub.loc[score.index, "department"]
    n = len(score)
    m = score.mean()
    half = sps.t.ppf(0.975, n - 1) * score.std(ddof=1) / np.sqrt(n)
    y = score.groupby(dept).sum()
    k = score.groupby(dept).count()
    j = len(y)
    v = j / (j - 1) * ((y - m * k) ** 2).sum() / k.sum() ** 2
    half_c = sps.t.ppf(0.975, j - 1) * np.sqrt(v)
    return {"pooled": (25 * (5 - m - half), 25 * (5 - m + half)), "cluster": (25 * (5 - m - half_c), 25 * (5 - m + half_c))}


def _rows(s, statistic, level="overall", key="overall"):
    t = s.table
    t = t[(t["statistic"] == statistic) & (t["level"] == level) & (t["key"] == key) & ~t["suppressed"].astype(bool)]
    return t


def one_study(n: int, n_depts: int, reps: int, seed: int) -> dict:
    """Every rate of the study at ``n`` answers per view, over ``reps`` organisations of ``n_depts``."""
    rng = np.random.default_rng(seed)
    alerts = dept_total = 0
    labels = {v: [0, 0, 0] for v in (*VIEWS, "all")}      # overall label, any dimension, gap flag
    counted = {v: 0 for v in (*VIEWS, "all")}
    power_hits = {v: 0 for v in VIEWS}
    cover = {"department": [0, 0], "organisation": [0, 0]}
    org = {k: [0, 0] for k in ("published", "items", "pooled", "cluster", "cluster_super")}
    width = {k: [] for k in ("published", "pooled", "cluster")}
    for r in range(reps):
        level = rng.normal(LEVEL_MEAN, LEVEL_SD, n_depts)
        shift = item_shift(rng)
        r0, depts, _ = organisation(n_depts, n, rng, level, shift)
        r1, _, truth1 = organisation(n_depts, n, rng, level, shift)
        info0, info1 = {**INFO, "code": "S0"}, {**INFO, "code": "S1", "previous": "S0"}
        s = score_frames(r1, depts, info1, INST, previous=(r0, depts, info0), seed=1, n_boot=100)
        t = s.table
        # red-line false alerts: departments with any alert in any view
        a = t[(t["statistic"] == "red_line_alert") & t["kind"].isin(VIEWS) & (t["department"] != "ALL")]
        fired = a.groupby("department")["value"].max()
        alerts += int((fired == 1).sum())
        dept_total += n_depts
        # null-round labels
        for kind in (*VIEWS, "all"):
            q = _rows(s, "change_q")
            q = q[(q["kind"] == kind) & (q["department"] != "ALL")]
            counted[kind] += len(q)
            labels[kind][0] += int((q["value"] < 0.05).sum())
            dq = t[(t["statistic"] == "change_q") & (t["level"] == "dimension") & (t["kind"] == kind)
                   & (t["department"] != "ALL")]
            labels[kind][1] += int(dq.groupby("department")["value"].min().lt(0.05).sum())
            g = t[(t["statistic"] == "gap_flag") & (t["level"] == "overall") & (t["kind"] == kind)
                  & (t["department"] != "ALL")]
            labels[kind][2] += int((g["value"] == 1).sum())
        # coverage of the overall index
        for view in VIEWS:
            ix = _rows(s, "index")
            ix = ix[ix["kind"] == view]
            true = 25 * (5 - truth1[view])
            d = ix[ix["department"] != "ALL"]
            i = d["department"].str[1:].astype(int).to_numpy()
            ok = (d["ci_low"].to_numpy(float) <= true[i] + 1e-9) & (true[i] <= d["ci_high"].to_numpy(float) + 1e-9)
            cover["department"][0] += int(ok.sum())
            cover["department"][1] += len(d)
            o = ix[ix["department"] == "ALL"]
            if len(o):
                org_true = 25 * (5 - truth1[view].mean())
                hit = int(o["ci_low"].iloc[0] <= org_true <= o["ci_high"].iloc[0])
                cover["organisation"][0] += hit
                cover["organisation"][1] += 1
                org["published"][0] += hit
                org["published"][1] += 1
                width["published"].append(float(o["ci_high"].iloc[0] - o["ci_low"].iloc[0]))
                own = own_intervals(r1, view)
                super_true = 25 * (5 - superpopulation_items(shift, view).mean())
                for name, target in (("pooled", org_true), ("cluster", org_true), ("cluster_super", super_true)):
                    lo, hi = own[name.split("_")[0]]
                    org[name][0] += int(lo <= target <= hi)
                    org[name][1] += 1
                for name in ("pooled", "cluster"):
                    width[name].append(own[name][1] - own[name][0])
            it = t[(t["statistic"] == "index") & (t["level"] == "item") & (t["kind"] == view)
                   & (t["department"] == "ALL") & ~t["suppressed"].astype(bool)]
            true_items = dict(zip(KEYS, 25 * (5 - truth1[(view, "items")].mean(axis=0))))
            for key, lo, hi in zip(it["key"].astype(str), it["ci_low"].to_numpy(float), it["ci_high"].to_numpy(float)):
                org["items"][0] += int(lo <= true_items[key] + 1e-9 and true_items[key] <= hi + 1e-9)
                org["items"][1] += 1
        # power of a half-SD improvement of every department
        sd = _rows(s, "sd")
        sd = float(sd[(sd["department"] == "ALL") & (sd["kind"] == "peer_inside")]["value"].iloc[0])
        r2, _, _ = organisation(n_depts, n, rng, level, shift, gain=0.5 * sd)
        s2 = score_frames(r2, depts, {**INFO, "code": "S2", "previous": "S1"}, INST, previous=(r1, depts, info1),
                          seed=1, n_boot=100)
        for view in VIEWS:
            ch = _rows(s2, "change")
            q = _rows(s2, "change_q")
            ch = ch[(ch["kind"] == view) & (ch["department"] != "ALL")].set_index("department")["value"]
            q = q[(q["kind"] == view) & (q["department"] != "ALL")].set_index("department")["value"]
            power_hits[view] += int(((q < 0.05) & (ch.reindex(q.index) > 0)).sum())
    per = max(1, reps * n_depts)
    return {
        "n": n, "departments": dept_total,
        "false_alert": alerts / max(1, dept_total),
        "labels": {k: tuple(x / max(1, counted[k]) for x in v) for k, v in labels.items()},
        "power": {v: power_hits[v] / per for v in VIEWS},
        "coverage": {k: c / max(1, m) for k, (c, m) in cover.items()},
        "coverage_n": {k: m for k, (_, m) in cover.items()},
        "organisation": {k: c / max(1, m) for k, (c, m) in org.items()},
        "organisation_n": {k: m for k, (_, m) in org.items()},
        "organisation_width": {k: float(np.median(v)) if v else float("nan") for k, v in width.items()},
    }


def study(sizes=SIZES, n_depts: int = 60, reps: int = 5, seed: int = 26) -> list[dict]:
    return [one_study(n, n_depts, reps, seed + n) for n in sizes]


def report(results: list[dict]) -> str:
    stated = {r["n"]: r["per_department"] for r in false_alert_rates([x["n"] for x in results])}
    lines = ["red-line false alerts at a true serious share of 2% (departments with ≥ 1 alert)",
             f"{'n':>4} {'departments':>12} {'measured':>9} {'stated bound':>13}"]
    for r in results:
        lines.append(f"{r['n']:>4} {r['departments']:>12} {r['false_alert']:>9.2%} {stated[r['n']]:>13.2%}")
    lines += ["", "null-round labels per kind (overall change q<0.05 | any dimension | gap flag)"]
    for r in results:
        lines.append(f"{r['n']:>4} " + "  ".join(f"{k}: {a:.1%} | {b:.1%} | {c:.1%}" for k, (a, b, c) in r["labels"].items()))
    lines += ["", "power of a half-SD improvement (overall index labelled improved, q<0.05)"]
    for r in results:
        lines.append(f"{r['n']:>4} " + "  ".join(f"{k}: {v:.1%}" for k, v in r["power"].items()))
    lines += ["", "coverage of the 95% interval of the overall index"]
    for r in results:
        lines.append(f"{r['n']:>4} departments {r['coverage']['department']:.1%} of {r['coverage_n']['department']}"
                     f"  organisation {r['coverage']['organisation']:.1%} of {r['coverage_n']['organisation']}")
    lines += ["", ("the organisation's interval (ALL, per view): coverage of the truth of these departments "
                   "[median width, index points]; the cluster interval also of the super-population mean"),
              f"{'n':>4} {'published':>18} {'items':>7} {'pooled sheets':>19} {'cluster':>18} {'cluster (super)':>16}"]
    for r in results:
        o, w = r["organisation"], r["organisation_width"]
        lines.append(f"{r['n']:>4} {o['published']:>8.1%} [{w['published']:5.2f}] {o['items']:>7.1%} "
                     f"{o['pooled']:>9.1%} [{w['pooled']:5.2f}] {o['cluster']:>8.1%} [{w['cluster']:5.2f}] "
                     f"{o['cluster_super']:>16.1%}   ({r['organisation_n']['published']} intervals, "
                     f"{r['organisation_n']['items']} item intervals)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="small replicate counts (what the test runs)")
    ap.add_argument("--departments", type=int, default=None)
    ap.add_argument("--reps", type=int, default=None)
    a = ap.parse_args(argv)
    n_depts = a.departments or (40 if a.fast else 100)
    reps = a.reps or (2 if a.fast else 10)
    t0 = time.perf_counter()
    print(report(study(n_depts=n_depts, reps=reps)))
    print(f"\n{n_depts} departments × {reps} organisations per n, {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
