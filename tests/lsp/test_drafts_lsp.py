"""Drafts through a real server over stdio: actions, hover, lens, diagnostics, apply, reject."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lsprotocol import types

from editor_client import NEOVIM, VSCODE, start, stop
from stitch_ls.core.files.paths import StitchPaths
from workspaces import draft, range_edit, write_draft

CHECKOUT = "src/checkout.py"


def titles(actions) -> list[str]:
    return [a.title for a in actions]


def every_state(root: Path) -> None:
    """One draft per row of the table, all on `pay`'s return line."""
    write_draft(root, draft("ready"))
    write_draft(root, draft("low", confidence=0.51))
    write_draft(root, draft("unsourced", sources=[]))
    write_draft(root, draft("risky", irreversible=True, evidence=[]))
    stale = draft("stale")
    stale["edits"][0]["expect"] = "return cart.subtotal()"
    write_draft(root, stale)
    broken = draft("broken", confidence=7)
    write_draft(root, broken)


@pytest.fixture
async def vscode(workspace: Path):
    every_state(workspace)
    client = await start(workspace, editor=VSCODE)
    yield client
    await stop(client)


async def test_each_state_is_an_action_with_its_reason(vscode, workspace: Path):
    uri = vscode.open(workspace / CHECKOUT)
    actions = await vscode.actions(uri, 12, 8)
    by_draft: dict[str, list] = {}
    for action in actions:
        by_draft.setdefault(action.data["draft"], []).append(action)
    assert set(by_draft) == {"ready", "low", "unsourced", "risky", "stale", "broken"}
    ready = by_draft["ready"][0]
    assert ready.title == "Apply draft: Draft ready — 0.82 · 2 sources · checkout/a/claude-code"
    assert ready.disabled is None and ready.command.command == "stitch.applyDraft"
    reasons = {key: group[0].disabled.reason for key, group in by_draft.items() if key != "ready"}
    assert reasons["low"] == "0.51 < floor 0.65"
    assert reasons["unsourced"].startswith("parked for a human")
    assert reasons["risky"] == "blocked: an irreversible change needs passing test evidence"
    assert reasons["stale"].startswith("stale:")
    assert reasons["broken"].startswith("invalid draft:") and "confidence" in reasons["broken"]
    assert "Show draft: Draft stale" in titles(by_draft["stale"])
    # nothing is offered away from the drafts' range
    assert await vscode.actions(uri, 4, 0) == []


async def test_a_client_without_disabled_support_gets_only_applicable_actions(workspace: Path):
    every_state(workspace)
    client = await start(workspace, editor=NEOVIM)
    try:
        uri = client.open(workspace / CHECKOUT)
        applies = [a for a in await client.actions(uri, 12, 8) if a.title.startswith("Apply")]
        assert [a.data["draft"] for a in applies] == ["ready"]
    finally:
        await stop(client)


async def test_hover_lists_sources_escaped(vscode, workspace: Path):
    (workspace / "docs").mkdir(exist_ok=True)
    (workspace / "docs" / "api.md").write_text("# api\n")
    write_draft(
        workspace,
        draft(
            "ready",
            sources=[
                {"kind": "doc", "ref": "docs/api.md", "why": "contract of record"},
                {"kind": "url", "ref": "https://example.com/spec", "why": "vendor spec"},
                {
                    "kind": "api",
                    "ref": "command:workbench.action.terminal.new",
                    "why": "**trust me** <script>",
                },
                {"kind": "doc", "ref": "[click](javascript:alert(1))", "why": "x"},
                {
                    "kind": "dashboard",
                    "ref": "ci#4411",
                    "why": "green on 2026-12-06 (p95 0.86 s), per eng@team.dev; see snake_case",
                },
            ],
        ),
    )
    await vscode.until_listed("ready", where=lambda row: row["sources"] == 5)
    uri = vscode.open(workspace / CHECKOUT)
    hover = await vscode.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=12, character=10),
        )
    )
    text = hover.contents.value
    assert "contract of record" in text
    assert f"]({(workspace / 'docs/api.md').as_uri()})" in text
    assert "](https://example.com/spec)" in text
    assert not re.search(r"(?<!\\)\]\((command|javascript):", text)  # no link: `\]` is text
    assert "\\*\\*trust me\\*\\* \\<script\\>" in text
    assert "\\[click\\](javascript:alert(1))" in text
    # escaped only where Markdown would misread: ordinary punctuation reads as written
    assert "- dashboard: ci#4411 **[unverifiable]** — green on 2026-12-06 (p95 0.86 s), " in text
    assert "per eng@team.dev; see snake_case" in text
    assert "checkout/a/claude-code" in text


