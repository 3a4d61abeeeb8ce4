"""Files opened before the first load of drafts finishes get their drafts when it does."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities

from editor_client import VSCODE, make_client, stop
from workspaces import draft, make_workspace, range_edit, write_draft


async def started(root: Path, env: dict[str, str] | None = None):
    client = make_client()
    await client.start_io(
        sys.executable, "-m", "stitch_ls", "serve", env={**os.environ, **(env or {})}
    )
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(VSCODE),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    return client


async def test_every_file_opened_during_the_first_load_gets_its_drafts(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    (root / "src" / "other.py").write_text("def f():\n    return 1\n")
    for index in range(3000):  # a first load long enough to open files during it
        write_draft(root, draft(f"d{index}"))
    other = draft("other", title="Other file")
    other["edits"] = [range_edit("src/other.py", 1, 4, "return 1", "return 2")]
    write_draft(root, other)
    client = await started(root)
    try:
        first = client.open(root / "src" / "checkout.py")
        second = client.open(root / "src" / "other.py")
        assert not client.statuses  # both opened before the load was done
        await client.wait_for(
            lambda: bool(client.statuses), timeout=90
        )  # the indexer runs at nice 10
        await client.wait_for(lambda: bool(client.diagnostics.get(first)), timeout=10)
        await client.wait_for(
            lambda: [d.code for d in client.diagnostics.get(second, [])] == ["other"], timeout=10
        )
    finally:
        await stop(client)


async def test_a_code_action_during_a_short_first_load_waits_for_it(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("ready"))
    # the bound on the wait is not what is tested here (see test_indexer_process's "answer
    # at once while the first load runs"): with both CPUs busy a one-draft load can take
    # over the default second, so the bound is raised for this server
    client = await started(root, {"STITCH_FIRST_LOAD_WAIT": "30"})
    try:
        uri = client.open(root / "src" / "checkout.py")
        titles = [a.title for a in await client.actions(uri, 12, 8)]  # asked at once
        assert any(t.startswith("Apply draft: Draft ready") for t in titles), titles
    finally:
        await stop(client)
