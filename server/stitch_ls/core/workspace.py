"""One workspace's Stitch: policy, drafts, state and the decisions made from them.

The LSP server and the CLI both drive this class; it knows nothing of LSP. Every method that
depends on time takes `now`. Text comes in through `read` callables, so the server can hand
in live buffers and the CLI the files on disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from stitch_ls.core.drafts.anchor import FindSymbol, Plan, PlannedEdit, plan_draft
from stitch_ls.core.drafts.gate import (
    Decision,
    Gate,
    GateContext,
    ReadOnly,
    decide,
    draft_digest,
    is_irreversible,
)
from stitch_ls.core.drafts.index import DraftIndex, DraftRecord, DraftView, Inbox, ScanResult
from stitch_ls.core.drafts.model import Draft, Source, SourceLogEntry, VerifiedRun, Vouched
from stitch_ls.core.drafts.sources import HUMAN, SourceChecker, unsourced
from stitch_ls.core.errors import Refused
from stitch_ls.core.files.fsio import check_stitch_folders, read_text_limited, unlink_path
from stitch_ls.core.files.paths import StitchPaths, resolve_inside
from stitch_ls.core.guard.rules import denial_counts
from stitch_ls.core.policy import decisions, trust
from stitch_ls.core.policy.config import ConfigProblem, EditorSettings, TeamConfig
from stitch_ls.core.policy.effective import EffectivePolicy, effective_policy
from stitch_ls.core.policy.quiet import QuietSchedule, QuietState
from stitch_ls.core.policy.state import Outcome, ReadOnlySwitch, State, read_state, update_state
from stitch_ls.core.policy.teamfile import TeamSource, keep_accepted, read_sources, resolve
from stitch_ls.core.record.sourcelog import append_entry, read_entries
from stitch_ls.core.syntax import SyntaxDoc, language_for_path, lookup_symbol
from stitch_ls.core.text import NotFound, SymbolSpan
from stitch_ls.core.timefmt import human_time, workspace_zone
from stitch_ls.core.vcs.refs import checkouts
from stitch_ls.core.vcs.signing import SigningError, Verifier
from stitch_ls.core.vcs.streams import pattern_regex, stream_name

MAX_SOURCE_BYTES = 20 * 1024 * 1024

ReadText = Callable[[str], "str | None"]


@dataclass
class Evaluation:
    record: DraftRecord
    decision: Decision
    plan: Plan | None

    def placed_in(self, path: str) -> bool:
        """Whether the draft is placed in the text of `path` (not just shown at its range)."""
        return self.plan is not None and any(e.path == path for e in self.plan.edits)

    def moved(self, path: str, lines: int) -> Evaluation:
        """The same decision with its edits in `path` moved down by `lines` (lines inserted
        above them since it was placed; negative for lines removed)."""
        if not lines or self.plan is None:
            return self
        edits = tuple(  # built directly: dataclasses.replace is 2x slower, and a rebase
            PlannedEdit(  # moves a thousand of these
                e.path,
                e.kind,
                (e.start[0] + lines, e.start[1]),
                (e.end[0] + lines, e.end[1]),
                e.text,
                e.reanchored,
            )
            if e.path == path
            else e
            for e in self.plan.edits
        )
        return Evaluation(self.record, self.decision, Plan(edits, self.plan.stale))


@dataclass
class Reloaded:
    """What a reload found changed."""

    everything: bool = False
    config: bool = False
    state: bool = False
    prompts: bool = False
    drafts: ScanResult = field(default_factory=ScanResult)


@dataclass
class QuietArrivals:
    """What arrived during one quiet period (drafts, prompts, stitch points), for the one
    summary when it ends. Everything already known when it was first seen outside counting
    (the first load, the first look at git, the first prompts scan) is not an arrival."""

    drafts: set[str] = field(default_factory=set)
    prompts: set[str] = field(default_factory=set)
    points: set[str] = field(default_factory=set)
    # "while you were in quiet hours (09:30–11:30)", "while you were in your focus session"
    window: str | None = None
    known: dict[str, set[str]] = field(
        default_factory=lambda: {"drafts": set(), "prompts": set(), "points": set()}
    )

    def note(self, kind: str, ids: Iterable[str], counting: bool) -> None:
        """`ids` of `kind` seen now; the new ones are arrivals when `counting` (quiet, and
        past the first look)."""
        known = self.known[kind]
        new = set(ids) - known
        known |= new
        if counting:
            getattr(self, kind).update(new)

    def summary(self) -> str | None:
        counted = [
            (len(self.drafts), "draft"),
            (len(self.prompts), "prompt"),
            (len(self.points), "stitch point"),
        ]
        parts = [f"{n} {noun}{'s' if n != 1 else ''}" for n, noun in counted if n]
        if not parts:
            return None
        return f"{self.window or 'while you were in quiet hours'}: {', '.join(parts)} queued"

    def next_window(self, window: str | None) -> None:
        """A new quiet period: nothing has arrived in it yet."""
        self.drafts, self.prompts, self.points = set(), set(), set()
        self.window = window


class StitchWorkspace:
    def __init__(self, root: Path, drafts: DraftView | None = None) -> None:
        """`drafts`: a view the caller fills (the language server, whose indexer process
        reads the drafts folder); by default the workspace reads the folder itself."""
        self.root = root
        self.paths = StitchPaths(root)
        self.team = TeamConfig()
        self.team_source = TeamSource(self.team, "defaults")
        self.config_problems: list[ConfigProblem] = []
        self.editor = EditorSettings()
        self.editor_notes: list[str] = []
        self.policy: EffectivePolicy = effective_policy(self.team, self.editor)
        self.source_checker = SourceChecker(root)
        self.drafts: DraftIndex | DraftView = (
            DraftIndex(self.inboxes, self.source_checker.report) if drafts is None else drafts
        )
        self.state: State = State()
        self.arrivals = QuietArrivals()
        self.streams: Any = None  # streams.StreamSet of the last look at git, if any
        self._schedule: QuietSchedule | None = None
        self._quiet_memo: tuple[Any, datetime, datetime, QuietState] | None = None
        # (arrivals, agents, key, budgets): `budgets`, kept while its inputs stand
        self._budgets_memo: tuple[Any, Any, tuple[Any, ...], dict[str, Any]] | None = None
        self._disk: dict[str, tuple[tuple[int, int, int], str]] = {}
        self._gate_memo: dict[str, tuple[Any, ...]] = {}  # id -> (record, ctx, texts, gate)

    # -- the repository's inbox ------------------------------------------------------------

    def inboxes(self) -> list[Inbox]:
        """The repository's drafts folders: this checkout's, then every other checkout's (an
        agent's worktree), whose drafts are its stream's when it has a stream branch out. A
        checkout whose `.stitch` or drafts folder is a symlink is left out."""
        regex = pattern_regex(self.team.streams.branch_pattern)
        found = [Inbox(self.paths.drafts)]
        for tree in self._other_checkouts():
            assert tree.path is not None
            stream = stream_name(regex, tree.branch) if tree.branch else None
            found.append(Inbox(tree.path / ".stitch" / "drafts", stream))
        return found

    def prompt_folders(self) -> list[Path]:
        """Every checkout's prompts folder (this one's first)."""
        return [self.paths.prompts] + [
            t.path / ".stitch" / "prompts" for t in self._other_checkouts() if t.path
        ]

    def _other_checkouts(self) -> list[Any]:
        found = []
        for tree in checkouts(self.root)[1:]:
            if tree.path is None:
                continue
            try:
                check_stitch_folders(tree.path / ".stitch" / "drafts" / "x")
                check_stitch_folders(tree.path / ".stitch" / "prompts" / "x")
            except OSError:
                continue
            found.append(tree)
        return found

    # -- loading -------------------------------------------------------------------------

    def load_config(self) -> list[ConfigProblem]:
        """Work out the team file in force (`teamfile`: the version this person accepted,
        tightened by the working copy; a base branch that only tightens is accepted by itself,
        one that loosens waits for a person) and keep what was accepted by itself; answers the
        working copy's problems."""
        sources = read_sources(self.root, self.paths.config, self.paths.accepted)
        source = resolve(sources)
        if source.accept is not None:
            with contextlib.suppress(OSError):
                keep_accepted(self.paths.accepted, source.accept)
        self.use_team(source)
        return list(source.problems)

    def use_team(self, source: TeamSource) -> None:
        """The team file in force, as `load_config` worked it out (here, or in the indexer
        process)."""
        self.team_source = source
        self.team, self.config_problems = source.team, list(source.problems)
        self._refresh_policy()

    def use_editor_settings(self, settings: EditorSettings, notes: list[str]) -> list[str]:
        """The editor's settings, as `config.parse_editor_settings` read them (the language
        server has its indexer process read them)."""
        self.editor, self.editor_notes = settings, notes
        self._refresh_policy()
        return self.notes

    @property
    def notes(self) -> list[str]:
        return [*self.team_source.notes, *self.editor_notes, *self.policy.notes]

    def _refresh_policy(self) -> None:
        self.policy = effective_policy(
            self.team, self.editor, team_from=self.team_source.values_from
        )
        self._schedule = None

    def load_state(self) -> State:
        return self.use_state(read_state(self.paths))

    def use_state(self, state: State) -> State:
        """A state read or written by another process (or by `load_state`)."""
        self.state = state
        self._schedule = None
        return state

    def reload(self, changed: Iterable[Path] | None, now: datetime) -> Reloaded:
        """Re-read what changed under `.stitch/` (None: everything); the drafts folder only
        when this workspace reads it (not with a `DraftView`)."""
        reads_drafts = isinstance(self.drafts, DraftIndex)
        if changed is None:
            self.load_state()
            self.load_config()
            scanned = self.scan_drafts(now) if reads_drafts else ScanResult()
            return Reloaded(everything=True, drafts=scanned)
        changed = set(changed)
        out = Reloaded()
        if isinstance(self.drafts, DraftIndex) and self.source_checker.cited_files_moved():
            out.drafts = self.drafts.recheck()  # a cited file came, went or changed
        if self.paths.config in changed:
            self.load_config()
            out.config = True
        if self.paths.state in changed or self.paths.shared_switches in changed:
            before = self.state
            out.state = self.load_state() != before
        folders = self.drafts.folders if isinstance(self.drafts, DraftIndex) else []
        files = [p for p in changed if p.parent in folders]
        if reads_drafts and any(p in folders for p in changed):  # a folder itself: (re)made
            out.drafts = _merged(out.drafts, self.scan_drafts(now))
        elif reads_drafts and files:
            found = self.drafts.update(files)
            self._count_arrivals(found, now)
            out.drafts = _merged(out.drafts, found)
        prompts = self.prompt_folders()
        out.prompts = any(p in prompts or p.parent in prompts for p in changed)
        return out

    def scan_drafts(self, now: datetime) -> ScanResult:
        """Rescan the drafts folder; new unsourced drafts are counted against the budget, and
        drafts that arrive during quiet hours are remembered for the summary."""
        assert isinstance(self.drafts, DraftIndex), "a DraftView is filled by its owner"
        result = self.drafts.scan()
        self._count_arrivals(result, now)
        return result

    def note_arrivals(self, result: ScanResult, now: datetime, *, first: bool = False) -> None:
        """Drafts that arrive during quiet hours, for the summary after (`first`: a first
        look, whose drafts were there before)."""
        if result.added:
            counting = not first and self.quiet_state(now).on
            self.arrivals.note("drafts", result.added, counting)

    def quiet_window_name(self, now: datetime) -> str | None:
        """The quiet period `now` is in, as the summary names it: "while you were in your
        focus session", or "while you were in quiet hours (09:30–11:30)" (the team's zone)."""
        state = self.quiet_state(now)
        if not state.on:
            return None
        if state.reason == "focus":
            return "while you were in your focus session"
        periods = self.schedule().intervals(now - timedelta(days=2), now + timedelta(seconds=1))
        start = next((a for a, b in reversed(periods) if a <= now < b), None)
        if start is None or state.until is None:
            return "while you were in quiet hours"
        zone = self.display_zone()
        span = f"{start.astimezone(zone):%H:%M}–{state.until.astimezone(zone):%H:%M}"
        return f"while you were in quiet hours ({span})"

    def _count_arrivals(self, result: ScanResult, now: datetime) -> None:
        new_ids = [*result.added, *result.changed]
        if not new_ids:
            return
        self.note_arrivals(result, now)
        arrivals = {  # draft id -> its agent, whose budget it counts against
            i: r.draft.agent
            for i in new_ids
            if (r := self.drafts.by_id.get(i)) is not None
            and r.draft is not None
            and r.unsourced
            and i not in self.state.unsourced_arrivals
            and i not in self.state.outcomes
        }
        if arrivals:

            def count(state: State) -> None:
                for draft_id, agent in arrivals.items():
                    state.unsourced_arrivals.setdefault(draft_id, now)
                    state.unsourced_agents.setdefault(draft_id, agent)
                _prune(state)

            self._write_state(count)

    def set_git_drafts(self, drafts: list[Draft], now: datetime) -> ScanResult:
        """Agent commits' hunks, offered through the same gate as file drafts."""
        assert isinstance(self.drafts, DraftIndex), "a DraftView is filled by its owner"
        records = [
            DraftRecord(self.root / ".git", draft, origin="git", base=commit_of(draft.id))
            for draft in drafts
        ]
        result = self.drafts.set_extra(records)
        self._count_arrivals(result, now)
        return result

    def draft(self, draft_id: str) -> Draft | None:
        record = self.drafts.by_id.get(draft_id)
        return record.draft if record else None

    def pending_records(self) -> list[DraftRecord]:
        """Drafts not yet applied or rejected, nor applied in the editor and waiting to be
        saved (`State.unsaved`)."""
        decided, unsaved = self.state.outcomes, self.state.unsaved
        return [r for r in self.drafts.records() if r.id not in decided and r.id not in unsaved]

    def decided(self, draft_id: str) -> str | None:
        """What became of a draft id for good ("applied", "rejected"), from this engineer's
        outcomes or the team's shared source log; None while it is free or pending."""
        outcome = self.state.outcomes.get(draft_id)
        if outcome is not None:
            return outcome.outcome
        entries, _ = read_entries(self.paths.source_log)
        return "applied" if any(e.draft == draft_id for e in entries) else None

    def undecided(self, draft_id: str, *, reused: bool = False) -> None:
        """Raises Refused when `draft_id` can no longer be decided: decided for good (the
        one meaning every door uses: `decided`), or applied in the editor and waiting to be
        saved. `reused`: said of an id a new draft would take again."""
        outcome = self.decided(draft_id)
        if outcome is not None:
            if reused:
                raise Refused(f"draft id {draft_id!r} was already {outcome}; ids are never reused")
            raise Refused(f"draft {draft_id!r} was already {outcome}")
        waiting = self.waiting_to_be_saved(draft_id)
        if waiting is not None:
            raise Refused(waiting)

    def pending(self, draft_id: str) -> DraftRecord:
        """The draft `draft_id`, still to be decided (`undecided`); raises Refused when it is
        not, or when there is no such draft."""
        self.undecided(draft_id)
        record = self.drafts.by_id.get(draft_id)
        if record is None:
            raise Refused(f"no draft with id {draft_id!r}")
        return record

    def waiting_to_be_saved(self, draft_id: str) -> str | None:
        """Why `draft_id` cannot be decided now when the editor applied it and it waits to be
        saved (None otherwise)."""
        waiting = self.state.unsaved.get(draft_id)
        if waiting is None:
            return None
        when = human_time(waiting.at, self.display_zone()) or "unknown time"
        return (
            f"draft {draft_id!r} was applied in the editor by {waiting.by} on {when} and waits "
            "to be saved (accepted once saved; back in the inbox if it is not kept; undo it in "
            "the editor to decide otherwise)"
        )

    # -- time-dependent policy -----------------------------------------------------------

    def schedule(self) -> QuietSchedule:
        if self._schedule is None:
            self._schedule = QuietSchedule(self.policy.windows, self.state.focus_until)
        return self._schedule

    def quiet_state(self, now: datetime) -> QuietState:
        """Quiet or not at `now`; the answer holds until the next transition, so it is kept
        (every editor request asks)."""
        schedule = self.schedule()
        memo = self._quiet_memo
        if memo is not None and memo[0] is schedule and memo[1] <= now < memo[2]:
            return memo[3]
        state = schedule.state(now)
        change = state.until if state.on else state.next_start
        self._quiet_memo = (schedule, now, change or now + timedelta(minutes=1), state)
        return state

    def budgets(self) -> dict[str, trust.Budget]:
        """Each agent's use of its own trust budget this hour of development. Kept while
        its inputs stand (a flood of unsourced drafts is thousands of arrivals to count, and
        every gate context asks): arrivals and agents are only added to in place (a longer
        dict) or replaced (another dict, held here so its identity is not reused)."""
        state, minutes = self.state, self.state.activity_minutes
        arrivals, agents = state.unsourced_arrivals, state.unsourced_agents
        budget = self.policy.unsourced_per_hour
        key = (len(arrivals), len(agents), minutes[0] if minutes else None, budget)
        memo = self._budgets_memo
        if memo is not None and memo[0] is arrivals and memo[1] is agents and memo[2] == key:
            return dict(memo[3])
        found = trust.agent_budgets(arrivals, agents, minutes, budget)
        self._budgets_memo = (arrivals, agents, key, found)
        return dict(found)

    def team_budget(self) -> trust.Budget | None:
        """Every agent's unsourced drafts together against `[trust] team_per_hour` (None
        without a team cap)."""
        return trust.team_budget(
            self.state.unsourced_arrivals, self.state.activity_minutes, self.policy.team_per_hour
        )

    def budget(self, agent: str | None = None) -> trust.Budget:
        """One agent's budget; without `agent`, the one a status line shows (the agent nearest
        to or furthest past its budget)."""
        budgets = self.budgets()
        if agent is None:
            return trust.headline(budgets, self.policy.unsourced_per_hour)
        found = budgets.get(agent)
        return found or trust.Budget(0, self.policy.unsourced_per_hour, False, agent)

    def trust_status(self) -> dict[str, Any]:
        """The status's `trust`: the headline budget (`used`, `budget`, `exhausted`: the
        agent nearest to its budget, named in `agent`), each agent's, the team's cap, and
        `text` as every door says it (`unsourced: 3 of 4 used (claude-code)`)."""
        budget = self.budget()
        team = self.team_budget()
        return {
            "used": budget.used,
            "budget": budget.budget,
            "exhausted": budget.exhausted or bool(team and team.exhausted),
            "agent": budget.agent,
            "on_exhausted": self.policy.on_exhausted,
            "agents": {
                name: {"used": b.used, "budget": b.budget, "exhausted": b.exhausted}
                for name, b in self.budgets().items()
            },
            "team": None
            if team is None
            else {"used": team.used, "cap": team.budget, "exhausted": team.exhausted},
            "text": budget.describe(team),
        }

    def irreversible_status(self) -> dict[str, Any]:
        """What an irreversible draft's evidence must be, where that came from, and what it
        lets through."""
        requires, source = self.team.irreversible_rule()
        return {
            "requires": requires,
            "from": source,
            "allows": VERIFIED_ALLOWS if requires == "verified" else CLAIMED_ALLOWS,
        }

    def read_only(self) -> ReadOnly:
        """Effective switch: a human's, the team file's, or the team's exhausted trust budget
        (one agent past its own budget turns only that agent read-only: `agents_read_only`)."""
        switch = self.state.read_only
        if switch.on:
            return ReadOnly(True, switch.by, switch.since, switch.reason, self.display_zone())
        unsigned = self._unsigned_off(switch)
        if unsigned is not None:
            return ReadOnly(True, switch.by, switch.since, unsigned, self.display_zone())
        source = self.team_source
        if source.locked_down:
            return ReadOnly(True, "stitch", None, source.problem or "team file unreadable")
        if self.team.agents.read_only:
            return ReadOnly(True, "team file", None, "agents.read_only = true in the team file")
        team = self.team_budget()
        if team is not None and team.exhausted and self.policy.on_exhausted == "read_only":
            return ReadOnly(
                True,
                "trust budget",
                None,
                f"{team.used} unsourced drafts from all agents this hour of development "
                f"(team cap {team.budget})",
            )
        return ReadOnly(False)

    def _unsigned_off(self, switch: Any) -> str | None:
        """Where the team signs decisions, read-only turned off by someone stays on unless
        that person signed turning it off (`core.policy.decisions`); why, or None."""
        if not switch.by or not decisions.signs(self):
            return None
        body = {**switch.off_body(), "signature": switch.signature}
        why = Verifier(self.team_source.signers).why_not(
            body, switch.by, decisions.NAMESPACES["read-only off"]
        )
        if why is None:
            return None
        return (
            f"turned off by {switch.by}, but the team signs that and it is {why}; "
            "turn it off again as yourself (stitch-ls read-only off)"
        )

    def agents_read_only(self) -> dict[str, str]:
        """Agents past their own trust budget where the team turns them read-only, and why."""
        if self.policy.on_exhausted != "read_only":
            return {}
        return {
            agent: f"{agent} is read-only: {b.used} unsourced drafts this hour of development "
            f"(its budget {b.budget})"
            for agent, b in self.budgets().items()
            if b.exhausted
        }

    def agent_floors(self) -> dict[str, tuple[float, str]]:
        """Agents past their own trust budget whose floor the team raises: the raised floor
        and where it came from."""
        if self.policy.on_exhausted != "raise_floor":
            return {}
        raised = self._raised_floor()
        return {
            agent: (raised, f"{agent}'s trust budget")
            for agent, b in self.budgets().items()
            if b.exhausted
        }

    def _raised_floor(self) -> float:
        return min(1.0, round(self.policy.floor + self.policy.scrutiny_raise, 4))

    def display_zone(self) -> Any:
        """The zone people read times in here (`timefmt.workspace_zone`)."""
        return workspace_zone(self.team.quiet_hours.timezone)

    def floor(self, agent: str | None = None) -> tuple[float, str]:
        """The floor `agent`'s drafts meet (without an agent: every agent's), and where it
        came from: raised for all past the team's cap, for one agent past its own budget."""
        team = self.team_budget()
        if team is not None and team.exhausted and self.policy.on_exhausted == "raise_floor":
            return self._raised_floor(), "trust budget (all agents)"
        if agent is not None:
            raised = self.agent_floors().get(agent)
            if raised is not None:
                return raised
        return self.policy.floor, self.policy.floor_from

    def gate_context(self, now: datetime, *, ignore_quiet: bool = False) -> GateContext:
        floor, floor_from = self.floor()
        return GateContext(
            quiet=False if ignore_quiet else self.quiet_state(now).on,
            read_only=self.read_only(),
            floor=floor,
            floor_from=floor_from,
            irreversible_paths=self.policy.irreversible_paths,
            requires_verified=self.team.requires_verified,
            agent_floors=tuple((a, f, why) for a, (f, why) in sorted(self.agent_floors().items())),
            agents_read_only=tuple(sorted(self.agents_read_only().items())),
            verified=frozenset(
                (draft_id, v.digest, v.outcome) for draft_id, v in self.state.verifications.items()
            ),
            vouched=frozenset((i, v.digest) for i, v in self.vouches().items()),
            beyond_cap=frozenset(
                self.streams.beyond_cap(self.team.streams.max_per_feature).items()
                if self.streams is not None
                else ()
            ),
        )

    # -- decisions -----------------------------------------------------------------------

    def evaluate(
        self, record: DraftRecord, ctx: GateContext, read: ReadText, find_symbol: FindSymbol
    ) -> Evaluation:
        if ctx.quiet:
            return Evaluation(record, decide(record.draft, ctx), None)
        if record.draft is None:
            return Evaluation(record, decide(None, ctx, invalid=record.error), None)
        plan = plan_draft(record.draft, read, find_symbol)
        decision = decide(record.draft, ctx, stale=plan.stale, sources=record.sources)
        return Evaluation(record, decision, plan)

    def evaluate_all(
        self, records: Iterable[DraftRecord], ctx: GateContext, texts: dict[str, str]
    ) -> list[Evaluation]:
        """Judge drafts against `texts` (open buffers, by relative path) or else the disk,
        each text parsed at most once for symbol lookups. Safe in any thread or process: it
        builds its own syntax trees."""
        read, find_symbol = self.readers(texts)
        return [self.evaluate(record, ctx, read, find_symbol) for record in records]

    def readers(self, texts: dict[str, str]) -> tuple[ReadText, FindSymbol]:
        """`read` and `find_symbol` over `texts`, then the disk; trees kept per text."""
        trees: dict[int, SyntaxDoc] = {}

        def read(path: str) -> str | None:
            return texts[path] if path in texts else self.read_disk(path)

        def find_symbol(path: str, text: str, name: str) -> SymbolSpan | NotFound:
            syntax = trees.get(id(text))
            if syntax is None or syntax.text is not text:
                language = language_for_path(path)
                if language is not None:  # else lookup_symbol says there is no grammar
                    syntax = trees[id(text)] = SyntaxDoc(text, language)
            return lookup_symbol(path, text, name, syntax)

        return read, find_symbol

    def redecide(self, evaluation: Evaluation, ctx: GateContext) -> Evaluation:
        """The same placement judged under another context (policy, state, trust budget)."""
        record, plan = evaluation.record, evaluation.plan
        if record.draft is None:
            return Evaluation(record, decide(None, ctx, invalid=record.error), None)
        if ctx.quiet or plan is None:
            return Evaluation(record, decide(record.draft, ctx, sources=record.sources), plan)
        decision = decide(record.draft, ctx, stale=plan.stale, sources=record.sources)
        return Evaluation(record, decision, plan)

    def find_symbol_on_disk(self, path: str, text: str, name: str) -> SymbolSpan | NotFound:
        """A symbol's range in `text`, parsed afresh (safe in any thread)."""
        return lookup_symbol(path, text, name)

    def read_disk(self, path: str) -> str | None:
        """A workspace file's text as on disk; refuses paths that escape the workspace."""
        target = resolve_inside(self.root, path)
        try:
            stat = target.stat()
            cached = self._disk.get(path)
            key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if cached is not None and cached[0] == key:
                return cached[1]  # the same string object: anchoring reuses its line index
            text = read_text_limited(target, MAX_SOURCE_BYTES)
            if len(self._disk) > 4096:
                self._disk.clear()
            self._disk[path] = (key, text)
            return text
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise ValueError("is a folder, not a file") from None
        except OSError as exc:
            raise ValueError(f"cannot read: {exc.strerror}") from None

    def check_apply(
        self, draft_id: str, now: datetime, read: ReadText, find_symbol: FindSymbol
    ) -> tuple[Draft, Plan]:
        """Everything checked again at the moment of applying; raises Refused with the reason."""
        record = self.rechecked(self.pending(draft_id))
        evaluation = self.evaluate(record, self.gate_context(now), read, find_symbol)
        if not evaluation.decision.actionable or evaluation.plan is None or record.draft is None:
            raise Refused(evaluation.decision.reason or "the draft cannot be applied")
        return record.draft, evaluation.plan

    def rechecked(self, record: DraftRecord) -> DraftRecord:
        """The record with its sources checked now (at the moment of applying or verifying)."""
        if record.draft is None:
            return record
        return dataclasses.replace(
            record, sources=self.source_checker.report(record.draft, record.base)
        )

    def log_entry(self, draft: Draft, plan: Plan, by: str, now: datetime) -> SourceLogEntry:
        """The source-log entry an apply of `plan` will write."""
        return SourceLogEntry(
            at=now,
            draft=draft.id,
            title=draft.title,
            stream=draft.stream,
            agent=draft.agent,
            confidence=draft.confidence,
            sources=self._logged_sources(draft),
            evidence=draft.evidence,
            accepted_by=by,
            files=list(plan.by_path()),
            ranges=written_ranges(plan),
            verification=self._verified_run(draft),
            vouched=self._vouched(draft),
            irreversible=is_irreversible(draft, self.policy.irreversible_paths),
        )

    def _logged_sources(self, draft: Draft) -> list[Any]:
        """The draft's sources for the log: an agent's own `human` sources left out (the gate
        ignored them), the engineer's vouch added as the `human` source it is."""
        sources = [s for s in draft.sources if s.kind != HUMAN]
        vouch = self._vouched(draft)
        if vouch is not None:
            sources.append(Source(kind=HUMAN, ref=f"{vouch.by}, {_iso(vouch.at)}", why=vouch.note))
        return sources

    def vouches(self) -> dict[str, Any]:
        """The engineer's vouches that count: all of them, or where the team signs decisions,
        those signed by who gave them (`core.policy.decisions`)."""
        if not decisions.signs(self):
            return dict(self.state.vouches)
        verifier = Verifier(self.team_source.signers)
        namespace = decisions.NAMESPACES["vouch"]
        return {
            draft_id: v
            for draft_id, v in self.state.vouches.items()
            if verifier.why_not({**v.body(draft_id), "signature": v.signature}, v.by, namespace)
            is None
        }

    def _vouched(self, draft: Draft) -> Any:
        """The engineer's vouch for this very draft, for the source log (or None)."""
        vouch = self.vouches().get(draft.id)
        if vouch is None or vouch.digest != draft_digest(draft):
            return None
        return Vouched(by=vouch.by, at=vouch.at, note=vouch.note)

    def commit_applied(
        self,
        draft: Draft,
        entry: SourceLogEntry,
        by: str,
        now: datetime,
        *,
        door: str,
        logged: bool = False,
    ) -> None:
        """The applied draft's entry in the source log (unless `logged` already), its outcome,
        and its file retired."""
        if not logged:
            append_entry(self.paths.source_log, entry)
        self._record_outcome(draft, "applied", by, now, None, door)

    def _verified_run(self, draft: Draft) -> Any:
        """The engineer's verification of this very draft, for the source log (or None)."""
        run = self.state.verifications.get(draft.id)
        if run is None or run.digest != draft_digest(draft):
            return None
        return VerifiedRun(
            outcome=run.outcome,
            at=run.at,
            by=run.by,
            command=list(run.command),
            exit_code=run.exit_code,
            duration_s=run.duration_s,
        )

    def reject(
        self, draft_id: str, reason: str | None, by: str, now: datetime, *, door: str
    ) -> None:
        record = self.pending(draft_id)
        if record.draft is None:
            self._retire_file(record)
            return
        self._record_outcome(record.draft, "rejected", by, now, reason or "no reason given", door)

    def _record_outcome(
        self, draft: Draft, outcome: str, by: str, now: datetime, reason: str | None, door: str
    ) -> None:
        def change(state: State) -> None:
            if draft.id in state.outcomes:  # an outcome, once recorded, never changes
                raise Refused(f"draft {draft.id!r} was already {state.outcomes[draft.id].outcome}")
            state.outcomes[draft.id] = Outcome(
                outcome=outcome,  # type: ignore[arg-type]
                at=now,
                by=by,
                reason=reason,
                title=draft.title,
                stream=draft.stream,
                agent=draft.agent,
                confidence=draft.confidence,
                sourced=not unsourced(draft, self.source_checker.report(draft)),
                door=door,
            )

        self._write_state(change)
        record = self.drafts.by_id.get(draft.id)
        if record is not None:
            self._retire_file(record)

    def retire(self, draft_id: str) -> None:
        """Remove a decided draft's file (if it is still there)."""
        if isinstance(self.drafts, DraftIndex):
            self.drafts.update(folder / f"{draft_id}.json" for folder in self.drafts.folders)
        record = self.drafts.by_id.get(draft_id)
        if record is not None:
            self._retire_file(record)

    def _retire_file(self, record: DraftRecord) -> None:
        if record.origin != "file":
            return
        check_stitch_folders(record.file)
        unlink_path(record.file)
        self.drafts.update([record.file])

    # -- switches ------------------------------------------------------------------------

    def set_read_only(
        self, on: bool, reason: str | None, by: str, now: datetime, *, door: str
    ) -> None:
        """Turn agents read-only (anyone may, agents too) or back (a person, through a human
        door; signed by them where the team signs decisions: `core.policy.decisions`)."""
        if on and not (reason and reason.strip()):
            raise Refused("turning agents read-only needs a reason")
        switch = ReadOnlySwitch(
            on=on, by=by, since=now, reason=reason.strip() if reason else None, door=door
        )
        if not on:
            try:
                switch.signature = decisions.signed(self, "read-only off", switch.off_body())
            except SigningError as exc:
                raise Refused(f"read-only stays on: cannot sign turning it off: {exc}") from None

        def change(state: State) -> None:
            state.read_only = switch

        self._write_state(change)

    def set_focus(self, minutes: int, now: datetime) -> None:
        """Start a focus session of `minutes` (0 ends the current one)."""
        if minutes < 0 or minutes > 24 * 60:
            raise Refused("a focus session lasts 1-1440 minutes (0 ends it)")
        until = now + timedelta(minutes=minutes) if minutes else None

        def change(state: State) -> None:
            state.focus_until = until

        self._write_state(change)

    def dismiss_prompts(self, ids: list[str]) -> None:
        """The prompts the engineer dismissed unanswered, all of them (`ids` replaces)."""

        def change(state: State) -> None:
            state.dismissed_prompts = list(ids)

        self._write_state(change)

    def note_activity(self, now: datetime) -> bool:
        """Record an editing minute; True when the budget's window moved."""
        minutes = trust.record_activity(self.state.activity_minutes, now)
        if minutes == self.state.activity_minutes:
            return False

        def change(state: State) -> None:
            state.activity_minutes = trust.record_activity(state.activity_minutes, now)
            _prune(state)

        self._write_state(change)
        return True

    def _write_state(self, change: Callable[[State], None]) -> None:
        self.use_state(update_state(self.paths, change))

    # -- status --------------------------------------------------------------------------

    def draft_counts(
        self,
        now: datetime,
        read: ReadText,
        find_symbol: FindSymbol,
        ctx: GateContext | None = None,
    ) -> dict[str, int]:
        """Pending drafts by gate (quiet hours aside; under `ctx` when given): the slow part
        of the status, so callers cache it and may run it elsewhere."""
        # every state the gate can answer has its key, so `pending` is their sum
        counts = dict.fromkeys(("pending", *(gate.value for gate in COUNTED_GATES)), 0)
        if ctx is None:
            ctx = self.gate_context(now, ignore_quiet=True)
        memo = self._gate_memo
        seen: dict[str, str | None] = {}

        def read_once(path: str) -> str | None:
            """Thousands of drafts share a few hundred files: read (and resolve) each once."""
            if path not in seen:
                seen[path] = read(path)
            return seen[path]

        for record in self.pending_records():
            counts["pending"] += 1
            # a decision holds while the record, the context and the texts it reads are the
            # same objects (disk texts are cached per mtime), so only what changed is redone;
            # the memo keeps the objects themselves (an id could be reused by a new one)
            texts = []
            for path in record.draft.paths if record.draft is not None else ():
                try:
                    texts.append(read_once(path))
                except ValueError:
                    texts.append(None)
            hit = memo.get(record.id)
            if (
                hit is not None
                and hit[0] is record
                and hit[1] == ctx
                and len(hit[2]) == len(texts)
                and all(map(operator.is_, hit[2], texts))
            ):
                gate = hit[3]
            else:
                gate = self.evaluate(record, ctx, read_once, find_symbol).decision.gate
                memo[record.id] = (record, ctx, texts, gate)
            counts[gate.value] += 1
        return counts

    def status(
        self,
        now: datetime,
        read: ReadText,
        find_symbol: FindSymbol,
        counts: dict[str, int] | None = None,
        prompts_pending: int = 0,
    ) -> dict[str, Any]:
        """The status object of the public contract (`prompts_pending`: the unanswered
        prompts, counted by whoever reads `.stitch/prompts/`). Each instant comes twice: ISO
        8601 in UTC for programs, and `*_text` as people read it (`core.timefmt`), which the
        editors show as it is, so a time reads the same in every door."""
        zone = self.display_zone()
        quiet = self.quiet_state(now)
        read_only = self.read_only()
        floor, floor_from = self.floor()
        if counts is None:
            counts = self.draft_counts(now, read, find_symbol)
        return {
            "read_only": {
                "on": read_only.on,
                "by": read_only.by,
                "since": _iso(read_only.since),
                "since_text": human_time(read_only.since, zone),
                "reason": read_only.reason,
            },
            "quiet": {
                "on": quiet.on,
                "until": _iso(quiet.until),
                "until_text": human_time(quiet.until, zone),
                "next_start": _iso(quiet.next_start),
                "next_start_text": human_time(quiet.next_start, zone),
                "reason": quiet.reason,
            },
            "floor": {
                "value": floor,
                "from": floor_from,
                # agents past their own trust budget: their drafts meet this floor instead
                "raised": {agent: value for agent, (value, _) in self.agent_floors().items()},
            },
            "trust": self.trust_status(),
            "irreversible": self.irreversible_status(),
            # `unsaved`: applied in the editor, accepted once saved (not among the pending)
            "drafts": {**counts, "unsaved": len(self.state.unsaved)},
            "prompts": {"pending": prompts_pending},
            "config": {
                "ok": not self.config_problems,
                "problems": [p.message for p in self.config_problems],
                "notes": self.notes,
            },
            "policy": {
                "from": self.team_source.origin,
                "problem": self.team_source.problem,
                "label": self.team_source.label,
                # what a newer team file loosens: in force once a person approves it
                "waiting": list(self.team_source.waiting),
                "accepted_by": self.team_source.accepted.by if self.team_source.accepted else None,
            },
            "guard": denial_counts(self.root),
            "zone": str(zone),
        }


