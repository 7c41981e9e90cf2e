"""Token slips: printable HTML and mail-merge CSV, escaped, self-contained, private files, nothing half-done."""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from html.parser import HTMLParser

import pytest
import segno
from sqlalchemy import func, select, text

from tests.support.browser import launch, sync_playwright_or_skip
from zuofeng.cli import main
from zuofeng.collect import slips as sl
from zuofeng.collect import tokens as tk
from zuofeng.errors import ZuofengError
from zuofeng.store import tokens

NAMES = {"BGS": "办公室", "XHB": "学会部", "KPB": "科普部", "KJG": "科技馆", "ZX": "服务中心"}
URL = "https://survey.example.org/zuofeng/R1"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
HOSTILE_ROSTER = f'''code,name,unit_type,headcount,party_members,division,peer_targets
BGS,{XSS_SCRIPT},机关部室,3,,,XHB
XHB,"{XSS_ATTR.replace('"', '""')}",机关部室,2,,,
KPB,=HYPERLINK("http://x"),机关部室,2,,,BGS
KJG,+1,事业单位,1,,,
ZX,@SUM(A1),中心,1,,,
MN,-2+3,中心,1,,,
'''


class SlipParser(HTMLParser):
    """Collects every tag and attribute, and per slip its data attributes, text and token groups."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.slips, self.pages = [], [], [], []
        self._slip_depth = 0
        self._in_token = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "section" and a.get("class") == "page":
            self.pages.append(0)
        if self._slip_depth:
            self._slip_depth += tag not in ("use",)
        elif tag == "div" and a.get("class") == "slip":
            self._slip_depth = 1
            self.pages[-1] += 1
            self.slips.append({"kind": a["data-kind"], "view": a["data-view"], "text": "", "groups": [], "qr": False})
        if self._slip_depth:
            if a.get("class") == "token":
                self._in_token = True
            if tag == "use":
                self.slips[-1]["qr"] = a.get("href") == "#qr"

    def handle_endtag(self, tag):
        if self._slip_depth and tag != "use":
            self._slip_depth -= 1
            if tag == "div":
                self._in_token = False

    def handle_data(self, data):
        if self._slip_depth:
            self.slips[-1]["text"] += data
            if self._in_token and data.strip():
                self.slips[-1]["groups"].append(data)


def parse(path):
    p = SlipParser()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _round(url, roster, title="基线测评"):
    from zuofeng.rounds import create_round, set_status
    from zuofeng.store import open_engine
    engine = open_engine(url)
    create_round(engine, "R1", title=title, roster=roster)
    set_status(engine, "R1", "open")
    return engine


@pytest.fixture
def sq_round(sqlite_url, roster_file):
    """An open round R1 in SQLite: for what does not depend on the database."""
    engine = _round(sqlite_url, roster_file)
    yield engine, "R1"
    engine.dispose()


@pytest.fixture
def hostile_round(sqlite_url, tmp_path):
    roster = tmp_path / "hostile.csv"
    roster.write_text(HOSTILE_ROSTER, encoding="utf-8")
    engine = _round(sqlite_url, roster, title="基线<b>测评</b>")
    yield engine, "R1"
    engine.dispose()


def n_tokens(engine):
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(tokens))


def test_slips_hold_valid_tokens_for_their_scope(open_round, tmp_path):
    engine, rnd = open_round
    out = tmp_path / "slips.html"
    r = sl.issue_slips(engine, rnd, out=out, url=URL)
    # roster headcounts 12+8+10+25+4 = 59: self 59, inside view 59, outside BGS→XHB 12 and KPB→BGS 10
    assert (r.issued, r.by_view) == (140, {"self": 59, "peer_inside": 59, "peer_outside": 22})
    p = parse(out)
    assert len(p.slips) == 140 and r.pages == len(p.pages) == math.ceil(140 / 8)
    assert all(n <= sl.SLIPS_PER_PAGE for n in p.pages)
    views = {}
    seen = set()
    for s in p.slips:
        groups = s["groups"]
        assert len(groups) == 4 and all(re.fullmatch(f"[{tk.ALPHABET}]{{4}}", g) for g in groups)
        token = "-".join(groups)
        scope = tk.lookup(engine, rnd, token)  # a live, unused token of this round...
        assert (scope.kind, scope.view) == (s["kind"], s["view"])  # ...for the survey the slip names
        assert f"{NAMES[scope.rater]}（{scope.rater}）" in s["text"]
        assert f"{NAMES[scope.target]}（{scope.target}）" in s["text"]
        assert URL in s["text"] and s["qr"]
        views[s["view"]] = views.get(s["view"], 0) + 1
        seen.add(token)
    assert len(seen) == 140 and views == r.by_view
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_roster_strings_are_escaped_and_page_is_self_contained(hostile_round, tmp_path):
    engine, rnd = hostile_round
    out = tmp_path / "slips.html"
    sl.issue_slips(engine, rnd, out=out, url=URL + '?a="><script>')
    raw = out.read_text(encoding="utf-8")
    p = parse(out)
    assert "script" not in p.tags and "img" not in p.tags and "b" not in p.tags
    assert not [k for k, _ in p.attrs if k.startswith("on")]
    assert XSS_SCRIPT not in raw and "<img" not in raw and "<b>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in raw
    texts = "".join(s["text"] for s in p.slips)
    assert XSS_SCRIPT in texts and XSS_ATTR in texts  # shown to the reader as plain text
    # no external resource: no src, no link, no url(), the only href is the QR symbol
    assert "link" not in p.tags and not [k for k, _ in p.attrs if k == "src"]
    assert {v for k, v in p.attrs if k in ("href", "xlink:href")} == {"#qr"}
    assert "url(" not in raw and "@import" not in raw
    assert re.search(r"\.slip \{[^}]*break-inside: avoid", raw) and "size: A4" in raw


def test_qr_code_is_the_address_and_never_the_token(sq_round, tmp_path):
    engine, rnd = sq_round
    out = tmp_path / "slips.html"
    sl.issue_slips(engine, rnd, kind="self", out=out, url=URL)
    raw = out.read_text(encoding="utf-8")
    assert raw.count('<symbol id="qr"') == 1  # one code, shared by every slip
    size = int(re.search(r'<symbol id="qr" viewBox="0 0 (\d+) \1"', raw).group(1))
    d = re.search(r'<path fill="#000" d="([^"]+)"', raw).group(1)
    grid = [[0] * size for _ in range(size)]
    for x, y, w in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\d+z", d):
        for i in range(int(w)):
            grid[int(y)][int(x) + i] = 1
    # segno's own matrix of the address, with the 4-module quiet zone around it
    expected = [[0] * size for _ in range(size)]
    for y, row in enumerate(segno.make(URL, error="m", micro=False).matrix):
        for x, v in enumerate(row):
            expected[y + 4][x + 4] = int(bool(v))
    assert grid == expected
    tokens_on_page = {"-".join(s["groups"]) for s in parse(out).slips}
    for t in list(tokens_on_page)[:5]:  # a code holding the token as well would differ
        other = segno.make(f"{URL}?t={t}", error="m", micro=False)
        assert [list(map(bool, r)) for r in other.matrix] != [list(map(bool, r[4:-4])) for r in grid[4:-4]]


def test_without_url_a_line_to_write_the_address_and_no_code(sq_round, tmp_path):
    engine, rnd = sq_round
    out = tmp_path / "slips.html"
    sl.issue_slips(engine, rnd, kind="self", out=out, lang="en")
    p = parse(out)
    raw = out.read_text(encoding="utf-8")
    assert "<symbol" not in raw and not any(s["qr"] for s in p.slips)
    assert all("Survey address: ____" in s["text"] for s in p.slips)
    assert all("Self assessment" in s["text"] for s in p.slips)


def test_csv_has_bom_tokens_and_no_runnable_formula(hostile_round, tmp_path):
    engine, rnd = hostile_round
    out, csv_path = tmp_path / "slips.html", tmp_path / "slips.csv"
    r = sl.issue_slips(engine, rnd, out=out, csv_path=csv_path, url=URL)
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["轮次", "问卷标题", "部门代码", "部门名称"] and len(body) == r.issued
    names = {row[header.index("部门名称")] for row in body}
    assert names == {XSS_SCRIPT, XSS_ATTR, "'=HYPERLINK(\"http://x\")", "'+1", "'@SUM(A1)", "'-2+3"}
    for row in body:
        assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row)
        assert row[header.index("问卷地址")] == URL
    csv_tokens = {row[header.index("答题码")] for row in body}
    assert csv_tokens == {"-".join(s["groups"]) for s in parse(out).slips}  # the same tokens, once each
    assert stat.S_IMODE(os.stat(csv_path).st_mode) == 0o600


def test_existing_file_is_refused_unchanged_and_nothing_issued(sq_round, tmp_path):
    engine, rnd = sq_round
    out = tmp_path / "slips.html"
    out.write_text("old slips", encoding="utf-8")
    with pytest.raises(ZuofengError, match="已存在.*--force") as e:
        sl.issue_slips(engine, rnd, out=out)
    assert e.value.en == f"{out} already exists and may hold live tokens; remove it or use --force to overwrite"
    assert out.read_text(encoding="utf-8") == "old slips" and n_tokens(engine) == 0
    with pytest.raises(ZuofengError, match="不存在") as e:
        sl.issue_slips(engine, rnd, out=tmp_path / "no" / "slips.html")
    assert e.value.en == f"folder {tmp_path / 'no'} does not exist"
    assert n_tokens(engine) == 0
    r = sl.issue_slips(engine, rnd, kind="self", out=out, force=True)
    assert r.issued == 59 and len(parse(out).slips) == 59 and n_tokens(engine) == 59


def test_write_failure_withdraws_the_new_tokens(sq_round, tmp_path, monkeypatch):
    engine, rnd = sq_round
    sl.issue_slips(engine, rnd, kind="self", out=tmp_path / "first.html")
    before = n_tokens(engine)

    def disk_full(tmp, path, force):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(sl, "_place", disk_full)
    with pytest.raises(OSError, match="No space"):
        sl.issue_slips(engine, rnd, kind="peer", out=tmp_path / "s.html", csv_path=tmp_path / "s.csv")
    assert n_tokens(engine) == before  # the peer tokens nobody could receive are gone again
    assert not (tmp_path / "s.html").exists() and not (tmp_path / "s.csv").exists()
    assert not list(tmp_path.glob(".*.part"))


def test_reissue_only_tops_up_and_writes_nothing_when_complete(sq_round, tmp_path):
    engine, rnd = sq_round
    assert sl.issue_slips(engine, rnd, kind="self", out=tmp_path / "a.html").issued == 59
    r = sl.issue_slips(engine, rnd, kind="self", out=tmp_path / "b.html")
    assert r.issued == 0 and not (tmp_path / "b.html").exists()
    r = sl.issue_slips(engine, rnd, kind="self", extra=1, out=tmp_path / "c.html")
    assert r.issued == 5 and len(parse(tmp_path / "c.html").slips) == 5


def test_slip_order_is_not_the_storage_order(engine, roster_file, tmp_path):
    """On PostgreSQL the heap keeps insertion order: a slip's position must not repeat it."""
    from zuofeng.rounds import create_round, set_status
    create_round(engine, "R1", title="t", roster=roster_file)
    set_status(engine, "R1", "open")
    out = tmp_path / "s.html"
    sl.issue_slips(engine, "R1", kind="self", out=out)
    key = tk.load_key()
    slip_order = [tk.token_hash("-".join(s["groups"]), key) for s in parse(out).slips
                  if "（KJG）" in s["text"]]
    with engine.connect() as c:
        stored = list(c.scalars(text("SELECT hash FROM tokens WHERE rater = 'KJG'")))  # physical order
    assert sorted(slip_order) == sorted(stored) and len(stored) == 25
    assert slip_order != stored


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x/y", "https://a b/", "survey.example.org",
                                 "https://x/" + "a" * 400])
