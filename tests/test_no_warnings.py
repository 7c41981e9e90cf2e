"""Normal output carries no library warnings: a round from roster to reports and ledger, run as the README
runs it, with every warning switched on (``-W default``, also in the report kernels), prints none."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from zuofeng.demo import demo_roster

SAMPLES = Path(__file__).parent / "data" / "io"


def test_the_readme_round_prints_no_warning(tmp_path):
    roster_file = demo_roster()
    db = f"sqlite:///{tmp_path / 'z.db'}"
    t = str(tmp_path)
    commands = [
        ["round", "create", "R0", "--title", "基线", "--roster", str(roster_file)],
        ["round", "open", "R0"], ["simulate", "R0", "--seed", "1"], ["round", "close", "R0"],
        ["round", "create", "R1", "--title", "年终", "--roster", str(roster_file), "--previous", "R0"],
        ["round", "open", "R1"],
        ["tokens", "issue", "R1", "--kind", "self", "--out", f"{t}/slips.html"],
        ["import", "--template", f"{t}/template.xlsx", "R1"],
        ["import", "R1", str(SAMPLES / "template_ballots.csv"), "--dry-run"],  # refused (a department it lacks)
        ["simulate", "R1", "--seed", "2"],
        ["status", "R1"], ["tokens", "status", "R1"], ["round", "list"],
        ["score", "R1"], ["score", "R1", "--out", f"{t}/scores.xlsx"], ["export", "R1", "--out", f"{t}/export.xlsx"],
        ["round", "close", "R1"],
        ["ledger", "problems", "R0", "--out", f"{t}/problems.xlsx"], ["ledger", "init", "R0"],
        ["ledger", "export", "R0", "--department", "KJG", "--out", f"{t}/KJG.xlsx"],
        ["ledger", "import", f"{t}/KJG.xlsx", "--dry-run"], ["ledger", "status", "R0"],
        ["report", "R1", "--department", "KJG", "--jobs", "1", "--no-progress", "--out", f"{t}/reports"],
        ["backup", "--out", f"{t}/backup.db"],
    ]
    script = textwrap.dedent(f"""
        import sys
        from zuofeng.cli import main
        codes = [main(args + ["--db", {db!r}]) for args in {commands!r}]
        print("CODES", codes)
    """)
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    proc = subprocess.run([sys.executable, "-W", "default", "-c", script], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600, check=False)
    codes = [c for c in proc.stdout.splitlines() if c.startswith("CODES")]
    expected = [0] * len(commands)
    expected[8] = 2  # the sample ballots name a department this roster does not have
    assert codes == [f"CODES {expected}"], proc.stderr
    assert "Warning" not in proc.stderr and "warn" not in proc.stderr.lower(), proc.stderr
    assert "Traceback" not in proc.stderr
    pages = list((tmp_path / "reports").rglob("*.html"))  # the kernels' warnings would be in the pages
    assert len(pages) >= 2 and not [p.name for p in pages if "Warning" in p.read_text(encoding="utf-8")]
