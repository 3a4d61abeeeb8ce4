"""While agents are read-only, an MCP tool of any server but Stitch's own is stopped, whatever
its name says: a foreign server's tool called `read_file` or `search` can do anything its
server does. Generated tool names include every name the adapters know as a read, an edit, a
write or a shell, in the spellings agents use, and names made up."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from stitch_props import (
    AGENTS,
    claude_event,
    cursor_event,
    denial,
    examples,
    guard,
    vscode_event,
)

from stitch_ls import hooks

SERVER = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).filter(lambda s: "stitch" not in s)
KNOWN_NAMES = sorted(
    hooks._READ_TOOLS | hooks._EDIT_TOOLS | hooks._WRITE_TOOLS | hooks._SHELL_TOOLS
)


def spellings(name: str) -> st.SearchStrategy[str]:
    """`readfile` as agents spell it: readfile, ReadFile, read_file, READFILE."""
    return st.sampled_from(
        [name, name.capitalize(), name.upper(), "_".join([name[:4], name[4:]]).strip("_")]
    )


TOOL = st.one_of(
    st.sampled_from(KNOWN_NAMES).flatmap(spellings),
    st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
).filter(lambda t: "stitch" not in t.lower() and "notif" not in t.lower())
INTERRUPTING = st.sampled_from(
    [
        "notify",
        "send_notification",
        "post_notification",
        "Notification",
        "AskQuestion",
        "ask_question",
        "askUserQuestion",
    ]
)


def mcp_event(agent: str, root: Path, server: str, tool: str, via_url: bool) -> dict:
    """A call of `tool` on MCP server `server`, as each agent's hook names it."""
    if agent == "cursor":
        origin = {"url": f"https://{server}.example.com/mcp"} if via_url else {"command": server}
        return cursor_event(
            root, "beforeMCPExecution", tool_name=tool, tool_input={"q": 1}, **origin
        )
    if agent == "claude-code":
        return claude_event(f"mcp__{server}__{tool}", {"q": 1}, str(root))
    return vscode_event(f"mcp_{server}_{tool}", {"q": 1}, str(root))


@examples(80)
@given(server=SERVER, tool=TOOL, via_url=st.booleans())
def test_read_only_stops_a_foreign_mcp_tool_whatever_its_name(
    read_only_root: Path, server: str, tool: str, via_url: bool
):
    """Cursor hands the bare tool name to `beforeMCPExecution`: one that reads like a known
    read tool is still an MCP tool, stopped like a made-up one."""
    for agent in AGENTS:
        event = mcp_event(agent, read_only_root, server, tool, via_url)
        reason = denial(agent, guard(agent, event))
        assert reason is not None, (agent, server, tool)
        assert "read-only" in reason, reason
        kind = hooks.classify(agent, tool, {}, None).kind
        if agent != "cursor" or kind in ("read", "other"):
            assert "MCP tool" in reason and "is stopped" in reason, reason


@examples(20)
@given(server=SERVER, tool=INTERRUPTING, via_url=st.booleans())
def test_read_only_stops_a_foreign_mcp_tool_named_like_a_notification_or_a_question(
    read_only_root: Path, server: str, tool: str, via_url: bool
):
    for agent in AGENTS:
        event = mcp_event(agent, read_only_root, server, tool, via_url)
        assert denial(agent, guard(agent, event)) is not None, (agent, server, tool)
