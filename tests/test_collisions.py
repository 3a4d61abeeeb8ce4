"""Collisions stopped before they are written: an agent's pre-tool hook asks to edit lines
another stream (committed, or live in its worktree) or the engineer's buffer has changed, and
the guard — a separate OS process, as the agent starts it — answers from the collision index
the indexer keeps, per the team's `[streams] on_collision`. Real worktrees, the real indexer
(in-process, as `stitch-ls watch` runs it) and the real `stitch-ls guard`."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hookevents import claude, claude_decision, claude_warning, cursor, guard
from stitch_ls.core.vcs import collisions
from stitch_ls.indexer.process import Indexer
from workspaces import CHECKOUT, git, make_workspace

TEAM = """\
[streams]
base = "main"
branch_pattern = "stream/{feature}/{stream}"
max_per_feature = 4
{extra}
[features.billing]
stitch_owner = "lead@example.com"
paths = ["src/**"]
"""


def repo_with(tmp_path: Path, extra: str = "") -> tuple[Path, Path, Path]:
    root = make_workspace(tmp_path / "main", TEAM.replace("{extra}", extra))
    wt_a, wt_b = tmp_path / "wt-a", tmp_path / "wt-b"
    git(root, "worktree", "add", "-q", "-b", "stream/billing/a", str(wt_a), "main")
    git(root, "worktree", "add", "-q", "-b", "stream/billing/b", str(wt_b), "main")
    return root, wt_a, wt_b


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    return repo_with(tmp_path)


def edit(where: Path, old: str, new: str, path: str = "src/checkout.py") -> None:
    file = where / path
    file.write_text(file.read_text().replace(old, new, 1))


def look(root: Path, now: datetime | None = None) -> Indexer:
    """The indexer looks at git and writes the index, as the editor's (or `watch`) does."""
    indexer = Indexer(root)
    now = now or datetime.now(UTC)
    indexer.load(now)
    assert indexer.git(indexer.ws.team, now) is not None
    indexer.write_collisions(now)
    return indexer


def edit_event(where: Path, old: str, new: str = "pass") -> dict:
    target = where / "src" / "checkout.py"
    return claude(where, "Edit", {"file_path": str(target), "old_string": old, "new_string": new})


def test_an_edit_of_a_function_another_agent_is_rewriting_is_named(repo, env):
    root, wt_a, wt_b = repo
    edit(wt_b, "return sum(self.items)", "return round(sum(self.items), 2)")
    look(root)
    said = claude_warning(guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)")))
    assert said is not None
    assert "stream billing/b (uncommitted work on stream/billing/b) changed Cart.total" in said
    assert "stitch owner lead@example.com" in said
    # elsewhere in the file: nothing to say
    assert guard(env, "claude-code", edit_event(wt_a, "return cart.total()")).stdout == ""
    # another agent's edit of its own work is not a collision with itself
    assert guard(env, "claude-code", edit_event(wt_b, "return round(")).stdout == ""


def test_a_write_of_the_whole_file_meets_every_change_in_it(repo, env):
    root, wt_a, wt_b = repo
    edit(wt_b, "return cart.total()", "return cart.total() + 1")
    look(root)
    target = wt_a / "src" / "checkout.py"
    event = claude(wt_a, "Write", {"file_path": str(target), "content": "x = 1\n"})
    said = claude_warning(guard(env, "claude-code", event))
    assert said is not None and "changed pay" in said


def test_two_agents_creating_the_same_new_file(repo, env):
    root, wt_a, wt_b = repo
    (wt_b / "src" / "fees.py").write_text("def fee():\n    return 2\n")
    look(root)
    target = wt_a / "src" / "fees.py"
    event = claude(wt_a, "Write", {"file_path": str(target), "content": "def fee(): ...\n"})
    said = claude_warning(guard(env, "claude-code", event))
    assert said is not None and "billing/b" in said and "the file" in said


def test_committed_work_on_another_stream_counts_too(repo, env):
    root, wt_a, wt_b = repo
    edit(wt_b, "return sum(self.items)", "return sum(self.items) or 0")
    git(wt_b, "commit", "-qam", "Empty carts")
    look(root)
    said = claude_warning(guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)")))
    assert said is not None and "committed work on stream/billing/b" in said


