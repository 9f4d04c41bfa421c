"""The consistency checks: published files, issue / revoke / verify, API keys, rate limits."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping

import httpx

from scripts.deploycheck.certificates import client_tls
from scripts.deploycheck.layout import RESIDENT, Layout, publish
from scripts.deploycheck.nginx import Limits
from scripts.deploycheck.probes import check_nginx_limits, finish_slow_probes, start_slow_probes
from scripts.deploycheck.processes import SetupError, run_cli, run_clis
from scripts.deploycheck.report import Results
from vcore.dids import did_key_for
from vcore.keys import generate_key

__all__ = ["run_checks"]


def _token_id(response: httpx.Response) -> tuple[str, str]:
    enveloped = response.json()["verifiableCredential"]
    token = enveloped["id"].split(",", 1)[1]
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return token, payload.get("id") or payload["jti"]


def _verdict(response: httpx.Response) -> str:
    """``valid``, a problem code (``revoked``...), or ``http <status>``."""
    try:
        body = response.json()
    except ValueError:
        return f"http {response.status_code}"
    if response.status_code == 200 and body.get("verified") is True:
        return "valid"
    codes = (
        [p.get("code") for p in body.get("problemDetails", [])] if isinstance(body, dict) else []
    )
    if codes:
        return ",".join(str(c) for c in codes)
    return f"http {response.status_code} {body.get('code', '')}".strip()


def _headers(response: httpx.Response) -> dict[str, str | None]:
    return {
        "ETag": response.headers.get("etag"),
        "Cache-Control": response.headers.get("cache-control"),
        "Content-Type": (response.headers.get("content-type") or "").split(";")[0] or None,
    }


def check_static(results: Results, http: httpx.Client, layout: Layout, label: str) -> None:
    """Each published file: nginx sends the service's bytes, ETag and Cache-Control."""
    published: dict[str, dict[str, str]] = json.loads((layout.static / "headers.json").read_text())
    wanted = [p for p in published if p.startswith((".well-known/", "status-lists/"))]
    for path in sorted(wanted):
        via_nginx = http.get(f"{layout.url('issuers')}/{path}")
        service = http.get(f"{layout.url('issuer_a')}/{path}")  # pinned: the process itself
        same = (
            via_nginx.status_code == service.status_code == 200
            and via_nginx.content == service.content
            and _headers(via_nginx) == _headers(service) == dict(published[path])
        )
        observed = (
            "same"
            if same
            else (
                f"nginx {via_nginx.status_code} {_headers(via_nginx)} / "
                f"service {service.status_code} {_headers(service)}"
            )
        )
        results.require(
            f"{label}: /{path} from nginx = service (bytes, ETag, Cache-Control)",
            same,
            observed,
            "same",
        )


def check_fetched_through_nginx(results: Results, layout: Layout) -> None:
    """The verifiers' status-list fetches reached nginx's static files (its access log)."""
    port = str(layout.ports["issuers"])
    fetched: dict[str, int] = {}
    for line in (layout.work / "nginx-access.log").read_text().splitlines():
        parts = line.split('"')
        if len(parts) < 6 or parts[0].strip() != port or "TrustID-Verifier" not in parts[3]:
            continue
        if parts[1].startswith("GET /status-lists/"):
            # No upstream address: nginx answered from the file, not from an issuer.
            status = parts[2].strip() + (" static" if parts[5] == "-" else " proxied")
            fetched[status] = fetched.get(status, 0) + 1
    results.require(
        "verifiers fetched the status lists as nginx static files (access log)",
        sum(fetched.values()) > 0 and set(fetched) <= {"200 static", "304 static"},
        ", ".join(f"{n} x {code}" for code, n in sorted(fetched.items())) or "none",
        "200/304 static only",
    )


