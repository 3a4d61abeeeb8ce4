"""Signed sign-offs (and a person's other decisions, `core.policy.decisions`): OpenSSH's own
signatures, as git uses them for SSH commit signing.

Without signing, a sign-off line proves only that someone wrote the owner's email into
`.stitch/signoffs.jsonl` (anyone can set `git config user.email`). With
`[stitch_points] signing = "ssh"`, a sign-off carries a signature made with the engineer's
git signing key (`user.signingkey`) by `ssh-keygen -Y sign -n stitch-signoff`, and counts only
when `ssh-keygen -Y verify` accepts it for the owner's identity against the allowed signers in
force: the base branch's `.stitch/allowed_signers` as accepted with the team file
(`core.policy.teamfile`: a change to it waits for a person's approval), never the working
copy's or HEAD's, which any agent can edit. No crypto is done here: OpenSSH signs and verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from stitch_ls.core.vcs.gitrun import open_repo

NAMESPACE = "stitch-signoff"
ALLOWED_SIGNERS = ".stitch/allowed_signers"
MAX_ALLOWED_BYTES = 1024 * 1024
TIMEOUT_S = 20.0


class SigningError(Exception):
    """The sign-off cannot be signed (no key configured, ssh-keygen failed): one clear line."""


def payload(entry: dict[str, Any]) -> bytes:
    """What is signed: the sign-off without its signature, in one canonical form."""
    body = {k: v for k, v in entry.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signing_key(root: Path) -> str:
    """The key git uses for SSH commit signing (`user.signingkey`), as a file path."""
    repo = open_repo(root)
    if repo is None:
        raise SigningError(f"{root} is not a git repository: no signing key to find")
    try:
        key = repo.git.config("--get", "user.signingkey").strip()
    except Exception:  # noqa: BLE001 - not set
        key = ""
    if not key:
        raise SigningError(
            'the team signs sign-offs (stitch_points.signing = "ssh"): set git\'s SSH signing '
            "key first (git config user.signingkey ~/.ssh/id_ed25519.pub)"
        )
    if key.startswith("key::"):
        raise SigningError("user.signingkey must name a key file for signing sign-offs")
    return str(Path(key).expanduser())


def sign(root: Path, entry: dict[str, Any], namespace: str = NAMESPACE) -> str:
    """An armored SSH signature of the record, made by `ssh-keygen -Y sign` in `namespace`
    (one per kind of decision: `core.policy.decisions.NAMESPACES`)."""
    key = signing_key(root)
    try:
        done = subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-f", key, "-n", namespace],
            input=payload(entry),
            capture_output=True,
            timeout=TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SigningError(f"cannot run ssh-keygen to sign: {exc}") from None
    signature = done.stdout.decode("ascii", "replace")
    if done.returncode != 0 or "BEGIN SSH SIGNATURE" not in signature:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SigningError(f"ssh-keygen could not sign with {key}: {why[-1] if why else 'failed'}")
    return signature


_SEEN: dict[str, bool] = {}  # (payload, signature, owner, allowed signers) -> verified
_LOCK = threading.Lock()


class Verifier:
    """Checks sign-offs' signatures against one allowed-signers text (answers kept, since the
    same lines are checked at every refresh)."""

    def __init__(self, allowed_signers: str | None) -> None:
        self.allowed = allowed_signers

    def why_not(self, entry: dict[str, Any], owner: str, namespace: str = NAMESPACE) -> str | None:
        """None when the record is signed by `owner` in `namespace` as the allowed signers
        say; else why not."""
        signature = entry.get("signature")
        if not isinstance(signature, str) or "BEGIN SSH SIGNATURE" not in signature:
            return "not signed"
        if not self.allowed:
            return f"no {ALLOWED_SIGNERS} accepted with the team file"
        key = hashlib.sha256(
            b"\0".join(
                [
                    payload(entry),
                    signature.encode(),
                    owner.encode(),
                    self.allowed.encode(),
                    namespace.encode(),
                ]
            )
        ).hexdigest()
        with _LOCK:
            known = _SEEN.get(key)
        if known is None:
            known = self._verify(payload(entry), signature, owner, namespace)
            with _LOCK:
                if len(_SEEN) > 4096:
                    _SEEN.clear()
                _SEEN[key] = known
        return None if known else f"its signature does not verify as {owner}"

    def _verify(self, data: bytes, signature: str, owner: str, namespace: str) -> bool:
        assert self.allowed is not None
        with tempfile.TemporaryDirectory(prefix="stitch-signoff-") as folder:
            allowed = Path(folder) / "allowed_signers"
            sig = Path(folder) / "signoff.sig"
            allowed.write_text(self.allowed)
            sig.write_text(signature)
            try:
                done = subprocess.run(
                    [
                        "ssh-keygen",
                        "-q",
                        "-Y",
                        "verify",
                        "-f",
                        str(allowed),
                        "-I",
                        owner,
                        "-n",
                        namespace,
                        "-s",
                        str(sig),
                    ],
                    input=data,
                    capture_output=True,
                    timeout=TIMEOUT_S,
                    env={**os.environ, "LC_ALL": "C"},
                )
            except (OSError, subprocess.TimeoutExpired):
                return False
        return done.returncode == 0


def verified_signer(
    entries: list[dict[str, Any]], owners: set[str], verifier: Verifier
) -> tuple[str | None, tuple[str, ...]]:
    """The latest owner whose sign-off verifies, and the owners' sign-offs that do not
    ("who: why not")."""
    signed_by = None
    unverified: list[str] = []
    for entry in entries:
        signer = str(entry.get("signer"))
        if signer not in owners:
            continue
        why = verifier.why_not(entry, signer)
        if why is None:
            signed_by = signed_by or signer
        else:
            unverified.append(f"{signer}: {why}")
    return signed_by, tuple(dict.fromkeys(unverified))
