"""Signed sign-offs: a real `ssh-keygen` round trip against the committed allowed signers."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from gitrepos import STREAM_TEAM, stream_repo
from stitch_ls.core.policy.config import TeamConfig, load_team_config
from stitch_ls.core.vcs.gitview import points_for, take_snapshot
from stitch_ls.core.vcs.signing import NAMESPACE, Verifier, payload, verified_signer
from stitch_ls.core.vcs.stitchpoints import SignOffs, record_signoff
from test_cli import cli
from workspaces import git

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def keypair(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


def signing_repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    root = stream_repo(tmp_path / "ws")
    keys = tmp_path / "keys"
    keys.mkdir()
    lead, mallory = keypair(keys, "lead"), keypair(keys, "mallory")
    public = (keys / "lead.pub").read_text().strip()
    (root / ".stitch" / "allowed_signers").write_text(f"lead@example.com {public}\n")
    with (root / ".stitch" / "config.toml").open("a") as team:
        team.write('\n[stitch_points]\nsigning = "ssh"\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "sign sign-offs")
    return root, lead, mallory


def only_point(root: Path) -> dict:
    [point] = json.loads(cli(root, "check", "--json").stdout)["stitch_points"]
    return point


def test_a_signed_sign_off_counts_and_an_unsigned_or_wrongly_signed_one_does_not(tmp_path: Path):
    root, lead, mallory = signing_repo(tmp_path)
    point = only_point(root)
    git(root, "config", "user.email", "lead@example.com")

    # no signing key configured: one clear refusal, nothing written
    refused = cli(root, "sign-off", point["id"])
    assert refused.returncode == 3 and "user.signingkey" in refused.stderr
    assert not (root / ".stitch" / "signoffs.jsonl").exists()

    # the owner's email with someone else's key: written, but it does not count
    git(root, "config", "user.signingkey", str(mallory))
    assert cli(root, "sign-off", point["id"]).returncode == 0
    result = cli(root, "check")
    assert result.returncode == 1
    assert f"sign-off of stitch point {point['id']} by lead@example.com: its signature" in (
        result.stdout
    )

    # an unsigned line in the shared log (written by hand, or before signing): not counted
    log = root / ".stitch" / "signoffs.jsonl"
    entry = json.loads(log.read_text().splitlines()[0])
    del entry["signature"]
    log.write_text(json.dumps(entry) + "\n")
    assert "lead@example.com: not signed" in cli(root, "check").stdout

    # the owner's own key, as listed in the committed allowed signers: it counts
    git(root, "config", "user.signingkey", str(lead))
    assert cli(root, "sign-off", point["id"]).returncode == 0
    checked = cli(root, "check")
    assert checked.returncode == 0, checked.stdout
    assert "note: sign-off of stitch point" in checked.stdout  # the bad line is still listed
    assert only_point(root)["signed_by"] == "lead@example.com"

    # a tampered line (its versions changed after signing) does not verify
    lines = log.read_text().splitlines()
    signed = json.loads(lines[-1])
    signed["at"] = "2030-01-01T00:00:00Z"
    log.write_text(json.dumps(signed) + "\n")
    assert cli(root, "check").returncode == 1


def test_the_working_copys_allowed_signers_is_not_the_authority(tmp_path: Path):
    root, lead, mallory = signing_repo(tmp_path)
    point = only_point(root)
    git(root, "config", "user.email", "lead@example.com")
    git(root, "config", "user.signingkey", str(mallory))
    # an agent lists its own key for the owner in the working copy: ignored
    public = (mallory.parent / "mallory.pub").read_text().strip()
    (root / ".stitch" / "allowed_signers").write_text(f"lead@example.com {public}\n")
    assert cli(root, "sign-off", point["id"]).returncode == 0
    assert cli(root, "check").returncode == 1


def signed(key: Path, signer: str, versions: dict[str, str]) -> dict:
    """A sign-off line by `signer`, signed with `key` as `stitch-ls sign-off` signs it."""
    entry = {
        "version": 1,
        "stitch_id": "sp-0123456789ab",
        "signer": signer,
        "at": "2026-11-30T12:00:00Z",
        "versions": versions,
    }
    done = subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-f", str(key), "-n", NAMESPACE],
        input=payload(entry),
        capture_output=True,
        check=True,
    )
    entry["signature"] = done.stdout.decode()
    return entry


def test_a_signature_verifies_only_against_the_signers_in_force_for_the_owner(tmp_path: Path):
    """ssh-keygen's answers are kept per allowed-signers text: the same line checked against
    other signers is checked again; with none accepted nothing verifies; a signature by
    someone who is listed but is not the point's owner signs nothing off."""
    lead, mallory = keypair(tmp_path, "lead"), keypair(tmp_path, "mallory")
    lead_pub = (tmp_path / "lead.pub").read_text().strip()
    mallory_pub = (tmp_path / "mallory.pub").read_text().strip()
    owners = {"lead@example.com"}
    line = signed(lead, "lead@example.com", {"checkout/a": "1", "checkout/b": "2"})

    for nothing in (None, ""):
        assert "allowed_signers" in (Verifier(nothing).why_not(line, "lead@example.com") or "")
    assert Verifier(f"lead@example.com {lead_pub}\n").why_not(line, "lead@example.com") is None
    swapped = Verifier(f"lead@example.com {mallory_pub}\n")  # the signers changed since
    assert "does not verify" in (swapped.why_not(line, "lead@example.com") or "")

    team = Verifier(f"lead@example.com {lead_pub}\nmallory@example.com {mallory_pub}\n")
    theirs = signed(mallory, "mallory@example.com", line["versions"])
    assert team.why_not(theirs, "mallory@example.com") is None  # a good signature ...
    assert verified_signer([theirs], owners, team) == (None, ())  # ... by no owner
    assert verified_signer([theirs, line], owners, team) == ("lead@example.com", ())


def test_with_signing_on_and_no_allowed_signers_no_sign_off_counts(tmp_path: Path):
    """The team signs sign-offs but no allowed signers file came with the team file: an
    unsigned sign-off by the owner does not count (nothing to verify it against is no pass)."""
    root = stream_repo(tmp_path / "ws")
    team = load_team_config(STREAM_TEAM + '\n[stitch_points]\nsigning = "ssh"\n')
    assert isinstance(team, TeamConfig)
    log = root / ".stitch" / "signoffs.jsonl"
    snap = take_snapshot(root, team, now=NOW)
    [point] = points_for(root, team, snap, "src/checkout.py", None, SignOffs())
    record_signoff(log, point, "lead@example.com", NOW, "terminal")
    [point] = points_for(root, team, snap, "src/checkout.py", None, SignOffs.read(log))
    assert point.signed_by is None
    assert point.unverified == ("lead@example.com: not signed",)