# what claimed evidence lets through, said wherever the rule is shown (status, init)
CLAIMED_ALLOWS = (
    "an irreversible draft passes on its agent's own word that its tests passed "
    "(the tests it names must exist; nobody here ran them)"
)
VERIFIED_ALLOWS = (
    "an irreversible draft needs its tests run here and passing (stitch-ls verify, or "
    '"Verify draft" in the editor)'
)

# the order the counts are listed in: what a person can act on first
COUNTED_GATES = (
    Gate.ACTIONABLE,
    Gate.PARKED,
    Gate.BLOCKED,
    Gate.STALE,
    Gate.INVALID,
    Gate.BELOW_FLOOR,
    Gate.READ_ONLY,
    Gate.QUIET,
)
assert set(COUNTED_GATES) == set(Gate), "a new gate needs its count"


class SourceCheckSummary(TypedDict):
    ref: str
    status: str
    detail: str


class DraftSummary(TypedDict):
    """One line of a list of drafts (the `stitch.listDrafts` contract)."""

    id: str
    title: str
    file: str
    stream: str | None
    agent: str | None
    confidence: float | None
    sources: int
    sources_missing: int
    source_checks: list[SourceCheckSummary]
    paths: list[str]
    gate: str
    reason: str | None
    irreversible: bool


