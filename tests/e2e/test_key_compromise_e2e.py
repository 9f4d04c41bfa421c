"""The key-compromise playbook end to end (docs/security.md), on real servers.

A credential signed with the issuer's key verifies; an attacker with a copy of that key
forges a credential without a status entry, which is refused (``status_required``);
the operator runs the playbook (``keys withdraw``, ``revoke --signed-by``, re-issue) as
CLI processes; once the verifier refetches the issuer's keys (a kid it does not know,
the re-issued credential's, makes it refetch when its copy is 30 s old) both the old
credential and the forgery fail with ``unknown_key`` and the re-issued one verifies.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from issuer.service import open_services
from issuer.settings import IssuerSettings
from tests.e2e.conftest import RESIDENT, Stack, StartStack, run_cli_json
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import did_key_for
from vcore.formats import sign_credential
from vcore.keys import generate_key
from verifier.resolution.keys import KEY_REFRESH_MIN_AGE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _kid_of(token: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"])


def _forge_with_leaked_key(stack: Stack, kid: str, holder: str) -> str:
    """The attacker's forgery: the issuer's own key (read from its database), no status."""
    settings = IssuerSettings(
        data_dir=stack.issuer_env["TRUSTID_DATA_DIR"], issuer_url=stack.issuer_url
    )
    services = open_services(settings, migrate=False)
    try:
        with services.ctx.session() as session, session.begin():
            row = services.keys.resolve(session, kid)
            signer = services.keys._active_key(row).signer
        now = datetime.now(UTC)
        credential = build_credential(
            issuer=services.ctx.issuer_did,
            credential_type=RESIDENT,
            subject={"givenName": "Forged", "familyName": "Person"},
            holder=holder,
            credential_id=new_credential_id(),
            valid_from=now - timedelta(minutes=5),
            valid_until=now + timedelta(days=3650),
        )
        return sign_credential(credential, signer)
    finally:
        services.close()


def test_key_compromise_playbook(start_stack: StartStack) -> None:
    stack = start_stack()
    holder = did_key_for(generate_key().public_key())
    env = stack.issuer_env

    with httpx.Client(timeout=30) as http:

        def issue() -> str:
            response = http.post(
                f"{stack.issuer_url}/credentials/issue",
                headers={"Authorization": f"Bearer {stack.api_key}"},
                json={
                    "credential": {
                        "type": ["VerifiableCredential", RESIDENT],
                        "credentialSubject": {"id": holder, **stack.claims},
                    }
                },
            )
            assert response.status_code == 201, response.text
            return str(response.json()["verifiableCredential"]["id"].split(",", 1)[1])

        def verify(token: str) -> tuple[bool, list[str]]:
            response = http.post(
                f"{stack.verifier_url}/credentials/verify", json={"verifiableCredential": token}
            )
            body: dict[str, Any] = response.json()
            assert response.status_code in (200, 400), body
            return bool(body["verified"]), [p["code"] for p in body.get("problemDetails", [])]

        old = issue()
        leaked = _kid_of(old)
        assert verify(old) == (True, [])
        cached_at = time.monotonic()  # the verifier now holds the issuer's DID document
        forged = _forge_with_leaked_key(stack, leaked, holder)
        assert verify(forged) == (False, ["status_required"])

        keys = run_cli_json("issuer.cli", ["keys", "list", "--json"], env)
        assert [(k["kid"], k["state"], k["liveCredentials"]) for k in keys] == [
            (leaked, "active", 1)
        ]

        # The playbook (docs/security.md "Key compromise playbook").
        withdrawn = run_cli_json(
            "issuer.cli", ["keys", "withdraw", leaked, "--reason", "key leaked", "--json"], env
        )
        assert withdrawn["key"]["state"] == "withdrawn"
        new_kid = withdrawn["newActiveKey"]["kid"]
        assert leaked not in http.get(f"{stack.issuer_url}/.well-known/jwks.json").text
        dry = run_cli_json(
            "issuer.cli",
            ["revoke", "--signed-by", leaked, "--reason", "key leaked", "--dry-run", "--json"],
            env,
        )
        assert (dry["revoked"], dry["dryRun"]) == (1, True)
        done = run_cli_json(
            "issuer.cli", ["revoke", "--signed-by", leaked, "--reason", "key leaked", "--json"], env
        )
        assert (done["revoked"], done["dryRun"]) == (1, False)

        # Re-issue. Its kid is unknown to the verifier's cached document: once that copy
        # is KEY_REFRESH_MIN_AGE old, the verifier refetches the issuer's keys.
        time.sleep(
            max(0.0, KEY_REFRESH_MIN_AGE.total_seconds() + 1 - (time.monotonic() - cached_at))
        )
        reissued = issue()
        assert _kid_of(reissued) == new_kid
        assert verify(reissued) == (True, [])

        assert verify(old) == (False, ["unknown_key"])
        assert verify(forged) == (False, ["unknown_key"])

        keys = {k["kid"]: k for k in run_cli_json("issuer.cli", ["keys", "list", "--json"], env)}
        assert (keys[leaked]["state"], keys[leaked]["liveCredentials"]) == ("withdrawn", 0)
        assert (keys[new_kid]["state"], keys[new_kid]["liveCredentials"]) == ("active", 1)
        assert keys[leaked]["published"] is False
