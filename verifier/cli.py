"""``trustid-verifier``: serve the verifier, manage agency API clients and trust lists.

The client commands first print the data directory they act on (stderr). Only ``serve``
creates a new database unasked; ``client create`` starts one only in a data directory
named by ``TRUSTID_DATA_DIR``, and ``client list`` / ``client remove`` refuse (exit 3,
with the fix) where there is none, instead of showing an empty list from a new file.

Exit codes: 0 ok, 1 unexpected, 2 usage, 3 configuration or trust list invalid, or no
database here, 4 client name taken / not found, 5 not verified (``verify``).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from vcore.clock import system_clock
from vcore.errors import TrustIDError, TrustListError
from vcore.jsontext import loads_strict

if TYPE_CHECKING:
    from vcore.trust_list import TrustList
    from verifier.clients import ClientRegistry
    from verifier.settings import VerifierSettings

__all__ = ["app", "main"]

app = typer.Typer(
    name="trustid-verifier",
    help="TrustID verifier: check credentials, presentations and QR codes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
client_app = typer.Typer(help="Agency API clients (keys for the verification endpoints).")
trust_app = typer.Typer(help="Trust lists: check the configured list, sign one.")
app.add_typer(client_app, name="client")
app.add_typer(trust_app, name="trust-list")

EXIT_CONFIG = 3
EXIT_CONFLICT = 4
EXIT_NOT_VERIFIED = 5


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _settings() -> VerifierSettings:
    from verifier.settings import get_settings

    try:
        return get_settings()
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        _fail(f"invalid TRUSTID_* setting: {str(exc).splitlines()[0]}", EXIT_CONFIG)


_SQLITE_FILE = "verifier.db"


def _explicit_url(settings: VerifierSettings) -> str | None:
    return settings.verifier_database_url or settings.database_url


def _describe(settings: VerifierSettings) -> str:
    url = _explicit_url(settings)
    if url is None:
        return f"data directory {settings.data_dir.expanduser().resolve()}"
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = "(unparsable database URL)"
    return f"database {shown}"


def _registry(*, creates: bool = False) -> ClientRegistry:
    """The client registry, after saying which database it is in (or refusing, exit 3)."""
    from verifier.clients import ClientRegistry
    from verifier.key_cache import signal_for
    from verifier.storage import make_engine

    settings = _settings()
    data_dir = settings.data_dir.expanduser().resolve()
    new = _explicit_url(settings) is None and not (data_dir / _SQLITE_FILE).is_file()
    explicit = "data_dir" in settings.model_fields_set
    if new and not (creates and explicit):
        unset = "" if explicit else " (it is not set: the default is ./var here)"
        _fail(
            f"no verifier database in {data_dir}: run this in the directory where "
            f"`trustid-verifier serve` runs, or set TRUSTID_DATA_DIR to its data directory"
            f"{unset}; `trustid-verifier serve` starts a new one",
            EXIT_CONFIG,
        )
    typer.echo(
        f"trustid-verifier: {_describe(settings)}{' (new database)' if new else ''}", err=True
    )
    engine = make_engine(settings.db_url)
    # The change reaches every serving process through the database and, when set, Redis.
    signal = signal_for(
        engine, redis_url=settings.redis_url, redis_prefix=settings.redis_key_prefix
    )
    return ClientRegistry(engine, signal=signal)


def _load_trust_list(settings: VerifierSettings) -> TrustList:
    """Load the configured trust list (path or URL) as the service would, or exit 3."""
    import anyio

    from verifier.app import load_anchor
    from verifier.resolution import Fetcher, FetchFailedError, TrustListSource, build_http_client

    async def load() -> TrustList:
        allow = settings.allow_hosts
        try:
            client = build_http_client(allow, ca_file=settings.ca_file)
        except OSError as exc:  # ssl.SSLError included
            _fail(f"TRUSTID_CA_FILE {settings.ca_file}: no usable CA ({exc})", EXIT_CONFIG)
        async with client:
            source = TrustListSource(
                settings.trust_list,
                anchor=load_anchor(settings.trust_anchor),
                fetcher=Fetcher(client, allow=allow),
            )
            return await source.load()

    try:
        return anyio.run(load)
    except FetchFailedError as exc:
        _fail(f"cannot load the trust list {settings.trust_list}: {exc.detail}", EXIT_CONFIG)
    except TrustIDError as exc:
        _fail(exc.detail, EXIT_CONFIG)
    except OSError as exc:
        _fail(f"cannot load the trust list {settings.trust_list}: {exc}", EXIT_CONFIG)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8200,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the verifier HTTP service (default http://127.0.0.1:8200).

    Example: TRUSTID_TRUST_LIST=trust.json trustid-verifier serve --port 8200
    """
    import uvicorn

    from verifier.app import OPEN_MODE_WARNING, create_app

    settings = _settings()
    if settings.trust_list:
        _load_trust_list(settings)  # fail fast, in one line, before uvicorn starts
    try:
        application = create_app(settings)
    except TrustIDError as exc:
        _fail(exc.detail, EXIT_CONFIG)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    if not settings.trust_list:
        typer.echo("WARNING: TRUSTID_TRUST_LIST is not set: no issuer is trusted.", err=True)
    if not application.state.clients.any():
        bar = "!" * 78
        typer.echo(f"{bar}\n{OPEN_MODE_WARNING}\n{bar}", err=True)
    from trustid_http.server import uvicorn_options

    options = uvicorn_options(
        header_timeout=settings.verifier_header_timeout,
        max_connections=settings.verifier_max_connections,
    )
    uvicorn.run(application, host=host, port=port, log_level=log_level, **options)


