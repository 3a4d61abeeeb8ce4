"""Live streams: an agent's uncommitted work in its worktree is part of its stream, so stitch
points appear before anyone commits — between two agents' worktrees, or between an agent's
worktree and the engineer's buffer — through the same snapshot the editor and `check` use.
Real `git worktree add`, real files; nothing of the repository runs."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hookevents import run
from stitch_ls.core.policy.config import load_team_config
from stitch_ls.core.vcs.gitview import points_for, take_snapshot
from stitch_ls.core.vcs.stitchpoints import SignOffs
from workspaces import CHECKOUT, git, make_workspace

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TEAM = """\
[streams]
base = "main"
branch_pattern = "stream/{feature}/{stream}"
max_per_feature = 4
"""


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A main checkout and two agents' fresh worktrees: branches with no commit yet."""
    root = make_workspace(tmp_path / "main", TEAM)
    wt_a, wt_b = tmp_path / "wt-a", tmp_path / "wt-b"
    git(root, "worktree", "add", "-q", "-b", "stream/billing/a", str(wt_a), "main")
    git(root, "worktree", "add", "-q", "-b", "stream/billing/b", str(wt_b), "main")
    return root, wt_a, wt_b


def team():
    config = load_team_config(TEAM)
    assert not isinstance(config, list)
    return config


def edit(where: Path, old: str, new: str, path: str = "src/checkout.py") -> None:
    file = where / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


def points(root: Path, path: str = "src/checkout.py", live_text: str | None = None, **kw):
    snap = take_snapshot(root, team(), now=NOW, **kw)
    assert snap is not None
    return snap, points_for(root, team(), snap, path, live_text, SignOffs())


def test_a_fresh_worktree_is_no_stream_until_it_holds_work(repo):
    root, wt_a, _ = repo
    snap, found = points(root)
    assert [s.name for s in snap.streams.streams] == [] and found == []
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    snap, _ = points(root)
    assert [s.name for s in snap.streams.streams] == ["billing/a"]
    assert snap.live_streams() == ["billing/a"]
    assert snap.streams.streams[0].ahead == 0


def test_an_agents_drafts_and_questions_are_not_its_streams_work(repo):
    """What an agent writes into its worktree's `.stitch/` (a draft, a question) goes to the
    engineer through Stitch, not as a change of its stream: no stream, no stitch point."""
    root, wt_a, wt_b = repo
    for where in (wt_a, wt_b):
        (where / ".stitch" / "drafts").mkdir(exist_ok=True)
        (where / ".stitch" / "drafts" / "d1.json").write_text('{"id": "d1"}\n')
        (where / ".stitch" / "prompts").mkdir(exist_ok=True)
        (where / ".stitch" / "prompts" / "q1.json").write_text('{"id": "q1"}\n')
    snap, found = points(root, ".stitch/drafts/d1.json")
    assert [s.name for s in snap.streams.streams] == [] and found == []
    assert snap.live_streams() == []


def test_two_agents_uncommitted_edits_of_one_function_make_a_live_point(repo):
    root, wt_a, wt_b = repo
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    edit(wt_b, "return sum(self.items)", "return round(sum(self.items), 2)")
    snap, found = points(root)
    [point] = found
    assert point.symbol == "Cart.total"
    assert point.streams == ("billing/a", "billing/b")
    assert point.live == ("billing/a", "billing/b")
    assert point.conflict  # both rewrote the same line from the same base
    assert "uncommitted on billing/a, billing/b" in point.describe()
    # left out when only commits count
    snap, found = points(root, live=False)
    assert found == [] and snap.live_streams() == []


def test_an_agents_uncommitted_edit_meets_the_engineers_buffer(repo):
    root, wt_a, _ = repo
    edit(wt_a, "return cart.total()", "return cart.total() * 1.2")
    mine = CHECKOUT.replace("return cart.total()", "return cart.total() - discount(cart)")
    _, found = points(root, live_text=mine)
    [point] = found
    assert point.symbol == "pay" and point.streams == ("billing/a", "you")
    assert point.live == ("billing/a",)


def test_a_new_file_an_agent_has_not_added_to_git_is_part_of_its_stream(repo):
    root, wt_a, wt_b = repo
    body = "def fee(cart):\n    return 1\n"
    (wt_a / "src" / "fees.py").write_text(body)
    (wt_b / "src" / "fees.py").write_text("def fee(cart):\n    return 2\n")
    _, found = points(root, "src/fees.py")
    [point] = found
    assert point.symbol == "fee" and point.live == ("billing/a", "billing/b")


def test_committed_and_uncommitted_work_of_one_stream_both_count(repo):
    root, wt_a, wt_b = repo
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    git(wt_a, "commit", "-qam", "Empty carts total zero")
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    _, found = points(root)
    [point] = found
    assert point.streams == ("billing/a", "billing/b")
    assert point.live == ("billing/b",)  # a's version is committed now
    snap, found = points(root, live=False)
    assert found == [] and [s.name for s in snap.streams.streams] == ["billing/a"]


