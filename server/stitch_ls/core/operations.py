"""The verbs every door performs, once: the CLI, the MCP server and the indexer call these and
only format the answer.

Each takes a loaded `StitchWorkspace` and `now`, and returns a plain record or raises
`Refused` with the reason a person (or an agent) reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stitch_ls.core.drafts.anchor import Plan
from stitch_ls.core.drafts.edits import MAX_BYTES, text_after
from stitch_ls.core.drafts.gate import draft_digest, is_irreversible
from stitch_ls.core.drafts.index import DraftIndex, write_draft
from stitch_ls.core.drafts.model import Draft, NotKeptEntry, Source, SourceLogEntry
from stitch_ls.core.drafts.prompts import (
    answer_prompt,
    load_prompt,
    new_prompt,
    pending_prompts,
    write_prompt,
)
from stitch_ls.core.drafts.sources import unsourced
from stitch_ls.core.errors import Refused
from stitch_ls.core.files.fsio import (
    atomic_write,
    check_stitch_folders,
    locked,
    parse_json,
    read_bytes_limited,
    read_inside,
    remove_temps,
    remove_temps_inside,
    temps_of,
    unlink_inside,
    write_inside,
)
from stitch_ls.core.listing import LIST_LIMIT, Page, first
from stitch_ls.core.policy import decisions
from stitch_ls.core.policy.decisions import EDITOR, TERMINAL, Door
from stitch_ls.core.policy.state import State, Vouch, Waiting, update_state
from stitch_ls.core.policy.teamfile import approve, keep_accepted
from stitch_ls.core.record import keeping
from stitch_ls.core.record.sourcelog import append_entry, read_entries, read_log
from stitch_ls.core.records import plain_error, validation_errors
from stitch_ls.core.timefmt import human_time
from stitch_ls.core.vcs import streams as st
from stitch_ls.core.vcs.gitview import points_for, take_snapshot
from stitch_ls.core.vcs.signing import SigningError
from stitch_ls.core.vcs.stitchpoints import SignOffs, record_signoff
from stitch_ls.core.vcs.streams import discover, open_repo, streams_summary
from stitch_ls.core.vcs.streams import fetch_streams as fetch
from stitch_ls.core.workspace import DraftSummary, StitchWorkspace, draft_summary

if TYPE_CHECKING:
    from stitch_ls.core.drafts.gate import GateContext
    from stitch_ls.core.drafts.model import Prompt
    from stitch_ls.core.vcs.stitchpoints import StitchPoint


def open_workspace(
    root: Path, *, finish: bool = True, now: datetime | None = None
) -> tuple[StitchWorkspace, list[str]]:
    """A workspace as every door opens it: an apply a crash interrupted finished or undone,
    and editor applies whose session ended settled (`finish`; the guard, which must never
    wait on a lock, skips it), then the engineer's state and the team file in force read.
    Also what was done, for the door to say. `now`: the door's clock (default: now)."""
    ws = StitchWorkspace(root)
    notes = finish_interrupted(ws, now or datetime.now(UTC)) if finish else []
    ws.load_state()
    ws.load_config()
    return ws, notes


def finish_interrupted(ws: StitchWorkspace, now: datetime) -> list[str]:
    """Take over the engineer's files from when they were kept per checkout (once), then
    finish or undo an apply a crash interrupted and remove what killed writers left
    (`recover`, under the apply lock), and settle the editor applies that can be settled
    without their session (`settle_orphans`); says what was done."""
    paths = ws.paths
    for suffix, target in (
        (".last-good.json", paths.last_good),
        (".apply-journal.json", paths.apply_journal),
    ):
        before = paths.legacy_user_file(suffix)
        if before is not None and before.exists() and not target.exists():
            with contextlib.suppress(FileNotFoundError):
                os.replace(before, target)
    if not interrupted(ws) and not _waiting_files(ws) and not ws.load_state().unsaved:
        return []
    with locked(paths.apply_lock):
        note = recover(ws, now)
        notes = [note] if note else []
        return notes + [s.say() for s in settle_orphans(ws, now) if s.kept is not None]


@dataclass(frozen=True)
class Approved:
    digest: str
    by: str
    at: datetime
    door: str
    was_waiting: list[str]  # what it loosened


def approve_team_file(ws: StitchWorkspace, by: str, now: datetime, door: str) -> Approved:
    """A person approves the team file waiting for approval (a newer base-branch version that
    loosens what is in force, or a working copy where no base branch has one): it is in force
    from now on. A human-only verb: the doors ask the person first. Refused when none waits."""
    ws.load_config()
    offered = approve(ws.team_source)
    waiting = list(ws.team_source.waiting)
    kept = replace(offered, by=by, at=now.isoformat(), door=door)
    keep_accepted(ws.paths.accepted, kept)
    ws.load_config()
    return Approved(kept.digest, by, now, door, waiting)


