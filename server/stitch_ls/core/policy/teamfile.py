"""Which team file is in force, and why: the rules a person approved, and the policy fails closed.

Any program in the workspace can edit `.stitch/config.toml`, and any can move a branch, so
neither the working copy nor the base branch is the authority by itself: the authority is the
version this person last accepted, kept outside the repository (`StitchPaths.accepted`, per
user, per repository), with the base branch's allowed signers and code owners beside it (the
direnv `allow` model). A new version on the base branch that only tightens applies at once and
is accepted by itself; one that loosens anything (a floor, irreversible paths, quiet windows,
read-only, the evidence command, signers, owners, features...) waits for a person's approval
(`stitch-ls approve`, or the editor), the stricter of the two in force meanwhile, and the
difference shown. So no ref moved, created or deleted can loosen the policy. The first version
seen on this machine is accepted as it is (trust on first use, as SSH's known hosts); the
evidence command of a version no person approved runs only after a person saw it
(`core.drafts.verify`).

The working copy, and any commit not yet on the base, may only tighten what is in force, as
editor settings may. When the working copy cannot be read or validated, HEAD's version (if
valid) tightens in its place; with no base branch, what is accepted holds; with nothing
accepted, a lock-down in which agents are read-only (never the working copy's word). Built-in
defaults apply only where no team file exists anywhere.

`resolve` is pure (texts in, a `TeamSource` out); `read_sources` gathers the texts from the
disk and git (through the hardened runner).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from stitch_ls.core.errors import Refused
from stitch_ls.core.files.fsio import atomic_write, read_text_limited
from stitch_ls.core.files.paths import StitchPaths
from stitch_ls.core.policy.config import ConfigProblem, TeamConfig, load_team_config
from stitch_ls.core.vcs.gitrun import UnsafeRepository, open_repo
from stitch_ls.core.vcs.refs import remote_branches

MAX_TEAM_BYTES = 1024 * 1024
TEAM_PATH = ".stitch/config.toml"
BASE_CANDIDATES = ("main", "master")

Origin = Literal["working copy", "HEAD", "base", "approved", "lock-down", "defaults"]
SIGNERS_PATH = ".stitch/allowed_signers"
OWNERS_PATHS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")


def digest(*texts: str | None) -> str:
    """One version of the base branch's rules: its team file, allowed signers, code owners."""
    sha = hashlib.sha256()
    for text in texts:
        sha.update(b"\x00" if text is None else b"\x01" + text.encode("utf-8", "surrogateescape"))
        sha.update(b"\x02")
    return sha.hexdigest()


@dataclass(frozen=True)
class Accepted:
    """A version of the team's rules this person's machine holds in force for a repository:
    the team file, and the allowed signers and code owners the base branch had beside it.
    `door` says how it was accepted: "terminal" or "editor" (a person approved it), "first use"
    (the first version seen here), "stricter" (it only tightened what was in force)."""

    team: TeamConfig
    digest: str
    signers: str | None = None
    owners: str | None = None
    by: str = ""
    at: str | None = None  # ISO 8601
    door: str = ""
    text: str | None = None  # the team file as written: kept, and read back, as such

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "text": self.text,
                "team": None if self.text is not None else json.loads(self.team.to_json()),
                "digest": self.digest,
                "signers": self.signers,
                "owners": self.owners,
                "by": self.by,
                "at": self.at,
                "door": self.door,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, kept: str) -> Accepted:
        """Raises ValueError for anything but what `to_json` wrote."""
        data = json.loads(kept)
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("not an accepted team file")
        strings = {k: data.get(k) for k in ("signers", "owners", "at")}
        if not all(v is None or isinstance(v, str) for v in strings.values()):
            raise ValueError("not an accepted team file")
        raw = data.get("text")
        text = raw if isinstance(raw, str) else None
        if text is not None:
            loaded = load_team_config(text)
            if not isinstance(loaded, TeamConfig):
                raise ValueError("the accepted team file does not validate")
            team = loaded
        else:
            team = TeamConfig.from_json(json.dumps(data["team"]))
        return cls(
            team,
            str(data["digest"]),
            strings["signers"],
            strings["owners"],
            str(data.get("by") or ""),
            strings["at"],
            str(data.get("door") or ""),
            text,
        )


