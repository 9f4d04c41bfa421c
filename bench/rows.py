"""The benchmark rows of issue 8's table, each against a baseline measured in this run."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.serve import command
from bench.world import SimulatedIssuer, prepare
from bench.wrk import have_wrk, post_script, run_wrk, wait_port

STACK = "service"
"""How the services run (uvicorn + httptools + uvloop + trustid_http.server guards)."""
_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    name: str
    title: str
    value: str
    baseline: str
    ratio: float | None
    must: str
    ok: bool | None
    note: str = ""

    def line(self) -> str:
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}"
        verdict = {True: "ok", False: "MISSED", None: "-"}[self.ok]
        return f"{self.value}  vs  {self.baseline}  ratio {ratio}  (must {self.must}: {verdict}) {self.note}"


@dataclass
class Row:
    name: str
    title: str
    run: Callable[[Context], Result]


@dataclass
class Context:
    seconds: float = 6.0
    quick: bool = False
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def batch_total(self) -> int:
        """Credentials in the batch-verify rows (10,000; 2,000 in quick mode)."""
        return 2000 if self.quick else 10_000

    def __enter__(self) -> Context:
        self._tmp = tempfile.TemporaryDirectory(prefix="trustid-bench-")
        self.dir = Path(self._tmp.name)
        self.issuer = prepare(self.dir)
        from verifier.clients import ClientRegistry
        from verifier.storage import make_engine

        engine = make_engine(f"sqlite:///{self.dir / 'verifier.db'}")
        _info, self.api_key = ClientRegistry(engine).create("bench", rate_limit=10**9)
        engine.dispose()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._tmp.cleanup()

    def memo(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @contextmanager
    def server(self, app: str, stack: str = STACK, port: int = 8461) -> Iterator[str]:
        env = {**os.environ, "BENCH_DIR": str(self.dir)}
        proc = subprocess.Popen(command(app, stack, port), env=env, cwd=_ROOT)
        try:
            wait_port(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)

    def bodies(self, n: int, *, schema: bool = False) -> list[dict[str, Any]]:
        key = f"bodies{n}{schema}"
        return self.memo(
            key,
            lambda: [
                {"verifiableCredential": self.issuer.credential(2 * i + 1, schema=schema)}
                for i in range(n)
            ],
        )

    def hello_rps(self) -> float:
        def measure() -> float:
            with self.server("hello") as url:
                run_wrk(url + "/", seconds=1, connections=16)
                return run_wrk(url + "/", seconds=self.seconds, connections=16).rps

        return float(self.memo("hello", measure))

    def raw_verify_rate(self) -> float:
        return float(self.memo("raw", lambda: raw_es256_rate(self.issuer)))

    def physical_limit(self) -> float:
        return 1.0 / (1.0 / self.hello_rps() + 1.0 / self.raw_verify_rate())

    def verify_rps(
        self, *, schema: bool = False, connections: int = 16, stack: str = STACK
    ) -> float:
        bodies = self.bodies(8000, schema=schema)
        with self.server("verifier", stack) as url:
            warm = post_script(self.dir, "/credentials/verify", bodies[:20], auth=self.api_key)
            run_wrk(url, seconds=1, connections=4, script=warm)
            script = post_script(self.dir, "/credentials/verify", bodies, auth=self.api_key)
            result = run_wrk(url, seconds=self.seconds, connections=connections, script=script)
        if result.non_2xx or result.errors:
            print(f"   warning: {result.non_2xx} non-2xx, {result.errors} socket errors")
        return result.rps


def raw_es256_rate(issuer: SimulatedIssuer, n: int = 4000) -> float:
    """``cryptography`` ES256 verifications per second of real tokens, one core."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from vcore.keys import b64url_decode

    token = issuer.credential(1)
    head, payload, sig = token.split(".")
    raw = b64url_decode(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = issuer.key.public_key().key
    assert isinstance(key, ec.EllipticCurvePublicKey)
    message = f"{head}.{payload}".encode("ascii")
    algorithm = ec.ECDSA(hashes.SHA256())
    started = time.process_time()
    for _ in range(n):
        key.verify(der, message, algorithm)
    return n / (time.process_time() - started)


def _need_wrk(name: str, title: str, must: str) -> Result | None:
    if have_wrk():
        return None
    return Result(name, title, "-", "-", None, must, None, "wrk is not installed")


def row_verify(ctx: Context) -> Result:
    title = "POST /credentials/verify, never-seen credentials, 1 worker"
    if (skip := _need_wrk("verify", title, ">= 0.6")) is not None:
        return skip
    rps = ctx.verify_rps()
    limit = ctx.physical_limit()
    ratio = rps / limit
    return Result(
        "verify",
        title,
        f"{rps:,.0f} req/s",
        f"limit {limit:,.0f}/s (hello {ctx.hello_rps():,.0f}/s, raw ES256 {ctx.raw_verify_rate():,.0f}/s)",
        ratio,
        ">= 0.6",
        ratio >= 0.6,
    )


def row_healthz(ctx: Context) -> Result:
    title = "verifier /healthz"
    if (skip := _need_wrk("healthz", title, ">= 0.8")) is not None:
        return skip
    with ctx.server("verifier") as url:
        run_wrk(url + "/healthz", seconds=1, connections=16)
        rps = run_wrk(url + "/healthz", seconds=ctx.seconds, connections=16).rps
    ratio = rps / ctx.hello_rps()
    return Result(
        "healthz",
        title,
        f"{rps:,.0f} req/s",
        f"hello {ctx.hello_rps():,.0f}/s",
        ratio,
        ">= 0.8",
        ratio >= 0.8,
    )


def row_stacks(ctx: Context) -> Result:
    title = "server stacks: verify req/s (hello req/s), ratio service/h11"
    if (skip := _need_wrk("stacks", title, "-")) is not None:
        return skip
    parts = []
    figures: dict[str, float] = {}
    for stack in ("uvicorn-h11", "uvicorn-fast", "service", "granian"):
        try:
            figures[stack] = ctx.verify_rps(stack=stack)
            with ctx.server("hello", stack) as url:
                hello = run_wrk(url + "/", seconds=ctx.seconds / 2, connections=16).rps
            parts.append(f"{stack} {figures[stack]:,.0f} ({hello:,.0f})")
        except (subprocess.CalledProcessError, RuntimeError, ValueError, AttributeError) as exc:
            parts.append(f"{stack} failed ({type(exc).__name__})")
    ratio = (
        figures.get("uvicorn-fast", 0) / figures["uvicorn-h11"]
        if figures.get("uvicorn-h11")
        else None
    )
    return Result("stacks", title, "; ".join(parts), "uvicorn h11+asyncio", ratio, "-", None)


def _service(ctx: Context) -> Any:
    import anyio  # noqa: F401

    from bench.world import TYPE, public_resolver
    from verifier.metrics import VerifierMetrics
    from verifier.resolution import (
        Fetcher,
        KeyResolver,
        SchemaResolver,
        StatusListResolver,
        TrustListSource,
        build_http_client,
    )
    from verifier.service import VerifierService
    from verifier.storage import make_engine

    trust = {"issuers": [{"id": ctx.issuer.did, "name": "Registry", "types": [TYPE]}]}
    (ctx.dir / "trust-lib.json").write_text(json.dumps(trust))
    client = build_http_client(frozenset(), transport=httpx.MockTransport(ctx.issuer.handle))
    fetcher = Fetcher(client, allow=frozenset(), resolver=public_resolver)
    source = TrustListSource(str(ctx.dir / "trust-lib.json"), anchor=None, fetcher=None)
    keys = KeyResolver(fetcher, source.current)
    return source, VerifierService(
        trust_source=source,
        keys=keys,
        status_lists=StatusListResolver(fetcher, keys, source.current, max_age=None),
        schemas=SchemaResolver(fetcher),
        engine=make_engine(f"sqlite:///{ctx.dir / 'lib.db'}"),
        metrics=VerifierMetrics(),
        audience="https://verifier.example",
    )


def library_batch_rate(ctx: Context) -> float:
    """TrustID's library (``VerifierService.verify_batch``) on 10,000 tokens, per second."""
    return float(ctx.memo("library_rate", lambda: _library_batch_rate(ctx)))


def _library_batch_rate(ctx: Context) -> float:
    import anyio

    tokens = [b["verifiableCredential"] for b in ctx.bodies(ctx.batch_total)]

    async def run() -> float:
        source, service = _service(ctx)
        await source.load()
        await service.verify_batch(tokens[:10])
        started = time.perf_counter()
        reports = await service.verify_batch(tokens)
        elapsed = time.perf_counter() - started
        assert all(r.verified for r in reports)
        return len(tokens) / elapsed

    return float(anyio.run(run))


def row_batch_library(ctx: Context) -> Result:
    rate = library_batch_rate(ctx)
    ratio = rate / ctx.raw_verify_rate()
    return Result(
        "batch_library",
        f"batch verify, {ctx.batch_total:,} credentials, library",
        f"{rate:,.0f} credentials/s",
        f"raw ES256 {ctx.raw_verify_rate():,.0f}/s",
        ratio,
        ">= 0.7",
        ratio >= 0.7,
    )


def row_scale(ctx: Context) -> Result:
    """Verify rate of an issuer's credentials with 1,000,000 issued against 10,000 issued."""
    from bench.bench_scale import scale_world

    big = 100_000 if ctx.quick else 1_000_000
    real = 1000 if ctx.quick else 2000
    rates: dict[int, list[tuple[float, float]]] = {10_000: [], big: []}
    with (
        scale_world(ctx.dir, 10_000, real) as (small, small_info),
        scale_world(ctx.dir, big, real) as (large, large_info),
    ):
        for _ in range(3):  # in turn: the machine's load moves between runs
            rates[10_000].append(small())
            rates[big].append(large())
    small_warm, big_warm = (max(r[1] for r in rates[n]) for n in (10_000, big))
    small_cold, big_cold = (max(r[0] for r in rates[n]) for n in (10_000, big))
    ratio = big_warm / small_warm
    return Result(
        "scale",
        f"verify rate with {big:,} credentials issued vs 10,000 issued",
        f"{big_warm:,.0f} credentials/s ({large_info['lists']:.0f} lists)",
        f"10,000 issued: {small_warm:,.0f}/s ({small_info['lists']:.0f} lists)",
        ratio,
        ">= 0.9",
        ratio >= 0.9,
        f"library, never-seen credentials, lists warm, best of 3 in turn (cold caches: "
        f"{big_cold:,.0f} vs {small_cold:,.0f}/s); {real:,} real credentials spread over "
        "the lists, the rest created at the storage level with the real allocator, not "
        "signed" + ("; quick mode: 100,000" if ctx.quick else ""),
    )


def row_batch_jose(ctx: Context) -> Result:
    """The same tokens through Node ``jose`` ``jwtVerify`` (bench/jose_verify.mjs)."""
    title = "batch verify, library, against Node jose jwtVerify of the same tokens"
    node_jose = _ROOT / "tests" / "node" / "node_modules" / "jose"
    if shutil.which("node") is None or not node_jose.is_dir():
        return Result("batch_jose", title, "-", "-", None, ">= 1.5x", None,
                      "node or tests/node/node_modules (npm ci) is absent")  # fmt: skip
    tokens = [b["verifiableCredential"] for b in ctx.bodies(ctx.batch_total)]
    source = ctx.dir / "jose-input.json"
    source.write_text(json.dumps({"jwk": ctx.issuer.key.public_key().to_jwk(), "tokens": tokens}))
    done = subprocess.run(
        ["node", str(_ROOT / "bench" / "jose_verify.mjs"), str(source)],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    answer = json.loads(done.stdout)
    if answer["verified"] != len(tokens):
        raise RuntimeError(f"jose verified {answer['verified']} of {len(tokens)}")
    jose_rate = float(answer["rate"])
    rate = library_batch_rate(ctx)
    ratio = rate / jose_rate
    return Result(
        "batch_jose",
        title,
        f"TrustID {rate:,.0f} credentials/s",
        f"jose {jose_rate:,.0f}/s",
        ratio,
        ">= 1.5x",
        ratio >= 1.5,
        "TrustID: signature, VCDM 2.0, trust list, both status lists; jose: signature and "
        "JWT time claims only",
    )


def _batch_http_rate(ctx: Context, url: str, size: int, total: int) -> float:
    tokens = [b["verifiableCredential"] for b in ctx.bodies(max(total, size))]
    headers = {"Authorization": f"Bearer {ctx.api_key}"}
    with httpx.Client(timeout=120) as http:
        http.post(url + "/credentials/verify/batch", json={"items": tokens[:size]}, headers=headers)
        started = time.perf_counter()
        done = 0
        while done < total:
            chunk = tokens[done : done + size]
            response = http.post(
                url + "/credentials/verify/batch", json={"items": chunk}, headers=headers
            )
            response.raise_for_status()
            done += len(chunk)
        return done / (time.perf_counter() - started)


def row_batch_http(ctx: Context) -> Result:
    with ctx.server("verifier") as url:
        rate = _batch_http_rate(ctx, url, 1000, ctx.batch_total)
        curve = [
            (float(size), _batch_http_rate(ctx, url, size, min(2000, size * 50)))
            for size in (1, 10, 100, 1000)
        ]
    ctx.series["verify rate against batch size (HTTP)"] = curve
    ratio = rate / ctx.raw_verify_rate()
    return Result(
        "batch_http",
        f"batch verify, {ctx.batch_total:,} credentials, HTTP (1,000 per call)",
        f"{rate:,.0f} credentials/s",
        f"raw ES256 {ctx.raw_verify_rate():,.0f}/s",
        ratio,
        ">= 0.7",
        ratio >= 0.7,
    )


def row_concurrency(ctx: Context) -> Result:
    title = "verify rate against concurrency (plot)"
    if (skip := _need_wrk("concurrency", title, "-")) is not None:
        return skip
    bodies = ctx.bodies(8000)
    curve = []
    with ctx.server("verifier") as url:
        script = post_script(ctx.dir, "/credentials/verify", bodies, auth=ctx.api_key)
        for connections in (1, 4, 16, 64):
            rps = run_wrk(url, seconds=ctx.seconds / 2, connections=connections, script=script).rps
            curve.append((float(connections), rps))
    ctx.series["verify rate against concurrency"] = curve
    text = ", ".join(f"{int(c)}: {r:,.0f}" for c, r in curve)
    return Result("concurrency", title, text, "-", None, "-", None)


def row_verify_own(ctx: Context) -> Result:
    title = "verify of the issuer's own credentials (schema + status)"
    if (skip := _need_wrk("verify_own", title, ">= 0.5")) is not None:
        return skip
    rps = ctx.verify_rps(schema=True)
    ratio = rps / ctx.physical_limit()
    return Result(
        "verify_own",
        title,
        f"{rps:,.0f} req/s",
        f"limit {ctx.physical_limit():,.0f}/s",
        ratio,
        ">= 0.5",
        ratio >= 0.5,
    )


def row_status_publish(ctx: Context) -> Result:
    from vcore.clock import format_datetime, system_clock
    from vcore.jose import sign
    from vcore.status import BitstringStatusList, build_status_list_credential

    size = 2**20
    bits = BitstringStatusList(size)
    # 1% revoked at random indexes (a regular stride would compress unrealistically well).
    bits.set_many(random.Random(8).sample(range(size), size // 100), 1)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        payload = build_status_list_credential(
            list_id="https://registry.example/status-lists/1",
            issuer=ctx.issuer.did,
            purpose="revocation",
            encoded_list=bits.encode(),
            valid_from=format_datetime(system_clock()),
            valid_until=None,
        )
        sign(payload, ctx.issuer.signer, typ="vc+jwt")
        times.append(time.perf_counter() - started)
    best = min(times) * 1000
    issuer_ms = _issuer_publish_ms(ctx, size)
    worst = max(best, issuer_ms)
    return Result(
        "status_publish",
        "publish a 2^20-entry status list (encode, compress, sign)",
        f"{issuer_ms:.1f} ms from the issuer's database; {best:.1f} ms in vcore alone",
        "-",
        None,
        "<= 50 ms",
        worst <= 50,
        "issuer: StatusService.published after a change, 10,485 of 2^20 bits set at random "
        "(SQLite); was 72 ms before `set_many`",
    )


def _issuer_publish_ms(ctx: Context, size: int) -> float:
    """Re-sign a 2^20-entry list from the issuer's tables (1% set), best of 9."""
    import secrets

    from sqlalchemy import insert, select, update

    from issuer.service import open_services
    from issuer.settings import IssuerSettings
    from issuer.storage.tables import ApiKey, CredentialRecord, StatusEntry, StatusList
    from vcore.keys import b64url_encode

    settings = IssuerSettings(
        data_dir=ctx.dir / "publish-issuer",
        master_key=b64url_encode(secrets.token_bytes(32)),
        issuer_url="https://publish.example",
        status_list_size=size,
    )
    services = open_services(settings)
    try:
        created = services.agencies.create("Publish Office", [_RESIDENT])
        now = services.ctx.clock()
        with services.ctx.sessions() as session, session.begin():
            list_id = session.scalars(
                select(StatusList.id).where(StatusList.purpose == "revocation")
            ).one()
            api_key_id = session.scalars(
                select(ApiKey.id).where(ApiKey.agency_id == created.agency_id)
            ).one()
            ids = [f"urn:uuid:{secrets.token_hex(16)}" for _ in range(size // 100)]
            session.execute(
                insert(CredentialRecord),
                [
                    {"id": cid, "type_name": _RESIDENT, "agency_id": created.agency_id,
                     "api_key_id": api_key_id, "holder_did": "did:key:z", "format": "vc+jwt",
                     "kid": "k", "valid_from": now, "valid_until": now, "created_at": now}
                    for cid in ids
                ],
            )  # fmt: skip
            session.execute(
                insert(StatusEntry),
                [
                    {"list_id": list_id, "idx": idx, "credential_id": cid,
                     "purpose": "revocation", "status": 1, "updated_at": now}
                    for idx, cid in zip(
                        random.Random(9).sample(range(size), len(ids)), ids, strict=True
                    )
                ],
            )  # fmt: skip
        times = []
        for _ in range(9):
            with services.ctx.sessions() as session, session.begin():
                session.execute(
                    update(StatusList)
                    .where(StatusList.id == list_id)
                    .values(version=StatusList.version + 1)
                )
            started = time.perf_counter()
            services.status.published(list_id)
            times.append(time.perf_counter() - started)
    finally:
        services.close()
    return min(times) * 1000


def row_rss(ctx: Context) -> Result:
    """Verifier RSS after verifying one credential on each of the lists for 10M credentials."""
    lists = -(-10_000_000 // 131_072)
    with ctx.server("verifier") as url:
        headers = {"Authorization": f"Bearer {ctx.api_key}"}
        with httpx.Client(timeout=60) as http:
            tokens = [ctx.issuer.credential(5, list_number=n) for n in range(lists)]
            for start in range(0, lists, 40):
                r = http.post(
                    url + "/credentials/verify/batch",
                    json={"items": tokens[start : start + 40]},
                    headers=headers,
                )
                r.raise_for_status()
                assert all(x["verified"] for x in r.json()["results"]), r.text[:300]
            pid = _listening_pid(url)
            rss = _rss_mb(pid)
    return Result(
        "rss",
        f"verifier RSS holding status lists for 10,000,000 credentials ({lists} x 2 lists)",
        f"{rss:.0f} MB",
        "-",
        None,
        "<= 100 MB",
        rss <= 100,
    )


def _listening_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    out = subprocess.run(
        ["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True
    ).stdout
    return int(out.split("pid=")[1].split(",")[0])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


_BARE_TYPER = """
import typer
app = typer.Typer(rich_markup_mode="markdown", add_completion=False)
@app.command()
def one(x: int = 1) -> None:
    "A command."
@app.command()
def two() -> None:
    "Another."
app()
"""


def _best_run(args: list[str], env: dict[str, str] | None = None, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True, cwd=_ROOT, env=env)
        times.append(time.perf_counter() - started)
    return min(times)


def row_wallet_help(ctx: Context) -> Result:
    best = _best_run(["-m", "wallet_cli.cli", "--help"])
    bare = _best_run(["-c", _BARE_TYPER, "--help"])
    return Result(
        "wallet_help",
        "trustid-wallet --help",
        f"{best:.2f} s",
        f"a bare two-command typer app --help {bare:.2f} s",
        best / bare,
        "<= 0.25 s",
        best <= 0.25,
        "was 0.91 s (the CLI imported every format, cryptography and QR before parsing)",
    )


def row_wallet_list(ctx: Context) -> Result:
    """`trustid-wallet list` of a vault holding 1,000 credentials, DESIGN KDF profile."""
    from vcore.clock import format_datetime, system_clock
    from wallet_cli.records import CredentialRecord
    from wallet_cli.store import Vault

    home = ctx.dir / "wallet"
    passphrase = "bench passphrase"
    env = {**os.environ, "TRUSTID_WALLET_HOME": str(home), "TRUSTID_WALLET_PASSPHRASE": passphrase}
    env.pop("TRUSTID_WALLET_TEST_KDF", None)
    subprocess.run([sys.executable, "-m", "wallet_cli.cli", "init"], env=env, check=True,
                   capture_output=True, cwd=_ROOT)  # fmt: skip
    # Straight into the vault: receiving 1,000 credentials would verify each, online.
    received = format_datetime(system_clock())
    with Vault(home, passphrase, allow_test_kdf=False).edit() as contents:
        for n in range(1000):
            token = ctx.issuer.credential(3 * n + 2)
            contents.add(CredentialRecord(id=f"bench-{n}", token=token, received_at=received))
    # The KDF in a fresh process, as `list` pays it (interpreter start-up and the first
    # touch of 256 MiB included), so the difference is what `list` itself adds.
    kdf = _best_run(["-c", _KDF_ONLY.format(passphrase=passphrase)], env)
    listing = _best_run(["-m", "wallet_cli.cli", "list"], env)
    over = listing - kdf
    return Result(
        "wallet_list",
        "trustid-wallet list with 1,000 credentials, minus the vault's KDF",
        f"{listing:.2f} s = KDF + {over:.2f} s",
        f"KDF (Argon2id 256 MiB, t=3) in a fresh process {kdf:.2f} s",
        None,
        "<= KDF + 0.3 s",
        over <= 0.3,
        "credentials written into the vault directly (not received one by one)",
    )


_KDF_ONLY = """
from wallet_cli.store import DEFAULT_KDF, VAULT_MAGIC, SealingKey
SealingKey.derive({passphrase!r}, magic=VAULT_MAGIC, params=DEFAULT_KDF)
"""


ROWS: list[Row] = [
    Row("verify", "POST /credentials/verify, never-seen, 1 worker", row_verify),
    Row("healthz", "verifier /healthz", row_healthz),
    Row("verify_own", "verify of own credentials (schema + status)", row_verify_own),
    Row("batch_library", "batch verify 10,000, library", row_batch_library),
    Row("batch_http", "batch verify 10,000, HTTP", row_batch_http),
    Row("batch_jose", "batch verify, library, against Node jose", row_batch_jose),
    Row("scale", "verify rate, 1,000,000 issued vs 10,000", row_scale),
    Row("concurrency", "verify rate against concurrency", row_concurrency),
    Row("status_publish", "publish a 2^20-entry status list", row_status_publish),
    Row("rss", "verifier RSS for 10M credentials' lists", row_rss),
    Row("wallet_help", "trustid-wallet --help", row_wallet_help),
    Row("wallet_list", "trustid-wallet list with 1,000 credentials", row_wallet_list),
    Row("stacks", "server stacks compared", row_stacks),
]


# --------------------------------------------------------------------------- issuer rows

_RESIDENT = "ResidentIdentityCredential"


def _issue_bodies(n: int) -> list[dict[str, Any]]:
    from issuer.credential_types import load_types
    from vcore.dids import did_key_for
    from vcore.keys import generate_key

    example = load_types()[_RESIDENT].examples[0]
    return [
        {
            "credential": {
                "type": ["VerifiableCredential", _RESIDENT],
                "credentialSubject": {"id": did_key_for(generate_key().public_key()), **example},
            }
        }
        for _ in range(n)
    ]


@contextmanager
def issuer_server(ctx: Context, port: int = 8471) -> Iterator[tuple[str, str]]:
    """A real issuer (``python -m issuer.cli serve``) on SQLite, or on a fresh PostgreSQL
    database under ``BENCH_ISSUER_DATABASE_URL``; yields (url, agency key)."""
    data = ctx.dir / f"issuer-{port}"
    env = {
        **os.environ,
        "TRUSTID_DATA_DIR": str(data),
        "TRUSTID_ISSUER_URL": f"http://127.0.0.1:{port}",
        "TRUSTID_DATABASE_URL": (database := _fresh_database(port)),
        "TRUSTID_MASTER_KEY": "",
    }
    cmd = [
        sys.executable,
        "-m",
        "issuer.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=_ROOT, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, 60)
        made = subprocess.run(
            [sys.executable, "-m", "issuer.cli", "agency", "create", "Bench Office", "--types", _RESIDENT, "--json"],
            env=env, cwd=_ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        yield f"http://127.0.0.1:{port}", json.loads(made.stdout)["api_key"]
    finally:
        proc.terminate()
        proc.wait(10)
        if database:
            _drop_database(database)


def _drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    base = os.environ["BENCH_ISSUER_DATABASE_URL"]
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
    engine.dispose()


def _fresh_database(port: int) -> str:
    """A new PostgreSQL database per issuer server under BENCH_ISSUER_DATABASE_URL
    (rows must not see each other's credentials); "" (SQLite) without it."""
    base = os.environ.get("BENCH_ISSUER_DATABASE_URL", "")
    if not base:
        return ""
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"trustid_bench_{port}_{secrets.token_hex(4)}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def raw_es256_sign_rate(n: int = 2000) -> float:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    message = b"x" * 900
    algorithm = ec.ECDSA(hashes.SHA256())
    started = time.process_time()
    for _ in range(n):
        key.sign(message, algorithm)
    return n / (time.process_time() - started)


def row_issue(ctx: Context) -> Result:
    title = (
        f"POST /credentials/issue ({_engine_name()}) against own /healthz; p99 at 16 vs p50 at 1"
    )
    must = 0.4 if _engine_name() == "PostgreSQL" else 0.5
    if (skip := _need_wrk("issue", title, f">= {must}")) is not None:
        return skip
    bodies = _issue_bodies(6000)
    with issuer_server(ctx) as (url, key):
        run_wrk(url + "/healthz", seconds=1, connections=16)
        health = run_wrk(url + "/healthz", seconds=ctx.seconds, connections=16).rps
        one = post_script(ctx.dir, "/credentials/issue", bodies[:3000], auth=key)
        single = run_wrk(url, seconds=ctx.seconds / 2, connections=1, script=one)
        many = post_script(ctx.dir, "/credentials/issue", bodies[3000:], auth=key)
        loaded = run_wrk(url, seconds=ctx.seconds, connections=16, script=many)
    ratio = loaded.rps / health
    tail = loaded.p99_ms / single.p50_ms
    ctx.memo("issue_tail", lambda: (tail, loaded.p99_ms, single.p50_ms))
    return Result(
        "issue",
        title,
        f"{loaded.rps:,.0f} req/s; p99 at 16: {loaded.p99_ms:.0f} ms = {tail:.1f}x p50 at 1 ({single.p50_ms:.1f} ms)",
        f"/healthz {health:,.0f}/s",
        ratio,
        f">= {must}, p99 <= 5x",
        ratio >= must and tail <= 5,
        f"{loaded.non_2xx} non-2xx" if loaded.non_2xx else "",
    )


def _post_batches(url: str, key: str, bodies: list[dict[str, Any]], size: int) -> float:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=300) as http:
        started = time.perf_counter()
        for start in range(0, len(bodies), size):
            chunk = bodies[start : start + size]
            answer = http.post(
                url + "/credentials/issue/batch", json={"items": chunk}, headers=headers
            )
            answer.raise_for_status()
            statuses = {r["status"] for r in answer.json()["results"]}
            assert statuses == {201}, statuses
        return len(bodies) / (time.perf_counter() - started)


def row_bulk_issue(ctx: Context) -> Result:
    sign_rate = raw_es256_sign_rate()
    curve = []
    engine = _engine_name()
    total = 2000 if ctx.quick else 10_000
    with issuer_server(ctx, 8472) as (url, key):
        for size in (1, 10, 100):
            curve.append(
                (float(size), _post_batches(url, key, _issue_bodies(min(2000, size * 20)), size))
            )
        curve.append((1000.0, _post_batches(url, key, _issue_bodies(total), 1000)))
    ctx.series[f"issuance rate against batch size (HTTP, {engine})"] = curve
    rate = curve[-1][1]
    ratio = rate / sign_rate
    return Result(
        "bulk_issue",
        f"bulk issuance, 1,000 per call ({engine})",
        f"{rate:,.0f} credentials/s ({total:,} issued)",
        f"raw ES256 signatures {sign_rate:,.0f}/s",
        ratio,
        ">= 0.1",
        ratio >= 0.1,
        "" if engine == "PostgreSQL" else "PostgreSQL: set BENCH_ISSUER_DATABASE_URL",
    )


def _engine_name() -> str:
    return "PostgreSQL" if os.environ.get("BENCH_ISSUER_DATABASE_URL") else "SQLite"


def row_bulk_revoke(ctx: Context) -> Result:
    count = int(os.environ.get("BENCH_REVOKE_COUNT", "10000" if ctx.quick else "100000"))
    with issuer_server(ctx, 8473) as (url, key):
        _post_batches(url, key, _issue_bodies(count), 1000)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(timeout=600) as http:
            started = time.perf_counter()
            answer = http.post(
                url + "/credentials/status/batch",
                json={"type": _RESIDENT, "statusPurpose": "revocation", "reason": "bench"},
                headers=headers,
            )
            elapsed = time.perf_counter() - started
            answer.raise_for_status()
            changed = answer.json()["changed"]
    per_100k = elapsed * 100_000 / max(changed, 1)
    return Result(
        "bulk_revoke",
        f"bulk revocation ({changed:,} credentials; scaled to 100,000)",
        f"{elapsed:.2f} s ({per_100k:.1f} s per 100,000)",
        "-",
        None,
        "<= 10 s",
        per_100k <= 10,
        f"{_engine_name()}; "
        + (
            "" if count >= 100_000 else "linear scaling; BENCH_REVOKE_COUNT=100000 for the full run"
        ),
    )


ROWS += [
    Row("issue", "POST /credentials/issue", row_issue),
    Row("bulk_issue", "bulk issuance", row_bulk_issue),
    Row("bulk_revoke", "bulk revocation", row_bulk_revoke),
]


# ----------------------------------------------------------------------------- attack row


def _hostile_png() -> bytes:
    import io

    from PIL import Image

    noise = os.urandom(4000 * 4000 // 8)
    image = Image.frombytes("1", (4000, 4000), noise)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def row_attack(ctx: Context) -> Result:
    import socket
    import threading

    title = "honest verify under a QR-image flood and a slowloris, vs without"
    if (skip := _need_wrk("attack", title, ">= 0.5, p99 <= 1 s")) is not None:
        return skip
    bodies = ctx.bodies(8000)
    image = _hostile_png()
    with ctx.server("verifier", port=8481) as url:
        script = post_script(ctx.dir, "/credentials/verify", bodies, auth=ctx.api_key)
        run_wrk(url, seconds=1, connections=8, script=script)
        calm = run_wrk(url, seconds=ctx.seconds, connections=8, script=script)
        stop = threading.Event()
        qr_answers: dict[int, int] = {}

        def flood() -> None:
            with httpx.Client(timeout=30) as http:
                while not stop.is_set():
                    try:
                        answer = http.post(
                            url + "/verify/qr",
                            files={"file": ("x.png", image, "image/png")},
                            headers={"Authorization": f"Bearer {ctx.api_key}"},
                        )
                        qr_answers[answer.status_code] = qr_answers.get(answer.status_code, 0) + 1
                    except httpx.HTTPError:
                        pass

        def slowloris() -> None:
            port = int(url.rsplit(":", 1)[1])
            held: list[socket.socket] = []
            while not stop.is_set():
                while len(held) < 300:
                    try:
                        conn = socket.create_connection(("127.0.0.1", port), timeout=1)
                        conn.sendall(b"POST /credentials/verify HTTP/1.1\r\nHost: x\r\n")
                        held.append(conn)
                    except OSError:
                        break
                for conn in list(held):
                    try:
                        conn.sendall(b"X-a: b\r\n")
                    except OSError:
                        held.remove(conn)
                        conn.close()
                stop.wait(1.0)
            for conn in held:
                conn.close()

        attackers = [threading.Thread(target=flood, daemon=True) for _ in range(6)]
        attackers.append(threading.Thread(target=slowloris, daemon=True))
        for thread in attackers:
            thread.start()
        time.sleep(2)
        attacked = run_wrk(url, seconds=ctx.seconds, connections=8, script=script)
        stop.set()
        for thread in attackers:
            thread.join(30)
    ratio = attacked.rps / calm.rps
    ok = ratio >= 0.5 and attacked.p99_ms <= 1000
    return Result(
        "attack",
        title,
        f"{attacked.rps:,.0f} req/s, p99 {attacked.p99_ms:.0f} ms (QR answers {dict(sorted(qr_answers.items()))})",
        f"without: {calm.rps:,.0f} req/s, p99 {calm.p99_ms:.0f} ms",
        ratio,
        ">= 0.5, p99 <= 1 s",
        ok,
    )


ROWS.append(Row("attack", "honest verify under attack", row_attack))
