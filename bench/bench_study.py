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
  organisation.

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


def item_shift(rng) -> np.ndarray:
    """Item shifts s_j; red-line items get none (their level is set per department, see ``red_level``)."""
    s = rng.normal(0.0, 0.3, len(KEYS))
    s[RED] = 0.0
    return s


def red_level() -> float:
    """The latent mean at which P(y > 3.5) = SHARE: 3.5 − σ z_{1−SHARE}."""
    return float(CUTS[2] - SIGMA * sps.norm.ppf(1 - SHARE))


def category_mean(mu: np.ndarray) -> np.ndarray:
    """E[rating] for latent means ``mu`` (y ~ N(mu, SIGMA²) cut at CUTS)."""
    cdf = sps.norm.cdf((CUTS - mu[..., None]) / SIGMA)
    p = np.diff(np.concatenate([np.zeros(mu.shape + (1,)), cdf, np.ones(mu.shape + (1,))], axis=-1), axis=-1)
    return p @ np.arange(1, 6)


def organisation(n_depts: int, n: int, rng, level: np.ndarray, shift: np.ndarray, gain: float = 0.0):
    """One round's frames and the true overall mean per (view, department). ``gain`` lowers every
    department's latent level (an improvement)."""
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
        truth[view] = category_mean(mu).mean(axis=1)
    depts = pd.DataFrame({"code": codes, "name": codes, "unit_type": "机关部室", "headcount": n})
    return pd.concat(frames, ignore_index=True), depts, truth


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
    for r in range(reps):
        level = rng.normal(2.2, 0.35, n_depts)
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
                cover["organisation"][0] += int(o["ci_low"].iloc[0] <= org_true <= o["ci_high"].iloc[0])
                cover["organisation"][1] += 1
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