@dataclass(frozen=True)
class Sources:
    """The texts a resolution starts from. A text is None when that file does not exist;
    `working_error` says why the working copy could not be read at all. `signers` and
    `owners` are the base branch's; `accepted` what this machine holds in force."""

    working: str | None = None
    working_error: str | None = None
    head: str | None = None
    base: str | None = None
    base_name: str | None = None
    signers: str | None = None
    owners: str | None = None
    accepted: Accepted | None = None


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
    # what a newer version on the base branch loosens, waiting for a person's approval
    waiting: tuple[str, ...] = ()
    proposal: Accepted | None = None  # what approving now accepts
    accept: Accepted | None = None  # to keep now by itself: a first version, a stricter one
    accepted: Accepted | None = None  # what is in force as accepted (signers, owners)

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
            "approved": "the team file you approved",
        }[self.origin]
        return f"{where} (working copy: {self.problem})" if self.problem else where

    @property
    def values_from(self) -> str:
        """What a value taken from this config says it came from ("floor 0.65 (from …)")."""
        return {
            "working copy": "team file",
            "HEAD": "team file at HEAD",
            "base": "team file on the base branch",
            "approved": "the team file you approved",
            "lock-down": "lock-down",
            "defaults": "built-in default",
        }[self.origin]

    @property
    def signers(self) -> str | None:
        """The allowed signers in force: the accepted version's, never the working copy's."""
        return self.accepted.signers if self.accepted is not None else None

    @property
    def owners(self) -> str | None:
        """The code owners in force: the accepted version's."""
        return self.accepted.owners if self.accepted is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.origin,
            "problem": self.problem,
            "notes": list(self.notes),
            "waiting": list(self.waiting),
        }


# what `_blob` answers for a committed team file larger than MAX_TEAM_BYTES: broken, not absent
TOO_LARGE = "\x00stitch: the committed team file is larger than 1 MiB\x00"
# ... and for a repository git cannot be run on safely: what the committed files are is unknown
UNSAFE = "\x00stitch: unsafe\x00"


def _parse(text: str | None) -> TeamConfig | list[ConfigProblem] | None:
    if text is None:
        return None
    if text is TOO_LARGE:
        return [ConfigProblem(0, "the committed team file is larger than 1 MiB")]
    if text.startswith(UNSAFE):
        return [ConfigProblem(0, text.removeprefix(UNSAFE))]
    return load_team_config(text)


def _first(problems: list[ConfigProblem]) -> str:
    first = problems[0]
    return f"line {first.line + 1}: {first.message}"


def resolve(sources: Sources) -> TeamSource:
    """The policy in force for these texts (see the module docstring for the order)."""
    base = _parse(sources.base)
    base_name = sources.base_name or "the base branch"
    accepted = sources.accepted
    accept = proposal = None
    waiting: tuple[str, ...] = ()
    authority: TeamConfig | None
    if isinstance(base, TeamConfig):
        offered = Accepted(
            base,
            digest(sources.base, sources.signers, sources.owners),
            sources.signers,
            sources.owners,
            text=sources.base,
        )
        if accepted is None:  # the first version seen here
            authority, accept = base, replace(offered, by="first use", door="first use")
        elif accepted.digest == offered.digest:
            authority = accepted.team
        else:
            loosened = loosening(accepted, offered, base_name)
            if not loosened:  # it only tightens: in force at once
                authority, accept = base, replace(offered, by="stricter", door="stricter")
            else:  # the stricter of the two until a person approves the new one
                authority = tighten(accepted.team, base, base_name, from_base=True)[0]
                waiting, proposal = tuple(loosened), offered
    elif isinstance(base, list):  # broken, too large, unreadable: never the working copy's word
        if accepted is None:
            why = f"team file on {base_name} is broken: {_first(base)}"
            locked = TeamConfig().replace(agents=TeamConfig().agents.replace(read_only=True))
            return TeamSource(
                locked, "lock-down", why, tuple(base), (), locked_down=True, text=sources.working
            )
        authority = accepted.team
    else:
        authority = accepted.team if accepted is not None else None
    in_force = accept if accept is not None else accepted

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

    if authority is None:  # nothing on a base branch, nothing accepted: a person decides
        if working is None and problem is None and sources.head is None:
            return TeamSource(TeamConfig(), "defaults")  # no team file anywhere
        if isinstance(working, TeamConfig):
            proposal = Accepted(working, digest(sources.working, None, None), text=sources.working)
            problem = problem or "no team file on a base branch, and none approved here"
        why = (
            f"{problem}: approve the working copy's (`stitch-ls approve`, or in the editor)"
            if proposal is not None
            else f"team file unreadable: {problem or 'no valid version to fall back on'}"
        )
        locked = TeamConfig().replace(agents=TeamConfig().agents.replace(read_only=True))
        return TeamSource(
            locked,
            "lock-down",
            why,
            problems,
            (),
            locked_down=True,
            text=sources.working,
            proposal=proposal,
        )

    candidate: TeamConfig
    if isinstance(working, TeamConfig):
        candidate, origin = working, "working copy"
    elif isinstance(head := _parse(sources.head), TeamConfig):
        candidate, origin = head, "HEAD"
    else:
        candidate = authority
        origin = "base" if isinstance(base, TeamConfig) and not waiting else "approved"
    notes: tuple[str, ...] = ()
    if candidate is not authority:
        merged, set_aside = tighten(authority, candidate, base_name)
        # the working copy is the base's version that waits: `waiting` already says so
        same_as_waiting = bool(waiting) and sources.working == sources.base
        candidate, notes = merged, () if same_as_waiting else tuple(set_aside)
    return TeamSource(
        candidate,
        origin,  # type: ignore[arg-type]
        problem,
        problems,
        notes,
        text=sources.working,
        waiting=waiting,
        proposal=proposal,
        accept=accept,
        accepted=in_force,
    )


