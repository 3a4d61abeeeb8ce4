"""Where the team file's texts come from: the working copy as it is on disk, HEAD, and the
base branch read from git's objects (with its allowed signers and code owners), and the
version this machine accepted. Real repositories, in-process."""

from __future__ import annotations

import os
from pathlib import Path

from stitch_ls.core.policy.config import TeamConfig, load_team_config
from stitch_ls.core.policy.teamfile import (
    MAX_TEAM_BYTES,
    TOO_LARGE,
    Accepted,
    Sources,
    keep_accepted,
    read_accepted,
    read_sources,
    resolve,
)
from workspaces import git

BASE = '[agents]\nconfidence_floor = 0.65\nirreversible_paths = ["migrations/**"]\n'
COMMITTED = BASE.replace("0.65", "0.3")
EDITED = BASE.replace("0.65", "0.1")


def commit_team(root: Path, text: str | None, message: str) -> None:
    config = root / ".stitch" / "config.toml"
    if text is None:
        config.unlink(missing_ok=True)
        (root / "README").write_text(message)
    else:
        config.write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def repo(root: Path, branch: str, text: str | None = BASE) -> Path:
    (root / ".stitch").mkdir(parents=True)
    git(root, "init", "-q", "-b", branch)
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    commit_team(root, text, "start")
    return root


def sources(root: Path) -> Sources:
    return read_sources(root, root / ".stitch" / "config.toml", root / "accepted.json")


def test_on_a_feature_branch_the_base_branchs_team_file_is_the_authority(tmp_path: Path):
    root = repo(tmp_path / "ws", "main")
    git(root, "checkout", "-q", "-b", "feature")
    commit_team(root, COMMITTED, "loosen the floor")
    (root / ".stitch" / "config.toml").write_text(EDITED)
    read = sources(root)
    assert read == Sources(EDITED, None, COMMITTED, BASE, "main", None)
    source = resolve(read)
    assert source.origin == "working copy" and source.team.agents.confidence_floor == 0.65
    assert source.notes == (
        "agents.confidence_floor = 0.1 is looser than 0.65 on main: ignored until merged",
    )


def test_master_is_the_base_where_there_is_no_main(tmp_path: Path):
    root = repo(tmp_path / "ws", "master")
    assert sources(root) == Sources(BASE, None, BASE, BASE, "master", None)


def test_without_main_or_master_no_branch_is_the_authority(tmp_path: Path):
    root = repo(tmp_path / "ws", "trunk")
    (root / ".stitch" / "config.toml").write_text(EDITED)
    read = sources(root)
    assert read == Sources(EDITED, None, BASE, None, None, None)
    source = resolve(read)  # nothing reviewed, nothing accepted: a person decides
    assert source.locked_down and source.proposal is not None


def test_the_base_branch_may_name_another_base_that_exists(tmp_path: Path):
    declares = BASE + '\n[streams]\nbase = "develop"\n'
    root = repo(tmp_path / "ws", "main", declares)
    assert sources(root) == Sources(declares, None, declares, declares, "main", None)
    strict = declares.replace("0.65", "0.9")
    git(root, "checkout", "-q", "-b", "develop")
    commit_team(root, strict, "develop is stricter")
    git(root, "checkout", "-q", "-b", "feature")
    commit_team(root, COMMITTED, "mine")
    assert sources(root) == Sources(COMMITTED, None, COMMITTED, strict, "develop", None)
    assert resolve(sources(root)).team.agents.confidence_floor == 0.9


def test_a_base_branch_without_a_team_file_or_with_a_broken_one(tmp_path: Path):
    root = repo(tmp_path / "bare", "main", None)
    assert sources(root) == Sources(None, None, None, None, "main", None)
    broken = "[agents\n"
    root = repo(tmp_path / "broken", "main", broken)
    assert sources(root) == Sources(broken, None, broken, broken, "main", None)
    assert resolve(sources(root)).origin == "lock-down"


