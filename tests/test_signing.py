"""Signed sign-offs: a real `ssh-keygen` round trip against the committed allowed signers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from gitrepos import stream_repo
from test_cli import cli
from workspaces import git


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