def test_lines_the_agent_added_above_are_followed_to_the_base(repo, env):
    """The agent's own uncommitted lines above the edit shift it: its own changes in the
    index map its lines back to the base's."""
    root, wt_a, wt_b = repo
    edit(wt_a, '"""Checkout."""\n', '"""Checkout."""\nimport math\nimport os\nimport re\n')
    edit(wt_b, "return cart.total()", "return cart.total() + 1")
    look(root)
    assert guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)")).stdout == ""
    said = claude_warning(guard(env, "claude-code", edit_event(wt_a, "return cart.total()")))
    assert said is not None and "changed pay" in said


def test_the_engineers_unsaved_buffer_counts(repo, env):
    root, wt_a, _ = repo
    indexer = look(root)
    indexer.watch(frozenset({"src/checkout.py"}))  # the engineer opens the file
    mine = CHECKOUT.replace("return cart.total()", "return cart.total() - discount(cart)")
    indexer.points("src/checkout.py", mine)
    said = claude_warning(guard(env, "claude-code", edit_event(wt_a, "return cart.total()")))
    assert said is not None and "the engineer's open buffer (unsaved) changed pay" in said
    indexer.watch(frozenset())  # the buffer is closed: nothing of the engineer's is open
    assert guard(env, "claude-code", edit_event(wt_a, "return cart.total()")).stdout == ""


def test_the_engineers_unsaved_buffer_counts_in_the_checkout_an_agent_shares(repo, env):
    """An agent working in the engineer's own checkout: the file on disk is both of theirs,
    but the engineer's unsaved changes are not on disk yet, so they still collide."""
    root, _, _ = repo
    indexer = look(root)
    indexer.watch(frozenset({"src/checkout.py"}))
    mine = CHECKOUT.replace("return cart.total()", "return cart.total() - discount(cart)")
    indexer.points("src/checkout.py", mine)
    said = claude_warning(guard(env, "claude-code", edit_event(root, "return cart.total()")))
    assert said is not None and "the engineer's open buffer (unsaved) changed pay" in said


def test_a_symlink_planted_as_the_index_folder_is_not_written_through(repo, tmp_path):
    """The index lives under git's folder, where an agent can write: a link put in its
    place (or its parent's) sends no entry elsewhere."""
    root, _, wt_b = repo
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    folder = collisions.folder_of(root / ".git")
    for planted in (folder, folder.parent):
        look(root)  # the index as it was: then the link put in its place
        elsewhere = tmp_path / f"elsewhere-{planted.name}"
        elsewhere.mkdir()
        shutil.rmtree(planted)
        planted.symlink_to(elsewhere, target_is_directory=True)
        look(root)
        assert list(elsewhere.rglob("*")) == [], planted
        planted.unlink()


@pytest.mark.parametrize("mode", ["ask", "deny"])
def test_the_team_chooses_ask_or_deny(tmp_path, env, mode):
    root, wt_a, wt_b = repo_with(tmp_path, f'on_collision = "{mode}"\n')
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    look(root)
    decision = claude_decision(
        guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)"))
    )
    assert decision is not None and decision[0] == mode and "Cart.total" in decision[1]
    target = str(wt_a / "src" / "checkout.py")
    event = cursor(
        wt_a,
        "preToolUse",
        tool_name="Edit",
        tool_input={"file_path": target, "old_string": "return sum(self.items)"},
    )
    out = json.loads(guard(env, "cursor", event).stdout)
    assert out["permission"] == mode and "billing/b" in out["agentMessage"]


def test_a_branch_cannot_loosen_on_collision(tmp_path, env):
    """The team file in force is the accepted one: an agent's branch setting warn where the
    base says deny changes nothing."""
    root, wt_a, wt_b = repo_with(tmp_path, 'on_collision = "deny"\n')
    (wt_a / ".stitch" / "config.toml").write_text(
        TEAM.replace("{extra}", 'on_collision = "warn"\n')
    )
    git(wt_a, "commit", "-qam", "Loosen")
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    look(root)
    decision = claude_decision(
        guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)"))
    )
    assert decision is not None and decision[0] == "deny"


def test_old_knowledge_says_how_old(repo, env):
    root, wt_a, wt_b = repo
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    look(root, datetime.now(UTC) - timedelta(seconds=95))
    said = claude_warning(guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)")))
    assert said is not None and "(as Stitch saw it 9" in said and "s ago)" in said