def test_a_committed_team_file_is_bounded_like_the_working_copy(tmp_path: Path):
    padded = BASE + "#" * (MAX_TEAM_BYTES - len(BASE) - 1) + "\n"
    assert len(padded.encode()) == MAX_TEAM_BYTES
    root = repo(tmp_path / "ws", "main", padded)
    assert sources(root) == Sources(padded, None, padded, padded, "main", None)
    commit_team(root, padded + "\n", "one byte over")
    read = sources(root)
    assert read.head is TOO_LARGE and read.base is TOO_LARGE  # broken, never absent
    assert (
        read.working_error
        == f"file is {MAX_TEAM_BYTES + 1:,} bytes; the limit is {MAX_TEAM_BYTES:,}"
    )


def test_a_symlink_loop_in_place_of_the_team_file_is_a_reason_not_a_default(tmp_path: Path):
    root = repo(tmp_path / "ws", "main")
    config = root / ".stitch" / "config.toml"
    config.unlink()
    os.symlink("config.toml", config)
    read = sources(root)
    assert read.working_error == "Too many levels of symbolic links"
    source = resolve(read)
    assert (source.origin, source.problem) == (
        "HEAD",
        "cannot read the team file: Too many levels of symbolic links",
    )


def test_a_folder_in_place_of_the_team_file_is_a_reason_not_a_default(tmp_path: Path):
    root = repo(tmp_path / "ws", "trunk")
    config = root / ".stitch" / "config.toml"
    config.unlink()
    config.mkdir()
    read = sources(root)
    assert read == Sources(None, "config.toml is not a regular file", BASE, None, None, None)
    source = resolve(read)  # no base branch, nothing accepted: a lock-down, with the reason
    assert source.origin == "lock-down" and "not a regular file" in (source.problem or "")


def test_the_accepted_version_is_kept_read_back_and_holds_when_all_else_is_broken(
    tmp_path: Path,
):
    root = repo(tmp_path / "ws", "trunk", None)
    strict = load_team_config(BASE.replace("0.65", "0.9"))
    assert isinstance(strict, TeamConfig)
    kept = Accepted(strict, "d", "signers\n", "* @lead\n", "dev@example.com", None, "terminal")
    keep_accepted(root / "accepted.json", kept)
    assert read_accepted(root / "accepted.json") == kept
    (root / ".stitch" / "config.toml").write_text("[agents\n")
    read = sources(root)
    assert read == Sources("[agents\n", None, None, None, None, None, None, kept)
    source = resolve(read)
    assert source.origin == "approved" and source.team == strict
    assert (source.signers, source.owners) == ("signers\n", "* @lead\n")
    (root / "accepted.json").write_text("{not json")
    assert read_accepted(root / "accepted.json") is None


def test_the_last_good_team_file_of_before_is_taken_as_the_accepted_one(tmp_path: Path):
    strict = load_team_config(BASE.replace("0.65", "0.9"))
    assert isinstance(strict, TeamConfig)
    (tmp_path / "repo.last-good.json").write_text(strict.to_json())
    taken = read_accepted(tmp_path / "repo.accepted.json")
    assert taken is not None and taken.team == strict


def test_signers_and_owners_come_from_the_base_branch_never_the_working_copy(tmp_path: Path):
    root = repo(tmp_path / "ws", "main")
    (root / ".stitch" / "allowed_signers").write_text("lead@example.com ssh-ed25519 AAAA\n")
    (root / "CODEOWNERS").write_text("* @lead\n")
    commit_team(root, BASE, "signers and owners")
    (root / ".stitch" / "allowed_signers").write_text("agent@example.com ssh-ed25519 BBBB\n")
    (root / "CODEOWNERS").write_text("* @agent\n")
    read = sources(root)
    assert read.signers == "lead@example.com ssh-ed25519 AAAA\n" and read.owners == "* @lead\n"


def test_a_clone_holding_only_a_feature_branch_takes_its_remotes_main(tmp_path: Path):
    origin = repo(tmp_path / "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--single-branch", "--branch", "main", str(origin), str(clone))
    git(clone, "checkout", "-q", "-b", "feature")
    git(clone, "branch", "-D", "main")
    (clone / ".stitch" / "config.toml").write_text(EDITED)
    read = sources(clone)
    assert read.base == BASE and read.base_name == "main"
    assert resolve(read).team.agents.confidence_floor == 0.65
