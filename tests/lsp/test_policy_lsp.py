"""Team policy and editor settings through the real server."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from editor_client import NEOVIM, start, stop
from workspaces import draft, write_draft

CHECKOUT = "src/checkout.py"


async def gate_of(client, uri: str, draft_id: str):
    for action in await client.actions(uri, 12, 8):
        if action.data["draft"] == draft_id and action.title.startswith("Apply"):
            return action.disabled.reason if action.disabled else "actionable"
    return None


async def test_broken_team_file_shows_where_keeps_policy_and_clears_when_fixed(workspace: Path):
    write_draft(workspace, draft("mid", confidence=0.7))
    config = workspace / ".stitch" / "config.toml"
    client = await start(workspace)
    try:
        uri = client.open(workspace / CHECKOUT)
        assert await gate_of(client, uri, "mid") == "actionable"
        good = config.read_text()
        config.write_text(good.replace("confidence_floor = 0.65", "confidence_floor = 1.7"))
        await client.wait_for(lambda: bool(client.diagnostics.get(config.as_uri())), timeout=3)
        [problem] = client.diagnostics[config.as_uri()]
        assert problem.range.start.line == 1 and "agents.confidence_floor" in problem.message
        assert problem.severity == types.DiagnosticSeverity.Error
        assert await gate_of(client, uri, "mid") == "actionable"  # last good policy kept
        config.write_text(good.replace("confidence_floor = 0.65", "confidence_floor = 0.75"))
        await client.wait_for(lambda: not client.diagnostics.get(config.as_uri()), timeout=3)
        assert await gate_of(client, uri, "mid") == "0.70 < floor 0.75"
        status = await client.command("stitch.status")
        assert status["config"]["ok"] is True
    finally:
        await stop(client)


async def test_first_load_of_a_broken_file_uses_the_committed_one(workspace: Path):
    (workspace / ".stitch" / "config.toml").write_text("[agents\nconfidence_floor = 0.1\n")
    write_draft(workspace, draft("mid", confidence=0.6))
    client = await start(workspace)
    try:
        uri = client.open(workspace / CHECKOUT)
        assert await gate_of(client, uri, "mid") == "0.60 < floor 0.65 (from team file at HEAD)"
        assert client.diagnostics[(workspace / ".stitch" / "config.toml").as_uri()]
        status = await client.command("stitch.status")
        assert status["policy"]["from"] == "HEAD"
        assert status["policy"]["problem"].startswith("line 1: not valid TOML")
    finally:
        await stop(client)


async def test_a_broken_file_with_nothing_to_fall_back_on_locks_agents_down(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "checkout.py").write_text("x = 1\n")
    (root / ".stitch" / "drafts").mkdir(parents=True)
    (root / ".stitch" / "config.toml").write_text(
        "[agents]\nconfidence_floor = 0.1\nread_olny = false\n"
    )
    client = await start(root)  # no git, no last good policy on this machine
    try:
        status = await client.command("stitch.status")
        assert status["policy"]["from"] == "lock-down"
        assert status["read_only"]["on"] is True
        assert status["read_only"]["reason"].startswith("team file unreadable: line 3: unknown key")
        assert status["floor"]["from"] == "lock-down"
    finally:
        await stop(client)


async def test_open_team_file_is_validated_as_you_type(workspace: Path):
    client = await start(workspace)
    try:
        config = workspace / ".stitch" / "config.toml"
        uri = client.open(config, language="toml")
        client.edit(uri, (0, 0), (0, 0), "nonsense = [\n")
        await client.wait_for(lambda: bool(client.diagnostics.get(uri)), timeout=3)
        assert "not valid TOML" in client.diagnostics[uri][0].message
    finally:
        await stop(client)


async def _gate_is(client, uri: str, draft_id: str, expected: str) -> bool:
    return await gate_of(client, uri, draft_id) == expected


async def test_editor_settings_tighten_only_and_are_re_pulled(workspace: Path):
    write_draft(workspace, draft("ready"))
    client = await start(workspace, settings={"confidenceFloor": 0.9})
    try:
        uri = client.open(workspace / CHECKOUT)
        assert await gate_of(client, uri, "ready") == "0.82 < floor 0.90 (from editor settings)"
        client.set_configuration({"confidenceFloor": 0.3}, section="stitch")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        # re-pulled when the server gets round to it: ask until it answers with the new gate
        await client.until(lambda: _gate_is(client, uri, "ready", "actionable"))
        status = await client.command("stitch.status")
        assert status["floor"] == {"value": 0.65, "from": "team file", "raised": {}}
        assert any("may only raise" in note for note in status["config"]["notes"])
    finally:
        await stop(client)


async def test_init_options_work_for_clients_without_configuration(workspace: Path):
    write_draft(workspace, draft("ready"))
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(disabled_support=True)
        )
    )
    client = await start(
        workspace,
        capabilities=caps,
        init_options={"settings": {"stitch": {"confidenceFloor": 0.95}}},
    )
    try:
        uri = client.open(workspace / CHECKOUT)
        assert await gate_of(client, uri, "ready") == "0.82 < floor 0.95 (from editor settings)"
    finally:
        await stop(client)


async def test_neovim_settings_table(workspace: Path):
    write_draft(workspace, draft("ready"))
    client = await start(workspace, editor=NEOVIM, settings={"confidenceFloor": 0.85})
    try:
        status = await client.command("stitch.status")
        assert status["floor"] == {"value": 0.85, "from": "editor settings", "raised": {}}
    finally:
        await stop(client)