def test_only_the_worktree_that_changed_is_read_again(repo, monkeypatch):
    from stitch_ls.core.vcs import live

    root, wt_a, wt_b = repo
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    edit(wt_b, "return cart.total()", "return cart.total() + 1")
    first = take_snapshot(root, team(), now=NOW)
    read: list[Path] = []
    real = live.read_live
    monkeypatch.setattr(live, "read_live", lambda c, *a: read.append(c) or real(c, *a))
    edit(wt_b, "return cart.total() + 1", "return cart.total() + 2")
    again = take_snapshot(root, team(), first, now=NOW, dirty={wt_b / "src" / "checkout.py"})
    assert read == [Path(os.path.realpath(wt_b))]
    assert again is not None and again.work["billing/a"].live is first.work["billing/a"].live
    assert again.work["billing/b"].version != first.work["billing/b"].version


def test_a_commit_in_a_worktree_is_read_again_though_no_file_changed(repo):
    """An agent commits its uncommitted work: no file in its worktree changes (only git's
    records), yet its stream's head moved, so its work is read again and is committed now."""
    root, wt_a, wt_b = repo
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    first = take_snapshot(root, team(), now=NOW)
    assert first is not None and first.live_in("billing/a", "src/checkout.py")
    git(wt_a, "commit", "-qam", "Empty carts total zero")
    again = take_snapshot(root, team(), first, now=NOW, dirty=set())
    assert again is not None and not again.live_in("billing/a", "src/checkout.py")
    [point] = points_for(root, team(), again, "src/checkout.py", None, SignOffs())
    assert point.live == ("billing/b",)


def test_a_symlink_out_of_a_worktree_is_not_followed_and_is_said(repo, tmp_path):
    root, wt_a, _ = repo
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'x'\n")
    (wt_a / "src" / "leak.py").symlink_to(secret)
    (wt_a / "src" / "fifo.py").unlink(missing_ok=True)
    os.mkfifo(wt_a / "src" / "fifo.py")  # opened for reading, it would block: git skips it
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    snap, _ = points(root)
    said = " ".join(snap.problems)
    assert "billing/a: left out of its live stream (a symlink): src/leak.py" in said
    assert (
        "src/leak.py" not in snap.changes
        and "src/fifo.py" not in snap.changes
        and "TOKEN" not in repr(snap.changes)
    )


def test_a_worktree_record_that_points_elsewhere_is_not_read(repo, tmp_path):
    """git's record of a worktree is a file in `.git` naming any folder: a folder that does
    not point back is not read as the agent's work."""
    root, wt_a, _ = repo
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "src").mkdir(parents=True)
    (elsewhere / "src" / "checkout.py").write_text("x = 1\n")
    (elsewhere / ".git").write_text("gitdir: /nowhere\n")
    record = root / ".git" / "worktrees" / "wt-a" / "gitdir"
    record.write_text(f"{elsewhere}/.git\n")
    snap, _ = points(root)
    assert "does not point back to this repository" in " ".join(snap.streams.problems)
    assert snap.live_streams() == []


def test_a_worktree_config_that_names_programs_runs_none(repo, tmp_path):
    """The worktree's own config (extensions.worktreeConfig) and attributes name a filter and
    an fsmonitor: reading its work runs neither."""
    root, wt_a, _ = repo
    marker = tmp_path / "ran"
    git(root, "config", "extensions.worktreeConfig", "true")
    git(wt_a, "config", "--worktree", "core.fsmonitor", f"touch {marker}; false")
    git(wt_a, "config", "--worktree", "filter.x.clean", f"touch {marker}; cat")
    (wt_a / ".gitattributes").write_text("*.py filter=x\n")
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    snap, _ = points(root)
    assert snap.live_streams() == ["billing/a"]
    assert not marker.exists()


def test_check_says_which_points_are_live_and_committed_leaves_them_out(repo, env):
    root, wt_a, wt_b = repo
    edit(wt_a, "return sum(self.items)", "return sum(self.items) or 0")
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    out = run(env, "check", "--json", cwd=root)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    [point] = report["stitch_points"]
    assert point["live"] == ["billing/a", "billing/b"]
    assert report["live_streams"] == ["billing/a", "billing/b"]
    text = run(env, "check", cwd=root).stdout
    assert "(live: uncommitted on billing/a, billing/b)" in text
    committed = run(env, "check", "--committed", "--json", cwd=root)
    assert committed.returncode == 0, committed.stdout
    assert json.loads(committed.stdout)["stitch_points"] == []


def test_claude_codes_own_worktrees_are_live_streams(tmp_path):
    """`claude --worktree NAME` makes `.claude/worktrees/NAME/` inside the checkout, on a new
    branch `worktree-NAME`: with the pattern `worktree-{stream}` each is a stream (feature
    "default"), read as any worktree is."""
    pattern = TEAM.replace("stream/{feature}/{stream}", "worktree-{stream}")
    root = make_workspace(tmp_path / "main", pattern)
    (root / ".gitignore").write_text(".claude/worktrees/\n")
    for name in ("auth", "fees"):
        where = root / ".claude" / "worktrees" / name
        git(root, "worktree", "add", "-q", "-b", f"worktree-{name}", str(where), "main")
        edit(where, "return sum(self.items)", f"return sum(self.items)  # {name}")
    config = load_team_config(pattern)
    assert not isinstance(config, list)
    snap = take_snapshot(root, config, now=NOW)
    assert snap is not None and snap.live_streams() == ["default/auth", "default/fees"]
    [point] = points_for(root, config, snap, "src/checkout.py", None, SignOffs())
    assert point.symbol == "Cart.total" and point.live == ("default/auth", "default/fees")
