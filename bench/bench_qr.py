"""QR benchmark: sizes of the text forms, and image decode time against a PIL-load baseline.

Run: .venv/bin/python bench/bench_qr.py

Prints, side by side in one run:

* plain vs TID1 compact text for a realistic credential and a presentation of it: length,
  QR version (ECC M, else L), and the module count a camera has to resolve;
* decode_qr_image() on a clean PNG, a clean JPEG, a phone-photo stand-in (12 Mpx JPEG)
  and a 12 Mpx photo without a code (the worst case: every fallback runs), each as a
  ratio to merely loading the same image with PIL.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import qrcode
import qrcode.constants
from PIL import Image, ImageFilter

from vcore.credentials import build_credential
from vcore.dids import did_key_for
from vcore.errors import NoQRFoundError
from vcore.formats import build_presentation, sign_credential
from vcore.keys import generate_key
from vcore.qr import best_plan, encode_qr_text
from vcore.signing import SoftwareSigner
from vcore.status import build_status_entry
from verifier.qr_image import decode_qr_image

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
ISSUER = "did:web:registry.city.gov.example"


def _tokens() -> tuple[str, str]:
    issuer_key, holder_key = generate_key(), generate_key()
    holder = did_key_for(holder_key.public_key())
    credential = build_credential(
        issuer=ISSUER,
        credential_type="ResidentIdentityCredential",
        subject={
            "givenName": "Mei",
            "familyName": "Zhang",
            "birthDate": "1990-04-12",
            "residentNumber": "110101199004120021",
            "address": {"locality": "Dongcheng", "region": "Beijing", "country": "CN"},
        },
        holder=holder,
        credential_id="urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
        valid_from=NOW,
        valid_until=NOW + timedelta(days=3650),
        status=[
            build_status_entry(
                list_url="https://registry.city.gov.example/status-lists/3",
                index=94567,
                purpose="revocation",
            )
        ],
        schema={
            "id": "https://registry.city.gov.example/schemas/ResidentIdentityCredential",
            "type": "JsonSchema",
        },
    )
    token = sign_credential(
        credential, SoftwareSigner(issuer_key, f"{ISSUER}#{issuer_key.public_key().thumbprint()}")
    )
    vp = build_presentation(
        [token],
        holder_key,
        holder,
        audience="https://verifier.city.gov.example",
        nonce="n-0S6_WzA2Mj",
        now=NOW,
    )
    return token, vp


def _sizes(token: str, vp: str) -> None:
    print(f"{'payload':<14}{'form':<9}{'chars':>7}  {'QR':<10}{'modules':>8}")
    for name, value in (("credential", token), ("presentation", vp)):
        for form, text in (("plain", value), ("TID1", encode_qr_text(value, compact=True))):
            plan = best_plan(text)
            where = f"{plan.version}-{plan.ecc}" if plan.fits else "no fit"
            modules = f"{(17 + 4 * plan.version) ** 2:,}" if plan.version else "-"
            print(f"{name:<14}{form:<9}{len(text):>7,}  {where:<10}{modules:>8}")


def _qr(text: str, box: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def _encode(image: Image.Image, fmt: str, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return out.getvalue()


def _photo(qr: Image.Image | None, seed: int = 5) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = 4000, 3000
    ramp = np.linspace(70, 190, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    scene = Image.fromarray(
        np.clip(ramp + rng.normal(0, 10, (height, width)), 0, 255).astype(np.uint8)
    )
    if qr is not None:
        printed = qr.resize((qr.width * 3, qr.height * 3), Image.Resampling.BICUBIC)
        printed = printed.point(lambda v: 50 + v * 0.7).rotate(
            9, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=150
        )
        scene.paste(printed.filter(ImageFilter.GaussianBlur(1.2)), (1200, 700))
    return scene


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _load(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def _decode_or_none(data: bytes) -> None:
    with contextlib.suppress(NoQRFoundError):
        decode_qr_image(data)


def _timings(token: str) -> None:
    clean = _qr(token, 4)
    cases = {
        "clean PNG": _encode(clean, "PNG"),
        "clean JPEG": _encode(clean, "JPEG"),
        "photo 12 Mpx": _encode(_photo(clean), "JPEG", 80),
        "no code 12 Mpx": _encode(_photo(None), "JPEG", 80),
    }
    print(f"\n{'image':<16}{'bytes':>11}{'PIL load':>11}{'decode':>10}{'ratio':>8}")
    for name, data in cases.items():
        runs = 3 if "Mpx" in name else 15
        base = _median_ms(lambda data=data: _load(data), runs)  # type: ignore[misc]
        full = _median_ms(lambda data=data: _decode_or_none(data), runs)  # type: ignore[misc]
        print(f"{name:<16}{len(data):>11,}{base:>9.1f}ms{full:>8.1f}ms{full / base:>7.1f}x")


def main() -> None:
    token, vp = _tokens()
    _sizes(token, vp)
    _timings(token)


if __name__ == "__main__":
    main()