async def test_hover_says_a_claimed_test_does_not_exist(vscode, workspace: Path):
    write_draft(
        workspace,
        draft(
            "ready",
            irreversible=True,
            evidence=[
                {"kind": "test", "ref": "tests/does_not_exist.py::test_x", "status": "passed"}
            ],
        ),
    )
    await vscode.until_listed("ready", where=lambda row: row["gate"] == "blocked")
    uri = vscode.open(workspace / CHECKOUT)
    hover = await vscode.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=12, character=10),
        )
    )
    text = hover.contents.value
    missing = "tests/does_not_exist.py"  # Markdown reads it as written: nothing to escape
    assert (
        f"- {missing}::test_x: passed · claimed **[no such test: {missing} does not exist]**"
        in text
    )
    assert f"passing test evidence (no such test: {missing}::test_x)" in text


async def test_hover_says_why_a_draft_cannot_be_applied(vscode, workspace: Path):
    """For clients that never show a disabled action (VS Code's Ctrl+. leaves them out), the
    hover is where the engineer reads the reason: each draft's state and reason, said once."""
    await vscode.until_listed("broken")
    uri = vscode.open(workspace / CHECKOUT)
    hover = await vscode.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=12, character=10),
        )
    )
    parts = [part.strip().splitlines() for part in hover.contents.value.split("\n---\n")]
    states = {
        lines[0].split(" · ", 1)[1]: re.sub(  # as rendered: agent text is escaped
            r"\\(.)", r"\1", next(line for line in lines if "appl" in line)
        )
        for lines in parts
    }
    assert states["Draft ready"] == "*ready to apply*"
    cannot = "**Cannot be applied now** — "
    assert states["Draft low"] == cannot + "below the floor: 0.51 < floor 0.65"
    assert states["Draft unsourced"] == cannot + "parked for a human: the draft cites no sources"
    assert states["Draft risky"] == (
        cannot + "blocked: an irreversible change needs passing test evidence"
    )
    assert states["Draft stale"].startswith(cannot + "stale: ")
    assert states["Draft broken"].startswith(cannot + "invalid draft: ")


async def test_lenses_and_hint_diagnostics(vscode, workspace: Path):
    uri = vscode.open(workspace / CHECKOUT)
    await vscode.wait_for(lambda: uri in vscode.diagnostics and vscode.diagnostics[uri])
    hints = vscode.diagnostics[uri]
    assert all(d.severity == types.DiagnosticSeverity.Hint for d in hints)
    assert any("Draft ready (ready to apply)" in d.message for d in hints)
    lenses = await vscode.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    # ready (and below-floor) drafts get their own lenses; stale, parked, blocked and invalid
    # ones share one lens for the file, and stay in the diagnostics
    titles = [(lens.range.start.line, lens.command.title) for lens in lenses]
    assert [line for line, _ in titles] == [12, 12, 12], titles
    assert titles[0][1].startswith("Apply draft: Draft ready")
    assert titles[1][1].startswith("Draft: Draft low — 0.51 < floor")
    assert titles[2][1] == (
        "4 agent drafts not ready (1 stale, 1 parked, 1 blocked, 1 invalid) — list"
    )
    assert lenses[2].command.command == "stitch.listDrafts"
    for held in ("Draft unsourced", "Draft risky", "Draft stale"):
        assert any(held in d.message for d in hints), held


