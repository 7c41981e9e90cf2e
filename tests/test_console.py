"""The analyst's console without a browser: set widget values, click buttons, look at the store."""

from __future__ import annotations

import base64
import tempfile
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from tests.conftest import ROSTER_CSV
from zuofeng import api
from zuofeng.cli import main
from zuofeng.collect.tokens import lookup
from zuofeng.console import Console, uploaded
from zuofeng.store import responses

ITEMS = ",".join(f"q{n:02d}" for n in range(1, 23))
BALLOTS = (f"kind,department,target,category,overall,comment,{ITEMS}\n"
           + "".join(f"self,BGS,,党员,,,{','.join(['2'] * 22)}\n" for _ in range(3))
           + f"peer,KPB,KPB,非党员,好,,{','.join(['3'] * 22)}\n")

# BGS and KPB vote on paper: their typed-in ballots may carry no token
PAPER_ROSTER = "".join(
    line + ("," + ("paper" if n == 0 else "1" if line.startswith(("BGS,", "KPB,")) else "")) + "\n"
    for n, line in enumerate(ROSTER_CSV.splitlines()))


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in the working folder
    return f"sqlite:///{tmp_path / 'zuofeng.db'}"


def made(store, code="R1", title="基线测评", roster=ROSTER_CSV) -> Console:
    c = Console(db=store, auto_refresh=False, jobs=1)
    c.code.value, c.title.value = code, title
    c.roster.value = uploaded("roster.csv", roster.encode("utf-8"))
    c.create_button.click()
    return c


def text(html: str) -> str:
    return BeautifulSoup(html, "html.parser").get_text()


def n_responses(store) -> int:
    engine = api.open_store(store)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(responses)).scalar_one()
    finally:
        engine.dispose()


def test_a_missing_store_is_one_line_and_is_not_created(store, tmp_path):
    c = Console(db=store, auto_refresh=False)
    assert text(c.message.value) == (f"no zuofeng store at {tmp_path / 'zuofeng.db'}: create one with `zuofeng round "
                                     "create ROUND --title T --roster FILE` (or `zuofeng demo`), or name an existing "
                                     "store with --db URL or ZUOFENG_DB")
    assert c.round.options == () and c.report_button.disabled and not (tmp_path / "zuofeng.db").exists()


def test_a_bad_roster_shows_the_clis_one_line_error_and_stores_nothing(store, tmp_path, capsys):
    bad = ROSTER_CSV.replace("XHB,学会部,机关部室,8", "XHB,学会部,机关部室,eight")
    c = made(store, roster=bad)
    (tmp_path / "roster.csv").write_text(bad, encoding="utf-8")
    assert main(["round", "create", "R1", "--title", "t", "--roster", "roster.csv", "--db", store]) == 2
    cli_line = capsys.readouterr().err.strip().removeprefix("zuofeng: error: ")
    assert "line 3" in cli_line and "headcount" in cli_line
    assert text(c.message.value) == cli_line and 'class="zf-error"' in c.message.value
    assert "zuofeng-upload-" not in c.message.value  # the private upload folder is never shown
    assert api.list_rounds(db=store) == []


def test_create_open_close_with_confirmation(store):
    c = made(store)
    assert c.round.value == "R1" and "草稿" in c.round_info.value and "created round R1" in c.message.value
    assert c.code.value == "" and c.roster.value == ()
    assert c.close_button.disabled and not c.open_button.disabled and c.simulate_button.disabled
    c.open_button.click()
    assert c.confirm_box.layout.display == "flex" and "Open round R1?" in c.confirm_text.value
    assert api.list_rounds(db=store)[0]["status"] == "draft"  # nothing happens before the confirmation
    c.cancel_button.click()
    assert c.confirm_box.layout.display == "none" and api.list_rounds(db=store)[0]["status"] == "draft"
    c.open_button.click()
    c.confirm_button.click()
    assert api.list_rounds(db=store)[0]["status"] == "open" and "round R1 is open (k = 5" in c.message.value
    assert c.open_button.disabled and not c.close_button.disabled
    c.close_button.click()
    assert "Close round R1?" in c.confirm_text.value and api.list_rounds(db=store)[0]["status"] == "open"
    c.confirm_button.click()
    assert api.list_rounds(db=store)[0]["status"] == "closed" and "round R1 is closed" in c.message.value
    # a second round compared with the first: the previous-round picker lists it
    assert ("R1", "R1") in c.previous.options
    c.code.value, c.title.value, c.previous.value = "R2", "年终测评", "R1"
    c.roster.value = uploaded("roster.csv", ROSTER_CSV.encode("utf-8"))
    c.create_button.click()
    assert [(r["code"], r["previous"]) for r in api.list_rounds(db=store)] == [("R1", None), ("R2", "R1")]
    assert c.round.value == "R2"


