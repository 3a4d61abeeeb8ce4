"""Stitch points and stream drafts in a live buffer, through the real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types

from editor_client import start, stop
from gitrepos import STREAM_TEAM, commit_on, git, stream_repo
from workspaces import make_workspace

CHECKOUT = "src/checkout.py"


def points(client, uri: str) -> list[types.Diagnostic]:
    return [
        d for d in client.diagnostics.get(uri, []) if str(d.code or "").startswith("stitch-point:")
    ]


async def test_stitch_point_diagnostic_and_lens_in_the_live_buffer(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(points(client, uri)), timeout=5)
        [point] = points(client, uri)
        assert point.severity == types.DiagnosticSeverity.Information
        assert point.range.start.line == 7  # def total(self)
        assert point.message == (
            "stitch point: streams checkout/a, checkout/b · owner lead@example.com · not signed"
            " · will conflict"
        )
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert any(lens.command.command == "stitch.signOff" for lens in lenses)
        # an unsaved edit in pay() makes the engineer a second stream there
        client.edit(uri, (12, 23), (12, 23), " * 1")
        await client.wait_for(lambda: len(points(client, uri)) == 2, timeout=5)
        messages = sorted(p.message for p in points(client, uri))
        assert messages[1].startswith("stitch point: streams checkout/b, you")
    finally:
        await stop(client)


async def test_compare_streams_answers_each_streams_version_before_a_sign_off(tmp_path: Path):
    """`stitch.compareStreams [id]` (the point's second lens): each stream's version of the
    file and the base's, as data for the editor's diff; the engineer's own buffer is the
    other side, not in the list."""
    root = stream_repo(tmp_path / "ws")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(points(client, uri)), timeout=5)
        point_id = str(points(client, uri)[0].code).removeprefix("stitch-point:")
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        [compare] = [lens for lens in lenses if lens.command.command == "stitch.compareStreams"]
        assert compare.command.title == "compare streams"
        assert list(compare.command.arguments) == [point_id] and compare.range.start.line == 7
        found = await client.command("stitch.compareStreams", point_id)
        assert found["stitch_id"] == point_id and found["path"] == CHECKOUT
        assert found["symbol"] == "Cart.total" and found["uri"] == uri
        assert found["yours"] is False
        assert [s["name"] for s in found["streams"]] == ["checkout/a", "checkout/b"]
        for side in found["streams"]:
            assert side["text"] == git(root, "show", f"stream/{side['name']}:{CHECKOUT}")
            assert side["line"] == 7 and side["note"] is None
        assert found["base"]["name"] == "main"
        assert found["base"]["text"] == (root / CHECKOUT).read_text()
        # the engineer edits the same method: one more stream, still not in the list
        client.edit(uri, (8, 30), (8, 30), " + 0")
        await client.wait_for(
            lambda: any("you" in p.message for p in points(client, uri)), timeout=5
        )
        [mine] = [
            p for p in points(client, uri) if "you" in p.message and "checkout/a" in p.message
        ]
        found = await client.command(
            "stitch.compareStreams", str(mine.code).removeprefix("stitch-point:")
        )
        assert found["yours"] is True
        assert [s["name"] for s in found["streams"]] == ["checkout/a", "checkout/b"]
        with pytest.raises(Exception, match="no stitch point 'sp-nothing' in an open file"):
            await client.command("stitch.compareStreams", "sp-nothing")
        with pytest.raises(Exception, match="stitch point id must be a non-empty string"):
            await client.command("stitch.compareStreams", {"path": "../../etc/passwd"})
    finally:
        await stop(client)


async def test_compare_streams_with_a_hostile_version_is_a_bounded_answer(tmp_path: Path):
    """A stream's version holding terminal controls and bytes that are not UTF-8 crosses the
    wire as text (controls kept, bad bytes as U+FFFD): the server neither crashes nor sends
    a string JSON cannot carry."""
    root = stream_repo(tmp_path / "ws")
    git(root, "checkout", "-q", "stream/checkout/a")
    path = root / CHECKOUT
    path.write_bytes(
        path.read_bytes().replace(b"or 0", b"or 0  # \x1b]0;pwned\x07 \xff\xfe [x](command:evil)")
    )
    git(root, "commit", "-q", "-am", "hostile")
    git(root, "checkout", "-q", "main")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(points(client, uri)), timeout=5)
        point_id = str(points(client, uri)[0].code).removeprefix("stitch-point:")
        found = await client.command("stitch.compareStreams", point_id)
        [a] = [s for s in found["streams"] if s["name"] == "checkout/a"]
        assert "# \x1b]0;pwned\x07 \ufffd\ufffd [x](command:evil)" in a["text"]
        assert (await client.command("stitch.status"))["indexer"]["running"] is True
    finally:
        await stop(client)


async def test_sign_off_by_owner_and_refusal_for_others(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(points(client, uri)), timeout=5)
        point_id = str(points(client, uri)[0].code).removeprefix("stitch-point:")
        with pytest.raises(Exception, match="only lead@example.com may sign off"):
            await client.command("stitch.signOff", point_id)
        git(root, "config", "user.email", "lead@example.com")
    finally:
        await stop(client)
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(points(client, uri)), timeout=5)
        result = await client.command("stitch.signOff", point_id)
        assert result == {"signed": True, "stitch_id": point_id, "signer": "lead@example.com"}
        await client.wait_for(
            lambda: any("signed by lead@example.com" in p.message for p in points(client, uri)),
            timeout=5,
        )
        entry = json.loads((root / ".stitch" / "signoffs.jsonl").read_text())
        assert entry["signer"] == "lead@example.com" and set(entry["versions"]) == {
            "checkout/a",
            "checkout/b",
        }
        # a new commit on a stream changes its version of the symbol: the sign-off stops counting
        commit_on(root, "stream/checkout/a", CHECKOUT, "or 0", "or 0.0", "float zero")
        # (between two publications the list may be empty for a moment: no [0] on it)
        await client.wait_for(
            lambda: any("not signed" in p.message for p in points(client, uri)), timeout=6
        )
    finally:
        await stop(client)


async def test_agent_commit_hunks_are_drafts_and_new_commits_show_without_restart(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)

        async def stream_actions():
            found = await client.actions(uri, 8, 0, end_line=9)
            return [
                a
                for a in found
                if a.title.startswith("Apply") and a.data["draft"].startswith("git-")
            ]

        await client.wait_for(
            lambda: any(
                "git-" in d.message or "Empty carts" in d.message
                for d in client.diagnostics.get(uri, [])
            ),
            timeout=15,
        )
        [action] = await stream_actions()
        assert (
            action.title
            == "Apply draft: Empty carts total zero (src/checkout.py #1) — 0.90 · 1 source · checkout/a/claude-code"
        )
        assert action.disabled is None
        commit_on(
            root,
            "stream/checkout/c",
            CHECKOUT,
            "self.items = []",
            "self.items: list = []",
            "Annotate items\n\nStitch-Confidence: 0.4\nStitch-Source: doc docs/typing.md | style guide",
        )
        await client.wait_for(lambda: client.statuses[-1]["streams"]["over_cap"] != {}, timeout=15)
        assert client.statuses[-1]["streams"]["over_cap"] == {
            "checkout": ["checkout/a", "checkout/b", "checkout/c"]
        }
        config = (root / ".stitch" / "config.toml").as_uri()
        await client.wait_for(
            lambda: any("active streams" in d.message for d in client.diagnostics.get(config, [])),
            timeout=15,
        )

        async def stream_drafts_on_line_5() -> list:
            found = await client.actions(uri, 5, 10)
            return [
                a
                for a in found
                if a.data["draft"].startswith("git-") and a.title.startswith("Apply")
            ]

        # the status says the stream is there; its draft is placed in the buffer a moment
        # later (a separate step): wait for what is asserted, the draft itself
        await client.until(stream_drafts_on_line_5, timeout=15)
        [low] = await stream_drafts_on_line_5()
        # the third stream started last: past the cap, its drafts are disabled (gate rule 5,
        # before the floor)
        assert low.disabled.reason == "stream checkout/c is over the cap of 2 for feature checkout"
        await client.command("stitch.applyDraft", action.data["draft"])
        assert "return sum(self.items) or 0" in client.text(uri)
        # the applied hunk is unsaved in the buffer: the engineer joins the stitch point as a
        # stream, the hunk is no longer offered, and applying it again is refused
        await client.wait_for(
            lambda: any(", you ·" in p.message for p in points(client, uri)), timeout=5
        )
        listed = {row["id"]: row for row in await client.command("stitch.listDrafts")}
        assert listed[action.data["draft"]]["gate"] == "unsaved"  # applied, not saved yet
        assert listed[low.data["draft"]]["gate"] == "blocked"
        with pytest.raises(Exception, match="waits to be saved"):
            await client.command("stitch.applyDraft", action.data["draft"])
        assert client.text(uri).count("return sum(self.items) or 0") == 1
        client.save(uri)  # kept: the agent commit's hunk is accepted like a draft file
        log = root / ".stitch" / "source-log.jsonl"
        await client.wait_for(log.exists, timeout=10)
        assert json.loads(log.read_text())["draft"] == action.data["draft"]
        with pytest.raises(Exception, match="already applied"):
            await client.command("stitch.applyDraft", action.data["draft"])
    finally:
        await stop(client)


async def test_fetch_every_brings_streams_pushed_elsewhere_and_says_when_it_fails(
    tmp_path: Path,
):
    team = STREAM_TEAM.replace("max_per_feature = 2", 'max_per_feature = 2\nfetch_every = "30s"')
    first = make_workspace(tmp_path / "first", team)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(first), str(origin))
    for name in ("mine", "theirs"):
        git(tmp_path, "clone", "-q", str(origin), name)
        git(tmp_path / name, "config", "user.email", f"{name}@example.com")
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    commit_on(theirs, "stream/checkout/far", CHECKOUT, "return cart.total()", "return 0", "far")
    git(theirs, "push", "-q", "origin", "stream/checkout/far")
    git(mine, "remote", "add", "gone", str(tmp_path / "nowhere.git"))
    client = await start(mine)
    try:
        await client.wait_for(
            lambda: client.statuses[-1]["streams"]["features"].get("checkout") == ["checkout/far"],
            timeout=20,
        )
        await client.wait_for(lambda: client.statuses[-1]["fetch"] is not None, timeout=20)
        fetched = client.statuses[-1]["fetch"]
        assert fetched["every"] == "30s"
        assert fetched["problem"].startswith("fetch from gone failed")  # origin fetched fine
        # the editor goes on answering while a remote fails
        assert (await client.command("stitch.status"))["streams"]["features"] == {
            "checkout": ["checkout/far"]
        }
        # the engineer's unsaved edit to the same function meets the pushed stream there
        uri = client.open(mine / CHECKOUT)
        client.edit(uri, (12, 23), (12, 23), " * 1")
        await client.wait_for(lambda: bool(points(client, uri)), timeout=15)
        assert points(client, uri)[0].message.startswith("stitch point: streams checkout/far, you")
    finally:
        await stop(client)