def test_bad_address_is_refused_before_issuing(sq_round, tmp_path, url):
    engine, rnd = sq_round
    with pytest.raises(ZuofengError, match="不是可用的测评网址") as e:
        sl.issue_slips(engine, rnd, out=tmp_path / "s.html", url=url)
    assert "is not a usable survey address" in e.value.en
    assert n_tokens(engine) == 0 and not (tmp_path / "s.html").exists()


def test_cli_issue_and_status(capsys, tmp_path, roster_file):
    db = f"sqlite:///{tmp_path / 'z.db'}"
    assert main(["round", "create", "R1", "--title", "t", "--roster", str(roster_file), "--db", db]) == 0
    assert main(["round", "open", "R1", "--db", db]) == 0
    capsys.readouterr()
    out, csv_path = tmp_path / "s.html", tmp_path / "s.csv"
    assert main(["tokens", "issue", "R1", "--kind", "peer", "--target", "ZX", "--out", str(out),
                 "--csv", str(csv_path), "--url", URL, "--db", db]) == 0
    said = capsys.readouterr().out
    assert "已创建答题码密钥" in said and "离线备份" in said
    assert "新发放 55 个答题码" in said and "互评（外部门） 55" in said  # BGS 12 + XHB 8 + KPB 10 + KJG 25
    assert "0600" in said and str(out) in said and str(csv_path) in said
    assert main(["tokens", "issue", "R1", "--kind", "peer", "--target", "ZX", "--out", str(out), "--db", db]) == 2
    assert f"{out} 已存在" in capsys.readouterr().err
    assert main(["tokens", "issue", "R1", "--kind", "peer", "--target", "ZX", "--out", str(out), "--db", db,
                 "--lang", "en"]) == 2
    assert f"{out} already exists" in capsys.readouterr().err
    assert main(["tokens", "issue", "R1", "--kind", "peer", "--target", "ZX", "--out", str(tmp_path / "t.html"),
                 "--db", db]) == 0
    said = capsys.readouterr().out
    assert "无需发放" in said and "密钥" not in said
    assert main(["tokens", "issue", "R1", "--kind", "peer", "--target", "ZX", "--out", str(tmp_path / "u.html"),
                 "--lang", "en", "--db", db]) == 0
    said = capsys.readouterr().out
    assert "nothing to issue" in said and "every scope has its tokens" in said and "答题码" not in said
    assert main(["tokens", "status", "R1", "--db", db]) == 0
    said = capsys.readouterr().out
    assert re.search(r"KJG\s+互评\s+ZX\s+25\s+0\s+25", said) and "合计：已用 0/55（0%）" in said
    assert said.splitlines()[0].split() == ["评价部门", "问卷", "被评部门", "发出", "已用", "未用"]
    assert main(["tokens", "status", "R1", "--lang", "en", "--db", db]) == 0
    said = capsys.readouterr().out
    assert re.search(r"KJG\s+peer\s+ZX\s+25\s+0\s+25", said) and "total: 0/55 used (0%)" in said
    assert said.splitlines()[0].split() == ["rater", "survey", "target", "issued", "used", "unused"]