@dataclass(frozen=True)
class Added:
    id: str
    file: Path
    gate: str  # what the gate says of it now (quiet hours aside): actionable, parked, ...
    reason: str | None


def add_draft(ws: StitchWorkspace, draft: Draft, now: datetime, *, replace: bool = False) -> Added:
    """Write a validated draft for a human. Ids are forever: one that was applied or
    rejected is refused, whoever asks; a pending one is replaced only when asked to."""
    try:
        check_stitch_folders(ws.paths.drafts / f"{draft.id}.json")
    except OSError as exc:
        raise Refused(str(exc)) from None
    ws.undecided(draft.id, reused=True)
    ws.scan_drafts(now)
    if draft.id in ws.drafts.by_id and not replace:
        raise Refused(f"a draft with id {draft.id!r} is pending (replace it explicitly)")
    target = write_draft(ws.paths.drafts, draft)
    ws.scan_drafts(now)
    record = ws.drafts.by_id.get(draft.id)
    if record is None:  # written, then gone (an agent removed it): say so, never guess
        raise Refused(f"draft {draft.id!r} was written but is no longer there")
    ctx = ws.gate_context(now, ignore_quiet=True)
    decision = ws.evaluate_all([record], ctx, {})[0].decision
    return Added(draft.id, target, decision.gate.value, decision.reason)


@dataclass(frozen=True)
class Withdrawn:
    id: str
    agent: str
    title: str


def withdraw_draft(ws: StitchWorkspace, draft_id: str, agent: str, now: datetime) -> Withdrawn:
    """An agent takes back its own draft before anyone decided on it: the file goes, nothing
    is logged, the id is free again. Under the apply lock, so an apply in flight finishes
    first and is then refused here. Refused for another agent's draft, one applied or
    rejected (or applied in an editor and waiting to be saved), a hunk of an agent's commit
    (the commit is what to take back) and a draft file that does not parse (whose it is
    cannot be told)."""
    with locked(ws.paths.apply_lock):
        ws.load_state()
        try:
            ws.undecided(draft_id)
        except Refused as exc:
            raise Refused(f"{exc}; it cannot be withdrawn") from None
        scan_all(ws, now)
        record = ws.pending(draft_id)
        if record.origin != "file":
            raise Refused(
                f"draft {draft_id!r} is a change in an agent's commit on its stream: revert or "
                "amend the commit to take it back"
            )
        if record.draft is None:
            raise Refused(
                f"draft file {record.file.name} is not a valid draft: whose it is is unknown"
            )
        owner = record.draft.agent
        if owner != agent:
            raise Refused(
                f"draft {draft_id!r} is {owner}'s, not {agent}'s: only the agent that wrote a "
                "draft can withdraw it"
            )
        ws.retire(draft_id)
        return Withdrawn(draft_id, owner, record.draft.title)


def list_drafts(
    ws: StitchWorkspace,
    ctx: GateContext,
    texts: dict[str, str],
    path: str | None = None,
    limit: int = LIST_LIMIT,
) -> Page[DraftSummary]:
    """The pending drafts (those touching `path`, if given), the first `limit` of them judged
    against `texts` (open buffers) or the disk: `stitch.listDrafts` and `draft list`."""
    records = ws.pending_records()
    if path is not None:
        records = [r for r in records if path in (r.draft.paths if r.draft else [])]
    page = first(records, limit)
    rows = [draft_summary(e) for e in ws.evaluate_all(page.rows, ctx, texts)]
    room = max(0, page.limit - len(rows))
    waiting = [w for w in unsaved_rows(ws) if path is None or path in w["paths"]]
    return Page(rows + waiting[:room], page.total + len(waiting), page.limit)


def unsaved_rows(ws: StitchWorkspace) -> list[DraftSummary]:
    """The drafts applied in the editor that wait to be saved, as rows of a list (state
    `unsaved`): not pending, not accepted yet."""
    rows: list[DraftSummary] = []
    for draft_id, waiting in sorted(ws.state.unsaved.items()):
        record = ws.drafts.by_id.get(draft_id)
        draft = record.draft if record is not None else None
        when = human_time(waiting.at, ws.display_zone()) or "unknown time"
        rows.append(
            {
                "id": draft_id,
                "title": waiting.title,
                "file": str(record.file) if record is not None else "",
                "stream": waiting.stream,
                "agent": waiting.agent,
                "confidence": draft.confidence if draft is not None else None,
                "sources": len(draft.sources) if draft is not None else 0,
                "sources_missing": 0,
                "source_checks": [],
                "paths": list(waiting.files),
                "gate": "unsaved",
                "reason": f"applied in the editor by {waiting.by} on {when}; accepted once saved",
                "irreversible": draft is not None
                and is_irreversible(draft, ws.policy.irreversible_paths),
            }
        )
    return rows


