"""Which team file is in force, and why: the policy fails closed.

Any program in the workspace can edit `.stitch/config.toml`, so the working copy is not the
authority. The team file on the base branch is (changes reach it through review); the working
copy, and any commit not yet on the base, may only tighten it, as editor settings may. When
the working copy cannot be read or validated, the policy in force is, in order: the committed
version (`HEAD`, else the base's) if valid; else the last good team file this machine saw in
force here; else a lock-down in which agents are read-only. Built-in defaults apply only where
no team file exists anywhere.

`resolve` is pure (texts in, a `TeamSource` out); `read_sources` gathers the texts from the
disk and git (through the hardened runner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from stitch_ls.core.policy.config import ConfigProblem, TeamConfig, load_team_config

MAX_TEAM_BYTES = 1024 * 1024
TEAM_PATH = ".stitch/config.toml"
BASE_CANDIDATES = ("main", "master")

Origin = Literal["working copy", "HEAD", "base", "last good", "lock-down", "defaults"]


@dataclass(frozen=True)
class Sources:
    """The texts a resolution starts from. A text is None when that file does not exist;
    `working_error` says why the working copy could not be read at all."""

    working: str | None = None
    working_error: str | None = None
    head: str | None = None
    base: str | None = None
    base_name: str | None = None
    last_good: TeamConfig | None = None


@dataclass(frozen=True)
class TeamSource:
    """The team file in force: its config, where it came from, and what was wrong or set
    aside on the way (shown by every door)."""

    team: TeamConfig
    origin: Origin
    problem: str | None = None  # why the working copy is not what is in force
    problems: tuple[ConfigProblem, ...] = ()  # the working copy's, at their lines
    notes: tuple[str, ...] = field(default=())  # loosening edits set aside until merged
    locked_down: bool = False
    text: str | None = None  # the working copy as read (where problems and features are)

    @property
    def label(self) -> str:
        """How people see it: 'team file (working copy)', 'team file at HEAD (working copy:
        line 7: unknown key …)', 'lock-down (team file unreadable: …)'."""
        if self.origin == "defaults":
            return "built-in defaults (no team file)"
        if self.origin == "lock-down":
            return f"lock-down ({self.problem})"
        where: str = {
            "working copy": "team file (working copy)",
            "HEAD": "team file at HEAD",
            "base": "team file on the base branch",
            "last good": "last good team file seen on this machine",
        }[self.origin]
        return f"{where} (working copy: {self.problem})" if self.problem else where

    @property
    def values_from(self) -> str:
        """What a value taken from this config says it came from ("floor 0.65 (from …)")."""
        return {
            "working copy": "team file",
            "HEAD": "team file at HEAD",
            "base": "team file on the base branch",
            "last good": "last good team file",
            "lock-down": "lock-down",
            "defaults": "built-in default",
        }[self.origin]

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.origin, "problem": self.problem, "notes": list(self.notes)}


# what `_blob` answers for a committed team file larger than MAX_TEAM_BYTES: broken, not absent
TOO_LARGE = "\x00stitch: the committed team file is larger than 1 MiB\x00"


def _parse(text: str | None) -> TeamConfig | list[ConfigProblem] | None:
    if text is None:
        return None
    if text is TOO_LARGE:
        return [ConfigProblem(0, "the committed team file is larger than 1 MiB")]
    return load_team_config(text)


def _first(problems: list[ConfigProblem]) -> str:
    first = problems[0]
    return f"line {first.line + 1}: {first.message}"


def resolve(sources: Sources) -> TeamSource:
    """The policy in force for these texts (see the module docstring for the order)."""
    base = _parse(sources.base)
    authority = base if isinstance(base, TeamConfig) else None
    base_name = sources.base_name or "the base branch"
    if isinstance(base, list):  # the base's own team file is broken (or too large): it never
        # hands authority to the working copy; the last good policy holds it, else lock-down
        if sources.last_good is None:
            why = f"team file on {base_name} is broken: {_first(base)}"
            locked = TeamConfig().replace(agents=TeamConfig().agents.replace(read_only=True))
            return TeamSource(
                locked, "lock-down", why, tuple(base), (), locked_down=True, text=sources.working
            )
        authority = sources.last_good

    working = _parse(sources.working)
    problems: tuple[ConfigProblem, ...] = ()
    problem: str | None = None
    if sources.working_error is not None:
        problem = f"cannot read the team file: {sources.working_error}"
        problems = (ConfigProblem(0, problem),)
    elif isinstance(working, list):
        problems = tuple(working)
        problem = _first(working)
    elif working is None and (sources.head is not None or sources.base is not None):
        problem = "the team file is missing (deleted in the working copy)"

    candidate: TeamConfig | None
    if isinstance(working, TeamConfig):
        candidate, origin = working, "working copy"
    else:
        candidate, origin = _fallback(sources, authority)
        if candidate is None:
            if problem is None and sources.last_good is None and sources.head is None:
                return TeamSource(TeamConfig(), "defaults")  # no team file anywhere
            # nothing to fall back on means no authority either (`_fallback` returns it)
            why = f"team file unreadable: {problem or 'no valid version to fall back on'}"
            locked = TeamConfig().replace(agents=TeamConfig().agents.replace(read_only=True))
            return TeamSource(
                locked, "lock-down", why, problems, (), locked_down=True, text=sources.working
            )

    notes: tuple[str, ...] = ()
    if authority is not None and origin != "base":
        merged, set_aside = tighten(authority, candidate, base_name)
        candidate, notes = merged, tuple(set_aside)
    elif authority is None and origin != "last good" and candidate.evidence.command:
        candidate = candidate.replace(evidence=candidate.evidence.replace(command=[]))
        notes = (f"evidence.command runs a program: it takes effect once on {base_name}",)
    return TeamSource(candidate, origin, problem, problems, notes, text=sources.working)  # type: ignore[arg-type]


