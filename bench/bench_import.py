"""Benchmark: importing a large 问卷星 download, against baselines measured in the same run.

A synthetic 问卷星 download (按选项文本) of N answer sheets is written as .xlsx and as GBK .csv, on a
roster of 20 departments. For each file it measures (median of 5 runs, min–max):

- ``dry run``: read, detect, validate every cell, fingerprint — everything but storing;
  baseline: ``pandas.read_excel`` / ``pandas.read_csv`` of the same file (reading it, nothing more);
- ``import``: the whole import into a fresh open round (SQLite);
  baseline: pandas reading the file plus ``store_sheets`` of the same, already parsed sheets — what
  a throw-away script that reads and stores without checking anything would take.

The ratios say what validation and all-or-nothing checking cost on top of reading and storing.
Goal: a full import within 1.5× of the read-and-store baseline for both files. (pandas' C parser
reads a CSV several times faster than the import's checked reading; on .xlsx both pay openpyxl.)

Run: ``.venv/bin/python bench/bench_import.py`` (``--n 500`` for a quick look).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from zuofeng.instrument import load_instrument
from zuofeng.io import import_file, parse
from zuofeng.rounds import create_round, set_status
from zuofeng.store import get_departments, open_engine, store_sheets

SCALE = ["不存在", "个别存在", "一定程度存在", "比较突出", "非常突出", "不了解"]
RUNS = 5


def write_files(folder: Path, n: int) -> tuple[Path, Path, Path]:
    from openpyxl import Workbook
    inst = load_instrument()
    rng = random.Random(1)
    depts = [(f"D{i:02d}", f"部门{i:02d}") for i in range(20)]
    roster = folder / "roster.csv"
    roster.write_text("code,name,unit_type,headcount\n" + "".join(f"{c},{nm},机关部室,{n}\n" for c, nm in depts),
                      encoding="utf-8")
    header = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、您所在的部门：", "2、您的政治面貌："]
    header += [f"第3题({it.text.zh})" for it in inst.items] + ["4、意见建议："]
    rows = []
    for i in range(n):
        rows.append([i + 1, f"2022/3/{1 + i % 28} 10:{i % 60:02d}:00", f"{rng.randint(30, 400)}秒", "微信", "N/A",
                     f"10.0.{i % 250}.{i % 200}(浙江-杭州)", rng.choice(depts)[1], rng.choice(["中共党员", "群众"]),
                     *[rng.choices(SCALE, weights=[30, 30, 20, 8, 4, 8])[0] for _ in inst.items],
                     "建议精简会议" if i % 7 == 0 else "(空)"])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(header)
    for r in rows:
        ws.append(r)
    xlsx = folder / "wjx.xlsx"
    wb.save(xlsx)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    gbk = folder / "wjx.csv"
    gbk.write_bytes(buf.getvalue().encode("gbk"))
    return roster, xlsx, gbk


def timed(fn) -> list[float]:
    out = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def fresh_round(folder: Path, roster: Path, tag: str):
    engine = open_engine(f"sqlite:///{folder / f'{tag}.db'}")
    create_round(engine, "R1", title="bench", roster=roster)
    set_status(engine, "R1", "open")
    return engine


def show(label: str, xs: list[float], base: list[float], base_label: str) -> None:
    m, b = statistics.median(xs), statistics.median(base)
    print(f"  {label:<8} {m:7.3f} s [{min(xs):.3f}–{max(xs):.3f}]   {base_label:<22} {b:7.3f} s "
          f"[{min(base):.3f}–{max(base):.3f}]   ratio {m / b:5.2f}")


def bench_file(path: Path, read_with_pandas, folder: Path, roster: Path, inst, depts) -> None:
    print(f"{path.suffix} ({path.stat().st_size // 1024} KB)")
    dry = timed(lambda: parse(path, inst, depts))
    base = timed(lambda: read_with_pandas(path))
    show("dry run", dry, base, "pandas reads the file")
    sheets = parse(path, inst, depts)[0].sheets
    targets = iter([fresh_round(folder, roster, f"i{path.suffix[1:]}{i}") for i in range(RUNS)])
    full = timed(lambda: import_file(next(targets), "R1", path))
    bases = iter([fresh_round(folder, roster, f"s{path.suffix[1:]}{i}") for i in range(RUNS)])
    bare = timed(lambda: store_sheets(next(bases), "R1", sheets, source="import"))
    print(f"  (store_sheets alone {statistics.median(bare):.3f} s [{min(bare):.3f}–{max(bare):.3f}])")
    script = [b + r for b, r in zip(sorted(bare), sorted(base))]
    show("import", full, script, "pandas read + store")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="answer sheets in the file")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        roster, xlsx, gbk = write_files(folder, args.n)
        engine = fresh_round(folder, roster, "ref")
        with engine.connect() as c:
            depts = get_departments(c, "R1")
        engine.dispose()
        inst = load_instrument()
        print(f"{args.n} answer sheets, 22 items, 20 departments; median of {RUNS} runs [min–max]")
        bench_file(xlsx, lambda p: pd.read_excel(p, dtype=str), folder, roster, inst, depts)
        bench_file(gbk, lambda p: pd.read_csv(p, encoding="gbk", dtype=str), folder, roster, inst, depts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