@dataclass(frozen=True)
class Asked:
    id: str
    file: Path


def ask(
    ws: StitchWorkspace,
    question: str,
    options: list[str],
    agent: str,
    stream: str,
    sources: list[dict[str, Any]],
    now: datetime,
    prompt_id: str | None = None,
) -> Asked:
    """An agent's question for the engineer, with fixed options (the editor shows it, after
    quiet hours if it arrives during them); `answer_of` reads the answer. Refused: a broken
    question, or a prompt folder that is not a plain folder of the workspace."""
    prompt_id = prompt_id or f"ask-{int(now.timestamp())}-{secrets.token_hex(3)}"
    try:
        check_stitch_folders(ws.paths.prompts / f"{prompt_id}.json")
    except OSError as exc:
        raise Refused(str(exc)) from None
    found = []
    for number, source in enumerate(sources):
        try:
            found.append(Source.from_data(source))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            plain = "; ".join(
                plain_error({**error, "loc": ("sources", number, *error["loc"])})
                for error in validation_errors(exc)[:3]
            )
            raise Refused(f"invalid prompt: {plain}") from None
    try:
        prompt = new_prompt(prompt_id, question, options, agent, stream, found, now)
    except ValueError as exc:
        raise Refused(f"invalid prompt: {exc}") from None
    return Asked(prompt.id, write_prompt(ws.paths.prompts, prompt))


def answer_of(asked: Asked) -> Any:
    """The prompt once the engineer answered it (`model.Prompt`), else None."""
    try:
        current = load_prompt(asked.file)
    except (OSError, ValueError):
        return None
    return current if current.answer is not None else None


@dataclass(frozen=True)
class Vouched:
    id: str
    by: str
    at: datetime
    note: str
    gate: str  # what the gate says of it now (quiet hours aside): actionable, below_floor, ...
    reason: str | None


def vouch(
    ws: StitchWorkspace, draft_id: str, note: str | None, by: str, now: datetime, *, door: Door
) -> Vouched:
    """A human's word for a draft parked for want of sources (human-only: the CLI and the
    editor offer it, MCP does not). Recorded in the engineer's own state, bound to the draft's
    content, never in the agent's file; the draft then meets the rest of the gate."""
    note = (note or "").strip()
    if not note:
        raise Refused("vouching needs a note: why you trust it without sources")
    if len(note) > 4000:
        raise Refused("a vouch note is at most 4000 characters")
    record = ws.pending(draft_id)
    if record.draft is None:
        raise Refused(f"draft {draft_id!r} is invalid: {record.error}")
    draft = record.draft
    if not unsourced(draft, ws.source_checker.report(draft, record.base)):
        raise Refused(f"draft {draft_id!r} is not parked for want of sources; nothing to vouch for")
    vouch_ = Vouch(note=note, at=now, by=by, digest=draft_digest(draft), door=door)
    try:
        vouch_.signature = decisions.signed(ws, "vouch", vouch_.body(draft_id))
    except SigningError as exc:
        raise Refused(f"cannot sign the vouch: {exc}") from None

    def change(state: State) -> None:
        state.vouches[draft_id] = vouch_

    ws.use_state(update_state(ws.paths, change))
    ctx = ws.gate_context(now, ignore_quiet=True)
    decision = ws.evaluate_all([ws.rechecked(record)], ctx, {})[0].decision
    return Vouched(draft_id, by, now, note, decision.gate.value, decision.reason)


def answer(
    ws: StitchWorkspace, path: Path, option: str, by: str, now: datetime, *, door: Door
) -> Prompt:
    """A person answers an agent's prompt (human-only): written back into the prompt file,
    signed where the team signs decisions, and remembered here (`core.policy.decisions`), so
    the log for people can tell this answer from one an agent wrote into the file. An option
    the agent did not offer raises ValueError."""
    if path.parent not in ws.prompt_folders():
        raise Refused(f"{path} is not a prompt of this workspace")
    try:
        answered = answer_prompt(
            path, ws.paths.lock, option, by, now, door, decisions.signer(ws, "answer")
        )
    except SigningError as exc:
        raise Refused(f"cannot sign the answer: {exc}") from None
    if answered.answered_by == by and answered.answered_at == now:

        def change(state: State) -> None:
            decisions.remember(state, "answer", answered.answer_body(), door)

        ws.use_state(update_state(ws.paths, change))
    return answered


def sign_off(
    ws: StitchWorkspace, point: StitchPoint, signer: str, now: datetime, *, door: Door
) -> dict[str, Any]:
    """The stitch point's owner signs it off (human-only): a line of the shared sign-off log,
    signed where the team signs decisions, and remembered here (`core.policy.decisions`)."""
    try:
        entry = record_signoff(
            ws.paths.signoffs, point, signer, now, door, decisions.signer(ws, "sign-off")
        )
    except SigningError as exc:
        raise Refused(f"cannot sign: {exc}") from None
    except PermissionError as exc:
        raise Refused(str(exc)) from None

    def change(state: State) -> None:
        decisions.remember(state, "sign-off", entry, door)

    ws.use_state(update_state(ws.paths, change))
    return entry


