"""The field report's failures, replayed through the real CLI: a one-character typo in the team
file, an agent loosening it, an agent tampering with the switches, files that are not files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stitch_ls.core.files.paths import StitchPaths
from test_cli import cli
from workspaces import draft, git, make_workspace, write_draft

TEAM = """\
[agents]
confidence_floor = 0.65
irreversible_paths = ["migrations/**"]

[trust]
unsourced_per_hour = 3
"""


def drop_table(root: Path) -> None:
    """An irreversible migration with a source but no test evidence."""
    body = draft("drop-orders")
    body["edits"] = [
        {"path": "migrations/0003.sql", "create": True, "text": "DROP TABLE orders;\n"}
    ]
    body["evidence"] = []
    write_draft(root, body)


@pytest.mark.parametrize(
    "typo",
    [
        ("irreversible_paths", "irreversible_path"),  # a misspelt key
        ("[trust]", "[trust"),  # a stray bracket
    ],
)
def test_a_typo_in_the_team_file_lets_no_drop_table_through(tmp_path: Path, typo):
    root = make_workspace(tmp_path / "ws", TEAM)
    config = root / ".stitch" / "config.toml"
    config.write_text(config.read_text().replace(*typo))
    drop_table(root)
    applied = cli(root, "draft", "apply", "drop-orders")
    assert applied.returncode == 3 and "irreversible" in applied.stderr
    assert not (root / "migrations" / "0003.sql").exists()
    status = json.loads(cli(root, "status", "--json").stdout)
    assert status["policy"]["from"] == "HEAD" and status["policy"]["problem"]
    assert status["floor"]["from"] == "team file at HEAD"
    human = cli(root, "status").stdout
    assert "policy: team file at HEAD (working copy: line " in human


def test_an_agent_loosening_the_working_copy_or_a_branch_changes_nothing(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", TEAM)
    config = root / ".stitch" / "config.toml"
    config.write_text(TEAM.replace('"migrations/**"', "").replace("0.65", "0.1"))
    git(root, "checkout", "-q", "-b", "stream/checkout/a")
    git(root, "commit", "-qam", "loosen")  # committed on a branch: still not on main
    write_draft(root, draft("low", confidence=0.3))
    drop_table(root)
    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["low"]["reason"] == "0.30 < floor 0.65"
    assert rows["drop-orders"]["gate"] == "blocked"
    status = json.loads(cli(root, "status", "--json").stdout)
    assert any("confidence_floor = 0.1 is looser" in n for n in status["config"]["notes"])
    # merged into main (or main moved by anyone): it loosens, so it waits for a person
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--ff-only", "stream/checkout/a")
    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["low"]["gate"] == "below_floor"
    status = json.loads(cli(root, "status", "--json").stdout)
    assert any("confidence_floor = 0.1" in w for w in status["policy"]["waiting"])
    assert status["config"]["notes"] == []  # not "takes effect when merged": it is merged
    said = cli(root, "status").stdout
    assert "waits for your approval (stitch-ls approve): agents.confidence_floor = 0.1" in said
    # a person approves it: then it is the team's policy
    approved = cli(root, "approve")
    assert approved.returncode == 0, approved.stderr
    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["low"]["gate"] == "actionable"


def test_tampering_with_files_in_the_workspace_cannot_turn_read_only_off(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", TEAM)
    assert cli(root, "read-only", "on", "--reason", "incident").returncode == 0
    stitch = root / ".stitch"
    for tampered in ("{}", '{"version": 1, "read_only": {"on": false}}'):
        (stitch / "state.json").write_text(tampered)
        status = json.loads(cli(root, "status", "--json").stdout)
        assert status["read_only"]["on"] is True and status["read_only"]["reason"] == "incident"
    state = StitchPaths(root).state
    assert not state.is_relative_to(root)
    state.write_text("{ not json")  # the user's own file, broken: stricter, never looser
    status = json.loads(cli(root, "status", "--json").stdout)
    assert status["read_only"]["on"] is True and "unreadable" in status["read_only"]["reason"]


def test_an_existing_state_json_is_migrated_once(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", TEAM)
    legacy = {
        "version": 1,
        "read_only": {"on": True, "by": "lead", "since": "2026-11-01T00:00:00Z", "reason": "old"},
    }
    (root / ".stitch" / "state.json").write_text(json.dumps(legacy))
    status = json.loads(cli(root, "status", "--json").stdout)
    assert status["read_only"]["reason"] == "old"
    assert cli(root, "read-only", "off").returncode == 0  # written to the user's own file
    assert json.loads(cli(root, "status", "--json").stdout)["read_only"]["on"] is False


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "deep"])
def test_a_team_file_that_is_not_a_file_fails_closed_promptly(tmp_path: Path, kind):
    root = make_workspace(tmp_path / "ws", TEAM)
    config = root / ".stitch" / "config.toml"
    git(root, "rm", "-q", "--cached", ".stitch/config.toml")
    git(root, "commit", "-qm", "no committed team file")
    config.unlink()
    if kind == "fifo":
        os.mkfifo(config)
    elif kind == "dev-zero":
        config.symlink_to("/dev/zero")
    elif kind == "folder":
        config.mkdir()
    else:
        config.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    status = cli(root, "status", "--json")  # returns (the helper times out at 60 s)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["policy"]["from"] == "lock-down", data["policy"]
    assert data["read_only"]["on"] is True
    assert data["read_only"]["reason"].startswith("team file unreadable")


def test_ids_are_forever_and_an_outcome_never_changes(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", TEAM)
    write_draft(root, draft("once"))
    assert cli(root, "draft", "apply", "once").returncode == 0
    body = json.dumps(draft("once"))
    for replace in ((), ("--replace",)):
        again = cli(root, "draft", "add", *replace, "-", stdin=body)
        assert again.returncode == 3 and "was already applied" in again.stderr
    assert not (root / ".stitch" / "drafts" / "once.json").exists()
    write_draft(root, draft("once"))  # an agent writes the file itself: still refused
    rejected = cli(root, "draft", "reject", "once", "--reason", "overwrite the outcome")
    assert rejected.returncode != 0 and "was already applied" in rejected.stderr
    reapplied = cli(root, "draft", "apply", "once")
    assert reapplied.returncode == 3 and "was already applied" in reapplied.stderr
    state = json.loads(StitchPaths(root).state.read_text())
    assert state["outcomes"]["once"]["outcome"] == "applied"
    # and through the MCP door, the same operation refuses it
    from stitch_ls.mcp_server import propose

    answer = propose(root, draft("once"))
    assert answer["ok"] is False and "was already applied" in answer["errors"][0]["message"]
