"""`stitch-ls demo`: a sample workspace driven through a real LSP session over stdio.

It plays the editor: opens a file, asks for code actions and a hover, applies a draft,
rejects one, flips read-only and starts a focus session, printing what an editor would show.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.lsp.client import LanguageClient

CHECKOUT = '''\
"""Checkout: the cart and the payment step."""


class Cart:
    def __init__(self):
        self.items = []

    def total(self):
        return sum(self.items)


def pay(cart):
    return cart.total()
'''

TEAM = """\
[agents]
confidence_floor = 0.65
irreversible_paths = ["migrations/**"]

[trust]
unsourced_per_hour = 3
on_exhausted = "raise_floor"
scrutiny_raise = 0.15

[streams]
base = "main"
max_per_feature = 2

[features.checkout]
stitch_owner = "lead@example.com"
paths = ["src/**"]
"""

SOURCES = [
    {"kind": "doc", "ref": "docs/money.md", "why": "finance's rounding rule of record"},
    {
        "kind": "test",
        "ref": "tests/test_checkout.py::test_pay_rounds",
        "why": "fails before, passes after",
    },
    {
        "kind": "url",
        "ref": "https://example.com/payments-api#amounts",
        "why": "provider's API contract",
    },
]
EVIDENCE = [
    {
        "kind": "test",
        "ref": "tests/test_checkout.py::test_pay_rounds",
        "status": "passed",
        "run": "ci#4411",
    }
]
PAY_RETURN = {
    "path": "src/checkout.py",
    "range": {"start": {"line": 12, "character": 4}, "end": {"line": 12, "character": 23}},
    "expect": "return cart.total()",
}


def _draft(draft_id: str, title: str, **fields: Any) -> dict[str, Any]:
    body = {
        "version": 1,
        "id": draft_id,
        "title": title,
        "stream": "checkout/a",
        "agent": "claude-code",
        "created": "2026-11-28T09:12:00Z",
        "confidence": 0.82,
        "sources": SOURCES,
        "evidence": EVIDENCE,
        "irreversible": False,
        "edits": [{**PAY_RETURN, "text": "return round(cart.total(), 2)"}],
    }
    body.update(fields)
    return body


DEMO_TESTS = """from src.checkout import Cart, pay


def test_pay_rounds():
    cart = Cart()
    cart.items = [10.005]
    assert pay(cart) == 10.0


def test_types():
    assert Cart().items == []