def _read_input(path: Path) -> str:
    try:
        return sys.stdin.read() if path == Path("-") else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}", 2)


@app.command()
def verify(
    credential: Annotated[
        Path,
        typer.Argument(
            help="File with the credential: a compact JWT, a data: URL or an enveloped JSON "
            "object ('-' reads standard input)."
        ),
    ],
    offline: Annotated[
        Path,
        typer.Option(
            "--offline",
            help="Evidence bundle to decide from, with no network: the 'evidence' of a "
            "result verified with options.includeEvidence (or that whole result).",
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Decision time (RFC 3339, or 'now') instead of the bundle's verifiedAt.",
        ),
    ] = None,
    trust_anchor: Annotated[
        Path | None,
        typer.Option(
            help="Public JWK a signed trust list must verify with (default TRUSTID_TRUST_ANCHOR)."
        ),
    ] = None,
) -> None:
    """Verify a credential again from a saved evidence bundle; nothing is fetched.

    Prints the verification result as JSON; exits 0 when verified, 5 when not.

    Example: trustid-verifier verify cred.jwt --offline evidence.json
    """
    import anyio

    from vcore.clock import parse_datetime
    from verifier.app import load_anchor
    from verifier.resolution import EvidenceBundle
    from verifier.service import verify_credential_offline

    try:
        document = loads_strict(_read_input(offline))
        if isinstance(document, dict) and "evidence" in document and "type" not in document:
            document = document["evidence"]  # a whole result saved as it came
        bundle = EvidenceBundle.from_json(document)
        text = _read_input(credential).strip()
        value: object = loads_strict(text) if text.startswith("{") else text
        now = None
        if at == "now":
            now = system_clock()
        elif at is not None:
            now = parse_datetime(at)
        anchor_path = trust_anchor if trust_anchor is not None else _settings().trust_anchor
        anchor = load_anchor(anchor_path)
        report = anyio.run(lambda: verify_credential_offline(value, bundle, anchor=anchor, now=now))
    except TrustListError as exc:
        _fail(f"the bundle's trust list: {exc.detail}", EXIT_CONFIG)
    except TrustIDError as exc:
        _fail(f"{exc.detail} ({exc.code})", 2)
    _print_json(report.to_json())
    if not report.verified:
        raise typer.Exit(EXIT_NOT_VERIFIED)


@client_app.command("create")
def client_create(
    name: Annotated[str, typer.Argument(help="Agency name, e.g. 'City Housing Office'.")],
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute (default TRUSTID_VERIFIER_RATE_LIMIT).")
    ] = None,
    challenge_policy: Annotated[
        str,
        typer.Option(
            help="Who owns presentation challenges: 'server' (default: POST /challenges, "
            "single use) or 'caller' (the client's own, VC-API; it tracks single use).",
        ),
    ] = "server",
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"api_key": ...} as JSON.')
    ] = False,
) -> None:
    """Create an API client; its key is shown once and stored only hashed.

    Example: trustid-verifier client create "City Housing Office" --json
    """
    from verifier.challenges import ChallengePolicy
    from verifier.clients import ClientExistsError

    try:
        policy = ChallengePolicy(challenge_policy)
    except ValueError:
        _fail("--challenge-policy must be 'server' or 'caller'", 2)
    try:
        info, key = _registry(creates=True).create(
            name, rate_limit=rate_limit, challenge_policy=policy
        )
    except ValueError as exc:
        _fail(str(exc), 2)
    except ClientExistsError as exc:
        _fail(str(exc), EXIT_CONFLICT)
    if as_json:
        _print_json(
            {
                "client_id": info.id,
                "name": info.name,
                "api_key": key,
                "challenge_policy": info.challenge_policy.value,
            }
        )
    else:
        typer.echo(f"Client {info.name!r} created. API key (shown once, keep it secret):\n{key}")
        if info.challenge_policy.caller_owned:
            typer.echo(
                "Challenge policy: caller. This client generates and tracks its own "
                "challenges; the verifier does not enforce their single use."
            )