def _fallback(sources: Sources, authority: TeamConfig | None) -> tuple[TeamConfig | None, str]:
    head = _parse(sources.head)
    if isinstance(head, TeamConfig):
        return head, "HEAD"
    if authority is not None:
        return authority, "base"
    if sources.last_good is not None:
        return sources.last_good, "last good"
    return None, "lock-down"


def tighten(
    authority: TeamConfig, wanted: TeamConfig, base_name: str
) -> tuple[TeamConfig, list[str]]:
    """`wanted` where it is stricter than `authority`, the authority's value where it is
    looser (each such value named in a note): a floor only rises, budgets only fall,
    irreversible paths and quiet windows only grow, read-only only turns on. What is neither
    stricter nor looser (the base branch, the stream pattern, owners, new features) waits for
    the base branch."""
    notes: list[str] = []
    later = f"takes effect when merged into {base_name}"

    def keep(name: str, theirs: Any, ours: Any) -> None:
        notes.append(
            f"{name} = {_show(theirs)} is looser than {_show(ours)} on {base_name}: ignored until merged"
        )

    a, w = authority.agents, wanted.agents
    floor = max(a.confidence_floor, w.confidence_floor)
    if w.confidence_floor < a.confidence_floor:
        keep("agents.confidence_floor", w.confidence_floor, a.confidence_floor)
    if a.read_only and not w.read_only:
        keep("agents.read_only", False, True)
    dropped = [p for p in a.irreversible_paths if p not in w.irreversible_paths]
    if dropped:
        notes.append(
            f"agents.irreversible_paths without {', '.join(dropped)}: ignored until merged"
        )
    if a.irreversible_requires == "verified" and w.irreversible_requires != "verified":
        keep("agents.irreversible_requires", w.irreversible_requires, a.irreversible_requires)
    agents = a.replace(
        confidence_floor=floor,
        read_only=a.read_only or w.read_only,
        irreversible_requires="verified"
        if "verified" in (a.irreversible_requires, w.irreversible_requires)
        else "claimed",
        irreversible_paths=list(dict.fromkeys([*a.irreversible_paths, *w.irreversible_paths])),
    )

    at, wt = authority.trust, wanted.trust
    if wt.unsourced_per_hour > at.unsourced_per_hour:
        keep("trust.unsourced_per_hour", wt.unsourced_per_hour, at.unsourced_per_hour)
    if wt.scrutiny_raise < at.scrutiny_raise:
        keep("trust.scrutiny_raise", wt.scrutiny_raise, at.scrutiny_raise)
    if at.on_exhausted == "read_only" and wt.on_exhausted != "read_only":
        keep("trust.on_exhausted", wt.on_exhausted, at.on_exhausted)
    trust = at.replace(
        unsourced_per_hour=min(at.unsourced_per_hour, wt.unsourced_per_hour),
        scrutiny_raise=max(at.scrutiny_raise, wt.scrutiny_raise),
        on_exhausted="read_only"
        if "read_only" in (at.on_exhausted, wt.on_exhausted)
        else "raise_floor",
    )

    aq, wq = authority.quiet_hours, wanted.quiet_hours
    if wq.timezone != aq.timezone and wq.windows:
        notes.append(f"quiet_hours.timezone = {_show(wq.timezone)} {later}")
    if wq.engineers_may_remove and not aq.engineers_may_remove:
        keep("quiet_hours.engineers_may_remove", True, False)
    dropped_windows = [x for x in aq.windows if x not in wq.windows]
    if dropped_windows:
        notes.append(f"{len(dropped_windows)} quiet window(s) removed: ignored until merged")
    quiet = aq.replace(
        engineers_may_remove=aq.engineers_may_remove and wq.engineers_may_remove,
        windows=[*aq.windows, *(x for x in wq.windows if x not in aq.windows)],
    )

    ast, wst = authority.streams, wanted.streams
    for name in ("base", "branch_pattern", "fetch_every"):
        if getattr(wst, name) != getattr(ast, name):
            notes.append(f"streams.{name} = {_show(getattr(wst, name))} {later}")
    if wst.max_per_feature > ast.max_per_feature:
        keep("streams.max_per_feature", wst.max_per_feature, ast.max_per_feature)
    streams = ast.replace(max_per_feature=min(ast.max_per_feature, wst.max_per_feature))

    features = dict(authority.features)
    for name, feature in wanted.features.items():
        mine = features.get(name)
        if mine is None or feature.stitch_owner != mine.stitch_owner:
            notes.append(f"features.{name} (owner {_show(feature.stitch_owner)}) {later}")
        if mine is not None:
            paths = list(dict.fromkeys([*mine.paths, *feature.paths]))
            features[name] = mine.replace(paths=paths)

    # the verification command runs a program on this machine: only the base's ever runs
    if wanted.evidence != authority.evidence:
        notes.append(f"evidence.command and evidence.timeout_s {later} (they run a program)")
    asp, wsp = authority.stitch_points, wanted.stitch_points
    if asp.signing == "ssh" and wsp.signing != "ssh":
        keep("stitch_points.signing", wsp.signing, asp.signing)
    stitch_points = asp.replace(signing="ssh" if "ssh" in (asp.signing, wsp.signing) else "none")
    if wanted.outcomes != authority.outcomes:
        notes.append(f"outcomes.services {later}")

    merged = authority.replace(
        agents=agents,
        trust=trust,
        quiet_hours=quiet,
        streams=streams,
        features=features,
        evidence=authority.evidence,
        stitch_points=stitch_points,
        outcomes=authority.outcomes,
    )
    return merged, notes


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