"""


def build_workspace(root: Path) -> None:
    (root / "src").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "src" / "checkout.py").write_text(CHECKOUT)
    (root / "docs" / "money.md").write_text("# Money\n\nRound to cents, half-even.\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_checkout.py").write_text(DEMO_TESTS)  # the tests drafts claim
    stitch = root / ".stitch"
    (stitch / "drafts").mkdir(parents=True)
    (stitch / "config.toml").write_text(TEAM)
    drafts = [
        _draft("round-pay", "Round payment totals to cents"),
        _draft(
            "pay-log",
            "Log each payment",
            confidence=0.51,
            agent="copilot",
            edits=[{**PAY_RETURN, "text": "print('paying')\n    return cart.total()"}],
        ),
        _draft(
            "pay-guess",
            "Add a surcharge",
            sources=[],
            stream="checkout/b",
            agent="aider",
            edits=[{**PAY_RETURN, "text": "return cart.total() * 1.02"}],
        ),
        _draft(
            "drop-orders",
            "Drop the legacy orders table",
            irreversible=True,
            evidence=[],
            edits=[
                {
                    "path": "migrations/0002_drop_orders.sql",
                    "create": True,
                    "text": "DROP TABLE orders;\n",
                }
            ],
        ),
        _draft(
            "pay-stale",
            "Pay with a discount",
            edits=[
                {
                    **PAY_RETURN,
                    "expect": "return cart.subtotal()",
                    "text": "return cart.discounted()",
                }
            ],
        ),
        _draft(
            "total-tests",
            "Contract test for Cart.total",
            edits=[
                {
                    "path": "src/checkout.py",
                    "symbol": "Cart.total",
                    "text": "def total(self):\n    return sum(self.items) or 0",
                },
                {
                    "path": "tests/test_contract.py",
                    "create": True,
                    "text": "def test_total_empty():\n    assert True\n",
                },
            ],
        ),
    ]
    for body in drafts:
        (stitch / "drafts" / f"{body['id']}.json").write_text(json.dumps(body, indent=2))
    bad = _draft("broken", "Half-written draft", confidence=1.7)
    (stitch / "drafts" / "broken.json").write_text(json.dumps(bad, indent=2))
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "dev@example.com"],
        ["config", "user.name", "Demo Dev"],
        ["add", "-A"],
        ["commit", "-q", "-m", "start"],
    ):
        _git(root, *args)
    _stream_commit(
        root,
        "stream/checkout/a",
        "self.items = []",
        "self.items: list[int] = []",
        "Type the cart's items\n\nStitch-Source: doc docs/money.md | amounts are integer cents\n"
        "Stitch-Confidence: 0.9\nStitch-Evidence: passed tests/test_checkout.py::test_types ci#4412\n"
        "Stitch-Agent: claude-code",
    )
    _stream_commit(
        root,
        "stream/checkout/b",
        "self.items = []",
        "self.items = []\n        self.discount = 0",
        "Start carts without a discount",
    )


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _stream_commit(root: Path, branch: str, old: str, new: str, message: str) -> None:
    """A commit on a stream branch, made in a worktree beside the workspace."""
    tree = root.parent / branch.replace("/", "-")
    _git(root, "worktree", "add", "-q", "-b", branch, str(tree), "main")
    target = tree / "src" / "checkout.py"
    target.write_text(target.read_text().replace(old, new, 1))
    _git(tree, "commit", "-qam", message)


def _say(title: str, body: str = "") -> None:
    print(f"\n== {title}")
    if body:
        print(textwrap.indent(body.rstrip(), "   "))


async def _session(root: Path) -> None:
    client = LanguageClient("stitch-demo", "1")
    converter = client.protocol._converter

    def code_action_hook(obj: Any, _: type) -> Any:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)

    converter.register_structure_hook(
        Union[types.Command, types.CodeAction],  # noqa: UP007 - the key lsprotocol registered
        code_action_hook,
    )
    uri = (root / "src" / "checkout.py").as_uri()
    doc: dict[str, Any] = {"version": 1, "text": CHECKOUT}
    statuses: list[dict[str, Any]] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        for change in params.edit.document_changes or []:
            if isinstance(change, types.CreateFile):
                path = Path(change.uri.removeprefix("file://"))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("")
            elif isinstance(change, types.TextDocumentEdit):
                target = change.text_document.uri
                if target == uri:
                    if change.text_document.version != doc["version"]:
                        return types.ApplyWorkspaceEditResult(
                            applied=False, failure_reason="moved on"
                        )
                    doc["text"] = _apply(doc["text"], change.edits)
                    doc["version"] += 1
                    client.text_document_did_change(
                        types.DidChangeTextDocumentParams(
                            text_document=types.VersionedTextDocumentIdentifier(
                                uri=uri, version=doc["version"]
                            ),
                            content_changes=[
                                types.TextDocumentContentChangeWholeDocument(text=doc["text"])
                            ],
                        )
                    )
                else:
                    path = Path(target.removeprefix("file://"))
                    path.write_text(_apply(path.read_text(), change.edits))
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature("stitch/status")
    def on_status(params: Any) -> None:
        statuses.append(params)

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams) -> None:
        pass

    diagnostics: dict[str, list[types.Diagnostic]] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        diagnostics[params.uri] = list(params.diagnostics)

    await client.start_io(sys.executable, "-m", "stitch_ls", "serve")
    caps = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]
        ),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[
                    types.ResourceOperationKind.Create,
                    types.ResourceOperationKind.Delete,
                ],
            )
        ),
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(disabled_support=True)
        ),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="demo")],
        )
    )
    client.initialized(types.InitializedParams())
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=CHECKOUT
            )
        )
    )
    for _ in range(200):
        if statuses:
            break
        await asyncio.sleep(0.02)

    async def actions(line: int, start: int = 8) -> list[Any]:
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(
                    start=types.Position(line=line, character=start),
                    end=types.Position(line=line, character=start),
                ),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        return list(result or [])

    def show(found: list[Any]) -> str:
        lines = []
        for action in found:
            if action.disabled:
                lines.append(f"[disabled] {action.title}\n           why: {action.disabled.reason}")
            else:
                lines.append(f"[ready]    {action.title}")
        return "\n".join(lines) or "(no actions)"

    async def run(command: str, *args: Any) -> Any:
        try:
            return await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=list(args))
            )
        except Exception as exc:  # noqa: BLE001 - the demo shows refusals as the editor would
            return f"refused: {exc}"

    listed = [row for row in await run("stitch.listDrafts") if "id" in row]
    _say(
        f"{len(listed)} agent drafts wait for you (the draft files and an agent commit's hunk;"
        " stitch.listDrafts), with the gate's verdict on each",
        _table(
            ["state", "draft", "stream", "agent", "why"],
            [
                [
                    row["gate"].replace("_", " "),
                    row["id"],
                    row.get("stream") or "",
                    row.get("agent") or "",
                    _first_sentence(row["reason"] or "ready to apply"),
                ]
                for row in listed
            ],
        ),
    )
    _say(
        "Code actions on `return cart.total()` in src/checkout.py (line 13)",
        show(await actions(12)),
    )
    _say("Code actions on Cart.total (line 9)", show(await actions(8)))
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=12, character=10),
        )
    )
    contents = hover.contents if hover else None
    first = (
        contents.value.split("\n\n---\n\n")[0]
        if isinstance(contents, types.MarkupContent)
        else "(none)"
    )
    _say("Hovering over the draft's lines shows (first draft)", _plain(first))
    for _ in range(250):
        if any(str(d.code or "").startswith("stitch-point:") for d in diagnostics.get(uri, [])):
            break
        await asyncio.sleep(0.02)
    points = [d for d in diagnostics.get(uri, []) if str(d.code or "").startswith("stitch-point:")]
    _say(
        "Stitch points (two streams change Cart.__init__; from git, in the background)",
        "\n".join(f"line {d.range.start.line + 1}: {d.message}" for d in points) or "(none yet)",
    )
    _say(
        "Code actions on `self.items = []` (line 6): an agent commit's hunk as a draft",
        show(await actions(5)),
    )
    result = await run("stitch.applyDraft", "round-pay")
    _say("Apply round-pay (stitch.applyDraft): accepted once saved", _outcome(result))
    _say("Line 13 now reads", doc["text"].splitlines()[12])
    (root / "src" / "checkout.py").write_text(doc["text"])  # the engineer saves
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    source_log = root / ".stitch" / "source-log.jsonl"
    for _ in range(250):
        if source_log.exists():
            break
        await asyncio.sleep(0.02)
    rejected = await run("stitch.rejectDraft", "pay-log", "prints in production code")
    _say("Reject pay-log, with a reason", _outcome(rejected))
    _say("The source log, as a person reads it (stitch-ls log)", _cli(root, "log"))
    await run("stitch.setReadOnly", {"on": True, "reason": "demo: a swaggering answer"})
    _say("After stitch.setReadOnly on: actions on Cart.total", show(await actions(8)))
    _say("Applying anyway", str(await run("stitch.applyDraft", "total-tests")))
    await run("stitch.setReadOnly", {"on": False})
    await run("stitch.focus", {"minutes": 90})
    _say("During a focus session: actions on Cart.total", show(await actions(8)))
    await run("stitch.endFocus")
    _say("Focus ended; the status (stitch-ls status)", _cli(root, "status"))
    _say(
        "Apply total-tests (a symbol edit and a new file)",
        _outcome(await run("stitch.applyDraft", "total-tests")),
    )
    _say("Cart.total now", "\n".join(doc["text"].splitlines()[7:9]))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Rows in aligned columns, the last one left ragged."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    """A reason as a list shows it: up to its first `;` or line end, at most 70 characters."""
    short = text.split("\n", 1)[0].split("; ", 1)[0]
    return short if len(short) <= 70 else short[:69] + "…"


def _plain(markdown: str) -> str:
    """Markdown as a person sees it rendered: no escapes, no emphasis marks, links as their
    text (the demo's terminal cannot render it; an editor does)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\\(.)", r"\1", text)
    return text.replace("**", "").replace("*", "")


def _outcome(result: Any) -> str:
    """What an apply or reject answered, in a sentence."""
    if isinstance(result, str):
        return result
    if result.get("applied"):
        return f"applied {result['draft']}: changed {', '.join(result.get('files') or [])}"
    if result.get("rejected"):
        return f"rejected {result['draft']}: {result.get('reason') or 'no reason given'}"
    return "; ".join(f"{k}: {v}" for k, v in result.items())


def _cli(root: Path, *verb: str) -> str:
    """`stitch-ls VERB --workspace ROOT`, as a person at a terminal would run it."""
    done = subprocess.run(
        [sys.executable, "-m", "stitch_ls", *verb, "--workspace", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return (done.stdout or done.stderr).rstrip()


def _apply(text: str, edits: Any) -> str:
    """Apply UTF-16 TextEdits (the demo declares UTF-16, like VS Code)."""

    def offset(position: Any) -> int:
        lines = text.split("\n")
        base = sum(len(line) + 1 for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, ch in enumerate(line):
            if units >= position.character:
                return base + index
            units += 2 if ord(ch) > 0xFFFF else 1
        return base + len(line)

    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def run_demo(keep: bool = False) -> int:
    root = Path(tempfile.mkdtemp(prefix="stitch-demo-")) / "shop"
    if not keep:  # the engineer's switches for this workspace go with it: nothing left behind
        os.environ["XDG_STATE_HOME"] = str(root.parent / "state")
    try:
        build_workspace(root)
        print(
            f"Stitch demo: a sample workspace at {root}: a team policy, 7 agent drafts and two"
            " stream branches."
        )
        print("Driving the real server (stitch-ls serve) over stdio, as an editor would.")
        asyncio.run(asyncio.wait_for(_session(root), timeout=60))
        print("\nDone.")
        if keep:  # the commands below name a folder that is still there
            print(f"`stitch-ls log --workspace {root}` prints the source log for people;")
            print(f"`stitch-ls draft list --workspace {root}` shows what is still pending.")
        else:
            print("The sample workspace is removed; `stitch-ls demo --keep` keeps it to explore.")
        return 0
    finally:
        if keep:
            print(f"(kept {root})")
        else:
            shutil.rmtree(root.parent, ignore_errors=True)