def test_tokens_download_as_a_link_and_no_file_stays_behind(store, tmp_path):
    c = made(store)
    before = sorted(p.name for p in tmp_path.iterdir())
    temp = Path(tempfile.gettempdir())
    temp_before = set(temp.glob("zuofeng-slips-*"))
    c.issue_button.click()
    assert set(temp.glob("zuofeng-slips-*")) == temp_before  # the private folder is gone again
    link = BeautifulSoup(c.slips.value, "html.parser").find("a")
    assert link["download"] == "slips-R1.html" and link["href"].startswith("data:text/html;charset=utf-8;base64,")
    page = base64.b64decode(link["href"].split(",", 1)[1]).decode("utf-8")
    found = {"-".join(s.text for s in token.find_all("span"))
             for token in BeautifulSoup(page, "html.parser").select("span.token")}
    issued = sum(r["issued"] for r in api.token_status("R1", db=store))
    assert len(found) == issued > 0 and f"issued {issued} new tokens in round R1" in c.message.value
    api.open_round("R1", db=store)
    engine = api.open_store(store)
    try:
        scope = lookup(engine, "R1", min(found))  # a downloaded token opens its survey
    finally:
        engine.dispose()
    assert scope.round == "R1"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # the slips never touched the disk here
    c.issue_button.click()  # issuing again only tops up
    assert "nothing to issue" in c.message.value and c.slips.value == ""


def test_coverage_highlights_blind_spots(store):
    c = made(store, roster=PAPER_ROSTER)
    api.open_round("R1", db=store)
    c.reload_rounds()
    c.import_file.value = uploaded("ballots.csv", BALLOTS.encode("utf-8"))
    c.dry_button.click()
    c.import_button.click()
    soup = BeautifulSoup(c.coverage_html.value, "html.parser")
    rows = soup.select("table.zf-cov tbody tr")
    assert len(rows) == 10  # five departments × (self, inside view)
    gaps = {(r.find_all("td")[0].text, r.find_all("td")[2].text) for r in rows if "zf-gap" in r["class"]}
    # only BGS answered its self survey (3 sheets) and KPB its inside view (1): every other row nobody answered
    expected = {(d, v) for d in ("BGS", "XHB", "KPB", "KJG", "ZX") for v in ("自评", "互评（本部门）")}
    assert gaps == expected - {("BGS", "自评"), ("KPB", "互评（本部门）")}
    low = [r for r in rows if "zf-low" in r["class"]]
    assert {r.find_all("td")[0].text for r in low} == {"BGS", "KPB"}  # answered, but fewer than k = 5
    assert "盲区 8" in soup.select_one(".zf-cov-summary").text


def test_import_needs_a_dry_run_of_the_same_file(store):
    c = made(store, roster=PAPER_ROSTER)
    api.open_round("R1", db=store)
    c.reload_rounds()
    c.import_file.value = uploaded("ballots.csv", BALLOTS.encode("utf-8"))
    assert c.import_button.disabled
    c.dry_button.click()
    assert "4 answer sheets (template) are valid; nothing stored" in text(c.import_preview.value)
    assert not c.import_button.disabled and n_responses(store) == 0
    c.import_format.value = "wjx"  # another format (or file) needs its own dry run
    assert c.import_button.disabled
    c.import_format.value = "template"
    c.dry_button.click()
    c.import_button.click()
    assert n_responses(store) == 4 and "imported 4 answer sheets (template) into round R1" in c.message.value
    assert c.import_button.disabled and c.import_file.value == ()
    # the same file again: the dry run refuses it with the CLI's line and the import stays off
    c.import_file.value = uploaded("ballots.csv", BALLOTS.encode("utf-8"))
    c.dry_button.click()
    assert text(c.message.value).startswith("ballots.csv: this content was already imported (round R1 on ")
    assert c.import_button.disabled
    # a bad file: every problem listed with its row, nothing stored, import off
    bad = BALLOTS.replace("self,BGS,,党员,,,2,", "self,NOPE,,党员,,,9,", 1)
    c.import_file.value = uploaded("bad.csv", bad.encode("utf-8"))
    c.dry_button.click()
    problems = [li.text for li in BeautifulSoup(c.import_preview.value, "html.parser").select("ul.zf-problems li")]
    assert len(problems) == 2 and all("row 2" in p for p in problems), problems
    assert text(c.message.value).startswith("bad.csv: 2 problems, nothing imported")
    assert c.import_button.disabled and n_responses(store) == 4


