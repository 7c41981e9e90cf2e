"""`zuofeng score`, the exports, the snapshot and hostile input frames."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from zuofeng.cli import main
from zuofeng.demo import demo_roster
from zuofeng.instrument import load_instrument
from zuofeng.score import ScoreError, load_snapshot, save_snapshot, score_frames
from zuofeng.score.table import COLUMNS
from zuofeng.score.table_files import write_table
from zuofeng.simulate import simulate

INST = load_instrument()
KEYS = list(INST.item_keys)
INFO = {"code": "X1", "title": "t", "k_min": 5, "k_comment": 10,
        "eval_scores": {"好": 100, "较好": 80, "一般": 60, "差": 40}, "group_weights": None}


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def simulated(open_round, db_url):
    engine, rnd = open_round
    simulate(engine, rnd, seed=2)
    return db_url, rnd


def small_frames(codes=("A", "B", "C"), n=8, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for d in codes:
        for view in ("self", "peer_inside"):
            for _ in range(n):
                vals = np.clip(np.rint(2.5 + rng.normal(0, 1, 22)), 1, 5)
                rows.append({"department": d, "view": view, "category": "党员", "comment": None, "too_fast": None,
                             "overall": "较好" if view != "self" else None, **dict(zip(KEYS, vals))})
    depts = pd.DataFrame({"code": list(codes), "name": [f"名{c}" for c in codes], "unit_type": "机关部室",
                          "headcount": n + 2})
    return pd.DataFrame(rows), depts


def test_score_xlsx_one_sheet_per_level_with_frozen_header(capsys, simulated, tmp_path):
    db, rnd = simulated
    out = tmp_path / "x.xlsx"
    code, stdout, err = run(capsys, "score", rnd, "--out", str(out), "--db", db)
    assert code == 0 and err == "" and stdout.startswith(f"已写入 {out}：")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["overall", "dimension", "item", "evaluation"]
    table = pd.read_parquet(io.BytesIO(_parquet_of(capsys, db, rnd, tmp_path)))
    for level in wb.sheetnames:
        ws = wb[level]
        assert ws.freeze_panes == "A2"
        assert [c.value for c in ws[1]] == COLUMNS
        assert ws.max_row - 1 == (table["level"] == level).sum()
        assert {c.value for c in ws["D"][1:]} == {level}


def _parquet_of(capsys, db, rnd, tmp_path) -> bytes:
    p = tmp_path / "t.parquet"
    assert run(capsys, "score", rnd, "--out", str(p), "--db", db)[0] == 0
    return p.read_bytes()


def test_csv_and_parquet_hold_the_long_table(capsys, simulated, tmp_path):
    db, rnd = simulated
    for name in ("t.csv", "t.parquet"):
        assert run(capsys, "score", rnd, "--out", str(tmp_path / name), "--db", db)[0] == 0
    pq = pd.read_parquet(tmp_path / "t.parquet")
    csv = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert list(pq.columns) == list(csv.columns) == COLUMNS
    assert len(pq) == len(csv) and pq["suppressed"].any()
    np.testing.assert_allclose(csv["value"].to_numpy(float), pq["value"].to_numpy(float), rtol=1e-12)
    assert pq.loc[pq["suppressed"], "value"].isna().all()


def test_a_closed_round_is_not_preliminary_and_a_draft_or_empty_round_is_one_line(capsys, simulated, tmp_path):
    db, rnd = simulated
    assert main(["round", "close", rnd, "--db", db]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "score", rnd, "--db", db)
    assert code == 0 and out.startswith(f"轮次 {rnd}") and "初步结果" not in out
    roster = str(demo_roster())
    assert main(["round", "create", "D1", "--title", "草稿", "--roster", roster, "--db", db]) == 0
    assert main(["round", "create", "E1", "--title", "无答卷", "--roster", roster, "--db", db]) == 0
    assert main(["round", "open", "E1", "--db", db]) == 0
    capsys.readouterr()
    for args, words in ((["score", "D1"], ("轮次 D1 是草稿", "zuofeng round open D1")),
                        (["score", "E1"], ("轮次 E1 还没有答卷", "zuofeng simulate E1")),
                        (["export", "D1", "--out", str(tmp_path / "x.xlsx")], ("草稿",)),
                        (["report", "E1", "--out", str(tmp_path / "r")], ("还没有答卷",)),
                        (["score", "D1", "--lang", "en"], ("round D1 is a draft", "zuofeng round open D1")),
                        (["score", "E1", "--lang", "en"], ("no answer sheets", "zuofeng simulate E1"))):
        code, out, err = run(capsys, *args, "--db", db)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (args, err)
        assert "Traceback" not in err and all(w in err for w in words), (args, err)
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "r").exists()


def test_without_out_a_short_summary(capsys, simulated):
    db, rnd = simulated
    before = dt.datetime.now().replace(second=0, microsecond=0)
    code, out, _ = run(capsys, "score", rnd, "--db", db)
    first, second = out.splitlines()[:2]
    # the round is still open: the summary says first that these are preliminary scores, and as of when
    at = dt.datetime.strptime(re.search(r"以下是 (\d{4}-\d\d-\d\d \d\d:\d\d) 计分时的结果", first).group(1),
                              "%Y-%m-%d %H:%M")
    assert code == 0 and first.startswith("初步结果：") and before <= at <= dt.datetime.now()
    assert second.startswith(f"轮次 {rnd}")
    for d in ("ALL", "BGS", "XHB", "KPB", "KJG", "ZX"):
        assert f"\n{d} " in out
    assert "*" in out and "抑制单元" in out and len(out.splitlines()) < 20


@pytest.mark.parametrize("name, message, en", [
    ("x.txt", "不支持后缀 '.txt'；可用：.csv、.xlsx、.parquet", "unsupported suffix '.txt'; allowed: .csv, .xlsx, .parquet"),
    ("x", "不支持后缀 '(none)'", "unsupported suffix '(none)'"),
    ("no/such/dir/x.csv", "no/such/dir 不存在", "does not exist")])
def test_bad_out_is_one_line_exit_2_and_writes_nothing(capsys, simulated, tmp_path, name, message, en):
    db, rnd = simulated
    code, out, err = run(capsys, "score", rnd, "--out", str(tmp_path / name), "--db", db)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err and err.startswith("zuofeng: error:")
    code, out, err = run(capsys, "score", rnd, "--out", str(tmp_path / name), "--db", db, "--lang", "en")
    assert code == 2 and out == "" and err.count("\n") == 1 and en in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".db" and "store" not in p.name) == ["roster.csv"]


def test_unknown_round_is_one_line(capsys, simulated):
    db, _ = simulated
    code, _, err = run(capsys, "score", "NOPE", "--db", db)
    assert code == 2 and "轮次 'NOPE' 不存在" in err and err.count("\n") == 1


def test_exports_neutralise_formula_injection(tmp_path):
    resp, depts = small_frames(codes=("=1+2", "@SUM(A1)", "-3", "+cmd"))
    scores = score_frames(resp, depts, INFO, INST, n_boot=100)
    write_table(scores, tmp_path / "x.xlsx")
    write_table(scores, tmp_path / "x.csv")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["overall"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert {c.value for c in ws["B"][1:]} == {"ALL", "'=1+2", "'@SUM(A1)", "'-3", "'+cmd"}
    assert all(c.data_type == "s" and not c.value.startswith(("=", "+", "-", "@")) for c in cells)
    text = (tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    assert "'=1+2" in text and "\n=1" not in text and ",=1+2" not in text and ",@SUM" not in text
    parquet_untouched = scores.table["department"].isin(["=1+2"]).any()
    assert parquet_untouched  # the data keep the real code; only spreadsheet cells are neutralised


def test_snapshot_round_trip(tmp_path):
    resp, depts = small_frames()
    scores = score_frames(resp, depts, {**INFO, "group_weights": {"peer_inside": 1.0}}, INST, n_boot=100)
    path = save_snapshot(scores, tmp_path / "s.zip")
    back = load_snapshot(path)
    for name in ("table", "problems", "quality", "comments", "suppression", "departments"):
        pd.testing.assert_frame_equal(getattr(scores, name), getattr(back, name))
    assert back.meta == scores.meta and back.meta["group_weights"] == {"peer_inside": 1.0}
    assert [p.name for p in tmp_path.iterdir()] == ["s.zip"]  # no temporary file left behind


def test_snapshot_is_written_atomically(tmp_path, monkeypatch):
    resp, depts = small_frames()
    scores = score_frames(resp, depts, INFO, INST, n_boot=100)
    path = save_snapshot(scores, tmp_path / "s.zip")
    before = path.read_bytes()

    def broken(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError):
        save_snapshot(scores, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["s.zip"]


def test_hostile_snapshot_files(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"\x00not a zip" * 10)
    no_meta, wrong = tmp_path / "no_meta.zip", tmp_path / "wrong.zip"
    with zipfile.ZipFile(no_meta, "w") as z:
        z.writestr("table.parquet", b"x")
    with zipfile.ZipFile(wrong, "w") as z:
        z.writestr("meta.json", '{"format": "something-else"}')
    for path, message, en in ((junk, "不是可读的 zuofeng 分数快照（BadZipFile）", "not a readable"),
                              (no_meta, "快照缺少 meta.json", "lacks meta.json"),
                              (wrong, "不是 zuofeng 的分数快照", "not a zuofeng scores"),
                              (tmp_path / "none.zip", "处没有快照", "no snapshot")):
        with pytest.raises(ScoreError, match=re.escape(message)) as e:
            load_snapshot(path)
        assert en in e.value.en


def _bad(resp=None, depts=None, info=None, **kw):
    r, d = small_frames()
    return (resp if resp is not None else r), (depts if depts is not None else d), {**INFO, **(info or {})}


@pytest.mark.parametrize("change, message, en", [
    (lambda r, d, i: r.drop(columns="q05"), "responses 表缺少列 q05", "lacks column(s) q05"),
    (lambda r, d, i: r.assign(view=["boss"] * len(r)), "视角不能为 'boss'：应为 self、peer_inside",
     "view 'boss' is not allowed; allowed: self, peer_inside"),
    (lambda r, d, i: r.assign(department=["ZZ"] * len(r)), "部门 'ZZ' 不在本轮次的名册中",
     "department 'ZZ' is not in the roster"),
    (lambda r, d, i: r.assign(q03=[7] * len(r)), "q03 的回答不能为 7：应为 1..5 或留空（不了解）",
     "answer 7 to q03 is not allowed; allowed: 1..5 or empty"),
    (lambda r, d, i: r.assign(q03=["x"] * len(r)), "q03 的回答不能为 'x'", "answer 'x' to q03 is not allowed"),
    (lambda r, d, i: r.assign(category=["群众"] * len(r)), "类别不能为 '群众'：应为 党员、非党员 或留空",
     "category '群众' is not allowed; allowed: 党员, 非党员"),
    (lambda r, d, i: r.assign(overall=["优秀"] * len(r)), "总体评价不能为 '优秀'", "overall rating '优秀' is not allowed"),
    (lambda r, d, i: r.assign(overall=["好"] * len(r)), "自评答卷带有总体评价", "a self-survey sheet carries an overall rating"),
])
def test_hostile_response_frames_are_refused_with_the_bad_value(change, message, en):
    r, d, i = _bad()
    with pytest.raises(ScoreError, match=re.escape(message)) as e:
        score_frames(change(r, d, i), d, i, INST, n_boot=100)
    assert en in e.value.en


@pytest.mark.parametrize("depts_change, info_change, message, en", [
    (lambda d: d.assign(code=["ALL", "B", "C"]), None, "部门代码 'ALL' 留作全单位使用", "'ALL' is reserved"),
    (lambda d: d.assign(code=["A", "A", "C"]), None, "部门代码 'A' 在 departments 表中出现不止一次",
     "'A' appears more than once"),
    (lambda d: d.assign(headcount=[5, -1, 3]), None, "的人数为 -1", "headcount -1"),
    (None, {"k_min": 2}, "k_min 不能为 2：应为 ≥ 3 的整数", "k_min 2 is not allowed; allowed: a whole number ≥ 3"),
    (lambda d: d.assign(headcount=[5.5, 3, 3]), None, "的人数为 5.5：应为 ≥ 0 的整数",
     "headcount 5.5; allowed: a whole number ≥ 0"),
    (None, {"k_comment": 4}, "k_comment 不能为 4", "k_comment 4 is not allowed"),
    (None, {"group_weights": {"boss": 1}}, "group_weights 不能为", "group_weights"),
    (None, {"eval_scores": {"好": 100}}, "测评分值给的是 好", "evaluation scores name 好"),
])
def test_hostile_roster_and_round_info_are_refused(depts_change, info_change, message, en):
    r, d, i = _bad(info=info_change)
    if depts_change:
        d = depts_change(d)
        r = r.assign(department=r["department"].map(dict(zip(["A", "B", "C"], d["code"]))))
    with pytest.raises(ScoreError, match=re.escape(message)) as e:
        score_frames(r, d, i, INST, n_boot=100)
    assert en in e.value.en


def test_score_round_compares_with_the_previous_round_in_the_store(simulated, roster_file):
    from zuofeng.rounds import create_round, set_status
    from zuofeng.score import score_round
    from zuofeng.store import open_engine
    db, rnd = simulated
    engine = open_engine(db)
    create_round(engine, "R2", title="中期测评", roster=roster_file, previous=rnd)
    set_status(engine, "R2", "open")
    simulate(engine, "R2", seed=9)
    scores = score_round(engine, "R2", seed=1, n_boot=200)
    engine.dispose()
    assert scores.meta["previous"] == rnd and scores.meta["round"] == "R2"
    change = scores.rows(department="ALL", kind="all", level="overall", statistic="change").iloc[0]
    assert not change["suppressed"] and change["ci_low"] < change["value"] < change["ci_high"]
    assert change["value"] > 0  # the simulator improves most departments in a later round
    assert set(scores.rows(statistic="change_p")["level"]) == {"overall", "dimension"}
    assert set(scores.rows(statistic="change_q")["level"]) == {"overall", "dimension"}


def test_dont_know_written_out_counts_as_missing_never_as_a_score():
    r, d = small_frames()
    words = r.copy()
    words["q01"] = words["q01"].astype(object)
    # five 不了解 spread over the three departments' self sheets (8 each), so that none falls under k
    # and no figure of q01 is suppressed: the n below is then the published count of answers
    spread = words.index[[0, 1, 16, 17, 32]]
    words.loc[spread, "q01"] = "不了解"
    words.loc[words["view"] == "peer_inside", "overall"] = "不了解"
    nan = r.copy()
    nan.loc[spread, "q01"] = np.nan
    nan.loc[nan["view"] == "peer_inside", "overall"] = None
    a = score_frames(words, d, INFO, INST, n_boot=100)
    b = score_frames(nan, d, INFO, INST, n_boot=100)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.rows(department="ALL", kind="self", key="q01", statistic="mean").iloc[0]["n"] == 19
    assert (a.rows(statistic="satisfaction")["n"].fillna(0) == 0).all()


def test_round_create_sets_weights_and_evaluation_points_carried_into_the_scores(capsys, tmp_path, roster_file):
    from zuofeng.score import score_round
    from zuofeng.store import open_engine
    db = f"sqlite:///{tmp_path / 'w.db'}"
    code, _, err = run(capsys, "round", "create", "W1", "--title", "t", "--roster", str(roster_file), "--db", db,
                       "--weights", "self=0.2,peer_inside=0.5,peer_outside=0.3",
                       "--eval-points", "好=100,较好=85,一般=60,差=30")
    assert code == 0, err
    assert run(capsys, "round", "open", "W1", "--db", db)[0] == 0
    engine = open_engine(db)
    simulate(engine, "W1", seed=4)
    s = score_round(engine, "W1", n_boot=200)
    engine.dispose()
    assert s.meta["group_weights"] == s.meta["view_weights"] == {"self": 0.2, "peer_inside": 0.5, "peer_outside": 0.3}
    assert s.meta["eval_scores"] == {"好": 100.0, "较好": 85.0, "一般": 60.0, "差": 30.0}
    note = s.rows(department="ALL", kind="all", level="overall", key="overall", statistic="index").iloc[0]["note"]
    assert note == "各视角加权合并：self=0.2、peer_inside=0.5、peer_outside=0.3"
    for bad, msg, msg_en in (
            (["--weights", "self=0.2,oops"], "--weights 中的 'oops' 无效：应为 self=W,peer_inside=W",
             "--weights 'oops' is not allowed; expected self=W,peer_inside=W"),
            (["--weights", "self=-1"], "权重不能为负，也不能全为零；应为 self=W,",
             "weights must be non-negative and not all zero; expected self=W,"),
            (["--weights", "self=1,outside=1"], "--weights：没有视角 outside；应为 self=W,peer_inside=W,",
             "unknown view outside; expected self=W,peer_inside=W,"),
            (["--eval-points", "好=100,较好=x"], "--eval-points 中的 '较好=x' 无效：应为 好=P,较好=P",
             "--eval-points '较好=x' is not allowed; expected 好=P,较好=P"),
            (["--eval-points", "好=100"], "民主测评分值必须逐一给出 好, 较好, 一般, 差", "evaluation scores must name")):
        args = ("round", "create", "W2", "--title", "t", "--roster", str(roster_file), "--db", db, *bad)
        code, _, err = run(capsys, *args)
        assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err
        code, _, err = run(capsys, *args, "--lang", "en")
        assert code == 2 and msg_en in err and len(err.strip().splitlines()) == 1, err
    assert run(capsys, "round", "list", "--db", db)[1].count("W2") == 0   # nothing half-written


def test_a_round_that_a_later_round_compares_with_is_reopened_only_with_force(capsys, simulated):
    db, rnd = simulated
    assert main(["round", "close", rnd, "--db", db]) == 0
    assert main(["round", "open", rnd, "--db", db]) == 0    # no later round yet: reopening corrects a mistake
    assert main(["round", "close", rnd, "--db", db]) == 0
    roster = str(demo_roster())
    assert main(["round", "create", "M1", "--title", "中期", "--roster", roster, "--previous", rnd, "--db", db]) == 0
    assert main(["round", "open", rnd, "--db", db]) == 0    # a draft later round has compared with nothing yet
    assert main(["round", "close", rnd, "--db", db]) == 0
    assert main(["round", "open", "M1", "--db", db]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "round", "open", rnd, "--db", db)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert f"轮次 {rnd} 是轮次 M1（开放）的 --previous" in err and "--force" in err
    code, _, err = run(capsys, "round", "open", rnd, "--db", db, "--lang", "en")
    assert code == 2 and "--previous of round M1 (open)" in err and "--force" in err
    from zuofeng.api import list_rounds
    assert {r["code"]: r["status"] for r in list_rounds(db=db)}[rnd] == "closed"   # refused: nothing changed
    code, out, _ = run(capsys, "round", "open", rnd, "--force", "--db", db)
    assert code == 0 and f"轮次 {rnd} 已开放" in out
