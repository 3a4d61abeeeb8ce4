"""An applied or rejected draft id is spent: every door refuses it, even when an agent writes
the same draft again (the issue's planted bug applied an already-decided id a second time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editor_client import start, stop
from test_cli import cli
from test_mcp import call
from workspaces import draft, range_edit, write_draft

CHECKOUT = "src/checkout.py"


def decide_two(root: Path) -> str:
    """`ready` applied and `nope` rejected through the CLI, then both written again by an
    agent; returns the checkout file as the apply left it."""
    write_draft(root, draft("ready"))
    write_draft(root, draft("nope", title="Draft nope"))
    assert cli(root, "draft", "apply", "ready").returncode == 0
    assert cli(root, "draft", "reject", "nope", "--reason", "wrong").returncode == 0
    # written again so that, were the id not spent, each would apply to the text as it is now
    for draft_id in ("ready", "nope"):
        edit = range_edit(
            CHECKOUT, 12, 4, "return round(cart.total(), 2)", "return round(cart.total(), 3)"
        )
        write_draft(root, draft(draft_id, title=f"Draft {draft_id}", edits=[edit]))
    return (root / CHECKOUT).read_text()


def log_lines(root: Path) -> list[str]:
    return (root / ".stitch" / "source-log.jsonl").read_text().splitlines()


async def test_a_decided_id_is_refused_through_every_door(workspace: Path):
    applied_text = decide_two(workspace)
    assert [json.loads(line)["draft"] for line in log_lines(workspace)] == ["ready"]

    for draft_id, outcome in [("ready", "applied"), ("nope", "rejected")]:
        body = json.dumps(draft(draft_id))
        added = cli(workspace, "draft", "add", "--replace", "-", stdin=body)
        assert added.returncode != 0 and f"already {outcome}" in added.stderr, added.stderr
        applied = cli(workspace, "draft", "apply", draft_id)
        assert applied.returncode != 0 and f"already {outcome}" in applied.stderr, applied.stderr
        rejected = cli(workspace, "draft", "reject", draft_id, "--reason", "again")
        assert rejected.returncode != 0 and f"already {outcome}" in rejected.stderr

    proposed = await call(
        workspace,
        [("propose_draft", {"draft": draft("ready")}), ("propose_draft", {"draft": draft("nope")})],
    )
    for answer, outcome in zip(proposed, ["applied", "rejected"], strict=True):
        assert answer["ok"] is False, answer
        assert f"already {outcome}" in json.dumps(answer), answer

    client = await start(workspace)
    try:
        uri = client.open(workspace / CHECKOUT)
        for draft_id, outcome in [("ready", "applied"), ("nope", "rejected")]:
            with pytest.raises(Exception, match=f"already {outcome}"):
                await client.command("stitch.applyDraft", draft_id)
        assert client.text(uri) == applied_text
    finally:
        await stop(client)

    assert (workspace / CHECKOUT).read_text() == applied_text
    assert [json.loads(line)["draft"] for line in log_lines(workspace)] == ["ready"]
