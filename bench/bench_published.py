"""Benchmark: how many departments of a small organisation get a figure they can trust.

For three rosters — the demo's twelve departments, a 市科协-like roster (办公室 8, 组织人事部 6, 科普部 10,
学会部 7, 调研宣传部 5, 机关党委 4 in the division 机关; 科技馆 25, 科普中心 12, 学会服务中心 9, 信息中心 6,
培训中心 5, 机关服务中心 18 in the division 直属单位) and a tiny one (five departments of 3–6 people in two
divisions) — at response rates 0.8, 0.9 and 1.0 and seeds 1–3, it runs what a new user runs: ``round
create``, ``simulate``, ``score``, and prints per roster and view (self, peer_inside, peer_outside,
all) the share of departments whose overall index is published, on its own or through its division's
pool (归口) — the latter among departments with sheets in that view — and the share of headcount
rows suppressed, which must be 0.

Goals (the small-organisation issue): own-or-pooled self ≥ 85% and peer_inside ≥ 79% on the demo,
100% on the 市科协-like roster; headcount never suppressed. The last lines say whether this run met them.

Run: ``.venv/bin/python bench/bench_published.py`` (``--seeds 1 --rates 0.9`` for a quick look).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from zuofeng.axes import KINDS
from zuofeng.rounds import create_round, set_status
from zuofeng.score import score_round
from zuofeng.score.suppress import division_pools
from zuofeng.simulate import simulate
from zuofeng.store import open_engine

DEMO = Path(__file__).resolve().parents[1] / "zuofeng" / "data" / "demo_roster.csv"
CAST = [("BGS", "办公室", 8, "机关"), ("ZZB", "组织人事部", 6, "机关"), ("KPB", "科普部", 10, "机关"),
        ("XHB", "学会部", 7, "机关"), ("DYB", "调研宣传部", 5, "机关"), ("JGDW", "机关党委", 4, "机关"),
        ("KJG", "科技馆", 25, "直属单位"), ("KPZX", "科普中心", 12, "直属单位"), ("XHFW", "学会服务中心", 9, "直属单位"),
        ("XXZX", "信息中心", 6, "直属单位"), ("PXZX", "培训中心", 5, "直属单位"), ("FWZX", "机关服务中心", 18, "直属单位")]
TINY = [("A", "综合组", 6, "一组"), ("B", "业务组", 4, "一组"), ("C", "后勤组", 3, "一组"), ("D", "宣传组", 5, "二组"),
        ("E", "财务组", 3, "二组")]


def roster_csv(rows, folder: Path, name: str) -> Path:
    path = folder / f"{name}.csv"
    lines = ["code,name,unit_type,headcount,party_members,division"]
    lines += [f"{c},{n},机关部室,{h},{max(1, h // 2)},{d}" for c, n, h, d in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def published_shares(scores) -> tuple[dict[str, float], dict[str, float], float]:
    """Per kind: the share of all departments whose overall index is published (a department nobody
    rated in a view has none), and among the departments with sheets in that view the share published
    on its own or through its division's pool (one without any is a blind spot, 盲区, with nothing to
    publish); and the share of headcount rows suppressed."""
    t = scores.table
    ov = t[(t["level"] == "overall") & (t["key"] == "overall")]
    index = ov[ov["statistic"] == "index"].set_index(["department", "kind"])
    sheets = ov[ov["statistic"] == "respondents"].set_index(["department", "kind"])["value"]
    pool_of = {c: u for u, (_, members) in division_pools(scores.departments).items() for c in members}
    own, pooled = {}, {}
    for kind in KINDS:
        everyone = list(scores.departments["code"])
        codes = [c for c in everyone if sheets.get((c, kind), 0) > 0]
        shown = [c for c in codes if not index.loc[(c, kind), "suppressed"] and index.loc[(c, kind), "value"] == index.loc[(c, kind), "value"]]
        via = [c for c in codes if c in shown or (c in pool_of and (pool_of[c], kind) in index.index
                                                  and not index.loc[(pool_of[c], kind), "suppressed"])]
        own[kind] = len(shown) / len(everyone)
        pooled[kind] = len(via) / len(codes) if codes else float("nan")
    head = ov[ov["statistic"] == "headcount"]
    return own, pooled, float(head["suppressed"].mean())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--rates", type=float, nargs="+", default=[0.8, 0.9, 1.0])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rosters = {"demo": DEMO, "市科协-like": roster_csv(CAST, folder, "cast"), "tiny": roster_csv(TINY, folder, "tiny")}
        results = {}
        for name, roster in rosters.items():
            own_sum, pool_sum, head_sup, runs = {k: 0.0 for k in KINDS}, {k: 0.0 for k in KINDS}, 0.0, 0
            for rate in args.rates:
                for seed in args.seeds:
                    engine = open_engine(f"sqlite:///{folder / f'{name}-{rate}-{seed}.db'}")
                    create_round(engine, "B1", title="测评", roster=roster)
                    set_status(engine, "B1", "open")
                    simulate(engine, "B1", seed=seed, response_rate=rate)
                    own, pooled, head = published_shares(score_round(engine, "B1", seed=1, n_boot=1000))
                    engine.dispose()
                    for k in KINDS:
                        own_sum[k] += own[k] if own[k] == own[k] else 0.0
                        pool_sum[k] += pooled[k] if pooled[k] == pooled[k] else 0.0
                    head_sup += head
                    runs += 1
            results[name] = ({k: own_sum[k] / runs for k in KINDS}, {k: pool_sum[k] / runs for k in KINDS},
                             head_sup / runs)
    print(f"runs per roster: {len(args.rates) * len(args.seeds)} (rates {args.rates}, seeds {args.seeds})")
    print(f"{'roster':<12} {'figure':<14} " + " ".join(f"{k:>12}" for k in KINDS) + f" {'headcount hidden':>17}")
    for name, (own, pooled, head) in results.items():
        print(f"{name:<12} {'own':<14} " + " ".join(f"{own[k]:>12.0%}" for k in KINDS))
        print(f"{name:<12} {'own or pooled':<14} " + " ".join(f"{pooled[k]:>12.0%}" for k in KINDS) + f" {head:>17.0%}")
    demo, cast = results["demo"][1], results["市科协-like"][1]
    met = (demo["self"] >= 0.85 and demo["peer_inside"] >= 0.79 and cast["self"] >= 1.0 and cast["peer_inside"] >= 1.0
           and all(r[2] == 0 for r in results.values()))
    print(f"goal (demo own-or-pooled self ≥ 85%, inside ≥ 79%; 市科协-like 100%; headcount never hidden): "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