def test_live_coverage_refreshes_while_the_round_is_open(store):
    assert Console(db=store, auto_refresh=False).refresh_seconds == 5  # the default: every 5 seconds
    c = made(store)
    api.open_round("R1", db=store)
    c.reload_rounds()
    c.refresh_seconds = 0.2
    c.auto.value = True
    try:
        before = c.coverage_html.value
        api.simulate_round("R1", seed=3, db=store)  # answers arrive behind the console's back
        end = time.monotonic() + 10
        while c.coverage_html.value == before and time.monotonic() < end:
            time.sleep(0.1)
        assert c.coverage_html.value != before and "zf-gap" not in c.coverage_html.value
    finally:
        c.stop()
    assert c._thread is None


def test_simulate_score_and_reports_with_progress_and_links(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path))
    monkeypatch.setenv("ZUOFENG_CONSOLE_REPORTS_URL", "/zuofeng/reports/")
    c = made(store)
    c.open_button.click()
    c.confirm_button.click()
    c.simulate_button.click()
    stored = n_responses(store)
    assert stored > 0 and f"stored {stored} simulated answer sheets in round R1" in c.message.value
    c.close_button.click()
    c.confirm_button.click()
    c.score_button.click()
    assert "scored round R1" in c.message.value and "BGS" in text(c.score_output.value)
    c.report_button.click()
    assert (tmp_path / "reports" / "R1" / "index.html").is_file(), c.message.value
    assert c.progress.max == 6 and c.progress.value == 6 and c.progress.description == "报告 6/6"
    hrefs = [a["href"] for a in BeautifulSoup(c.links.value, "html.parser").find_all("a")]
    assert hrefs[0] == "/zuofeng/reports/R1/index.html"
    assert sorted(hrefs[1:]) == sorted(["/zuofeng/reports/R1/overview.html"]
                                       + [f"/zuofeng/reports/R1/departments/{d}.html"
                                          for d in ("BGS", "XHB", "KPB", "KJG", "ZX")])
    for h in hrefs:
        assert (tmp_path / "reports" / Path(h.removeprefix("/zuofeng/reports/"))).is_file()


def test_in_jupyterlab_the_links_use_the_files_route_of_the_project(store, tmp_path, monkeypatch):
    monkeypatch.setenv("ZUOFENG_HOME", str(tmp_path))
    monkeypatch.delenv("ZUOFENG_CONSOLE_REPORTS_URL", raising=False)
    assert Console(db=store, auto_refresh=False).link_base() == "/files/reports/"


def ledger_rows(c) -> dict[int, list[str]]:
    soup = BeautifulSoup(c.ledger_table.value, "html.parser")
    return {int(tr["data-id"]): [td.text for td in tr.find_all("td")] for tr in soup.select("table.zf-ledger tbody tr")}