def loosening(accepted: Accepted, offered: Accepted, base_name: str) -> list[str]:
    """What `offered` (a newer version on the base branch) loosens or changes that only a
    person may let through, against what is accepted; [] when it only tightens."""
    merged, notes = tighten(
        accepted.team, offered.team, base_name, waits="waits for your approval", from_base=True
    )
    found = list(notes)
    if merged != offered.team and not found:  # a change tightening cannot express
        found.append(f"other settings changed on {base_name}: waits for your approval")
    if offered.signers != accepted.signers:
        found.append(f"{SIGNERS_PATH} changed on {base_name}: waits for your approval")
    if offered.owners != accepted.owners:
        found.append(f"CODEOWNERS changed on {base_name}: waits for your approval")
    return found


def approve(source: TeamSource) -> Accepted:
    """What a person's approval accepts now (Refused when nothing waits for one)."""
    if source.proposal is None:
        raise Refused("no team file waits for your approval: the one in force is accepted")
    return source.proposal


COLLISION_ORDER = ("warn", "ask", "deny")  # from looser to stricter


def tighten(
    authority: TeamConfig,
    wanted: TeamConfig,
    base_name: str,
    *,
    waits: str | None = None,
    from_base: bool = False,
) -> tuple[TeamConfig, list[str]]:
    """`wanted` where it is stricter than `authority`, the authority's value where it is
    looser (each such value named in a note): a floor only rises, budgets only fall,
    irreversible paths and quiet windows only grow, read-only only turns on. What is neither
    stricter nor looser (the base branch, the stream pattern, owners, new features) waits for
    the base branch. `from_base`: `wanted` is on the base branch, so what only describes the
    code for the report (`outcomes.services`, no permission) holds at once."""
    notes: list[str] = []
    later = waits or f"takes effect when merged into {base_name}"
    ignored = waits or "ignored until merged"

    def keep(name: str, theirs: Any, ours: Any) -> None:
        notes.append(
            f"{name} = {_show(theirs)} is looser than {_show(ours)} on {base_name}: {ignored}"
        )

    a, w = authority.agents, wanted.agents
    floor = max(a.confidence_floor, w.confidence_floor)
    if w.confidence_floor < a.confidence_floor:
        keep("agents.confidence_floor", w.confidence_floor, a.confidence_floor)
    if a.read_only and not w.read_only:
        keep("agents.read_only", False, True)
    dropped = [p for p in a.irreversible_paths if p not in w.irreversible_paths]
    if dropped:
        notes.append(f"agents.irreversible_paths without {', '.join(dropped)}: {ignored}")
    # what each asks of irreversible drafts, the wanted version's default read against the
    # authority's `[evidence]` (the only command that runs until the wanted one is merged)
    ours_rule = authority.irreversible_rule()[0]
    theirs_rule = wanted.replace(evidence=authority.evidence).irreversible_rule()[0]
    if ours_rule == "verified" and theirs_rule != "verified":
        keep("agents.irreversible_requires", theirs_rule, ours_rule)
    both_default = a.irreversible_requires is None and w.irreversible_requires is None
    agents = a.replace(
        confidence_floor=floor,
        read_only=a.read_only or w.read_only,
        irreversible_requires=None
        if both_default
        else ("verified" if "verified" in (ours_rule, theirs_rule) else "claimed"),
        irreversible_paths=list(dict.fromkeys([*a.irreversible_paths, *w.irreversible_paths])),
    )

    at, wt = authority.trust, wanted.trust
    if wt.unsourced_per_hour > at.unsourced_per_hour:
        keep("trust.unsourced_per_hour", wt.unsourced_per_hour, at.unsourced_per_hour)
    if wt.scrutiny_raise < at.scrutiny_raise:
        keep("trust.scrutiny_raise", wt.scrutiny_raise, at.scrutiny_raise)
    if at.on_exhausted == "read_only" and wt.on_exhausted != "read_only":
        keep("trust.on_exhausted", wt.on_exhausted, at.on_exhausted)
    if at.team_per_hour is not None and (
        wt.team_per_hour is None or wt.team_per_hour > at.team_per_hour
    ):
        keep("trust.team_per_hour", wt.team_per_hour, at.team_per_hour)
    caps = [c for c in (at.team_per_hour, wt.team_per_hour) if c is not None]
    trust = at.replace(
        unsourced_per_hour=min(at.unsourced_per_hour, wt.unsourced_per_hour),
        team_per_hour=min(caps) if caps else None,
        scrutiny_raise=max(at.scrutiny_raise, wt.scrutiny_raise),
        on_exhausted="read_only"
        if "read_only" in (at.on_exhausted, wt.on_exhausted)
        else "raise_floor",
    )

    aq, wq = authority.quiet_hours, wanted.quiet_hours
    if wq.engineers_may_remove and not aq.engineers_may_remove:
        keep("quiet_hours.engineers_may_remove", True, False)
    # each window in its own zone: the wanted version's keep theirs when the zones differ
    ours = [_zoned(x, aq.timezone) for x in aq.windows]
    theirs = [_zoned(x, wq.timezone) for x in wq.windows]
    dropped_windows = [x for x in ours if x not in theirs]
    if dropped_windows:
        notes.append(f"{len(dropped_windows)} quiet window(s) removed: {ignored}")
    added = [
        x
        if aq.timezone == wq.timezone or x.timezone or not wq.timezone
        else x.replace(timezone=wq.timezone)
        for x, zoned in zip(wq.windows, theirs, strict=True)
        if zoned not in ours
    ]
    quiet = aq.replace(
        engineers_may_remove=aq.engineers_may_remove and wq.engineers_may_remove,
        windows=[*aq.windows, *added],
    )

    ast, wst = authority.streams, wanted.streams
    for name in ("base", "branch_pattern", "fetch_every"):
        if getattr(wst, name) != getattr(ast, name):
            notes.append(f"streams.{name} = {_show(getattr(wst, name))} {later}")
    if wst.max_per_feature > ast.max_per_feature:
        keep("streams.max_per_feature", wst.max_per_feature, ast.max_per_feature)
    collision = max(ast.on_collision, wst.on_collision, key=COLLISION_ORDER.index)
    if collision != wst.on_collision:
        keep("streams.on_collision", wst.on_collision, ast.on_collision)
    streams = ast.replace(
        max_per_feature=min(ast.max_per_feature, wst.max_per_feature), on_collision=collision
    )

    features = dict(authority.features)
    for name, feature in wanted.features.items():
        mine = features.get(name)
        if mine is None or feature.stitch_owner != mine.stitch_owner:
            notes.append(f"features.{name} (owner {_show(feature.stitch_owner)}) {later}")
        if mine is not None:
            paths = list(dict.fromkeys([*mine.paths, *feature.paths]))
            features[name] = mine.replace(paths=paths)

    # the verification command runs a program on this machine, with the environment `env`
    # hands it: only the base's ever runs
    if wanted.evidence != authority.evidence:
        notes.append(
            f"evidence.command, evidence.timeout_s and evidence.env {later} (they run a program)"
        )
    asp, wsp = authority.stitch_points, wanted.stitch_points
    if asp.signing == "ssh" and wsp.signing != "ssh":
        keep("stitch_points.signing", wsp.signing, asp.signing)
    stitch_points = asp.replace(signing="ssh" if "ssh" in (asp.signing, wsp.signing) else "none")
    if wanted.outcomes != authority.outcomes and not from_base:
        notes.append(f"outcomes.services {later}")

    merged = authority.replace(
        agents=agents,
        trust=trust,
        quiet_hours=quiet,
        streams=streams,
        features=features,
        evidence=authority.evidence,
        stitch_points=stitch_points,
        outcomes=wanted.outcomes if from_base else authority.outcomes,
    )
    return merged, notes


