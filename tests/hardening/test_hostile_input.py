"""Input built to hang or exhaust: each gets one clear error or a bounded answer, and the rest
keeps working (CLI and language server, for real)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from editor_client import start, stop
from test_cli import cli
from workspaces import draft, make_workspace, write_draft

CHECKOUT = "src/checkout.py"


def test_a_draft_nested_a_thousand_deep_is_one_error_and_the_rest_works(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("good"))
    deep = root / ".stitch" / "drafts" / "deep.json"
    deep.write_text('{"id": "deep", "edits": ' + "[" * 5000 + "]" * 5000 + "}")
    listed = cli(root, "draft", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["id"] for r in json.loads(listed.stdout) if r["gate"] == "actionable"] == ["good"]
    added = cli(root, "draft", "add", "-", stdin="[" * 5000 + "]" * 5000)
    assert added.returncode == 2 and "nested too deeply" in added.stderr
    assert "Traceback" not in added.stderr + listed.stderr


def test_a_source_file_nested_hundreds_deep_keeps_every_verb_working(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    nested = "".join("    " * i + f"def f{i}():\n" for i in range(400)) + "    " * 400 + "pass\n"
    (root / "src" / "deep.py").write_text(nested)
    body = draft("sym")
    body["edits"] = [{"path": "src/deep.py", "symbol": "f0", "text": "def f0():\n    pass"}]
    write_draft(root, body)
    for verb in (("draft", "list"), ("status",), ("check",), ("draft", "apply", "sym")):
        done = cli(root, *verb)
        assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr, verb
    assert (root / "src" / "deep.py").read_text() == "def f0():\n    pass\n"


def test_a_fifo_where_a_file_was_is_refused_without_hanging(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    os.mkfifo(root / "src" / "pipe.py")
    body = draft("fifo")
    body["edits"][0]["path"] = "src/pipe.py"
    write_draft(root, body)
    os.mkfifo(root / ".stitch" / "drafts" / "stuck.json")
    listed = cli(root, "draft", "list", "--json")  # the helper's 60 s time-out would raise
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["fifo"]["gate"] in ("stale", "invalid") and "regular file" in rows["fifo"]["reason"]
    applied = cli(root, "draft", "apply", "fifo")
    assert applied.returncode == 3 and "regular file" in applied.stderr


async def test_fifty_drafts_on_one_line_make_a_bounded_answer(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    for n in range(100):
        write_draft(root, draft(f"d{n:03}"))
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(client.diagnostics.get(uri)), timeout=10)
        actions = await client.actions(uri, 12, 8)
        drafts = {a.data["draft"] for a in actions if a.data}
        assert len(drafts) == 30
        assert actions[-1].title == "… and 70 more agent drafts here — list"
        assert actions[-1].command.command == "stitch.listDrafts"
    finally:
        await stop(client)