@pytest.mark.browser
def test_printed_slips_fill_whole_a4_pages(sq_round, tmp_path):
    """Chromium's print engine lays out ceil(n / 8) A4 pages: no slip spills over a page break."""
    sync_playwright = sync_playwright_or_skip()
    engine, rnd = sq_round
    out = tmp_path / "slips.html"
    r = sl.issue_slips(engine, rnd, kind="self", out=out, url=URL)  # 59 slips: 8 pages, the last one partial
    with sync_playwright() as p:
        b = launch(p)
        try:
            page = b.new_page()
            requests, dialogs = [], []
            page.on("request", lambda req: requests.append(req.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(out.as_uri())
            pdf = page.pdf(format="A4", prefer_css_page_size=True)
            page.emulate_media(media="print")  # measure the layout that is printed
            boxes = page.eval_on_selector_all(".slip", "els => els.map(e => e.scrollHeight - e.clientHeight)")
            # every line of every slip ends inside the slip's padding box: nothing is cut off
            spill = page.eval_on_selector_all(".slip", """els => els.map(e => {
                const box = e.getBoundingClientRect(), pad = parseFloat(getComputedStyle(e).paddingBottom);
                return Math.max(...[...e.querySelectorAll('*')].map(c => c.getBoundingClientRect().bottom))
                       - (box.bottom - pad); })""")
            sizes = page.eval_on_selector_all(".slip .small", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
        finally:
            b.close()
    n_pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert n_pages == math.ceil(r.issued / sl.SLIPS_PER_PAGE) == 8
    assert requests == [out.as_uri()] and dialogs == []
    assert max(boxes) == 0  # no slip's content overflows its box
    assert max(spill) <= 0.5, max(spill)
    assert min(sizes) >= 12  # the instructions print at 9 pt (12 CSS px) or more