# -- reading the sources ----------------------------------------------------------------------


def read_sources(root: Path, config: Path, last_good: Path) -> Sources:
    """The working copy (bounded, regular files only), the committed versions (HEAD and the
    base branch, read from git's objects: no filter runs) and the last good text."""
    from stitch_ls.core.files.fsio import read_text_limited

    working = working_error = None
    try:
        working = read_text_limited(config, MAX_TEAM_BYTES)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        working_error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    head, base, base_name = _committed(root)
    return Sources(working, working_error, head, base, base_name, read_last_good(last_good))


def read_last_good(path: Path) -> TeamConfig | None:
    """The last team config in force here (as Stitch wrote it), or None."""
    from stitch_ls.core.files.fsio import read_text_limited

    try:
        return TeamConfig.from_json(read_text_limited(path, MAX_TEAM_BYTES))
    except (OSError, ValueError, RecursionError):
        return None


def remember(path: Path, source: TeamSource, before: TeamConfig | None) -> None:
    """Keep the team config now in force as the last good one, when it came from a valid
    team file (not a lock-down or a fallback) and differs from what is kept."""
    from stitch_ls.core.files.fsio import atomic_write

    if source.origin not in ("working copy", "HEAD", "base") or source.team == before:
        return
    atomic_write(path, source.team.to_json())


def _committed(root: Path) -> tuple[str | None, str | None, str | None]:
    """The team file at HEAD and on the base branch (`main`, else `master`; where that
    branch's own team file names another base that exists, that one)."""
    from stitch_ls.core.vcs.gitrun import open_repo

    repo = open_repo(root)
    if repo is None:
        return None, None, None
    head = _blob(repo, "HEAD")
    heads = _branch_names(repo)
    base_name = next((name for name in BASE_CANDIDATES if name in heads), None)
    if base_name is None:
        return head, None, None
    base = _blob(repo, f"refs/heads/{base_name}")
    declared = load_team_config(base) if base is not None else None
    if isinstance(declared, TeamConfig) and declared.streams.base != base_name:
        other = declared.streams.base
        if other in heads:
            base, base_name = _blob(repo, f"refs/heads/{other}"), other
    return head, base, base_name


def _blob(repo: Any, rev: str) -> str | None:
    try:
        raw = repo.git.cat_file("blob", f"{rev}:{TEAM_PATH}", strip_newline_in_stdout=False)
    except Exception:  # noqa: BLE001 - no such file at that commit (or no commit)
        return None
    return raw if len(raw) <= MAX_TEAM_BYTES else TOO_LARGE


def _branch_names(repo: Any) -> set[str]:
    try:
        return {head.name for head in repo.heads}
    except Exception:  # noqa: BLE001 - a broken ref store: no base branch to trust
        return set()
