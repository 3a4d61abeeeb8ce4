"""`stitch-ls report` with durability: a real repository whose commits carry chosen dates and a
source-log line written by hand, through the command line in all three formats."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.test_durability import APPLIED, BASE, commit, git

# far enough back that every horizon (30 days) has been reached when the command runs
T0 = (datetime.now(UTC) - timedelta(days=60)).replace(microsecond=0)


def log_line(draft: str, path: str, agent: str, confidence: float = 0.9) -> str:
    return json.dumps(
        {
            "version": 1,
            "at": T0.isoformat(),
            "draft": draft,
            "title": "t",
            "stream": "checkout/a",
            "agent": agent,
            "confidence": confidence,
            "sources": [{"kind": "doc", "ref": "d", "why": "w"}],
            "evidence": [],
            "accepted_by": "dev",
            "files": [path],
            "ranges": {path: [[2, 3]]},
        }
    )


def workspace_with_history(root: Path) -> None:
    root.mkdir()
    (root / ".stitch").mkdir()
    (root / ".stitch" / "config.toml").write_text("")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    names = ["kept.py", "changed.py", "undone.py"]
    commit(root, T0 - timedelta(days=5), dict.fromkeys(names, BASE), "start")
    commit(root, T0 + timedelta(hours=2), dict.fromkeys(names, APPLIED), "apply")
    commit(
        root, T0 + timedelta(days=3), {"changed.py": APPLIED.replace("compute()", "other()")}, "c"
    )
    commit(root, T0 + timedelta(days=4), {"undone.py": BASE}, "undo")
    (root / ".stitch" / "source-log.jsonl").write_text(
        "\n".join(
            [
                log_line("k", "kept.py", "claude"),
                log_line("c", "changed.py", "claude", 0.5),
                log_line("u", "undone.py", "copilot"),
            ]
        )
        + "\n"
    )


def report(root: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "stitch_ls", "report", *args, "--workspace", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_json_markdown_and_html_carry_durability(tmp_path: Path):
    root = tmp_path / "shop"
    workspace_with_history(root)
    data = json.loads(report(root, "--json"))["durability"]
    verdicts = {d["draft"]: d["horizons"] for d in data["drafts"]}
    assert verdicts == {
        "k": {"1": "stands", "7": "stands", "30": "stands"},
        "c": {"1": "stands", "7": "rewritten", "30": "rewritten"},
        "u": {"1": "stands", "7": "reverted", "30": "reverted"},
    }
    assert data["by_agent"]["claude"]["30"] == {"stands": 1, "rewritten": 1, "reverted": 0}
    assert data["by_agent"]["copilot"]["7"] == {"stands": 0, "rewritten": 0, "reverted": 1}
    assert data["by_stream"]["checkout/a"]["7"] == {"stands": 1, "rewritten": 1, "reverted": 1}

    text = report(root)
    assert "## Durability" in text
    assert "| claude | 2 / 0 / 0 | 1 / 1 / 0 | 1 / 1 / 0 |" in text
    assert "| copilot | 1 / 0 / 0 | 0 / 0 / 1 | 0 / 0 / 1 |" in text

    page = report(root, "--format", "html")
    assert "<b>shop</b>" in page and f"generated {datetime.now(UTC):%Y-%m-%d}" in page
    assert "Weekly trends" in page and page.count("<svg") == 5  # four trends + calibration
    assert "durability at 7 days" in page
    # every calibration bucket here has under 5 drafts: greyed, with its count shown
    assert '<tr class="few"><td>0.9-1.0</td><td>2</td>' in page
    assert 'class="few"><title>0.9-1.0: 2/2 applied' in page and "n=2" in page
    assert "<script" not in page
