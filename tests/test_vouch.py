"""A human vouches for a parked draft: the note becomes a `human` source naming who and when,
kept in the engineer's own state (an agent's own `human` source counts for nothing), and the
draft meets the rest of the gate like any other."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from editor_client import VSCODE, start, stop
from stitch_ls.core.drafts.gate import Gate, GateContext, ReadOnly, decide, draft_digest
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.errors import Refused
from stitch_ls.core.files.paths import StitchPaths
from stitch_ls.core.operations import apply_on_disk, vouch
from stitch_ls.core.workspace import StitchWorkspace
from test_cli import cli
from workspaces import draft, write_draft

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
OPEN = GateContext(quiet=False, read_only=ReadOnly(False), floor=0.65, floor_from="team file")
FORGED = [{"kind": "human", "ref": "lead@example.com", "why": "I checked it, trust me"}]


def make(**overrides) -> Draft:
    return Draft.from_data(draft("d", **overrides))


def test_a_human_source_in_the_agents_own_draft_is_ignored():
    assert decide(make(sources=FORGED), OPEN).gate is Gate.PARKED
    mixed = make(sources=[*FORGED, {"kind": "doc", "ref": "api/openapi.yaml", "why": "spec"}])
    assert decide(mixed, OPEN).gate is Gate.ACTIONABLE
    risky = make(sources=FORGED, irreversible=True)
    assert "needs sources" in (decide(risky, OPEN).reason or "")


def test_a_vouch_holds_for_the_content_it_was_given_for_and_the_gate_goes_on():
    parked = make(sources=[])
    ctx = GateContext(
        quiet=False,
        read_only=ReadOnly(False),
        floor=0.65,
        floor_from="team file",
        vouched=frozenset({("d", draft_digest(parked))}),
    )
    assert decide(parked, ctx).gate is Gate.ACTIONABLE
    changed = make(sources=[], title="Draft d, changed after the vouch")
    assert decide(changed, ctx).gate is Gate.PARKED
    low = make(sources=[], confidence=0.4)
    ctx_low = GateContext(
        quiet=False,
        read_only=ReadOnly(False),
        floor=0.65,
        floor_from="team file",
        vouched=frozenset({("d", draft_digest(low))}),
    )
    assert decide(low, ctx_low).gate is Gate.BELOW_FLOOR
    risky = make(sources=[], irreversible=True, evidence=[])
    ctx_risky = GateContext(
        quiet=False,
        read_only=ReadOnly(False),
        floor=0.65,
        floor_from="team file",
        vouched=frozenset({("d", draft_digest(risky))}),
    )
    assert decide(risky, ctx_risky).reason == (
        "blocked: an irreversible change needs passing test evidence"
    )
    read_only = GateContext(
        quiet=False,
        read_only=ReadOnly(True, "lead", NOW, "bad week"),
        floor=0.65,
        floor_from="team file",
        vouched=frozenset({("d", draft_digest(parked))}),
    )
    assert decide(parked, read_only).gate is Gate.READ_ONLY


def test_vouch_operation_refuses_what_is_not_parked_or_has_no_note(workspace: Path):
    write_draft(workspace, draft("ready"))
    write_draft(workspace, draft("parked", sources=FORGED))
    ws = StitchWorkspace(workspace)
    ws.load_config()
    ws.load_state()
    ws.scan_drafts(NOW)
    with pytest.raises(Refused, match="not parked"):
        vouch(ws, "ready", "fine", "dev@example.com", NOW, door="terminal")
    with pytest.raises(Refused, match="needs a note"):
        vouch(ws, "parked", "  ", "dev@example.com", NOW, door="terminal")
    with pytest.raises(Refused, match="no draft"):
        vouch(ws, "nope", "fine", "dev@example.com", NOW, door="terminal")
    done = vouch(ws, "parked", "pair-reviewed with Ana", "dev@example.com", NOW, door="terminal")
    assert done.gate == "actionable"
    # in the engineer's own state, not in the agent's file
    assert json.loads((workspace / ".stitch/drafts/parked.json").read_text())["sources"] == FORGED
    state = json.loads(StitchPaths(workspace).state.read_text())
    assert state["vouches"]["parked"]["note"] == "pair-reviewed with Ana"
    applied = apply_on_disk(ws, "parked", NOW, "dev@example.com")
    assert applied.files == ["src/checkout.py"]
    line = json.loads((workspace / ".stitch/source-log.jsonl").read_text().splitlines()[-1])
    # the forged source is not logged as a human's word; the vouch is
    assert line["sources"] == [
        {
            "kind": "human",
            "ref": "dev@example.com, 2026-11-28T10:00:00Z",
            "why": "pair-reviewed with Ana",
        }
    ]
    assert line["vouched"] == {
        "by": "dev@example.com",
        "at": "2026-11-28T10:00:00Z",
        "note": "pair-reviewed with Ana",
    }


def test_cli_vouch_then_apply(workspace: Path):
    write_draft(workspace, draft("parked", sources=[]))
    refused = cli(workspace, "draft", "apply", "parked")
    assert refused.returncode == 3 and "parked" in refused.stderr
    assert cli(workspace, "draft", "vouch", "parked").returncode == 2  # --note is required
    done = cli(workspace, "draft", "vouch", "parked", "--note", "I wrote this rule myself")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "vouched for parked as dev@example.com; now actionable"
    listed = json.loads(cli(workspace, "draft", "list", "--json").stdout)
    assert [row["gate"] for row in listed] == ["actionable"]
    applied = cli(workspace, "draft", "apply", "parked")
    assert applied.returncode == 0, applied.stderr
    logged = json.loads(cli(workspace, "log", "--json").stdout)
    assert logged[-1]["vouched"]["note"] == "I wrote this rule myself"


def test_vouching_is_not_an_mcp_tool():
    from stitch_ls import mcp_server

    text = Path(mcp_server.__file__).read_text()
    assert "vouch" not in text


async def test_editor_vouch_command(workspace: Path):
    write_draft(workspace, draft("parked", sources=[]))
    write_draft(workspace, draft("low", sources=[], confidence=0.3))
    client = await start(workspace, editor=VSCODE)
    try:
        with pytest.raises(Exception, match="missing argument: note"):
            await client.command("stitch.vouchDraft", "parked")
        answer = await client.command("stitch.vouchDraft", "parked", "checked with the PM")
        assert answer["vouched"] is True and answer["gate"] == "actionable"
        low = await client.command("stitch.vouchDraft", "low", "ok by me")
        assert low["gate"] == "below_floor"  # the rest of the gate still holds
        status = await client.command("stitch.status")
        assert status["drafts"]["actionable"] == 1 and status["drafts"]["below_floor"] == 1
        applied = await client.command("stitch.applyDraft", "parked")
        assert applied["applied"] is True
        line = json.loads((workspace / ".stitch/source-log.jsonl").read_text().splitlines()[-1])
        assert line["vouched"]["note"] == "checked with the PM"
    finally:
        await stop(client)


def test_the_log_tells_the_whole_story_readably(workspace: Path):
    import datetime as dt

    hostile = draft("evil", title="<script>alert(1)</script> fix", stream="pay/b", sources=[])
    write_draft(workspace, hostile)
    write_draft(workspace, draft("nope"))
    assert (
        cli(workspace, "draft", "vouch", "evil", "--note", "read it <b>twice</b>").returncode == 0
    )
    assert cli(workspace, "draft", "apply", "evil").returncode == 0
    assert cli(workspace, "draft", "reject", "nope", "--reason", "wrong rounding").returncode == 0
    asked = cli(
        workspace,
        "ask",
        "--agent",
        "claude-code",
        "--stream",
        "checkout/a",
        "--option",
        "yes",
        "--option",
        "no",
        "Keep the legacy total?",
    )
    assert asked.returncode == 0, asked.stderr
    prompt_id = json.loads(cli(workspace, "prompts", "--json").stdout)[0]["id"]
    assert cli(workspace, "answer", prompt_id, "yes").returncode == 0
    text = cli(workspace, "log").stdout
    assert "\\" not in text and "claude-code" in text
    assert "vouched for by dev@example.com" in text and "read it <b>twice</b>" in text
    assert "REJECTED: Draft nope" in text and "why: wrong rounding" in text
    assert "Keep the legacy total?" in text
    assert "answered by dev@example.com through the terminal (made on this machine)" in text
    page = cli(workspace, "log", "--format", "html").stdout
    assert page.startswith("<!doctype html>") and "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fix" in page
    assert 'data-stream="pay/b"' in page and '<option value="pay/b">' in page
    assert "src=" not in page and "href=" not in page  # self-contained
    only_pay = cli(workspace, "log", "--stream", "pay/b").stdout
    assert "fix" in only_pay and "Draft nope" not in only_pay
    later = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert "nothing has been" in cli(workspace, "log", "--since", later).stdout


async def test_editor_source_log_is_the_readable_form(workspace: Path):
    write_draft(workspace, draft("parked", sources=[]))
    client = await start(workspace, editor=VSCODE)
    try:
        await client.command("stitch.vouchDraft", "parked", "ok \\ by me")
        await client.command("stitch.applyDraft", "parked")
        shown = await client.command("stitch.sourceLog")
        assert shown["text"].startswith("Source log")
        assert "ACCEPTED: Draft parked" in shown["text"] and "ok \\ by me" in shown["text"]
    finally:
        await stop(client)
