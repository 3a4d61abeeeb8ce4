"""Stitch points against what git's three-way merge sees, on small real repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from gitrepos import STREAM_TEAM, commit_on, git
from stitch_ls.core.policy.config import load_team_config
from stitch_ls.core.vcs.gitview import points_for, take_snapshot
from stitch_ls.core.vcs.stitchpoints import SignOffs
from workspaces import make_workspace

TEAM = load_team_config(STREAM_TEAM)
A, B = "stream/checkout/a", "stream/checkout/b"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stitch_ls", "check", "--json", "--workspace", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def repo_with(root: Path, files: dict[str, str]) -> Path:
    make_workspace(root, STREAM_TEAM)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "files")
    return root


def points(root: Path, path: str) -> list:
    snap = take_snapshot(root, TEAM, now=NOW)
    assert snap is not None
    return points_for(root, TEAM, snap, path, None, SignOffs())


CHANGELOG = "# Changes\n\n## 1.1\n\n- one\n- two\n\n## 1.0\n\n- first\n"


def test_two_streams_on_the_same_lines_of_a_file_without_grammar(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"CHANGES.md": CHANGELOG})
    commit_on(root, A, "CHANGES.md", "- two\n", "- two\n- from a\n", "a: changelog")
    commit_on(root, B, "CHANGES.md", "- two\n", "- two\n- from b\n", "b: changelog")
    [point] = points(root, "CHANGES.md")
    assert point.streams == ("checkout/a", "checkout/b") and point.conflict
    result = check(root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert [p["path"] for p in report["stitch_points"]] == ["CHANGES.md"]
    assert report["stitch_points"][0]["conflict"] is True


MODULE = '''"""Money."""

import os

__version__ = "1.0"


def total(items):
    return sum(items)


def pay(cart):
    first = 1
    second = 2
    return cart


def refund(cart):
    return cart
'''


def summary(found: list) -> list[tuple[str, tuple[str, ...], bool]]:
    return [(p.symbol, p.streams, p.conflict) for p in found]


def test_only_the_points_holding_a_conflicting_hunk_are_flagged(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/money.py": MODULE})
    commit_on(root, A, "src/money.py", "return sum(items)", "return sum(items) or 0", "a total")
    commit_on(root, A, "src/money.py", "first = 1", "first = 10", "a pay")
    commit_on(root, B, "src/money.py", "return sum(items)", "return sum(items) + 0", "b total")
    commit_on(root, B, "src/money.py", "return cart\n", "return cart  # same\n", "b pay")
    assert summary(points(root, "src/money.py")) == [
        ("total", ("checkout/a", "checkout/b"), True),
        ("pay", ("checkout/a", "checkout/b"), False),  # both changed it, git merges it cleanly
    ]


def test_module_level_code_is_a_point_named_after_what_it_is(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/money.py": MODULE})
    commit_on(root, A, "src/money.py", "import os\n", "import os\nimport re\n", "a imports")
    commit_on(root, A, "src/money.py", '"1.0"', '"1.1"', "a version")
    commit_on(root, B, "src/money.py", "import os\n", "import os\nimport sys\n", "b imports")
    commit_on(root, B, "src/money.py", '"1.0"', '"2.0"', "b version")
    assert summary(points(root, "src/money.py")) == [
        ("__version__", ("checkout/a", "checkout/b"), True),
        ("imports", ("checkout/a", "checkout/b"), True),
    ]


def test_unnamed_module_code_is_a_line_range_point(tmp_path: Path):
    text = MODULE + '\nif __name__ == "__main__":\n    pay(None)\n'
    root = repo_with(tmp_path / "ws", {"src/money.py": text})
    commit_on(root, A, "src/money.py", "pay(None)", "pay(1)", "a main")
    commit_on(root, B, "src/money.py", "pay(None)", "pay(2)", "b main")
    [point] = points(root, "src/money.py")
    assert point.symbol == "module (lines 22-22)" and point.conflict


def test_an_insertion_next_to_the_other_sides_edit_is_caught(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/money.py": MODULE})
    # a renames pay; b inserts a new function right above it: git's merge conflicts there
    commit_on(root, A, "src/money.py", "def pay(cart):", "def pay(cart, amount):", "a")
    commit_on(
        root,
        B,
        "src/money.py",
        "def pay(cart):",
        "def tax(items):\n    return 0\n\n\ndef pay(cart):",
        "b",
    )
    assert summary(points(root, "src/money.py")) == [
        ("pay", ("checkout/a", "checkout/b"), True),
        ("tax", ("checkout/a", "checkout/b"), True),
    ]


def test_modify_delete_of_a_file_is_one_point(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/money.py": MODULE})
    commit_on(root, A, "src/money.py", "first = 1", "first = 10", "a pay")
    git(root, "checkout", "-q", "-b", B, "main")
    git(root, "rm", "-q", "src/money.py")
    git(root, "commit", "-qm", "b drops money")
    git(root, "checkout", "-q", "main")
    [point] = points(root, "src/money.py")
    assert (point.symbol, point.conflict) == ("whole file", True)
    assert point.note == "deleted on checkout/b" and "deleted on checkout/b" in point.describe()


def test_a_content_line_that_looks_like_a_file_header_stays_in_its_hunk(tmp_path: Path):
    """Issue 15: a '+' line whose text starts with '++ ' is content, not a '+++' header."""
    text = "def note():\n    return '''\n    x\n    '''\n"
    root = repo_with(tmp_path / "ws", {"src/notes.py": text, "src/other.py": "y = 1\n"})
    for branch, header in ((A, "++ /dev/null"), (B, "++ b/src/other.py")):
        commit_on(root, branch, "src/notes.py", "    x\n", f"    x\n{header}\n", "header-like")
    snap = take_snapshot(root, TEAM, now=NOW)
    assert snap is not None
    assert set(snap.changes) == {"src/notes.py"}
    [point] = points_for(root, TEAM, snap, "src/notes.py", None, SignOffs())
    assert (point.symbol, point.streams) == ("note", ("checkout/a", "checkout/b"))
    diff = git(root, "diff", "-U0", "main", A)
    [file_diff] = __import__("stitch_ls.core.vcs.streams", fromlist=["x"]).parse_diff(diff)
    assert file_diff.path == "src/notes.py"
    assert [h.lines for h in file_diff.hunks] == [("+++ /dev/null",)]


def test_a_record_separator_in_file_content_does_not_break_reading_commits(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"data/sep.txt": "a\x1eb\n"})
    commit_on(root, A, "data/sep.txt", "a\x1eb", "a\x1ec", "people's commit")
    commit_on(
        root,
        A,
        "src/checkout.py",
        "return sum(self.items)",
        "return sum(self.items) or 0",
        "Agent work\n\nStitch-Source: doc docs/money.md | rule\nStitch-Confidence: 0.9",
    )
    commit_on(root, B, "data/sep.txt", "a\x1eb", "a\x1ed", "b changes it too")
    snap = take_snapshot(root, TEAM, now=NOW)
    assert snap is not None and not snap.problems
    [draft] = snap.drafts
    assert draft.edits[0].path == "src/checkout.py" and "or 0" in draft.edits[0].text
    [point] = points(root, "data/sep.txt")
    assert point.conflict


def test_conflicts_found_in_process_are_the_ones_git_merge_tree_finds(tmp_path: Path):
    """Streams that left the base at the same commit get their conflicts from their own
    diffs (no git process per pair): the same places `git merge-tree` and the hunk walk find,
    on conflicting, touching, identical and distant edits; a shared commit falls back to git."""
    from stitch_ls.core.vcs.gitview import pair_conflicts, shared_base_conflicts
    from stitch_ls.core.vcs.streams import open_repo

    text = "".join(f"line {n}\n" for n in range(40))
    root = repo_with(tmp_path / "ws", {"notes.txt": text, "CHANGES.md": CHANGELOG})
    commit_on(root, A, "notes.txt", "line 3\n", "line 3 by a\n", "a: 3")
    commit_on(root, B, "notes.txt", "line 3\n", "line 3 by b\n", "b: 3")  # same line
    commit_on(root, A, "notes.txt", "line 10\n", "line 10 by a\n", "a: 10")
    commit_on(root, B, "notes.txt", "line 11\n", "line 11 by b\n", "b: 11")  # touching
    commit_on(root, A, "notes.txt", "line 20\n", "line 20 same\n", "a: 20")
    commit_on(root, B, "notes.txt", "line 20\n", "line 20 same\n", "b: 20")  # identical
    commit_on(root, A, "notes.txt", "line 30\n", "line 30 a\n", "a: 30")
    commit_on(root, B, "notes.txt", "line 38\n", "line 38 b\n", "b: 38")  # distant
    commit_on(root, A, "CHANGES.md", "- two\n", "- two\n- a\n", "a: changes")
    commit_on(root, B, "CHANGES.md", "- two\n", "- two\n- b\n", "b: changes")
    snap = take_snapshot(root, TEAM, now=NOW)
    a, b = sorted(snap.streams.streams, key=lambda s: s.name)
    fast = shared_base_conflicts(a, snap.work[a.name], b, snap.work[b.name])
    by_git = pair_conflicts(open_repo(root), a.name, a.head, b.name, b.head)
    assert fast is not None and len(fast) >= 3
    assert sorted((p, c.base) for p, c in fast) == sorted((p, c.base) for p, c in by_git)
    assert fast == by_git

    # b takes a's commits: their merge base is no longer where both left main
    git(root, "checkout", "-q", B)
    git(root, "merge", "-q", "--no-edit", "-X", "ours", A)
    git(root, "checkout", "-q", "main")
    snap = take_snapshot(root, TEAM, now=NOW)
    a, b = sorted(snap.streams.streams, key=lambda s: s.name)
    assert shared_base_conflicts(a, snap.work[a.name], b, snap.work[b.name]) is None


UNRELEASED = "Version 2.2.3\n-------------\n\nUnreleased\n\n\n"
RELEASES = "".join(
    f"Version 1.{n}\n-----\n\nReleased 2011-{n:03d}\n\n"
    f"-   Change {n}.0 in this release.\n-   Change {n}.1 in this release.\n\n"
    for n in range(10)
)


def test_an_insertion_git_diff_places_elsewhere_at_u0_is_where_the_merge_sees_it(tmp_path):
    """Found replaying pallets/flask's merge 7464e17c5e: one side starts a new release section
    (the old heading changed, a new section inserted), the other adds an entry under
    "Unreleased". At -U0 git trims the files' long common tail before diffing and histogram
    then puts the first side's insertion a line lower than the merge does, so the two
    insertions seemed a line apart; git's merge (whole files) sees them at one place and
    conflicts. The streams' conflicts must be the merge's."""
    from stitch_ls.core.vcs.gitview import pair_conflicts, shared_base_conflicts
    from stitch_ls.core.vcs.streams import open_repo

    root = repo_with(tmp_path / "ws", {"CHANGES.rst": UNRELEASED + RELEASES})
    new_section = (
        "Version 2.3.0\n-------------\n\nUnreleased\n\n\n"
        "Version 2.2.3\n-------------\n\nUnreleased\n\n"
        "-   Autoescaping is now enabled by default for ``.svg`` files. Inside\n"
        "    templates this behavior can be changed with the ``autoescape`` tag.\n"
        "    :issue:`4831`\n\n"
    )
    commit_on(root, A, "CHANGES.rst", UNRELEASED, new_section, "a: start 2.3.0")
    commit_on(
        root,
        B,
        "CHANGES.rst",
        "Unreleased\n\n\n",
        "Unreleased\n\n-   Fix the type of ``template_folder``. :issue:`4892`\n\n\n",
        "b: an entry",
    )
    merged = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", A, B],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert merged.returncode == 1 and "CHANGES.rst" in merged.stdout  # git: a conflict
    at_u0 = git(root, "diff", "-U0", "--histogram", "--no-indent-heuristic", "main", A)
    assert "@@ -1 +1 @@" in at_u0  # the trimmed diff's shape, which hid it
    snap = take_snapshot(root, TEAM, now=NOW)
    a, b = sorted(snap.streams.streams, key=lambda s: s.name)
    fast = shared_base_conflicts(a, snap.work[a.name], b, snap.work[b.name])
    by_git = pair_conflicts(open_repo(root), a.name, a.head, b.name, b.head)
    assert fast is not None and [(p, c.base) for p, c in fast] == [("CHANGES.rst", (5, 5))]
    assert fast == by_git