def _zoned(window: Any, zone: str | None) -> Any:
    """A window with the zone it is in spelled out (for comparing windows across versions)."""
    return window if window.timezone or zone is None else window.replace(timezone=zone)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


# -- reading the sources ----------------------------------------------------------------------


def read_sources(root: Path, config: Path, accepted: Path) -> Sources:
    """The working copy (bounded, regular files only), the committed versions (HEAD and the
    base branch, read from git's objects: no filter runs), the base's allowed signers and
    code owners, and what this machine accepted."""
    working = working_error = None
    try:
        working = read_text_limited(config, MAX_TEAM_BYTES)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        working_error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    held = read_accepted(accepted)
    declared = held.team.streams.base if held is not None else None
    head, base, base_name, signers, owners = _committed(root, declared)
    return Sources(working, working_error, head, base, base_name, signers, owners, held)


def read_accepted(path: Path) -> Accepted | None:
    """What this machine accepted for the repository (as Stitch wrote it), or None. The last
    good team file kept before there were accepted versions is taken as the accepted one."""
    try:
        return Accepted.from_json(read_text_limited(path, 4 * MAX_TEAM_BYTES))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    before = path.with_name(path.name.replace(".accepted.json", ".last-good.json"))
    try:
        team = TeamConfig.from_json(read_text_limited(before, MAX_TEAM_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    return Accepted(team, "", by="last good", door="first use")


def keep_accepted(path: Path, accepted: Accepted) -> None:
    atomic_write(path, accepted.to_json() + "\n")


def _committed(
    root: Path, declared: str | None
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(the team file at HEAD, on the base branch, the base branch's name, its allowed
    signers, its code owners). The base branch is the one the accepted rules declare, else
    `main`, else `master`: a local branch, else a remote-tracking one (a clone that holds
    only a feature branch still has its remote's `main`)."""
    try:
        repo = open_repo(root)
    except UnsafeRepository as exc:  # its base is unknown: never the working copy's word
        return (
            None,
            UNSAFE + f"the repository cannot be read safely: {exc}",
            "the base branch",
            None,
            None,
        )
    if repo is None:
        return None, None, None, None, None
    head = _blob(repo, "HEAD")
    found = _base_ref(repo, [n for n in (declared, *BASE_CANDIDATES) if n])
    if found is None:
        return head, None, None, None, None
    name, rev = found
    declared_there = load_team_config(_blob(repo, rev) or "")
    if isinstance(declared_there, TeamConfig) and declared_there.streams.base != name:
        other = _base_ref(repo, [declared_there.streams.base])  # the base's own word for it
        if other is not None:
            name, rev = other
    owners = next(
        (text for place in OWNERS_PATHS if (text := _blob(repo, rev, place)) is not None), None
    )
    return head, _blob(repo, rev), name, _blob(repo, rev, SIGNERS_PATH), owners


def _base_ref(repo: Any, names: list[str]) -> tuple[str, str] | None:
    """(name, ref) of the first of `names` that is a local branch, else a remote-tracking one."""
    heads = _branch_names(repo)
    for name in names:
        if name in heads:
            return name, f"refs/heads/{name}"
    try:
        remote = remote_branches(repo)
    except Exception:  # noqa: BLE001 - a broken ref store: no remote base either
        return None
    for name in names:
        if name in remote:
            return name, f"refs/remotes/{remote[name][0]}"
    return None


def _blob(repo: Any, rev: str, path: str = TEAM_PATH) -> str | None:
    try:
        raw = repo.git.cat_file("blob", f"{rev}:{path}", strip_newline_in_stdout=False)
    except Exception:  # noqa: BLE001 - no such file at that commit (or no commit)
        return None
    return raw if len(raw) <= MAX_TEAM_BYTES else TOO_LARGE


def _branch_names(repo: Any) -> set[str]:
    try:
        return {head.name for head in repo.heads}
    except Exception:  # noqa: BLE001 - a broken ref store: no base branch to trust
        return set()


def rules_in_force(root: Path) -> tuple[str | None, str | None]:
    """(code owners, allowed signers) in force for the repository at `root`: those accepted
    with the team file, else the base branch's as committed (never the working copy's)."""
    held = read_accepted(StitchPaths(root).accepted)
    if held is not None:
        return held.owners, held.signers
    _, _, _, signers, owners = _committed(root, None)
    return owners, signers
