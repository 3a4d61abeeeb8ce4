"""Hostile drafts, killed writers, churning folders and missing git: nothing lost, nothing let in."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import select
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from editor_client import start, stop
from stitch_ls.core.drafts.index import DraftIndex
from stitch_ls.core.files.fsio import atomic_write
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
        "edits: must have at most 1000 items, not 100000",
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


OLD = "A" * 200_000 + "\n"
NEW = "B" * 300_000 + "\n"


def _writer(path: str, complete: int, ready_fd: int) -> None:
    """Write OLD/NEW alternately; `complete` writes go through, then the next one stops
    half-way through its bytes, tells the parent on `ready_fd`, and waits to be killed.

    Every way a file's bytes can be written from Python is wrapped (a file object's `write`
    from `open`/`os.fdopen`/`Path.write_*`, and `os.write`), so the signal comes from inside
    the write whichever way `atomic_write` does it.
    """
    import builtins
    import io

    written = {"count": 0}

    def pause_half_way(write_half, write_rest, size: int) -> None:
        written["count"] += 1
        if written["count"] <= complete:
            write_rest(0)
            return
        write_half()
        os.write(ready_fd, b"w")
        time.sleep(60)  # the parent kills us here
        write_rest(size // 2)

    class Slow:
        def __init__(self, handle) -> None:
            self._handle = handle

        def write(self, data):
            size = len(data)

            def half() -> None:
                self._handle.write(data[: size // 2])
                self._handle.flush()

            pause_half_way(half, lambda done: self._handle.write(data[done:]), size)
            return size

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._handle.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self._handle, name)

    def wrap(opener):
        def opened(*args, **kwargs):
            handle = opener(*args, **kwargs)
            mode = kwargs.get("mode", args[1] if len(args) > 1 else "r")
            writing = any(c in str(mode) for c in "wax+")
            # os.fdopen opens through io.open: wrap a handle once
            return Slow(handle) if writing and not isinstance(handle, Slow) else handle

        return opened

    real_write = os.write

    def slow_os_write(fd: int, data) -> int:
        if fd == ready_fd:
            return real_write(fd, data)
        size = len(data)
        pause_half_way(
            lambda: real_write(fd, data[: size // 2]),
            lambda done: real_write(fd, data[done:]),
            size,
        )
        return size

    builtins.open = io.open = wrap(io.open)
    os.fdopen = wrap(os.fdopen)
    os.write = slow_os_write
    contents = [OLD, NEW]
    index = 0
    while True:
        atomic_write(Path(path), contents[index % 2])
        index += 1


def test_a_writer_killed_mid_write_leaves_old_or_new(tmp_path: Path):
    target = tmp_path / "state.json"
    atomic_write(target, OLD)
    ctx = multiprocessing.get_context("fork")
    for round_ in range(6):
        complete = round_ % 3  # the kill lands in the first, second or third write
        read_end, write_end = os.pipe()
        proc = ctx.Process(target=_writer, args=(str(target), complete, write_end))
        proc.start()
        os.close(write_end)
        try:
            ready, _, _ = select.select([read_end], [], [], 30)
            assert ready, "the writer never reached the middle of a write"
            assert os.read(read_end, 1) == b"w"
            os.kill(proc.pid, signal.SIGKILL)
            proc.join()
        finally:
            os.close(read_end)
            if proc.is_alive():
                proc.kill()
                proc.join()
        assert proc.exitcode == -signal.SIGKILL
        last_complete = [OLD, NEW][(complete - 1) % 2] if complete else target.read_text()
        text = target.read_text()
        assert text in (OLD, NEW)
        assert text == last_complete
        # the killed write's bytes are in its temp file, half of them: it was mid-write
        leftovers = [p for p in tmp_path.iterdir() if p.name != "state.json"]
        assert [p.name.startswith(".state.json.") for p in leftovers] == [True]
        assert leftovers[0].stat().st_size in (len(OLD) // 2, len(NEW) // 2)
        leftovers[0].unlink()


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
        await client.wait_for(
            lambda: bool(client.statuses) and client.statuses[-1]["drafts"]["pending"] == 1
        )
        # deleted as `rm -rf` does it, again while the server's background writer (the
        # collision index in .git/stitch/) puts a file back into a folder being emptied
        for _ in range(50):
            shutil.rmtree(workspace, ignore_errors=True)
            if not workspace.exists():
                break
            await asyncio.sleep(0.05)
        assert not workspace.exists()
        # the server says it saw the folder go before the absence of drafts means anything
        await client.wait_for(lambda: client.statuses[-1]["drafts"]["pending"] == 0, timeout=10)
        status = await client.command("stitch.status")
        assert status["drafts"]["pending"] == 0
        assert await client.actions(uri, 12, 8) == []
    finally:
        await stop(client)


async def test_git_missing_or_broken_repository(workspace: Path):
    """Once its git is broken (or git is missing), the team file this machine accepted
    holds: the server answers, applies and logs, and never fails."""
    from stitch_ls.core.operations import open_workspace

    write_draft(workspace, draft("good"))
    open_workspace(workspace)  # the team file on main, accepted at first use
    shutil.rmtree(workspace / ".git")
    (workspace / ".git").write_text("gitdir: /nonexistent\n")
    env = {"PATH": "/nonexistent", "GIT_PYTHON_REFRESH": "quiet"}
    client = await start(workspace, env=env)
    try:
        uri = client.open(workspace / CHECKOUT)
        assert (await client.command("stitch.applyDraft", "good"))["applied"]
        client.save(uri)  # accepted once kept
        log = workspace / ".stitch" / "source-log.jsonl"
        await client.wait_for(log.exists, timeout=10)
        entry = json.loads(log.read_text())
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