# -- apply: checked and committed under one lock, crash-consistent ----------------------------
#
# Before any file changes, a journal (outside the workspace, beside the engineer's state)
# records the draft, its log entry, and each file's text before and after. The files are
# written, the entry logged, the outcome recorded, then the journal removed. A crash at any
# point leaves the journal; whoever next holds the lock (`recover`) finishes the apply when any
# file already changed, or drops the journal when none did: applied and logged, or nothing
# applied and the draft pending, never applied-but-unlogged.


@dataclass(frozen=True)
class Applied:
    draft: str
    files: list[str]


def _file_changes(plan: Plan, texts: dict[str, str | None]) -> dict[str, Any]:
    """path -> [text before, text after] (None: no file) for the plan, from `texts`."""
    changes: dict[str, Any] = {}
    for path, edits in plan.by_path().items():
        before = texts.get(path)
        try:
            changes[path] = [before, text_after(path, edits, before)]
        except ValueError as exc:
            raise Refused(str(exc)) from None
    return changes


def _disk_texts(ws: StitchWorkspace, plan: Plan) -> dict[str, str | None]:
    texts: dict[str, str | None] = {}
    for path in plan.by_path():
        try:
            texts[path] = read_inside(ws.root.resolve(), path, MAX_BYTES)
        except FileNotFoundError:
            texts[path] = None
        except (OSError, ValueError) as exc:
            raise Refused(f"{path}: {exc}") from None
    return texts


def _write_journal(
    ws: StitchWorkspace,
    draft: Draft,
    entry: Any,
    by: str,
    files: dict[str, Any],
    door: str,
    **more: Any,
) -> None:
    payload = {
        "version": 1,
        "door": door,
        "by": by,
        "draft": draft.to_data(),
        "entry": entry.to_data(),
        "files": files,
        **more,  # the editor's: its session and the pieces of text the apply changes
    }
    atomic_write(ws.paths.apply_journal, json.dumps(payload))


def _drop_journal(ws: StitchWorkspace) -> None:
    with contextlib.suppress(FileNotFoundError):
        ws.paths.apply_journal.unlink()


def _set_file(root: Path, path: str, text: str | None) -> None:
    if text is None:
        unlink_inside(root, path)
    else:
        write_inside(root, path, text)


def _own_files(ws: StitchWorkspace) -> tuple[Path, ...]:
    """The engineer's files of this workspace that a kill mid-write leaves temp files of."""
    own = (ws.paths.apply_journal, ws.paths.state, ws.paths.accepted, ws.paths.last_good)
    shared = ws.paths.shared_switches  # the switches every process reads, in git's folder
    return own if shared is None else (*own, shared)


def interrupted(ws: StitchWorkspace) -> bool:
    """Whether a crash interrupted an apply here, or another write of the engineer's files:
    the journal, or a temp file whose writer was killed, is left for `recover`."""
    return ws.paths.apply_journal.exists() or any(temps_of(p) for p in _own_files(ws))


def recover(ws: StitchWorkspace, now: datetime | None = None) -> str | None:
    """Finish or undo an apply a crash interrupted (call under `paths.apply_lock`); says
    which, or None when there was nothing to do. The temp files killed writers left go too:
    the journal's, the engineer's state's and last good policy's, and (below) those beside
    each file the journal names.

    An editor's apply (`door` "editor") is never logged here as accepted unless the disk
    holds it: it becomes an apply waiting to be kept when the disk holds some of it or its
    editor session still runs (its buffers may hold it), and is dropped otherwise."""
    for own in _own_files(ws):
        remove_temps(own)
    for waiting_file in _waiting_files(ws):
        remove_temps(waiting_file)
    try:
        raw = read_bytes_limited(ws.paths.apply_journal, 64 * 1024 * 1024)
    except FileNotFoundError:
        return None
    try:
        data: Any = parse_json(raw)
        draft = Draft.from_data(data["draft"])
        entry = SourceLogEntry.from_data(data["entry"])
        files: dict[str, list[str | None]] = data["files"]
        by = str(data["by"])
    except (ValueError, KeyError, TypeError) as exc:  # not ours, or torn: it changed nothing
        _drop_journal(ws)
        return f"an unreadable apply journal was dropped ({exc})"
    root = ws.root.resolve()
    for path in files:
        remove_temps_inside(root, path)
    now_texts = _disk_texts_of(root, list(files))
    landed = [p for p, (before, after) in files.items() if now_texts[p] == after != before]
    if data.get("door") == "editor":
        return _recover_editor(ws, data, draft, entry, files, by, bool(landed), now)
    if not landed:  # none of its changes reached the disk (or a human changed them since)
        _drop_journal(ws)
        return f"draft {draft.id}: an interrupted apply changed nothing; it stays pending"
    if data.get("door") == "disk":  # ours to finish: the files not yet written
        for path, (before, after) in files.items():
            if now_texts[path] == before:
                _set_file(root, path, after)
    ws.load_state()
    if draft.id not in ws.state.outcomes:
        entries, _ = read_entries(ws.paths.source_log)
        logged = any(e.draft == draft.id and e.at == entry.at for e in entries)
        door = EDITOR if data.get("door") == "editor" else TERMINAL
        ws.commit_applied(draft, entry, by, entry.at, door=door, logged=logged)
    ws.retire(draft.id)  # its file, if the crash came before it was removed
    _drop_journal(ws)
    return f"draft {draft.id}: an interrupted apply was finished and logged"