def draft_summary(evaluation: Evaluation) -> DraftSummary:
    """One line of a list of drafts (the `stitch.listDrafts` contract)."""
    record, draft = evaluation.record, evaluation.record.draft
    return {
        "id": record.id,
        "title": record.title,
        "file": str(record.file),
        "stream": draft.stream if draft else None,
        "agent": draft.agent if draft else None,
        "confidence": draft.confidence if draft else None,
        "sources": len(draft.sources) if draft else 0,
        "sources_missing": record.sources.missing if record.sources else 0,
        "source_checks": [
            {"ref": s.ref, "status": c.status, "detail": c.detail}
            for s, c in zip(draft.sources, record.sources.checks, strict=False)
        ]
        if draft and record.sources
        else [],
        "paths": draft.paths if draft else [],
        "gate": evaluation.decision.gate.value,
        "reason": evaluation.decision.reason,
        "irreversible": evaluation.decision.irreversible,
    }


def _merged(first: ScanResult, second: ScanResult) -> ScanResult:
    changed = [i for i in first.changed if i not in second.ids]
    return ScanResult(
        added=second.added, changed=[*changed, *second.changed], removed=second.removed
    )


def written_ranges(plan: Plan) -> dict[str, list[tuple[int, int]]]:
    """The 1-based line ranges each file holds after the plan is applied (for attribution)."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    for path, edits in plan.by_path().items():
        if edits[0].kind == "delete":
            continue
        shift = 0
        for edit in sorted(edits, key=lambda e: e.start):
            lines = edit.text.count("\n") + (0 if edit.text.endswith("\n") or not edit.text else 1)
            if not lines:
                shift += edit.start[0] - edit.end[0]
                continue
            first = edit.start[0] + shift + 1
            ranges.setdefault(path, []).append((first, first + lines - 1))
            shift += (edit.text.count("\n")) - (edit.end[0] - edit.start[0])
    return ranges


def commit_of(draft_id: str) -> str | None:
    """The commit an agent commit's draft comes from (`git-<sha>-<file>-<hunk>`)."""
    match = re.match(r"^git-([0-9a-f]{7,40})-", draft_id)
    return match.group(1) if match else None


def _prune(state: State) -> None:
    """Forget the unsourced arrivals (and whose they were) from before this hour of
    development."""
    state.unsourced_arrivals = trust.prune_arrivals(
        state.unsourced_arrivals, state.activity_minutes
    )
    state.unsourced_agents = {
        i: a for i, a in state.unsourced_agents.items() if i in state.unsourced_arrivals
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
