"""`stitch-ls init --agents`: besides the guard's hooks, each agent's MCP configuration gets
Stitch's server (in the shape that agent's docs give) and `AGENTS.md` gets the instructions,
between marks, never clobbering what a team wrote."""

from __future__ import annotations

import json
from pathlib import Path

from hookevents import run
from stitch_ls.hooks import AGENTS_MD_BEGIN, AGENTS_MD_END
from workspaces import make_workspace


def init(env: dict[str, str], root: Path, agents: str):
    result = run(env, "init", "--agents", agents, "--workspace", str(root))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_each_agent_gets_stitchs_mcp_server_in_its_own_format(tmp_path: Path, env):
    root = make_workspace(tmp_path / "ws")
    said = init(env, root, "claude-code,cursor,vscode")
    claude = json.loads((root / ".mcp.json").read_text())
    assert claude == {"mcpServers": {"stitch": {"command": "stitch-ls", "args": ["mcp"]}}}
    cursor = json.loads((root / ".cursor" / "mcp.json").read_text())
    assert cursor == {"mcpServers": {"stitch": {"command": "stitch-ls", "args": ["mcp"]}}}
    vscode = json.loads((root / ".vscode" / "mcp.json").read_text())
    assert vscode == {
        "servers": {"stitch": {"type": "stdio", "command": "stitch-ls", "args": ["mcp"]}}
    }
    assert ".mcp.json: created with the Stitch MCP server" in said
    # VS Code's hooks in its workspace hook folder: the guard fails closed, attribution never
    hooks = json.loads((root / ".github" / "hooks" / "stitch.json").read_text())["hooks"]
    assert [
        e["command"].endswith("stitch-ls guard --agent vscode || exit 2")
        for e in hooks["PreToolUse"]
    ] == [True]
    assert [e["command"] for e in hooks["PostToolUse"]] == ["stitch-ls attribute --agent vscode"]
    assert ".github/hooks/stitch.json: created with the Stitch guard" in said
    again = init(env, root, "vscode")
    assert ".github/hooks/stitch.json: the Stitch guard is already there" in again
    text = (root / "AGENTS.md").read_text()
    assert text.count(AGENTS_MD_BEGIN) == 1 and text.count(AGENTS_MD_END) == 1
    assert "propose_draft" in text and "confidence" in text and "sources" in text


def test_what_a_team_already_has_is_kept(tmp_path: Path, env):
    root = make_workspace(tmp_path / "ws")
    other = {"mcpServers": {"db": {"command": "db-mcp"}}, "note": "ours"}
    (root / ".mcp.json").write_text(json.dumps(other))
    (root / "AGENTS.md").write_text("# How we work\n\nRun `make lint` before a commit.\n")
    init(env, root, "claude-code")
    merged = json.loads((root / ".mcp.json").read_text())
    assert merged["mcpServers"]["db"] == {"command": "db-mcp"} and merged["note"] == "ours"
    assert merged["mcpServers"]["stitch"] == {"command": "stitch-ls", "args": ["mcp"]}
    text = (root / "AGENTS.md").read_text()
    assert text.startswith("# How we work\n\nRun `make lint` before a commit.\n\n")
    assert text.endswith(AGENTS_MD_END + "\n")
    # once more: nothing doubles
    said = init(env, root, "claude-code")
    assert "the Stitch MCP server is already there" in said
    assert "the Stitch instructions are already there" in said
    assert (root / "AGENTS.md").read_text() == text
    # the team edits around the block and inside it: the block is brought back, the rest kept
    edited = text.replace("propose_draft", "PROPOSE") + "\n## Ours, after\n"
    (root / "AGENTS.md").write_text(edited)
    said = init(env, root, "claude-code")
    assert "brought up to date" in said
    final = (root / "AGENTS.md").read_text()
    assert "PROPOSE" not in final and "propose_draft" in final
    assert final.endswith("\n## Ours, after\n") and final.startswith("# How we work")


def test_a_broken_mcp_file_or_half_a_block_is_one_clear_error(tmp_path: Path, env):
    root = make_workspace(tmp_path / "ws")
    (root / ".mcp.json").write_text("[1, 2]")
    result = run(env, "init", "--agents", "claude-code", "--workspace", str(root))
    assert result.returncode != 0 and ".mcp.json is not a JSON object" in result.stderr
    (root / ".mcp.json").unlink()
    (root / "AGENTS.md").write_text(f"notes\n{AGENTS_MD_BEGIN}\nhalf\n")
    result = run(env, "init", "--agents", "claude-code", "--workspace", str(root))
    assert result.returncode != 0 and "one Stitch mark without the other" in result.stderr
    assert (root / "AGENTS.md").read_text() == f"notes\n{AGENTS_MD_BEGIN}\nhalf\n"


def test_an_unknown_agent_is_refused_before_anything_is_written(tmp_path: Path, env):
    root = make_workspace(tmp_path / "ws")
    result = run(env, "init", "--agents", "claude-code,aider", "--workspace", str(root))
    assert result.returncode != 0 and "not aider" in result.stderr
    assert not (root / ".mcp.json").exists() and not (root / "AGENTS.md").exists()