def test_the_ledger_section_seeds_views_and_edits_entries_with_history(store):
    import datetime as dt

    from zuofeng.ledger import LedgerError

    c = made(store)
    api.open_round("R1", db=store)
    api.simulate_round("R1", seed=2, db=store)
    c.reload_rounds()
    assert c.ledger_department.options == () and c.ledger_table.value == "" and c.ledger_save_button.disabled
    c.ledger_init_button.click()
    stored = api.ledger_entries("R1", verify=False, db=store)
    assert len(stored) > 0 and f"ledger R1: {len(stored)} new entr{'y' if len(stored) == 1 else 'ies'} from the problem list" in c.message.value
    assert [v for _, v in c.ledger_department.options] == sorted(set(stored["department"]))
    assert c.ledger_department.value is None and c.ledger_table.value == ""  # nothing loaded before a pick
    c.ledger_init_button.click()
    assert "ledger R1: 0 new entries" in c.message.value  # safe to repeat

    dept = stored["department"].iloc[0]
    c.ledger_department.value = dept
    mine = stored[stored["department"] == dept]
    rows = ledger_rows(c)
    assert sorted(rows) == sorted(mine["id"]) and all(r[3] == "未启动" for r in rows.values())
    eid = c.ledger_entry.value
    assert eid == int(mine["id"].iloc[0]) and c.ledger_form.layout.display == "flex"
    assert c.ledger_status.options == ("未启动", "整改中", "已完成", "已销号")

    # no "recorded by": the API's one line, nothing stored
    c.ledger_measure.value = "由办公室主任负责，每月检查一次"
    c.ledger_leader.value, c.ledger_person.value = "张三", "<script>alert(1)</script>"
    c.ledger_deadline.value = dt.date(2020, 1, 31)
    c.ledger_status.value = "整改中"
    c.ledger_save_button.click()
    with pytest.raises(LedgerError) as no_by:
        api.ledger_update(eid, by="", status="整改中", db=store)
    assert text(c.message.value) == no_by.value.message and 'class="zf-error"' in c.message.value
    assert api.ledger_history("R1", entry_id=eid, db=store)["field"].tolist() == ["created"]

    c.ledger_by.value = "王明"
    c.ledger_save_button.click()
    assert f"entry #{eid}: 5 field(s) changed, recorded by 王明" in c.message.value
    row = api.ledger_entries("R1", department=dept, verify=False, db=store).set_index("id").loc[eid]
    assert (row["status"], row["leader"], row["person"], row["deadline"]) == (
        "整改中", "张三", "<script>alert(1)</script>", dt.date(2020, 1, 31))
    hist = api.ledger_history("R1", entry_id=eid, db=store)
    assert sorted(hist["field"][1:]) == ["deadline", "leader", "measure", "person", "status"]
    assert set(hist["recorded_by"][1:]) == {"王明"}
    # the table shows the new state, escaped, with the overdue flag
    assert "<script>" not in c.ledger_table.value and "&lt;script&gt;" in c.ledger_table.value
    assert ledger_rows(c)[eid][3] == "整改中" and "逾期未完成" in ledger_rows(c)[eid][8]
    assert c.ledger_entry.value == eid and c.ledger_status.options == ("整改中", "已完成", "已销号")

    # 已销号 without evidence: the one line, nothing changed
    c.ledger_status.value = "已销号"
    c.ledger_save_button.click()
    assert text(c.message.value) == "已销号 (closed) needs evidence (佐证材料)"
    assert api.ledger_entries("R1", verify=False, db=store).set_index("id").loc[eid, "status"] == "整改中"
    # a formula is refused
    c.ledger_status.value = "已完成"
    c.ledger_evidence.value = "=HYPERLINK(\"http://x\")"
    c.ledger_save_button.click()
    assert text(c.message.value).startswith("evidence looks like a spreadsheet formula")
    assert api.ledger_entries("R1", verify=False, db=store).set_index("id").loc[eid, "evidence"] is None
    c.ledger_evidence.value = "整改报告"
    c.ledger_save_button.click()
    assert f"entry #{eid}: 2 field(s) changed" in c.message.value
    assert c.ledger_status.options == ("已完成", "已销号")  # forward only

    # back only with reopen; the move is kept in the history
    c.ledger_reopen.value = True
    assert c.ledger_status.options == ("未启动", "整改中", "已完成", "已销号")
    c.ledger_status.value = "整改中"
    c.ledger_save_button.click()
    last = api.ledger_history("R1", entry_id=eid, db=store).iloc[-1]
    assert (last["recorded_by"], last["field"], last["old_value"], last["new_value"]) == ("王明", "status", "已完成", "整改中")
    assert not c.ledger_reopen.value and c.ledger_status.options == ("整改中", "已完成", "已销号")


def test_the_ledger_table_shows_each_done_entrys_verification_once_the_next_round_exists(store, roster_file):
    from zuofeng.ledger.verify import VERIFICATION_TEXT

    c = made(store)
    api.open_round("R1", db=store)
    api.simulate_round("R1", seed=2, db=store)
    api.ledger_init("R1", db=store)
    entries = api.ledger_entries("R1", verify=False, db=store)
    dept = entries["department"].iloc[0]
    eid = int(entries["id"].iloc[0])
    api.ledger_update(eid, by="王明", status="已完成", db=store)
    c.reload_rounds(select="R1")
    c.ledger_department.value = dept
    assert ledger_rows(c)[eid][7] == "—"  # no next round yet
    api.create_round("R2", title="年终", roster=roster_file, previous="R1", db=store)
    api.open_round("R2", db=store)
    api.simulate_round("R2", seed=3, db=store)
    c.ledger_department.value = None
    c.ledger_department.value = dept
    verified = api.ledger_status("R1", db=store)[1].set_index("id")
    assert verified.loc[eid, "verification"] in VERIFICATION_TEXT["zh"]
    assert ledger_rows(c)[eid][7] == VERIFICATION_TEXT["zh"][verified.loc[eid, "verification"]]
    others = [i for i in ledger_rows(c) if i != eid]
    assert all(ledger_rows(c)[i][7] == "—" for i in others)  # not done: not verified

