"""Durability of applied drafts, read from a real git repository whose commits carry chosen
dates: the applied lines stand, are rewritten, or are reverted by each horizon."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stitch_ls.core.drafts.model import SourceLogEntry
from stitch_ls.core.record import durability
from stitch_ls.core.vcs.gitrun import open_repo

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
BASE = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
# what each draft writes: lines 2-3 of its file after the apply
APPLIED = "def f():\n    x = compute()\n    return x\n\n\ndef g():\n    return 2\n"


def git(root: Path, *args: str, when: datetime | None = None) -> str:
    env = dict(os.environ)
    if when is not None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


def commit(root: Path, when: datetime, files: dict[str, str | None], message: str) -> str:
    for name, text in files.items():
        if text is None:
            (root / name).unlink()
        else:
            (root / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, when=when)
    return git(root, "rev-parse", "HEAD").strip()


def entry(draft: str, path: str, at: datetime = T0, agent: str = "claude") -> SourceLogEntry:
    """A source-log line as Stitch writes it for an applied draft (written here by hand)."""
    return SourceLogEntry.from_data(
        {
            "version": 1,
            "at": at.isoformat(),
            "draft": draft,
            "title": "t",
            "stream": f"checkout/{draft}",
            "agent": agent,
            "confidence": 0.9,
            "sources": [],
            "evidence": [],
            "accepted_by": "dev",
            "files": [path],
            "ranges": {path: [[2, 3]]},
        }
    )


def history(root: Path) -> str:
    """stands.py keeps the applied lines; rewritten.py has them changed on day 3;
    reverted.py is put back to its old text on day 4; deleted.py loses them on day 5.
    The apply (at T0) is committed an hour later; later.py's apply is committed on day 2."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    names = ["stands.py", "rewritten.py", "reverted.py", "deleted.py", "later.py"]
    commit(root, T0 - timedelta(days=10), dict.fromkeys(names, BASE), "start")
    applied = commit(
        root, T0 + timedelta(hours=1), dict.fromkeys(names[:4], APPLIED), "apply drafts"
    )
    commit(root, T0 + timedelta(days=2), {"later.py": APPLIED}, "apply later")
    commit(
        root,
        T0 + timedelta(days=3),
        {"rewritten.py": APPLIED.replace("x = compute()", "x = compute(fast=True)")},
        "rewrite",
    )
    commit(root, T0 + timedelta(days=4), {"reverted.py": BASE}, "revert")
    commit(
        root,
        T0 + timedelta(days=5),
        {
            "deleted.py": "def f():\n    pass\n\n\ndef g():\n    return 2\n".replace(
                "    pass\n", ""
            )
        },
        "delete",
    )
    commit(root, T0 + timedelta(days=20), {"other.txt": "unrelated\n"}, "unrelated")
    return applied


def test_stands_rewritten_reverted_per_horizon(tmp_path: Path):
    root = tmp_path / "repo"
    applied = history(root)
    entries = [
        entry("s", "stands.py"),
        entry("w", "rewritten.py", agent="copilot"),
        entry("r", "reverted.py"),
        entry("d", "deleted.py"),
        entry("l", "later.py"),
    ]
    results = {
        r.draft: r for r in durability.assess(open_repo(root), entries, T0 + timedelta(days=40))
    }
    assert results["s"].commit == applied
    assert results["s"].horizons == {1: "stands", 7: "stands", 30: "stands"}
    assert results["w"].horizons == {1: "stands", 7: "rewritten", 30: "rewritten"}
    assert results["r"].horizons == {1: "stands", 7: "reverted", 30: "reverted"}
    assert results["d"].horizons == {1: "stands", 7: "reverted", 30: "reverted"}
    # committed on day 2: at the 1-day horizon it was not in yet, so no verdict for it
    assert results["l"].commit != applied and results["l"].horizons == {7: "stands", 30: "stands"}
    summary = durability.as_dict(list(results.values()))
    assert summary["by_agent"]["claude"]["7"] == {"stands": 2, "rewritten": 0, "reverted": 2}
    assert summary["by_agent"]["copilot"]["7"] == {"stands": 0, "rewritten": 1, "reverted": 0}
    assert summary["by_agent"]["claude"]["1"] == {"stands": 3, "rewritten": 0, "reverted": 0}


def test_only_reached_horizons_count_and_uncommitted_has_none(tmp_path: Path):
    root = tmp_path / "repo"
    history(root)
    (root / "stands.py").write_text(APPLIED.replace("return x", "return x + 1"))
    late = entry("u", "stands.py", at=T0 + timedelta(days=30))  # applied, never committed
    results = durability.assess(
        open_repo(root), [entry("w", "rewritten.py"), late], T0 + timedelta(days=8)
    )
    by = {r.draft: r for r in results}
    assert by["w"].horizons == {1: "stands", 7: "rewritten"}  # day 30 not reached on day 8
    assert by["u"].commit is None and by["u"].horizons == {}
    assert durability.as_dict(results)["uncommitted"] == 1


def test_a_git_revert_counts_as_reverted(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    commit(root, T0 - timedelta(days=1), {"a.py": BASE}, "start")
    applied = commit(root, T0 + timedelta(minutes=5), {"a.py": APPLIED}, "apply")
    git(root, "revert", "--no-edit", applied, when=T0 + timedelta(days=6))
    [result] = durability.assess(open_repo(root), [entry("s", "a.py")], T0 + timedelta(days=40))
    assert result.commit == applied
    assert result.horizons == {1: "stands", 7: "reverted", 30: "reverted"}


def test_a_branch_merged_later_counts_from_the_merge(tmp_path: Path):
    """The state at a horizon is HEAD's first-parent line then: an apply committed on a branch
    on day 0 but merged on day 10 was not there at 1 or 7 days."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    commit(root, T0 - timedelta(days=1), {"a.py": BASE}, "start")
    git(root, "checkout", "-q", "-b", "stream")
    applied = commit(root, T0 + timedelta(hours=1), {"a.py": APPLIED}, "apply on the branch")
    git(root, "checkout", "-q", "main")
    commit(root, T0 + timedelta(days=5), {"b.txt": "x\n"}, "mainline work")
    git(root, "merge", "-q", "--no-ff", "-m", "merge", "stream", when=T0 + timedelta(days=10))
    [result] = durability.assess(open_repo(root), [entry("s", "a.py")], T0 + timedelta(days=40))
    assert result.commit == applied
    assert result.horizons == {30: "stands"}