def _recover_editor(
    ws: StitchWorkspace,
    data: Any,
    draft: Draft,
    entry: Any,
    files: dict[str, list[str | None]],
    by: str,
    landed: bool,
    now: datetime | None,
) -> str:
    """An editor's apply a crash interrupted between its check and the editor's answer: it
    waits to be kept (`keeping`) when some of it is on disk or its session still runs, and
    is settled at once when the disk holds all of it; otherwise nothing happened."""
    session = data.get("session") or {}
    pid, started = int(session.get("pid") or 0), str(session.get("started") or "")
    alive = bool(pid) and keeping.Session(pid, started).alive()
    if not landed and not alive:
        _drop_journal(ws)
        return f"draft {draft.id}: an interrupted apply changed nothing; it stays pending"
    waiting = keeping.Unsaved(
        draft=draft,
        entry=entry,
        by=by,
        at=entry.at,
        pid=pid,
        started=started,
        files=files,
        changes=data.get("changes") or {},
    )
    _wait(ws, waiting)
    _drop_journal(ws)
    settled = _settle_one(ws, waiting, {}, "check" if alive else "ended", None, now or entry.at)
    return f"draft {draft.id}: an interrupted apply from the editor: {settled.say()}"


def _disk_texts_of(root: Path, paths: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for path in paths:
        try:
            found[path] = read_inside(root, path, MAX_BYTES)
        except (OSError, ValueError):
            found[path] = None
    return found


def _can_record(ws: StitchWorkspace) -> None:
    """Before anything is applied: the source log and the drafts folder can be written as
    they are (no symlinked `.stitch`, folder or log), or nothing is applied at all."""
    try:
        check_stitch_folders(ws.paths.source_log)
        check_stitch_folders(ws.paths.drafts / "x")
        info = os.lstat(ws.paths.source_log)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise Refused(str(exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{ws.paths.source_log} is not a regular file (a symlink?): nothing applied")


def apply_on_disk(
    ws: StitchWorkspace, draft_id: str, now: datetime, by: str, *, door: Door = TERMINAL
) -> Applied:
    """Apply a draft to the files on disk: checked again and committed under the apply
    lock, through the journal (the terminal's door; the editor's is `begin_apply`)."""
    with locked(ws.paths.apply_lock):
        recover(ws, now)
        ws.load_state()
        scan_all(ws, now)  # agent commits' drafts too, as the editor offers them
        if ws.streams is None:
            load_streams(ws, now)  # a stream over its feature's cap applies nothing
        draft, plan = ws.check_apply(draft_id, now, ws.read_disk, ws.find_symbol_on_disk)
        _can_record(ws)
        files = _file_changes(plan, _disk_texts(ws, plan))
        entry = _hashed(ws.log_entry(draft, plan, by, now), files)
        _write_journal(ws, draft, entry, by, files, "disk")
        root = ws.root.resolve()
        for path, (_before, after) in files.items():
            _set_file(root, path, after)
        ws.commit_applied(draft, entry, by, now, door=door)
        _drop_journal(ws)
    return Applied(draft.id, entry.files)


class EditorApply:
    """An apply the editor performs (`workspace/applyEdit`) between a check and a commit
    made here, in the process that owns `.stitch/`, with the apply lock held throughout. The
    commit is not the accept: the change then waits to reach the disk (`keeping`), and is
    logged as accepted once it does, or as not kept."""

    def __init__(self, ws: StitchWorkspace) -> None:
        self.ws = ws
        self._held: Any = None  # the lock's context while an apply is in flight
        self._inflight: Any = None  # the apply waiting for the editor's answer

    def begin(
        self,
        draft_id: str,
        texts: dict[str, str],
        now: datetime,
        by: str,
        session: Any = None,
    ) -> tuple[Draft, Plan]:
        """Check `draft_id` against the editor's texts (open buffers; the disk for the
        rest) under the lock, which stays held until `finish`; journal what it will do.
        `session`: the editor session whose buffers get it (`keeping.Session`)."""
        self.abandon()
        held = locked(self.ws.paths.apply_lock)
        held.__enter__()
        try:
            recover(self.ws, now)
            self.ws.load_state()
            read, find_symbol = self.ws.readers(texts)
            draft, plan = self.ws.check_apply(draft_id, now, read, find_symbol)
            _can_record(self.ws)
            before = {
                p: (texts[p] if p in texts else read(p)) for p in {e.path for e in plan.edits}
            }
            files = _file_changes(plan, before)
            changes = keeping.changes_of(plan, before)
            entry = self.ws.log_entry(draft, plan, by, now)
            session = session or keeping.Session(0)
            _write_journal(
                self.ws,
                draft,
                entry,
                by,
                files,
                "editor",
                session={"pid": session.pid, "started": session.started},
                changes=changes,
            )
        except BaseException:
            held.__exit__(None, None, None)
            raise
        self._held = held
        self._inflight = keeping.Unsaved(
            draft=draft,
            entry=entry,
            by=by,
            at=now,
            pid=session.pid,
            started=session.started,
            files=files,
            changes=changes,
        )
        return draft, plan

    def finish(self, applied: bool, now: datetime, draft_id: str | None = None) -> Settled | None:
        """The editor's answer: applied → waiting to reach the disk (kept at once when the
        editor wrote every file itself); not → nothing happened. An answer for `draft_id`
        that comes after a crash took the apply in flight (the journal recovered it as
        waiting) is taken as given: applied, it goes on waiting; not, it is withdrawn."""
        if self._inflight is None:
            return self._late(applied, now, draft_id)
        waiting = self._inflight
        try:
            if not applied:
                _drop_journal(self.ws)
                return None
            _wait(self.ws, waiting)
            _drop_journal(self.ws)
            return _settle_one(self.ws, waiting, {}, "check", None, now)
        finally:
            self._release()

    def _late(self, applied: bool, now: datetime, draft_id: str | None) -> Settled | None:
        if draft_id is None:
            raise Refused("no apply is in progress")
        with locked(self.ws.paths.apply_lock):
            recover(self.ws, now)
            found = [w for w in keeping.read_all(self.ws.paths)[0] if w.draft.id == draft_id]
            if not found:
                raise Refused("no apply is in progress")
            if applied:
                return _settle_one(self.ws, found[0], {}, "check", None, now)
            _withdraw(self.ws, draft_id)
            return None

    def abandon(self) -> None:
        """An apply whose answer never came: leave the journal for `recover` (it decides by
        what the files hold and whether the editor's session runs) and release the lock."""
        if self._inflight is not None:
            self._release()

    def _release(self) -> None:
        held, self._held, self._inflight = self._held, None, None
        if held is not None:
            held.__exit__(None, None, None)


# -- an editor's apply, kept or not ------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """What an editor's apply came to: kept (logged as accepted), not kept (logged so, its
    draft back in the inbox), or `kept` None while it waits to reach the disk."""

    draft: str
    kept: bool | None
    what: str | None
    files: list[str]

    def say(self) -> str:
        if self.kept is None:
            return f"draft {self.draft}: applied, waiting to be saved"
        if self.kept:
            return f"draft {self.draft}: saved, logged as accepted"
        return f"draft {self.draft}: not kept ({self.what}); back in the inbox"


def _waiting_files(ws: StitchWorkspace) -> list[Path]:
    """The editor applies waiting here, and the files a killed writer left a temp file of
    (`.<id>.json.<pid>.<random>.tmp`), whose temp files `recover` removes."""
    folder = keeping.folder(ws.paths)
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = {n for n in names if n.endswith(".json") and not n.startswith(".")}
    found |= {
        n[1:].partition(".json.")[0] + ".json"
        for n in names
        if n.startswith(".") and n.endswith(".tmp") and ".json." in n
    }
    return [folder / n for n in sorted(found)]


def _wait(ws: StitchWorkspace, waiting: Any) -> None:
    """An editor's apply, kept aside until it reaches the disk: whole in the per-user folder,
    then summed up in the engineer's state (what every door counts and lists)."""
    keeping.write(ws.paths, waiting)
    draft = waiting.draft

    def change(state: State) -> None:
        state.unsaved[draft.id] = Waiting(
            at=waiting.at,
            by=waiting.by,
            title=draft.title,
            stream=draft.stream,
            agent=draft.agent,
            files=list(waiting.files),
            pid=waiting.pid,
            started=waiting.started,
        )

    ws.use_state(update_state(ws.paths, change))


def _withdraw(ws: StitchWorkspace, draft_id: str) -> None:
    """An apply the editor says it never made: forgotten, nothing logged (call under the
    apply lock)."""

    def forget(state: State) -> None:
        state.unsaved.pop(draft_id, None)

    ws.use_state(update_state(ws.paths, forget))
    keeping.remove(ws.paths, draft_id)


def _settle_one(
    ws: StitchWorkspace,
    waiting: Any,
    buffers: dict[str, str],
    event: str,
    path: str | None,
    now: datetime,
) -> Settled:
    """Judge one waiting apply by the files as they are now (and its session's buffers);
    carry out what is decided (call under the apply lock)."""
    if waiting.verdict is None:
        disk = _disk_texts_of(ws.root.resolve(), list(waiting.files))
        found = keeping.judge(waiting, disk, buffers, event, path)
        if found is None:
            return Settled(waiting.draft.id, None, None, list(waiting.files))
        waiting.verdict = keeping.Verdict(kept=found[0], what=found[1], at=now)
        keeping.write(ws.paths, waiting)  # decided: a crash from here on is finished later
    return _carry_out(ws, waiting)


def _carry_out(ws: StitchWorkspace, waiting: Any) -> Settled:
    """Log and record what was decided (`waiting.verdict`), then forget the apply; each step
    is skipped when a crash left it done."""
    verdict, draft = waiting.verdict, waiting.draft
    log = read_log(ws.paths.source_log)
    ws.load_state()
    if verdict.kept:
        disk = _disk_texts_of(ws.root.resolve(), list(waiting.files))
        after = {p: texts[1] for p, texts in waiting.files.items()}
        entry = keeping.landed(waiting.entry, after, disk).replace(at=verdict.at)
        if draft.id not in ws.state.outcomes:
            logged = any(e.draft == draft.id and e.at == verdict.at for e in log.accepted)
            ws.commit_applied(draft, entry, waiting.by, verdict.at, door=EDITOR, logged=logged)
        ws.retire(draft.id)
    elif not any(e.draft == draft.id and e.at == verdict.at for e in log.not_kept):
        append_entry(
            ws.paths.source_log,
            NotKeptEntry(
                at=verdict.at,
                draft=draft.id,
                title=draft.title,
                stream=draft.stream,
                agent=draft.agent,
                applied_by=waiting.by,
                applied_at=waiting.at,
                what=verdict.what,
                files=list(waiting.files),
                irreversible=waiting.entry.irreversible,
            ),
        )

    def forget(state: State) -> None:
        state.unsaved.pop(draft.id, None)

    ws.use_state(update_state(ws.paths, forget))
    keeping.remove(ws.paths, draft.id)
    return Settled(draft.id, verdict.kept, verdict.what, list(waiting.files))


def settle(
    ws: StitchWorkspace,
    event: str,
    now: datetime,
    session: Any,
    path: str | None = None,
    buffers: dict[str, str] | None = None,
) -> list[Settled]:
    """Something happened in the editor session `session` ("saved", "closed" or "changed"
    `path`; "check": look at every apply; "ended": it is over): each apply waiting on
    `path` (every one, without a path) judged again. Another session's applies are judged
    by the disk alone (kept once it holds them). Under the apply lock."""
    with locked(ws.paths.apply_lock):
        waiting_all, _ = keeping.read_all(ws.paths)
        settled = []
        for waiting in waiting_all:
            if path is not None and path not in waiting.files:
                continue
            if waiting.session == session:
                settled.append(_settle_one(ws, waiting, buffers or {}, event, path, now))
            else:
                settled.append(_settle_one(ws, waiting, {}, "check", None, now))
        ws.load_state()
        return settled


def settle_orphans(ws: StitchWorkspace, now: datetime) -> list[Settled]:
    """Editor applies no session will settle (call under the apply lock): those a crash left
    decided, those the disk now holds (kept), and those whose session ended (settled by the
    disk: whatever the buffers held is gone). The unsaved summaries in the engineer's state
    follow the files (a crash between the two writes leaves them apart)."""
    waiting_all, _ = keeping.read_all(ws.paths)
    settled = []
    for waiting in waiting_all:
        alive = waiting.session.alive()
        event = "check" if alive else "ended"
        found = _settle_one(ws, waiting, {}, event, None, now)
        if found.kept is None and waiting.draft.id not in ws.state.unsaved:
            _wait(ws, waiting)  # the summary a crash kept from the state
        settled.append(found)
    ws.load_state()
    files = {w.draft.id for w in waiting_all}
    stray = [i for i in ws.state.unsaved if i not in files]
    if stray:

        def drop(state: State) -> None:
            for draft_id in stray:
                state.unsaved.pop(draft_id, None)

        ws.use_state(update_state(ws.paths, drop))
    return settled


def _hashed(entry: Any, files: dict[str, list[str | None]]) -> Any:
    """The entry with each range's hash, from the files as the apply writes them."""
    after = {p: texts[1] for p, texts in files.items()}
    return keeping.landed(entry, after, after)


# -- git: agent-commit drafts, streams and stitch points, as every door sees them -------------


@dataclass
class GitView:
    """One look at git for a workspace: the snapshot (None without a usable repository),
    every stitch point of the files streams or the engineer changed, and the files that
    could not be checked (each said, the rest still checked)."""

    snapshot: Any
    points: list[Any]
    problems: list[str]


def look_at_git(
    ws: StitchWorkspace, now: datetime, team: Any = None, *, live: bool = True
) -> GitView:
    """Take the snapshot, offer its agent-commit drafts through the same gate as file
    drafts, and find the stitch points, as the editor's indexer does (with `live`, agents'
    uncommitted work in their worktrees counts, as it does there)."""
    team = team if team is not None else ws.team
    snap = take_snapshot(ws.root, team, now=now, live=live)
    if snap is None:
        return GitView(None, [], [])
    if isinstance(ws.drafts, DraftIndex):
        ws.set_git_drafts(snap.drafts, now)
    ws.streams = snap.streams
    points, problems = points_of(ws, snap, team)
    return GitView(snap, points, problems)


def points_of(ws: StitchWorkspace, snap: Any, team: Any) -> tuple[list[Any], list[str]]:
    """Every stitch point of the files streams or the engineer changed (the files as on
    disk), and the files that could not be checked."""
    signoffs = SignOffs.read(ws.paths.signoffs)
    points: list[Any] = []
    problems: list[str] = []
    for path in sorted(changed_paths(ws, snap)):
        try:
            live = ws.read_disk(path)
        except ValueError:
            live = None
        try:
            points.extend(points_for(ws.root, team, snap, path, live, signoffs))
        except Exception as exc:  # noqa: BLE001 - one file's problem must not hide the rest
            problems.append(f"{path}: could not be checked: {type(exc).__name__}: {exc}")
    return points, problems


def fetch_streams(ws: StitchWorkspace) -> list[str]:
    """Fetch the remotes' stream branches (`[streams] fetch_every`), so what agents and
    teammates push from other machines shows up as streams; the problems, per remote."""
    repo = open_repo(ws.root)
    if repo is None:
        return [f"{ws.root} is not a git repository: nothing to fetch"]
    return fetch(repo, ws.team.streams.branch_pattern)


def load_streams(ws: StitchWorkspace, now: datetime) -> None:
    """The workspace's streams (no diffs: only which exist and when each started)."""
    repo = open_repo(ws.root)
    if repo is not None:
        streams = discover(repo, ws.team.streams.base, ws.team.streams.branch_pattern, now)
        # as in a snapshot: the engineer's own branch is the working tree, not a stream
        streams.streams = [s for s in streams.streams if s.branch != streams.head_branch]
        ws.streams = streams


def changed_paths(ws: StitchWorkspace, snap: Any) -> set[str]:
    """Files changed by a stream, or by the checked-out branch against the base (committed
    or in the working tree)."""
    paths = set(snap.changes)
    repo = st.open_repo(ws.root)
    if repo is not None and snap.engineer_base and snap.streams.head_commit:
        paths.update(st.files_changed(repo, snap.engineer_base, snap.streams.head_commit))
        names = repo.git.diff("--no-ext-diff", "--name-only", "-z", strip_newline_in_stdout=False)
        paths.update(name for name in names.split("\x00") if name)
    return paths


def status(ws: StitchWorkspace, now: datetime, git: GitView | None) -> dict[str, Any]:
    """The status object of the public contract, as the editor sends it: the workspace's,
    with streams (the cap and who is over it) and stitch points."""
    out = ws.status(
        now,
        ws.read_disk,
        ws.find_symbol_on_disk,
        prompts_pending=len(pending_prompts(ws.prompt_folders())),
    )
    streams = git.snapshot.streams if git is not None and git.snapshot is not None else None
    out["streams"] = streams_summary(streams, ws.team.streams.max_per_feature)
    out["stitch_points"] = point_counts(git.points if git is not None else [])
    return out


def point_counts(points: list[Any]) -> dict[str, int]:
    return {
        "open": sum(1 for p in points if not p.signed),
        "signed": sum(1 for p in points if p.signed),
        "conflicts": sum(1 for p in points if p.conflict),
    }


def scan_all(ws: StitchWorkspace, now: datetime) -> None:
    """Every pending draft as the editor's indexer knows it: the draft files and the drafts
    agents' commits carry (so the CLI and MCP count what the editor counts)."""
    ws.scan_drafts(now)
    snap = take_snapshot(ws.root, ws.team, now=now)
    if snap is not None:
        ws.set_git_drafts(snap.drafts, now)
        ws.streams = snap.streams


def stamped(draft: Draft, now: datetime) -> Draft:
    """The draft with `created` set to `now` when the agent left it out (the moment it is
    added is when it was made, as far as anyone here can tell)."""
    return draft if draft.created is not None else draft.replace(created=now)
