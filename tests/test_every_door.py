"""Every door decides every kind of draft: an agent commit's drafts (`git-…` ids) are applied,
rejected, vouched for and verified from the command line, and their outcome read over MCP,
with the same checks and the same log entry as the editor gives them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from editor_client import start, stop
from test_cli import cli
from test_mcp import call
from workspaces import TEAM, git, make_workspace

VERIFY = (
    f'\n[evidence]\ncommand = ["{sys.executable}", "-c", "import sys; sys.exit(0)", "{{refs}}"]\n'
)
FILES = ("apply", "reject", "vouch", "verify", "editor")


def agent_commits(root: Path) -> dict[str, str]:
    """One agent commit per door on stream/pay/a, each changing a file of its own; the drafts
    they make, by door."""
    for name in FILES:
        (root / "src" / f"{name}.py").write_text(f"def {name}():\n    return 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the files the agent will change")
    git(root, "checkout", "-q", "-b", "stream/pay/a")
    for name in FILES:
        (root / "src" / f"{name}.py").write_text(f"def {name}():\n    return 2\n")
        git(root, "add", "-A")
        sources = "" if name == "vouch" else "Stitch-Source: doc docs/money.md | rule of record\n"
        git(
            root,
            "commit",
            "-q",
            "-m",
            f"Return two from {name}\n\n{sources}Stitch-Confidence: 0.9\n"
            "Stitch-Evidence: passed tests/test_checkout.py::test_pay ci#7\n"
            "Stitch-Agent: claude-code",
        )
    git(root, "checkout", "-q", "main")
    listed = json.loads(cli(root, "draft", "list", "--json").stdout)
    found = {row["paths"][0].removeprefix("src/").removesuffix(".py"): row for row in listed}
    assert all(found[name]["id"].startswith("git-") for name in FILES), found
    assert found["vouch"]["gate"] == "parked"
    return {name: found[name]["id"] for name in FILES}


async def test_an_agent_commits_drafts_through_every_door(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", TEAM + VERIFY)
    ids = agent_commits(root)

    applied = cli(root, "draft", "apply", ids["apply"])
    assert applied.returncode == 0, applied.stderr
    assert (root / "src" / "apply.py").read_text() == "def apply():\n    return 2\n"
    rejected = cli(root, "draft", "reject", ids["reject"], "--reason", "not now")
    assert rejected.returncode == 0, rejected.stderr
    vouched = cli(root, "draft", "vouch", ids["vouch"], "--note", "I read the diff")
    assert vouched.returncode == 0, vouched.stderr
    assert f"vouched for {ids['vouch']}" in vouched.stdout
    verified = cli(root, "verify", ids["verify"])
    assert verified.returncode == 0, verified.stderr
    assert "passed" in verified.stdout

    # the editor's door for the last one: applied, then saved
    client = await start(root)
    try:
        uri = client.open(root / "src" / "editor.py")
        await client.until_listed(ids["editor"])
        result = await client.command("stitch.applyDraft", ids["editor"])
        assert result["waiting"] is True
        client.save(uri)
        log = root / ".stitch" / "source-log.jsonl"
        await client.wait_for(lambda: len(log.read_text().splitlines()) == 2, timeout=10)
    finally:
        await stop(client)

    # the same entry, whichever door: the commit's trailers as sources, its agent and stream
    by_door = {json.loads(line)["draft"]: json.loads(line) for line in log.read_text().splitlines()}
    for door in ("apply", "editor"):
        entry = by_door[ids[door]]
        assert entry["event"] == "accepted" and entry["version"] == 2
        assert (entry["agent"], entry["stream"], entry["confidence"]) == (
            "claude-code",
            "pay/a",
            0.9,
        )
        assert entry["sources"] == [
            {"kind": "doc", "ref": "docs/money.md", "why": "rule of record"}
        ]
        assert entry["files"] == [f"src/{door}.py"] and entry["ranges"] == {
            f"src/{door}.py": [[1, 2]]
        }
    cli_entry, editor_entry = by_door[ids["apply"]], by_door[ids["editor"]]
    different = {"at", "draft", "title", "files", "ranges", "range_hashes"}
    assert {k: v for k, v in cli_entry.items() if k not in different} == {
        k: v for k, v in editor_entry.items() if k not in different
    }

    outcomes = await call(root, [("get_draft_outcome", {"draft_id": ids[name]}) for name in FILES])
    by_name = dict(zip(FILES, outcomes, strict=True))
    assert by_name["apply"]["outcome"] == "applied"
    assert by_name["editor"]["outcome"] == "applied"
    assert (by_name["reject"]["outcome"], by_name["reject"]["reason"]) == ("rejected", "not now")
    assert by_name["vouch"]["gate"] == "actionable"  # vouched for: on through the gate
    assert by_name["verify"]["outcome"] == "pending"
    state = json.loads(cli(root, "draft", "show", ids["verify"], "--json").stdout)
    assert state["verification"]["outcome"] == "passed"