async def test_many_drafted_lines_get_one_lens_per_block_that_follows_typing(workspace: Path):
    many = workspace / "src" / "many.py"
    many.write_text("".join(f"value_{i} = {i}\n" for i in range(60)))
    for i in range(0, 60, 2):  # 30 lines with a draft: more than 25, so blocks of lines
        text = f"value_{i} = {i}"
        body = draft(f"m{i}", edits=[range_edit("src/many.py", i, 0, text, text + " + 0")])
        write_draft(workspace, body, name=f"m{i}.json")
    client = await start(workspace, editor=VSCODE)
    try:
        uri = client.open(many)

        async def lenses():
            found = await client.text_document_code_lens_async(
                types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
            return [(lens.range.start.line, lens.command.title) for lens in found]

        before = await lenses()
        assert len(before) == 20  # 60 lines / 25 -> blocks of 3 lines, 20 of them
        assert before[0] == (0, "2 agent drafts in lines 1-3 (2 ready) — list")
        assert before[1] == (4, "1 agent draft in lines 4-6 (1 ready) — list")
        assert sum(int(title.split()[0]) for _, title in before) == 30
        client.edit(uri, (0, 0), (0, 0), "import os\n")  # every draft moves down a line
        after = await lenses()
        assert all(line % 2 == 1 for line, _ in after)  # on the drafts' new (odd) lines
        assert sum(int(title.split()[0]) for _, title in after) == 30
    finally:
        await stop(client)


async def test_apply_changes_the_file_logs_the_sources_and_retires_the_draft(
    vscode, workspace: Path
):
    uri = vscode.open(workspace / CHECKOUT)
    result = await vscode.command("stitch.applyDraft", "ready")
    assert result["applied"] is True and result["waiting"] is True
    assert result["message"] == f"applied draft ready ({CHECKOUT}): accepted once saved"
    assert "return round(cart.total(), 2)" in vscode.text(uri)
    log = workspace / ".stitch" / "source-log.jsonl"
    assert not log.exists()  # in the buffer, not on disk: not accepted yet
    assert (workspace / ".stitch" / "drafts" / "ready.json").exists()
    with pytest.raises(Exception, match="waits to be saved"):
        await vscode.command("stitch.applyDraft", "ready")
    vscode.save(uri)
    await vscode.wait_for(log.exists, timeout=10)
    [line] = log.read_text().splitlines()
    entry = json.loads(line)
    assert entry["draft"] == "ready" and entry["accepted_by"] == "dev@example.com"
    assert entry["files"] == [CHECKOUT] and entry["sources"][0]["why"] == "contract of record"
    await vscode.wait_for(lambda: not (workspace / ".stitch" / "drafts" / "ready.json").exists())
    assert "ready" not in {a.data["draft"] for a in await vscode.actions(uri, 12, 8)}
    with pytest.raises(Exception, match="draft 'ready' was already applied"):
        await vscode.command("stitch.applyDraft", "ready")


async def test_status_counts_an_applied_or_rejected_draft_at_once(vscode, workspace: Path):
    """The indexer counts; the server tells it what it retired before the next count, not
    when the file watcher gets round to it."""
    vscode.open(workspace / CHECKOUT)
    before = (await vscode.command("stitch.status"))["drafts"]
    await vscode.command("stitch.applyDraft", "ready")
    after = (await vscode.command("stitch.status"))["drafts"]
    assert after["pending"] == before["pending"] - 1
    assert after["actionable"] == before["actionable"] - 1
    await vscode.command("stitch.rejectDraft", "low", "guesses")
    assert (await vscode.command("stitch.status"))["drafts"]["pending"] == before["pending"] - 2


async def test_applying_a_refused_draft_says_why_and_changes_nothing(vscode, workspace: Path):
    uri = vscode.open(workspace / CHECKOUT)
    before = vscode.text(uri)
    for draft_id, reason in [("low", "0.51 < floor"), ("unsourced", "parked"), ("stale", "stale")]:
        with pytest.raises(Exception, match=reason):
            await vscode.command("stitch.applyDraft", draft_id)
    assert vscode.text(uri) == before
    assert not (workspace / ".stitch" / "source-log.jsonl").exists()


async def test_multi_file_apply_creates_and_deletes(vscode, workspace: Path):
    (workspace / "src" / "legacy.py").write_text("old = True\n")
    body = draft("multi")
    body["edits"] += [
        {
            "path": "tests/test_contract.py",
            "create": True,
            "text": "def test_contract():\n    assert True\n",
        },
        {"path": "src/legacy.py", "delete": True},
    ]
    write_draft(workspace, body)
    assert (await vscode.until_listed("multi"))["gate"] == "actionable"
    uri = vscode.open(workspace / CHECKOUT)
    result = await vscode.command("stitch.applyDraft", "multi")
    assert result["files"] == [CHECKOUT, "tests/test_contract.py", "src/legacy.py"]
    assert (workspace / "tests" / "test_contract.py").read_text().startswith("def test_contract")
    assert not (workspace / "src" / "legacy.py").exists()
    assert "round(" in vscode.text(uri)


async def test_what_the_engineer_typed_is_never_overwritten(vscode, workspace: Path):
    uri = vscode.open(workspace / CHECKOUT)
    vscode.edit(uri, (12, 23), (12, 23), "  # keep me")
    assert (await vscode.command("stitch.applyDraft", "ready"))["applied"]
    assert "return round(cart.total(), 2)  # keep me" in vscode.text(uri)
    # the engineer replaces the expected text: the draft's range still exists on the line
    # but holds other text, so only the `expect` check stands between it and the typing
    vscode.edit(uri, (12, 4), (12, 33), "return 0")
    line = vscode.text(uri).splitlines()[12]
    assert line == "    return 0  # keep me" and len(line) >= 23
    write_draft(workspace, draft("late"))
    row = await vscode.until_listed("late")
    assert row["gate"] == "stale"
    with pytest.raises(Exception, match="stale"):
        await vscode.command("stitch.applyDraft", "late")
    assert vscode.text(uri).splitlines()[12] == "    return 0  # keep me"


async def test_reanchored_draft_applies_where_its_text_moved(vscode, workspace: Path):
    uri = vscode.open(workspace / CHECKOUT)
    vscode.edit(uri, (0, 0), (0, 0), "import os\nimport sys\n")
    actions = await vscode.actions(uri, 14, 8)
    assert any(a.data["draft"] == "ready" and a.disabled is None for a in actions)
    await vscode.command("stitch.applyDraft", "ready")
    assert vscode.text(uri).splitlines()[14] == "    return round(cart.total(), 2)"


async def test_drafts_follow_typing_and_are_placed_afresh_when_it_pauses(vscode, workspace: Path):
    # once the git view is in (it re-places every draft), only typing moves drafts
    await vscode.wait_for(
        lambda: any(s["streams"]["cap"] is not None for s in vscode.statuses), timeout=5
    )
    uri = vscode.open(workspace / CHECKOUT)
    vscode.edit(uri, (0, 0), (0, 0), "import os\n")  # the expected text moves down a line
    assert "ready" in {a.data["draft"] for a in await vscode.actions(uri, 13, 8)}
    assert not any(a.data["draft"] == "ready" for a in await vscode.actions(uri, 12, 8))
    # a copy of the expected text typed far from the draft: the moved draft is now ambiguous,
    # which only placing every draft again can tell; that happens once typing pauses
    vscode.edit(uri, (1, 16), (1, 16), "  # return cart.total()")

    def ready_message() -> str:
        return next((d.message for d in vscode.diagnostics.get(uri, []) if d.code == "ready"), "")

    await vscode.wait_for(lambda: "could not be re-anchored" in ready_message(), timeout=5)
    # a stale draft shows where the draft says it goes
    ready = [a for a in await vscode.actions(uri, 12, 8) if a.data["draft"] == "ready"]
    assert (
        ready
        and ready[0].disabled is not None
        and "could not be re-anchored" in ready[0].disabled.reason
    )


async def test_reject_records_the_reason(vscode, workspace: Path):
    vscode.open(workspace / CHECKOUT)
    await vscode.command("stitch.rejectDraft", "low", "guesses the rounding rule")
    state = json.loads(StitchPaths(workspace).state.read_text())
    assert state["outcomes"]["low"]["outcome"] == "rejected"
    assert state["outcomes"]["low"]["reason"] == "guesses the rounding rule"
    assert state["outcomes"]["low"]["by"] == "dev@example.com"
    assert not (workspace / ".stitch" / "drafts" / "low.json").exists()


async def test_show_and_list_drafts(vscode, workspace: Path):
    shown = await vscode.command("stitch.showDraft", "stale")
    assert shown["gate"] == "stale" and shown["draft"]["id"] == "stale"
    assert vscode.shown_documents and vscode.shown_documents[-1].uri.endswith("stale.json")
    listed = await vscode.command("stitch.listDrafts")
    assert {row["id"]: row["gate"] for row in listed} == {
        "ready": "actionable",
        "low": "below_floor",
        "unsourced": "parked",
        "risky": "blocked",
        "stale": "stale",
        "broken": "invalid",
    }


async def test_new_changed_and_removed_drafts_show_without_restart(workspace: Path):
    """Neovim-like client: no file watching offered, so the server watches by itself."""
    client = await start(workspace, editor=NEOVIM)
    try:
        uri = client.open(workspace / CHECKOUT)
        assert await client.actions(uri, 12, 8) == []
        path = write_draft(workspace, draft("fresh"))
        await client.wait_for(lambda: bool(client.diagnostics.get(uri)), timeout=1.5)
        assert [
            a.data["draft"] for a in await client.actions(uri, 12, 8) if a.title.startswith("Apply")
        ] == ["fresh"]
        path.write_text(json.dumps(draft("fresh", title="Renamed")))
        await client.wait_for(
            lambda: any("Renamed" in d.message for d in client.diagnostics.get(uri, [])),
            timeout=1.5,
        )
        path.unlink()
        await client.wait_for(lambda: not client.diagnostics.get(uri), timeout=1.5)
    finally:
        await stop(client)


async def test_broken_draft_gets_a_diagnostic_in_its_file_and_others_keep_working(
    vscode, workspace: Path
):
    bad = workspace / ".stitch" / "drafts" / "bad.json"
    bad.write_text('{\n  "id": "bad",\n  "confidence": 0.5,\n')
    await vscode.wait_for(lambda: bool(vscode.diagnostics.get(bad.as_uri())), timeout=2)
    [diagnostic] = vscode.diagnostics[bad.as_uri()]
    assert "bad.json: not valid JSON" in diagnostic.message
    uri = vscode.open(workspace / CHECKOUT)
    assert "ready" in {a.data["draft"] for a in await vscode.actions(uri, 12, 8)}


async def test_non_ascii_before_the_range_lands_right_in_a_utf16_client(tmp_path: Path):
    from workspaces import non_ascii_workspace

    root = non_ascii_workspace(tmp_path / "ws")
    client = await start(root, editor=VSCODE)
    try:
        assert client.encoding == "utf-16"
        uri = client.open(root / "src" / "wide.py")
        # UTF-16 column 16 is inside `compute()` (the emoji counts twice)
        assert any(a.data["draft"] == "wide" for a in await client.actions(uri, 0, 16))
        await client.command("stitch.applyDraft", "wide")
        assert client.text(uri) == 'x = "é🙂"; y = compute_total()\n'
    finally:
        await stop(client)


async def test_files_outside_the_workspace_get_nothing_and_no_error(
    vscode, workspace: Path, tmp_path: Path
):
    outside = tmp_path / "settings.json"
    outside.write_text("{}\n")
    uri = vscode.open(outside, language="json")
    assert await vscode.actions(uri, 0, 0) == []
    hover = await vscode.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=0),
        )
    )
    assert hover is None