@pytest.mark.parametrize(
    "planted",
    ids=["not-json", "wrong-type", "bad-ranges", "oversized", "many-bad-symbols"],
    argvalues=[
        "{not json",
        json.dumps({"version": 1, "touches": [{"stream": 7}]}),
        json.dumps({"version": 1, "touches": [{"stream": "x", "branch": "y", "ranges": "all"}]}),
        "x" * 300_000,
        json.dumps(
            {
                "version": 1,
                "touches": [
                    {
                        "stream": "x",
                        "branch": "y",
                        "ranges": [[0, 9]],
                        "new": [[0, 9]],
                        "symbols": [[1, 2]],
                    }
                ]
                * 100,
            }
        ),
    ],
)
def test_a_planted_index_entry_is_read_safely(repo, env, planted):
    """The index lives where agents can write: what is not a well-formed entry is no entry,
    and a well-formed one is only text in a message (escaped, bounded)."""
    root, wt_a, _ = repo
    look(root)
    dirs_common = root / ".git"
    folder = collisions.folder_of(dirs_common)
    (folder / f"{collisions.entry_name('src/checkout.py')}.json").write_text(planted)
    result = guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)"))
    assert result.returncode == 0
    if result.stdout.strip():
        said = claude_warning(result)
        assert said is not None and "\n" not in said and len(said) < 2000


def test_a_fifo_planted_as_the_index_does_not_hang_the_guard(repo, env):
    root, wt_a, _ = repo
    look(root)
    folder = collisions.folder_of(root / ".git")
    entry = folder / f"{collisions.entry_name('src/checkout.py')}.json"
    entry.unlink(missing_ok=True)
    os.mkfifo(entry)
    os.mkfifo(folder / "looked.json.x")
    result = guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)"))
    assert result.returncode == 0 and result.stdout == ""


def test_no_index_means_no_collision_known(repo, env):
    _, wt_a, wt_b = repo
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    assert guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)")).stdout == ""


def test_stitch_ls_watch_keeps_the_index_fresh_beside_agents(repo, env):
    """No editor: `stitch-ls watch`, one OS process, keeps the index; the guard, another,
    sees an agent's uncommitted edit in its worktree within seconds of the write."""
    import subprocess
    import sys
    import time

    root, wt_a, wt_b = repo
    watcher = subprocess.Popen(
        [sys.executable, "-m", "stitch_ls", "watch", "--workspace", str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "watching" in (watcher.stdout.readline() if watcher.stdout else "")
        assert "collision index" in (watcher.stdout.readline() if watcher.stdout else "")
        event = edit_event(wt_a, "return sum(self.items)")
        assert guard(env, "claude-code", event).stdout == ""
        edit(wt_b, "return sum(self.items)", "return sum(self.items) or 0")
        deadline, said = time.monotonic() + 20, None
        while said is None and time.monotonic() < deadline:
            time.sleep(0.3)
            said = claude_warning(guard(env, "claude-code", event))
        assert said is not None and "billing/b" in said and "Cart.total" in said
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


def test_watch_once_writes_the_index_and_exits(repo, env):
    from hookevents import run

    root, wt_a, wt_b = repo
    edit(wt_b, "return sum(self.items)", "return sum(self.items) or 0")
    out = run(env, "watch", "--once", cwd=root)
    assert out.returncode == 0, out.stderr
    assert "1 stream(s) (billing/b with uncommitted work)" in out.stdout
    said = claude_warning(guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)")))
    assert said is not None and "billing/b" in said


def test_the_collision_check_loads_no_git_and_no_parser(repo, env):
    """The guard's path stays light: answering an edit that meets another stream reads the
    index only, and loads neither GitPython, tree-sitter nor pydantic."""
    import subprocess
    import sys

    root, wt_a, wt_b = repo
    edit(wt_b, "return sum(self.items)", "return sum(self.items) + 0")
    look(root)
    guard(env, "claude-code", edit_event(wt_a, "return sum(self.items)"))  # the policy compiled
    probe = (
        "import os, sys\nended = []\n"
        "def end(code):\n    ended.append(code)\n    raise SystemExit(code)\n"
        "os._exit = end\nfrom stitch_ls.cli import main\n"
        "try:\n    main(['guard', '--agent', 'claude-code'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'git', "
        "'tree_sitter', 'pygls', 'lsprotocol', 'dataclasses'})\n"
        "print(ended[0], heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        input=json.dumps(edit_event(wt_a, "return sum(self.items)")),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=wt_a,
    )
    assert "billing/b" in result.stdout
    assert result.stderr.strip() == "0 []"