def run_checks(layout: Layout, limits: Limits) -> Results:
    """Every check, in order; the table."""
    results = Results()
    probes = start_slow_probes(layout, limits)
    context = client_tls(layout.ca)
    issuer_auth = {"Authorization": f"Bearer {layout.agency_key}"}
    client_auth = {"Authorization": f"Bearer {layout.client_key}"}
    holder = did_key_for(generate_key().public_key())
    with httpx.Client(verify=context, timeout=30) as http:
        check_static(results, http, layout, "published")

        def issue(listener: str) -> tuple[str, str]:
            response = http.post(
                f"{layout.url(listener)}/credentials/issue",
                headers=issuer_auth,
                json={
                    "credential": {
                        "type": ["VerifiableCredential", RESIDENT],
                        "credentialSubject": {"id": holder, **layout.claims},
                    }
                },
            )
            if response.status_code != 201:
                raise SetupError(
                    f"issue via {listener}: {response.status_code} {response.text[:300]}"
                )
            return _token_id(response)

        def verify(listener: str, token: str, auth: Mapping[str, str] = client_auth) -> str:
            response = http.post(
                f"{layout.url(listener)}/credentials/verify",
                headers=dict(auth),
                json={"verifiableCredential": token},
            )
            return _verdict(response)

        def revoke(listener: str, credential_id: str) -> int:
            response = http.post(
                f"{layout.url(listener)}/credentials/status",
                headers=issuer_auth,
                json={
                    "credentialId": credential_id,
                    "credentialStatus": {
                        "type": "BitstringStatusListEntry",
                        "statusPurpose": "revocation",
                    },
                    "status": True,
                },
            )
            return response.status_code

        creds = {
            "A1": issue("issuer_a"),
            "B1": issue("issuer_b"),
            "A2": issue("issuer_a"),  # never revoked: the control
        }
        # No publish needed here: the new indexes sit in the lists published at start,
        # whose bits for them are still 0 (valid).
        verifiers = ("verifier_a", "verifier_b")
        for name, (token, _id) in creds.items():
            for v in verifiers:
                results.add(
                    f"{name} (issued via issuer_{name[0].lower()}) on {v}",
                    "valid",
                    verify(v, token),
                )
        results.add(
            "A1 via the balanced verifier name", "valid", verify("verifiers", creds["A1"][0])
        )

        # Revoke across: A1 through issuer B, B1 through issuer A.
        results.add("revoke A1 through issuer_b", 200, revoke("issuer_b", creds["A1"][1]))
        results.add("revoke B1 through issuer_a", 200, revoke("issuer_a", creds["B1"][1]))
        # nginx still serves the published list: every verifier agrees it is valid until
        # the next publish (the documented publication delay, not an inconsistency).
        for name in ("A1", "B1"):
            seen = {v: verify(v, creds[name][0]) for v in verifiers}
            results.add(
                f"{name} revoked, not yet republished: both verifiers agree",
                "valid / valid",
                " / ".join(seen.values()),
            )
        publish(layout)
        check_static(results, http, layout, "republished")
        for name, want in (("A1", "revoked"), ("B1", "revoked"), ("A2", "valid")):
            for v in verifiers:
                results.add(f"{name} after republish on {v}", want, verify(v, creds[name][0]))

        check_api_keys(results, http, layout, creds["A2"][0], verify)
    check_fetched_through_nginx(results, layout)
    finish_slow_probes(results, probes, limits)
    check_nginx_limits(results, layout, limits)
    return results


def check_api_keys(
    results: Results,
    http: httpx.Client,
    layout: Layout,
    token: str,
    verify: Callable[..., str],
) -> None:
    """A removed API key is refused by every verifier at once; one rate budget for both.

    The rate limit is counted in Redis, so both verifiers share a key's budget.
    """
    env = layout.verifier_env
    limited, doomed, batch_key = run_clis(
        [
            ("verifier.cli", ["client", "create", name, *extra, "--json"])
            for name, extra in (
                ("Limited Agency", ["--rate-limit", "4"]),
                ("Revoked Agency", []),
                ("Batch Agency", ["--rate-limit", "4"]),
            )
        ],
        env,
    )
    doomed_auth = {"Authorization": f"Bearer {doomed['api_key']}"}
    for v in ("verifier_a", "verifier_b"):
        results.add(f"new API key accepted on {v}", "valid", verify(v, token, doomed_auth))
    # Both now hold the key in their caches; remove it through verifier A's CLI.
    run_cli("verifier.cli", ["client", "remove", "Revoked Agency"], env)
    removed_at = time.monotonic()
    for v in ("verifier_b", "verifier_a"):
        verdict = verify(v, token, doomed_auth)
        waited = 0.0
        while verdict != "http 401 unauthorized" and time.monotonic() - removed_at < 1.0:
            time.sleep(0.05)
            verdict = verify(v, token, doomed_auth)
        waited = time.monotonic() - removed_at
        results.add(
            f"removed API key refused on {v} (within 1 s; took {waited * 1000:.0f} ms)",
            "http 401 unauthorized",
            verdict,
        )
    batch_auth = {"Authorization": f"Bearer {batch_key['api_key']}"}

    def batch(listener: str, n: int) -> int:
        items = [{"verifiableCredential": token}] * n
        response = http.post(
            f"{layout.url(listener)}/credentials/verify/batch",
            headers=batch_auth,
            json={"items": items},
        )
        return response.status_code

    results.add(
        "a batch counts its size: 3 on verifier_a, then 2 on verifier_b (4/min key)",
        "200, 429",
        f"{batch('verifier_a', 3)}, {batch('verifier_b', 2)}",
    )
    limited_auth = {"Authorization": f"Bearer {limited['api_key']}"}
    answers = [
        verify(v, token, limited_auth)
        for v in ("verifier_a", "verifier_b", "verifier_a", "verifier_b", "verifier_b")
    ]
    results.add(
        "rate limit 4/min shared: 2 + 2 on the two verifiers, then the 5th",
        "valid x4, then http 429 rate_limited",
        ("valid x4" if answers[:4] == ["valid"] * 4 else str(answers[:4])) + f", then {answers[4]}",
    )