@client_app.command("list")
def client_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List API clients (never their keys)."""
    clients = _registry().list()
    if as_json:
        _print_json(
            [
                {
                    "client_id": c.id,
                    "name": c.name,
                    "rate_limit": c.rate_limit,
                    "created_at": c.created_at,
                    "challenge_policy": c.challenge_policy.value,
                }
                for c in clients
            ]
        )
        return
    if not clients:
        typer.echo("No clients: the verifier runs open (development only).")
    for c in clients:
        limit = f"{c.rate_limit}/min" if c.rate_limit else "default limit"
        policy = (
            f", {c.challenge_policy.value} challenges" if c.challenge_policy.caller_owned else ""
        )
        typer.echo(f"{c.id:>4}  {c.name}  ({limit}{policy}, created {c.created_at})")


@client_app.command("remove")
def client_remove(name: Annotated[str, typer.Argument(help="Client name.")]) -> None:
    """Remove a client; its key stops working immediately."""
    if not _registry().remove(name):
        _fail(f"no client named {name!r}", EXIT_CONFLICT)
    typer.echo(f"Client {name!r} removed.")


@trust_app.command("check")
def trust_check(
    as_json: Annotated[bool, typer.Option("--json", help="Print the parsed list as JSON.")] = False,
) -> None:
    """Load TRUSTID_TRUST_LIST (checking TRUSTID_TRUST_ANCHOR if set) and show it."""
    settings = _settings()
    if not settings.trust_list:
        _fail("TRUSTID_TRUST_LIST is not set", EXIT_CONFIG)
    trust = _load_trust_list(settings)
    if as_json:
        _print_json({**trust.to_json(), "signed": trust.signed})
        return
    typer.echo(f"{len(trust)} trusted issuer(s), {'signed' if trust.signed else 'unsigned'}:")
    if trust.sequence is not None or trust.valid_until is not None:
        until = "no end" if trust.valid_until is None else trust.valid_until.isoformat()
        typer.echo(f"sequence {trust.sequence}, valid until {until}")
    for entry in trust:
        typer.echo(f"- {entry.name}: {', '.join(sorted(entry.types))}\n  {entry.id}")


@trust_app.command("sign")
def trust_sign(
    source: Annotated[Path, typer.Argument(help="Trust list JSON file.")],
    key: Annotated[Path, typer.Option(help="The anchor's PRIVATE JWK file.")],
    valid_days: Annotated[
        int | None,
        typer.Option(
            min=1, max=3660, help="Set validUntil and exp this many days ahead (recommended)."
        ),
    ] = None,
    sequence: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="The list's sequence number: higher than the list it replaces (verifiers "
            "refuse a lower one as a replay).",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Sign a trust list as trustlist+jwt with the anchor key.

    Example: trustid-verifier trust-list sign trust.json --key anchor.jwk --sequence 7
    --valid-days 30 --out trust.jwt
    """
    from vcore.keys import private_key_from_jwk
    from vcore.trust_list import sign_trust_list

    try:
        document = loads_strict(source.read_bytes())
        private = private_key_from_jwk(loads_strict(key.read_bytes()))
        kid = private.public_key().thumbprint()
        token = sign_trust_list(
            document,
            private,
            kid=kid,
            now=system_clock(),
            valid_for=None if valid_days is None else timedelta(days=valid_days),
            sequence=sequence,
        )
    except TrustIDError as exc:
        _fail(exc.detail, EXIT_CONFIG)
    except OSError as exc:
        _fail(f"cannot read {exc.filename}: {exc.strerror}", EXIT_CONFIG)
    if out is None:
        typer.echo(token)
    else:
        out.write_text(token + "\n", encoding="ascii")
        typer.echo(f"signed trust list written to {out}")


@trust_app.command("keygen")
def trust_keygen(
    private_out: Annotated[Path, typer.Option(help="Where to write the PRIVATE JWK (0600).")],
    public_out: Annotated[Path, typer.Option(help="Where to write the public JWK.")],
    alg: Annotated[str, typer.Option(help="ES256 or EdDSA.")] = "ES256",
) -> None:
    """Generate a trust-anchor key pair (keep the private one offline)."""
    import os

    from vcore.keys import generate_key

    try:
        private = generate_key(alg)
    except TrustIDError as exc:
        _fail(exc.detail, 2)
    try:
        fd = os.open(private_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        _fail(f"cannot create {private_out}: {exc.strerror}", EXIT_CONFIG)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        json.dump(private.to_jwk(), handle)
    public_out.write_text(json.dumps(private.public_key().to_jwk()), encoding="ascii")
    typer.echo(f"anchor key written: private {private_out}, public {public_out}")


def main() -> None:
    """Console entry point; unexpected errors become one line, not a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last resort: one line, no traceback
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
