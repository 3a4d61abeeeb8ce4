"""A person's decisions say who made them and through which door; where the team signs, the
ones an agent could forge (vouches, answers, sign-offs, read-only off) count only when signed
by that person; and the log for people tells an answer or a sign-off nobody can check as
claimed, never as fact. Real `ssh-keygen`, the real CLI at a (pseudo-)terminal, the indexer
the editor runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from stitch_ls.core.drafts.model import Prompt
from stitch_ls.core.files.paths import StitchPaths
from stitch_ls.core.policy.state import read_state
from test_cli import cli
from test_signing import keypair
from workspaces import draft, git, make_workspace, write_draft

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def signing_workspace(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A team that signs decisions; dev@example.com's key is the allowed one."""
    root = make_workspace(tmp_path / "ws")
    keys = tmp_path / "keys"
    keys.mkdir()
    dev, mallory = keypair(keys, "dev"), keypair(keys, "mallory")
    public = (keys / "dev.pub").read_text().strip()
    (root / ".stitch" / "allowed_signers").write_text(f"dev@example.com {public}\n")
    with (root / ".stitch" / "config.toml").open("a") as team:
        team.write('\n[stitch_points]\nsigning = "ssh"\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the team signs decisions")
    git(root, "config", "user.signingkey", str(dev))
    return root, dev, mallory


def state_file(root: Path) -> Path:
    return StitchPaths(root).state


def agent_writes_state(root: Path, change) -> None:
    """What an agent that got past the guard would do: edit the engineer's state by hand
    (and the repository's shared copy of the switches, which every process can write)."""
    for path in (state_file(root), StitchPaths(root).shared_switches):
        if path is not None and path.exists():
            data = json.loads(path.read_text())
            change(data)
            path.write_text(json.dumps(data))


def unsourced(draft_id: str) -> dict:
    return draft(draft_id, sources=[])


def test_each_decision_records_its_door(workspace: Path):
    write_draft(workspace, draft("by-terminal"))
    write_draft(workspace, draft("by-editor"))
    assert cli(workspace, "draft", "reject", "by-terminal", "--reason", "no").returncode == 0
    assert cli(workspace, "read-only", "on", "--reason", "incident").returncode == 0
    state = read_state(StitchPaths(workspace))
    assert state.outcomes["by-terminal"].door == "terminal"
    # turning read-only on needs no person: run as a program, it may be an agent's doing
    assert state.read_only.door == "agent"
    assert cli(workspace, "read-only", "off").returncode == 0
    assert read_state(StitchPaths(workspace)).read_only.door == "terminal"

    # the editor's door: the indexer the language server runs
    from stitch_ls.indexer.process import Indexer

    indexer = Indexer(workspace)
    indexer.load(NOW)
    indexer.reject("by-editor", "not now", "dev@example.com", NOW)
    assert read_state(StitchPaths(workspace)).outcomes["by-editor"].door == "editor"


def agent_asks(root: Path, prompt_id: str, **answered: str) -> None:
    """An agent writes a prompt file; with `answered`, the answer already in it, in
    someone's name (what an agent may forge)."""
    prompt = Prompt.from_data(
        {
            "id": prompt_id,
            "agent": "claude-code",
            "stream": "checkout/a",
            "question": "Drop the legacy totals table?",
            "options": ["yes", "no"],
            "created": NOW.isoformat(),
            **answered,
        }
    )
    folder = StitchPaths(root).prompts
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{prompt_id}.json").write_text(prompt.to_json(exclude_none=True))


def agent_answers(root: Path, prompt_id: str, by: str) -> None:
    agent_asks(
        root,
        prompt_id,
        answer="yes",
        answered_by=by,
        answered_at=NOW.isoformat(),
        answered_door="terminal",
    )


def forged_sign_off(root: Path, signer: str) -> None:
    line = {
        "version": 1,
        "stitch_id": "sp-0123456789ab",
        "path": "src/checkout.py",
        "symbol": "Cart.total",
        "streams": ["checkout/a", "checkout/b"],
        "signer": signer,
        "at": "2026-12-07T08:00:00Z",
        "versions": {"checkout/a": "x", "checkout/b": "y"},
        "door": "terminal",
    }
    with (root / ".stitch" / "signoffs.jsonl").open("a") as log:
        log.write(json.dumps(line) + "\n")


def test_the_log_tells_what_nobody_can_check_as_claimed(workspace: Path):
    agent_answers(workspace, "drop-table", "lead@example.com")
    forged_sign_off(workspace, "lead@example.com")
    text = cli(workspace, "log").stdout
    assert "answered by lead@example.com" not in text
    assert "signed off by lead@example.com" not in text
    claimed = "claimed by lead@example.com, not verified (the team does not sign decisions)"
    assert text.count(claimed) == 2, text
    # the person's own answer, made here through the terminal, is told as theirs
    agent_asks(workspace, "keep-table")
    assert cli(workspace, "answer", "keep-table", "no").returncode == 0
    text = cli(workspace, "log").stdout
    assert "answered by dev@example.com through the terminal (made on this machine)" in text


def test_where_the_team_signs_read_only_off_counts_only_signed_by_who_turned_it_off(
    tmp_path: Path,
):
    root, _dev, mallory = signing_workspace(tmp_path)
    assert cli(root, "read-only", "on", "--reason", "incident").returncode == 0
    assert cli(root, "read-only", "off").returncode == 0
    status = json.loads(cli(root, "status", "--json").stdout)
    assert status["read_only"]["on"] is False

    # an agent that got past the guard turns it off in the state file, unsigned: still on
    assert cli(root, "read-only", "on", "--reason", "incident").returncode == 0
    agent_writes_state(
        root,
        lambda s: s["read_only"].update(on=False, by="dev@example.com", signature=None),
    )
    status = json.loads(cli(root, "status", "--json").stdout)
    assert status["read_only"]["on"] is True
    assert "turned off by dev@example.com" in status["read_only"]["reason"]

    # signed, but with a key the approved allowed signers do not list: still on
    git(root, "config", "user.signingkey", str(mallory))
    off = cli(root, "read-only", "off")
    assert off.returncode == 0 and "still on" in off.stdout
    assert json.loads(cli(root, "status", "--json").stdout)["read_only"]["on"] is True


def test_where_the_team_signs_a_vouch_counts_only_signed(tmp_path: Path):
    root, _dev, _mallory = signing_workspace(tmp_path)
    write_draft(root, unsourced("u"))

    def gate() -> str:
        [row] = json.loads(cli(root, "draft", "list", "--json").stdout)
        return row["gate"]

    assert gate() == "parked"
    assert cli(root, "draft", "vouch", "u", "--note", "pair-reviewed").returncode == 0
    assert gate() == "actionable"
    state = json.loads(state_file(root).read_text())
    assert "BEGIN SSH SIGNATURE" in state["vouches"]["u"]["signature"]
    assert state["vouches"]["u"]["door"] == "terminal"
    agent_writes_state(root, lambda s: s.get("vouches", {}).get("u", {}).update(signature=None))
    assert gate() == "parked"


def test_where_the_team_signs_an_answer_reads_as_signed_elsewhere_and_a_forged_one_not(
    tmp_path: Path,
):
    from person import stitch

    root, _dev, _mallory = signing_workspace(tmp_path)
    agent_answers(root, "forged", "dev@example.com")
    agent_asks(root, "asked")
    folder = StitchPaths(root).prompts
    assert cli(root, "answer", "asked", "yes").returncode == 0
    signed = json.loads((folder / "asked.json").read_text())
    assert "BEGIN SSH SIGNATURE" in signed["signature"]

    # another engineer's machine (its own state: no receipt) checks the signature
    elsewhere = {"XDG_STATE_HOME": str(tmp_path / "elsewhere"), "TZ": "UTC"}
    import os

    text = stitch("log", "--workspace", str(root), env={**os.environ, **elsewhere}).stdout
    assert "answered by dev@example.com through the terminal (SSH-signed)" in text
    assert "claimed by dev@example.com, not verified (not signed)" in text
