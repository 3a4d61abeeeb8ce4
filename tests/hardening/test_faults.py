"""Hostile drafts, killed writers, churning folders and missing git: nothing lost, nothing let in."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from editor_client import start, stop
from stitch_ls.core.drafts import DraftIndex
from stitch_ls.core.fsio import atomic_write
from workspaces import draft, range_edit, write_draft

CHECKOUT = "src/checkout.py"


def hostile_drafts(root: Path, outside: Path) -> dict[str, str]:
    """Write one bad draft per kind of hostility; returns file name -> expected error fragment."""
    folder = root / ".stitch" / "drafts"
    expected: dict[str, str] = {}

    def put(name: str, content: str | bytes, fragment: str) -> None:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        expected[name] = fragment

    for name, path in [
        ("dotdot", "../outside.py"),
        ("absolute", "/etc/passwd"),
        ("gitdir", ".git/config"),
        ("stitchdir", ".stitch/state.json"),
    ]:
        body = draft(name)
        body["edits"][0]["path"] = path
        put(f"{name}.json", json.dumps(body), "edits.0.path")
    put("nonutf8.json", b'{"id": "x\xff\xfe"}', "not UTF-8")
    put("huge.json", b'{"id": "huge", "pad": "' + b"x" * (50 * 1024 * 1024) + b'"}', "the limit is")
    many = draft("many")
    many["edits"] = [{"path": "a", "delete": True}] * 100_000
    put(
        "many.json",
        json.dumps(many, separators=(",", ":")),
        "edits: List should have at most 1000 items",
    )
    put("nan.json", json.dumps(draft("nan")).replace("0.82", "NaN"), "confidence")
    put("negative.json", json.dumps(draft("negative", confidence=-1)), "confidence")
    put("version.json", json.dumps(draft("version", version=9)), "version")
    put("truncated.json", json.dumps(draft("truncated"))[:-40], "not valid JSON")
    put("dup-a.json", json.dumps(draft("dup")), "")
    put("dup-b.json", json.dumps(draft("dup")), "duplicate id 'dup'")
    (folder / "escape.json").symlink_to(outside / "secret.json")
    return expected


async def test_hostile_drafts_get_one_error_each_and_the_rest_keeps_working(
    workspace: Path, tmp_path: Path
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text(json.dumps(draft("secret")))
    (outside / "victim.py").write_text("print('untouched')\n")
    (workspace / "link").symlink_to(outside)
    through_link = draft("through-link")
    through_link["edits"] = [range_edit("link/victim.py", 0, 0, "print", "raise")]
    write_draft(workspace, through_link)
    write_draft(workspace, draft("good"))
    expected = hostile_drafts(workspace, outside)
    client = await start(workspace)
    try:
        for name, fragment in expected.items():
            if not fragment:
                continue
            uri = (workspace / ".stitch" / "drafts" / name).as_uri()
            await client.wait_for(lambda uri=uri: bool(client.diagnostics.get(uri)), timeout=5)
            [problem] = client.diagnostics[uri]
            assert fragment in problem.message, (name, problem.message)
        listed = {row["id"] for row in await client.command("stitch.listDrafts")}
        assert "secret" not in listed  # a symlinked draft file is not followed
        with pytest.raises(Exception, match="outside the workspace"):
            await client.command("stitch.applyDraft", "through-link")
        assert (outside / "victim.py").read_text() == "print('untouched')\n"
        uri = client.open(workspace / CHECKOUT)
        assert (await client.command("stitch.applyDraft", "good"))["applied"]
        assert "round(" in client.text(uri)
    finally:
        await stop(client)


def _writer(path: str, seed: int) -> None:
    contents = ["A" * 200_000 + "\n", "B" * 300_000 + "\n"]
    index = seed
    while True:
        atomic_write(Path(path), contents[index % 2])
        index += 1


def test_a_writer_killed_mid_write_leaves_old_or_new(tmp_path: Path):
    target = tmp_path / "state.json"
    atomic_write(target, "A" * 200_000 + "\n")
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(15):
        proc = ctx.Process(target=_writer, args=(str(target), round_))
        proc.start()
        time.sleep(random.uniform(0.05, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        text = target.read_text()
        assert text in ("A" * 200_000 + "\n", "B" * 300_000 + "\n")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "state.json"]
    # a killed writer may leave its temp file; never a torn target
    assert all(name.startswith(".state.json.") for name in leftovers)


def test_scanning_a_churning_folder_of_thousands(tmp_path: Path):
    folder = tmp_path / ".stitch" / "drafts"
    folder.mkdir(parents=True)
    for index in range(2000):
        (folder / f"d{index}.json").write_text(json.dumps(draft(f"d{index}")))
    stop_flag = threading.Event()

    def churn() -> None:
        rng = random.Random(7)
        while not stop_flag.is_set():
            index = rng.randrange(2000)
            path = folder / f"d{index}.json"
            if rng.random() < 0.5:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, json.dumps(draft(f"d{index}", title=f"t{rng.random()}")))

    thread = threading.Thread(target=churn)
    thread.start()
    index = DraftIndex(folder)
    try:
        for _ in range(5):
            index.scan()
    finally:
        stop_flag.set()
        thread.join()
    index.scan()
    on_disk = {p.stem for p in folder.glob("*.json")}
    assert set(index.by_id) == on_disk
    assert all(record.draft is not None for record in index.records())


async def test_deleted_workspace_folder_degrades_without_crashing(workspace: Path):
    write_draft(workspace, draft("good"))
    client = await start(workspace)
    try:
        uri = client.open(workspace / CHECKOUT)
        shutil.rmtree(workspace)
        await __import__("asyncio").sleep(1.5)
        status = await client.command("stitch.status")
        assert status["drafts"]["pending"] == 0
        assert await client.actions(uri, 12, 8) == []
    finally:
        await stop(client)


async def test_git_missing_or_broken_repository(workspace: Path):
    write_draft(workspace, draft("good"))
    shutil.rmtree(workspace / ".git")
    (workspace / ".git").write_text("gitdir: /nonexistent\n")
    env = {"PATH": "/nonexistent", "GIT_PYTHON_REFRESH": "quiet"}
    client = await start(workspace, env=env)
    try:
        client.open(workspace / CHECKOUT)
        assert (await client.command("stitch.applyDraft", "good"))["applied"]
        entry = json.loads((workspace / ".stitch" / "source-log.jsonl").read_text())
        assert entry["accepted_by"]  # falls back to the login name, never fails
    finally:
        await stop(client)


async def test_broken_prompts_are_reported_and_good_ones_still_shown(workspace: Path):
    folder = workspace / ".stitch" / "prompts"
    folder.mkdir()
    (folder / "a-truncated.json").write_text('{"version": 1, "id": "x", ')
    (folder / "b-huge.json").write_bytes(b'{"pad": "' + b"x" * 400_000 + b'"}')
    (folder / "c-markup.json").write_text(
        json.dumps(
            {
                "version": 1,
                "id": "c",
                "agent": "a",
                "stream": "s",
                "question": "[x](command:rm) <b>?</b>",
                "options": ["yes"],
            }
        )
    )
    client = await start(workspace)
    try:
        await client.wait_for(lambda: bool(client.prompts), timeout=5)
        assert client.prompts[0].message.startswith(
            "a (s) asks: [x](command:rm) <b>?</b>"
        )  # plain text, never rendered
        errors = [m.message for m in client.log_messages if "prompt ignored" in m.message]
        assert any("a-truncated.json: not valid JSON" in e for e in errors)
        assert any("b-huge.json" in e and "limit" in e for e in errors)
    finally:
        await stop(client)
