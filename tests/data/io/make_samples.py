"""Writes the small sample files of tests/data/io (run it again only to change them).

    python tests/data/io/make_samples.py

The files imitate what analysts have: paper ballots typed into the template (CSV and .xlsx), a
问卷星 download 按选项文本 (.xlsx) and 按选项序号 (GBK CSV), a LimeSurvey response export (UTF-8 with
BOM, every field quoted), a workbook whose only sheet is a chart summary, a template with formula
payloads, and rosters as offices keep them (title rows, merged cells, full-width digits, 合计).
All answers are made up from a seeded generator; no real person's answers are in them.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

HERE = Path(__file__).parent
DEPTS = {"BGS": "办公室", "XHB": "学会部", "KPB": "科普部", "KJG": "科技馆", "ZX": "服务中心"}
ORDER = list(DEPTS)  # option order of the department questions in the survey tools
SCALE = ["不存在", "个别存在", "一定程度存在", "比较突出", "非常突出"]
OVERALL = ["好", "较好", "一般", "差"]


def _answers(rng: random.Random, level: float, n: int = 22) -> list[int | None]:
    out = []
    for _ in range(n):
        if rng.random() < 0.05:
            out.append(None)
        else:
            out.append(min(5, max(1, round(rng.gauss(level, 0.8)))))
    return out


def _overall(rng: random.Random, level: float) -> int:
    return min(4, max(1, round(rng.gauss(level - 0.3, 0.7))))


def template_rows(rng: random.Random) -> list[list[str]]:
    plan = [("self", "BGS", "", 6, 1.8), ("peer", "BGS", "", 5, 2.1), ("peer", "KPB", "BGS", 5, 2.4),
            ("self", "KJG", "", 6, 1.6), ("self", "ZX", "", 2, 2.0)]
    rows = []
    for kind, dept, target, n, level in plan:
        for k in range(n):
            ans = _answers(rng, level)
            cells = ["" if a is None else str(a) for a in ans]
            if k == 1:
                cells[3] = "不了解"
            if k == 2:
                cells[4] = "３"  # typed with a Chinese input method: full-width digit
            overall = OVERALL[_overall(rng, level) - 1] if kind == "peer" else ""
            category = ["党员", "非党员", ""][k % 3]
            comment = "建议精简会议，减少材料报送。" if k == 0 else ""
            rows.append([kind, dept, target, category, overall, comment] + cells)
    return rows


def write_template_samples() -> None:
    from zuofeng.instrument import load_instrument
    from zuofeng.io.template import columns, labels, write_template

    inst = load_instrument()
    rng = random.Random(20220301)
    rows = template_rows(rng)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns(inst))
    w.writerow(labels(inst))
    w.writerows(rows)
    w.writerows([[""] * 4, []])  # trailing blank rows, as spreadsheets save them
    (HERE / "template_ballots.csv").write_bytes(buf.getvalue().encode("utf-8-sig"))

    from openpyxl import load_workbook
    x = HERE / "template_ballots.xlsx"
    write_template(x, inst, {c: {"name": n} for c, n in DEPTS.items()})
    wb = load_workbook(x)
    ws = wb["答卷"]
    for r in random.Random(7).sample(template_rows(random.Random(20220302)), 20):
        ws.append([int(c) if c.isdigit() else (c or None) for c in r])
    wb.save(x)

    bad = [columns(inst),
           ["self", "BGS", "", "党员", "", "=cmd|' /C calc'!A0"] + ["1"] * 22,
           ["self", "@SUM(1+1)*cmd|' /C calc'!A0", "", "", "", ""] + ["2"] * 22,
           ["peer", "BGS", "+cmd|' /C notepad'!A0", "", "好", ""] + ["=1+2"] + ["3"] * 21,
           ["self", "KJG", "", "非党员", "", "-2+3+cmd|' /C calc'!A0"] + ["4"] * 22]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(bad)
    (HERE / "hostile_formulas.csv").write_text(buf.getvalue(), encoding="utf-8")


def write_wjx_text_xlsx() -> None:
    """按选项文本, self survey: a department question, category, a 22-row matrix and a suggestion."""
    from openpyxl import Workbook

    from zuofeng.instrument import load_instrument
    inst = load_instrument()
    rng = random.Random(20220315)
    header = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、您所在的部门：", "2、您的政治面貌："]
    header += [f"第3题({it.text.zh})" for it in inst.items]
    header += ["4、对本部门作风建设的意见建议："]
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    plan = [("BGS", 7, 1.9), ("KPB", 6, 2.3), ("KJG", 6, 1.7), ("ZX", 2, 2.0)]
    rows = []
    for dept, n, level in plan:
        for k in range(n):
            ans = _answers(rng, level)
            secs = 38 if k == 3 else rng.randint(95, 420)
            rows.append([DEPTS[dept], "中共党员" if rng.random() < 0.7 else "群众",
                         *["不了解" if a is None else SCALE[a - 1] for a in ans],
                         "希望多到基层调研。" if k == 0 else "(空)", f"{secs}秒"])
    rng.shuffle(rows)
    for seq, r in enumerate(rows, start=1):
        *body, secs = r
        ws.append([seq, f"2022/3/{15 + seq // 8} {9 + seq % 8}:{seq * 7 % 60:02d}:{seq * 13 % 60:02d}", secs,
                   rng.choice(["手机提交", "微信", "链接"]), rng.choice(["N/A", "直接访问"]),
                   f"112.10.{seq}.{200 - seq}(浙江-杭州)", *body])
    wb.save(HERE / "wjx_text_self.xlsx")


def write_wjx_code_csv() -> None:
    """按选项序号, peer survey, saved by Excel as GBK CSV: every question a single choice."""
    from zuofeng.instrument import load_instrument
    inst = load_instrument()
    rng = random.Random(20220316)
    header = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP",
              "1、您所在的部门：", "2、您评价的部门：", "3、您的政治面貌："]
    header += [f"{3 + it.number}、{it.text.zh}" for it in inst.items]
    header += ["26、对该部门作风建设的总体评价：", "27、意见建议："]
    plan = [("BGS", "XHB", 5, 2.3), ("KPB", "BGS", 5, 2.6), ("XHB", "XHB", 5, 2.0), ("KJG", "KJG", 6, 1.8)]
    rows = []
    for dept, target, n, level in plan:
        for k in range(n):
            ans = _answers(rng, level)
            codes = ["6" if a is None else str(a) for a in ans]
            if k == 2:
                codes[10] = "-3"  # skipped
            secs = 31 if k == 4 else rng.randint(80, 360)
            overall = "5" if k == 3 else str(_overall(rng, level))
            rows.append([str(ORDER.index(dept) + 1), str(ORDER.index(target) + 1), rng.choice(["1", "1", "2"]),
                         *codes, overall, "落实要再快一些" if k == 1 else "(空)", f"{secs}秒"])
    rng.shuffle(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for seq, r in enumerate(rows, start=1):
        *body, secs = r
        w.writerow([seq, f"2022/6/{1 + seq // 9} {10 + seq % 7}:{seq * 11 % 60:02d}:05", secs, "微信", "N/A",
                    f"36.{seq}.8.{seq * 3}(浙江-宁波)", *body])
    (HERE / "wjx_code_peer.csv").write_bytes(buf.getvalue().encode("gbk"))


def write_limesurvey_csv() -> None:
    from zuofeng.instrument import load_instrument
    inst = load_instrument()
    rng = random.Random(20221101)
    items = [f"G02Q01[SQ{n:03d}]" for n in range(1, len(inst.items) + 1)]
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
              "refurl", "G01Q01", "G01Q02", "G01Q03", *items, "G03Q01", "G03Q02", "interviewtime"]
    plan = [("KJG", "KJG", 6, 1.9), ("BGS", "XHB", 5, 2.5), ("XHB", "XHB", 3, 2.2)]
    rows = []
    n = 0
    for dept, target, count, level in plan:
        for k in range(count):
            n += 1
            ans = _answers(rng, level)
            done = f"2022-11-{3 + n % 5:02d} 1{n % 10}:2{n % 6}:0{n % 9}"
            rows.append([str(n), done, "4", "zh-Hans", str(rng.randint(10**8, 10**9)), done, done, "",
                         "", f"A{ORDER.index(dept) + 1}", f"A{ORDER.index(target) + 1}", rng.choice(["A1", "A2"]),
                         *["AO06" if a is None else f"AO{a:02d}" for a in ans],
                         f"A{_overall(rng, level)}", "建议：公开整改台账" if k == 0 else "",
                         f"{rng.uniform(150, 600):.2f}" if k != 2 else "41.20"])
    for m in range(2):  # started, never submitted
        n += 1
        rows.append([str(n), "", "1", "zh-Hans", "12345", "2022-11-05 09:00:00", "2022-11-05 09:01:00", "", "",
                     "A1", "A2", "", *[""] * len(items), "", "", "33.10"])
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    (HERE / "limesurvey_peer.csv").write_bytes(buf.getvalue().encode("utf-8-sig"))


def write_wrong_sheet() -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    wb = Workbook()
    ws = wb.active
    ws.title = "统计"
    ws.append(["选项", "小计", "比例"])
    for opt, k in zip(SCALE, (40, 22, 9, 3, 1)):
        ws.append([opt, k, f"{k / 75:.2%}"])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=6), titles_from_data=True)
    ws.add_chart(chart, "E2")
    wb.save(HERE / "wjx_summary_only.xlsx")


def write_rosters() -> None:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["2022年干部作风大提升专项行动测评部门名单"])
    ws.merge_cells("A1:G1")
    ws.append(["（截至2022年1月）"])
    ws.merge_cells("A2:G2")
    ws.append([])
    ws.append(["code", "name", "unit_type", "headcount", "party_members", "division", "peer_targets"])
    ws.append(["BGS", "办公室", "机关部室", "１２", "９", "机关", "XHB"])
    ws.append(["XHB", "学会部", None, 8, 6, None, None])
    ws.append(["KPB", "科普部", None, "１０", 7, None, "BGS"])
    ws.merge_cells("C5:C7")  # one unit type for the three offices
    ws.merge_cells("F5:F7")
    ws.append(["KJG", "科技馆", "事业单位", 25, 12, "事业单位", None])
    ws.append(["ZX", "服务中心", "中心", 4, 3, "事业单位", None])
    ws.append([None, "合计", None, "=SUM(D5:D9)", "=SUM(E5:E9)", None, None])
    ws.append([])
    ws.append([])
    wb.save(HERE / "roster_office.xlsx")
    text = ("部门代码,部门名称,单位类型,人数,党员人数,归口,互评对象\r\n"
            "BGS,办公室,机关部室,１２,９,机关,XHB\r\n"
            "XHB,学会部,机关部室,８,６,机关,\r\n"
            "KPB,科普部,机关部室,１０,７,机关,BGS\r\n"
            "KJG,科技馆,事业单位,２５,１２,事业单位,\r\n"
            "ZX,服务中心,中心,４,３,事业单位,\r\n"
            "合计,,,５９,３７,,\r\n,,,,,,\r\n,,,,,,\r\n")
    (HERE / "roster_chinese_gbk.csv").write_bytes(text.encode("gbk"))


if __name__ == "__main__":
    write_template_samples()
    write_wjx_text_xlsx()
    write_wjx_code_csv()
    write_limesurvey_csv()
    write_wrong_sheet()
    write_rosters()
    print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if p.suffix in (".csv", ".xlsx"))))
