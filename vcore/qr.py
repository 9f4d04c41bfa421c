"""QR payloads: token <-> QR text (plain and compact), and QR version planning.

Two text forms go into a QR code:

* **plain**: the compact JWS itself. Any scanner reads it, a USB scanner types it, and
  every verifier understands it. QR byte mode, 8 bits per character.
* **compact** (``TID1:``): ``"TID1:" + base45(zlib(header || 0x00 || payload || 0x00 ||
  signature))`` where header and payload are the *decoded* JSON of the JWS segments and
  signature the raw signature bytes, deflated with the frozen preset dictionary
  :data:`COMPACT_DICTIONARY`. Base45 (RFC 9285) uses exactly the QR alphanumeric alphabet,
  5.5 bits per character instead of 8. Dropping the base64url layer before deflate lets
  zlib see the repetitive JSON, and the dictionary primes it with the vocabulary every
  TrustID token shares. Measured (bench/bench_qr.py): a realistic resident credential
  drops from QR version 32-M to 16-M (18-M with a did:jwk holder); a ``vp+jwt`` wrapping
  it, 39-L plain (none with a did:jwk holder), needs 26-M (29-M).
  The mapping is lossless because :func:`vcore.keys.b64url_decode` only accepts canonical
  base64url, so re-encoding yields the exact signed bytes. A decoder of this form needs
  the dictionary byte for byte: any change to it is a new prefix (``TID2:``), never an
  edit.

Decoding also accepts the VC 2.0 envelopes (``data:application/vc+jwt,<JWS>``,
``data:application/vp+jwt,<JWS>`` and the JSON ``Enveloped...`` objects, VC Data Model
2.0 §4.13) and refuses everything else with :class:`~vcore.errors.QRError`. Limits
(DESIGN §4): QR text <= 4,296 characters (the most any QR code holds), inflated payload
<= 64 KiB, enforced while inflating so a zlib bomb costs nothing.

Planning uses the ISO/IEC 18004:2015 Table 7 capacities (versions 1-40, ECC L/M/Q/H) so a
wallet can say "needs QR version 32 at ECC M" before it renders anything.

Nothing here has been signature-checked: :func:`classify_token` reads the header only to
route the token to credential or presentation verification.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Literal, get_args

from vcore.errors import MalformedError, QRError, QRTooLargeError
from vcore.formats.registry import CREDENTIAL_FORMATS, PRESENTATION_FORMATS
from vcore.jsontext import loads_strict
from vcore.keys import b64url_decode, b64url_encode

__all__ = [
    "ALPHANUMERIC_CAPACITY",
    "BASE45_ALPHABET",
    "BYTE_CAPACITY",
    "COMPACT_DICTIONARY",
    "COMPACT_PREFIX",
    "ECC_LEVELS",
    "MAX_INFLATED",
    "MAX_QR_TEXT",
    "MAX_TOKEN_CHARS",
    "ECCLevel",
    "QRMode",
    "QRPlan",
    "TokenKind",
    "base45_decode",
    "base45_encode",
    "best_plan",
    "classify_token",
    "decode_qr_text",
    "encode_qr_text",
    "plan_qr",
]

ECCLevel = Literal["L", "M", "Q", "H"]
QRMode = Literal["byte", "alphanumeric"]
TokenKind = Literal["credential", "presentation"]

ECC_LEVELS: tuple[ECCLevel, ...] = get_args(ECCLevel)

COMPACT_PREFIX = "TID1:"
# DESIGN §4. 4,296 is the alphanumeric capacity of version 40-L: no QR code holds more.
MAX_QR_TEXT = 4296
MAX_INFLATED = 64 * 1024
# A presentation may be 64 KiB compact (DESIGN §4); nothing larger is a token we accept.
MAX_TOKEN_CHARS = 64 * 1024

# RFC 9285 §4: the 45 characters of the QR alphanumeric mode (ISO/IEC 18004 §7.4.4).
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUES = {c: i for i, c in enumerate(BASE45_ALPHABET)}
_B64URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_SEPARATOR = b"\x00"  # never occurs in JSON text (RFC 8259 §7: control characters escaped)

# Preset deflate dictionary of the TID1 form (RFC 1950 FDICT). FROZEN: the bytes are part
# of the format; a test pins their Adler-32. Deflate finds matches anywhere in the 32 KiB
# window, and nearer ones cost fewer extra bits, so the most common strings come last.
COMPACT_DICTIONARY = "".join(
    (
        '"iss":"did:web:","sub":"did:key:zDn","jti":"urn:uuid:","nbf":,"iat":,"exp":,'
        '"vc":{"@context":["https://www.w3.org/2018/credentials/v1"],"typ":"JWT"}',
        '"givenName":"","familyName":"","name":"","birthDate":"","address":{"',
        '"statusSize":1,"statusMessage":[{"status":"0x0","message":"',
        "eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6",
        "eyJrdHkiOiJFQyIsImNydiI6IlAtMjU2IiwieCI6",
        "eyJhbGciOiJFZERTQSIsImN0eSI6InZjIiwia2lkIjoiZGlkOndl",
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImRpZDp3ZWI6",
        "eyJAY29udGV4dCI6WyJodHRwczovL3d3dy53My5vcmcvbnMvY3JlZGVudGlhbHMvdjIiXSwiaWQiOiJ1cm46dXVp",
        "eyJhbGciOiJFUzI1NiIsImN0eSI6InZjIiwia2lkIjoiZGlkOndl",
        '{"alg":"EdDSA","kid":"did:key:z6Mk","typ":"vp+jwt"}',
        '{"alg":"ES256","kid":"did:jwk:eyJrdHkiOiJFQyIsImNydiI6IlAtMjU2IiwieCI6I#0","typ":"vp+jwt"}',
        '{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],'
        '"holder":"did:key:zDn","verifiableCredential":[{"@context":'
        '["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential",'
        '"id":"data:application/vc+jwt,"}],"nonce":"","aud":"https://","iat":',
        '{"alg":"EdDSA","cty":"vc","kid":"did:web:',
        '"credentialSchema":{"id":"https://","type":"JsonSchema"}}',
        '"credentialStatus":{"id":"https://","type":"BitstringStatusListEntry",'
        '"statusPurpose":"revocation","statusListIndex":"","statusListCredential":"https://',
        "/status-lists/",
        '"credentialSubject":{"id":"did:jwk:eyJrdHkiOiJFQyIsImNydiI6IlAtMjU2IiwieCI6I',
        '"credentialSubject":{"id":"did:key:zDn',
        '"issuer":"did:web:","validFrom":"20","validUntil":"20',
        '{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:uuid:",'
        '"type":["VerifiableCredential","IdentityCredential"],',
        '{"alg":"ES256","cty":"vc","kid":"did:web:","typ":"vc+jwt"}',
    )
).encode("utf-8")

# ISO/IEC 18004:2015 Table 7, data capacity in characters for versions 1..40.
BYTE_CAPACITY: dict[ECCLevel, tuple[int, ...]] = {
    "L": (17, 32, 53, 78, 106, 134, 154, 192, 230, 271, 321, 367, 425, 458, 520, 586, 644,
          718, 792, 858, 929, 1003, 1091, 1171, 1273, 1367, 1465, 1528, 1628, 1732, 1840,
          1952, 2068, 2188, 2303, 2431, 2563, 2699, 2809, 2953),
    "M": (14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504,
          560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538,
          1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331),
    "Q": (11, 20, 32, 46, 60, 74, 86, 108, 130, 151, 177, 203, 241, 258, 292, 322, 364,
          394, 442, 482, 509, 565, 611, 661, 715, 751, 805, 868, 908, 982, 1030, 1112, 1168,
          1228, 1283, 1351, 1423, 1499, 1579, 1663),
    "H": (7, 14, 24, 34, 44, 58, 64, 84, 98, 119, 137, 155, 177, 194, 220, 250, 280, 310,
          338, 382, 403, 439, 461, 511, 535, 593, 625, 658, 698, 742, 790, 842, 898, 958,
          983, 1051, 1093, 1139, 1219, 1273),
}  # fmt: skip
ALPHANUMERIC_CAPACITY: dict[ECCLevel, tuple[int, ...]] = {
    "L": (25, 47, 77, 114, 154, 195, 224, 279, 335, 395, 468, 535, 619, 667, 758, 854, 938,
          1046, 1153, 1249, 1352, 1460, 1588, 1704, 1853, 1990, 2132, 2223, 2369, 2520, 2677,
          2840, 3009, 3183, 3351, 3537, 3729, 3927, 4087, 4296),
    "M": (20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483, 528, 600, 656, 734,
          816, 909, 970, 1035, 1134, 1248, 1326, 1451, 1542, 1637, 1732, 1839, 1994, 2113,
          2238, 2369, 2506, 2632, 2780, 2894, 3054, 3220, 3391),
    "Q": (16, 29, 47, 67, 87, 108, 125, 157, 189, 221, 259, 296, 352, 376, 426, 470, 531,
          574, 644, 702, 742, 823, 890, 963, 1041, 1094, 1172, 1263, 1322, 1429, 1499, 1618,
          1700, 1787, 1867, 1966, 2071, 2181, 2298, 2420),
    "H": (10, 20, 35, 50, 64, 84, 93, 122, 143, 174, 200, 227, 259, 283, 321, 365, 408, 452,
          493, 557, 587, 640, 672, 744, 779, 864, 910, 958, 1016, 1080, 1150, 1226, 1307,
          1394, 1431, 1530, 1591, 1658, 1774, 1852),
}  # fmt: skip

_ENVELOPES: dict[str, TokenKind] = {
    "application/vc+jwt": "credential",
    "application/vp+jwt": "presentation",
    "application/dc+sd-jwt": "credential",
    "application/vc+sd-jwt": "credential",
}
_ENVELOPE_TYPES: dict[str, TokenKind] = {
    "EnvelopedVerifiableCredential": "credential",
    "EnvelopedVerifiablePresentation": "presentation",
}


# -- base45 (RFC 9285) -----------------------------------------------------------------


def base45_encode(data: bytes) -> str:
    """Encode bytes as base45 (RFC 9285 §4): two bytes -> three characters, little end first."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        value = data[i] * 256 + data[i + 1]
        value, c = divmod(value, 45)
        e, d = divmod(value, 45)
        out += (BASE45_ALPHABET[c], BASE45_ALPHABET[d], BASE45_ALPHABET[e])
    if len(data) % 2:
        e, c = divmod(data[-1], 45)
        out += (BASE45_ALPHABET[c], BASE45_ALPHABET[e])
    return "".join(out)


def base45_decode(text: str) -> bytes:
    """Decode base45 (RFC 9285 §4.2), refusing every non-canonical input.

    Raises:
        QRError: a character outside the alphabet (lower case included), a length of the
            form 3n+1, or a group whose value exceeds 65535 (two characters: 255), which
            RFC 9285 §6 requires decoders to reject.
    """
    if len(text) % 3 == 1:
        raise QRError("compact QR text has an impossible length (base45)")
    try:
        values = [_BASE45_VALUES[c] for c in text]
    except KeyError as exc:
        raise QRError("compact QR text contains a character outside base45") from exc
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        if len(group) == 3:
            value = group[0] + group[1] * 45 + group[2] * 2025
            if value > 0xFFFF:
                raise QRError("compact QR text is not valid base45")
            out += value.to_bytes(2, "big")
        else:
            value = group[0] + group[1] * 45
            if value > 0xFF:
                raise QRError("compact QR text is not valid base45")
            out.append(value)
    return bytes(out)


# -- token shape -----------------------------------------------------------------------


def _split_sd_jwt(token: str) -> list[str]:
    # RFC 9901 compact form: <JWS>~<Disclosure>~...~[<KB-JWT>]; the issuer JWS's parts.
    pieces = token.split("~")
    if any(not p or not _B64URL_CHARS.issuperset(p) for p in pieces[1:-1]):
        raise QRError("the QR code does not hold an SD-JWT (a disclosure is not base64url)")
    if pieces[-1]:
        _split_token(pieces[-1])
    return _split_token(pieces[0])


def _split_token(token: str) -> list[str]:
    if len(token) > MAX_TOKEN_CHARS:
        raise QRTooLargeError(f"token of {len(token):,} characters exceeds {MAX_TOKEN_CHARS:,}")
    if "~" in token:
        return _split_sd_jwt(token)
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or not all(_B64URL_CHARS.issuperset(p) for p in parts):
        raise QRError("the QR code does not hold a credential or presentation (not a JWS)")
    return parts


def _segment_json(segment: str, what: str) -> dict[str, Any]:
    try:
        value = loads_strict(b64url_decode(segment))
    except (ValueError, MalformedError) as exc:
        raise QRError(f"the token's {what} is not valid base64url JSON") from exc
    if not isinstance(value, dict):
        raise QRError(f"the token's {what} is not a JSON object")
    return value


def classify_token(token: str) -> TokenKind:
    """Tell a credential from a presentation by asking the format registries (UNVERIFIED).

    A token is a presentation when a registered presentation format is certain of it
    (``vp+jwt``; a VC-JWT 1.1 with a ``vp`` claim), else a credential when a credential
    format is (``vc+jwt``; a VC-JWT 1.1 with a ``vc`` claim). Formats compare ``typ``
    case-insensitively and without an ``application/`` prefix (RFC 7515 §4.1.9). Only for
    routing: the signature, ``alg`` and everything else are checked by verification.

    Raises:
        QRError: not a compact JWS, or neither kind.
    """
    parts = _split_token(token)
    header = _segment_json(parts[0], "header")
    _segment_json(parts[1], "payload")
    if "~" in token:
        # An SD-JWT with a KB-JWT is a presentation (it proves the holder is present);
        # without one it is the credential itself, as its issuer signed it.
        return "credential" if token.endswith("~") else "presentation"
    if PRESENTATION_FORMATS.certain(token) is not None:
        return "presentation"
    if CREDENTIAL_FORMATS.certain(token) is not None:
        return "credential"
    typ = header.get("typ")
    raise QRError(f"the token is neither a credential nor a presentation (typ {typ!r})")


# -- compact form ----------------------------------------------------------------------


def _compact(token: str) -> str:
    if "~" in token:
        raise QRError("an SD-JWT has no compact TID1 form: it goes into the QR code as it is")
    parts = _split_token(token)
    try:
        raw = [b64url_decode(p) for p in parts]
    except ValueError as exc:
        raise QRError("the token is not canonical base64url and cannot be compacted") from exc
    if _SEPARATOR in raw[0] or _SEPARATOR in raw[1]:
        raise QRError("the token's header or payload is not JSON text")
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, zdict=COMPACT_DICTIONARY)
    packed = packer.compress(_SEPARATOR.join(raw)) + packer.flush()
    return COMPACT_PREFIX + base45_encode(packed)


def _inflate_bounded(data: bytes) -> bytes:
    inflater = zlib.decompressobj(15, zdict=COMPACT_DICTIONARY)
    try:
        # max_length bounds the work: a bomb stops after MAX_INFLATED + 1 bytes.
        out = inflater.decompress(data, MAX_INFLATED + 1)
    except zlib.error as exc:
        raise QRError("compact QR payload is not valid zlib data") from exc
    if len(out) > MAX_INFLATED:
        raise QRTooLargeError(f"compact QR payload inflates beyond {MAX_INFLATED:,} bytes")
    if not inflater.eof:
        raise QRError("compact QR payload is truncated")
    if inflater.unused_data:
        raise QRError("compact QR payload has trailing data")
    return out


def _expand(body: str) -> str:
    # maxsplit 2: the raw signature is arbitrary bytes and may itself hold 0x00.
    pieces = _inflate_bounded(base45_decode(body)).split(_SEPARATOR, 2)
    if len(pieces) != 3 or not all(pieces):
        raise QRError("compact QR payload is not a header, payload and signature")
    return ".".join(b64url_encode(p) for p in pieces)


def encode_qr_text(token: str, *, compact: bool = False) -> str:
    """The text to put in a QR code for a compact JWS.

    Args:
        token: A compact JWS (credential or presentation).
        compact: False: the token itself. True: the ``TID1:`` zlib+base45 form (module
            docstring), typically 30-45% fewer QR modules; only TrustID verifiers read it.

    Does not check that the result fits: ask :func:`best_plan`.

    Raises:
        QRError: not a compact JWS (or, when compacting, not canonical base64url JSON).
    """
    token = token.strip()
    _split_token(token)
    return _compact(token) if compact else token


# -- decoding --------------------------------------------------------------------------


def _from_data_url(text: str, expected: TokenKind | None = None) -> str:
    head, sep, body = text.partition(",")
    kind = _ENVELOPES.get(head[5:].lower()) if sep else None
    if kind is None:
        raise QRError("only data:application/vc+jwt and data:application/vp+jwt URLs are read")
    if expected is not None and kind != expected:
        raise QRError("the envelope type and the data URL media type disagree")
    return _checked_kind(body, kind)


def _from_envelope_json(text: str) -> str:
    try:
        value = loads_strict(text)
    except MalformedError as exc:
        raise QRError("the QR code holds JSON that cannot be read") from exc
    if not isinstance(value, dict):
        raise QRError("the QR code's JSON is not an enveloped credential or presentation")
    types = value.get("type")
    names = types if isinstance(types, list) else [types]
    kinds = {_ENVELOPE_TYPES[n] for n in names if isinstance(n, str) and n in _ENVELOPE_TYPES}
    url = value.get("id")
    if len(kinds) != 1 or not isinstance(url, str) or not url.startswith("data:"):
        raise QRError("the QR code's JSON is not an enveloped credential or presentation")
    return _from_data_url(url, kinds.pop())


def _checked_kind(token: str, kind: TokenKind) -> str:
    # An envelope that says "credential" around a presentation (or the reverse) is refused
    # here, so the label the counter shows always matches what gets verified.
    if classify_token(token) != kind:
        raise QRError(f"the envelope says {kind} but the token is not one")
    return token


def decode_qr_text(text: str) -> str:
    """Return the compact JWS held by the text of a QR code.

    Accepts, after trimming whitespace (scanners append CR/LF): a compact JWS; a
    ``data:application/vc+jwt,`` or ``data:application/vp+jwt,`` URL; the JSON of an
    ``EnvelopedVerifiableCredential``/``EnvelopedVerifiablePresentation``; the ``TID1:``
    compact form. Nothing is signature-checked here.

    Raises:
        QRTooLargeError: more than :data:`MAX_QR_TEXT` characters, or a compact payload
            inflating beyond :data:`MAX_INFLATED` bytes.
        QRError: anything else that is not one of those forms.
    """
    if not isinstance(text, str):
        raise QRError("QR text must be a string")
    text = text.strip()
    if len(text) > MAX_QR_TEXT:
        raise QRTooLargeError(
            f"QR text of {len(text):,} characters exceeds the {MAX_QR_TEXT:,} a QR code holds"
        )
    if not text:
        raise QRError("the QR code is empty")
    if text.startswith(COMPACT_PREFIX):
        token = _expand(text[len(COMPACT_PREFIX) :])
        _split_token(token)
        return token
    if text[:5].lower() == "data:":
        return _from_data_url(text)
    if text.startswith("{"):
        return _from_envelope_json(text)
    _split_token(text)
    return text


# -- planning --------------------------------------------------------------------------


@dataclass(frozen=True)
class QRPlan:
    """The smallest QR code (ISO/IEC 18004) that holds a text, or why none does.

    Attributes:
        version: The smallest version 1-40 that holds the text, None when none does.
        ecc: Error-correction level planned for.
        mode: ``alphanumeric`` when every character is in the QR alphanumeric set (the
            compact form), else ``byte``.
        length: Characters (alphanumeric) or UTF-8 bytes (byte mode; equal to characters
            for tokens, which are ASCII).
        fits: Whether any version holds the text.
        capacity: Capacity of ``version``, or of version 40 when it does not fit.
    """

    version: int | None
    ecc: ECCLevel
    mode: QRMode
    length: int
    fits: bool
    capacity: int

    def describe(self) -> str:
        """One line for a user, e.g. ``needs QR version 32 at ECC M``."""
        if self.fits:
            return (
                f"needs QR version {self.version} at ECC {self.ecc} "
                f"({self.length:,} of {self.capacity:,} characters)"
            )
        return (
            f"does not fit: {self.length:,} characters > {self.capacity:,} (version 40-{self.ecc})"
        )


def _check_ecc(ecc: str) -> ECCLevel:
    for level in ECC_LEVELS:
        if ecc == level:
            return level
    raise QRError(f"unknown QR error-correction level {ecc!r} (L, M, Q or H)")


def plan_qr(text: str, ecc: str = "M") -> QRPlan:
    """Plan the smallest QR code for ``text`` at one error-correction level.

    Raises:
        QRError: ``ecc`` is not L, M, Q or H.
    """
    level = _check_ecc(ecc)
    mode: QRMode
    if text and all(c in _BASE45_VALUES for c in text):
        mode, length, table = "alphanumeric", len(text), ALPHANUMERIC_CAPACITY[level]
    else:
        mode, length, table = "byte", len(text.encode("utf-8")), BYTE_CAPACITY[level]
    for version, capacity in enumerate(table, start=1):
        if length <= capacity:
            return QRPlan(version, level, mode, length, fits=True, capacity=capacity)
    return QRPlan(None, level, mode, length, fits=False, capacity=table[-1])


def best_plan(text: str) -> QRPlan:
    """Plan at ECC M (15% damage tolerated: worn phone screens, glare), else at L.

    Returns the M plan when it fits, otherwise the L plan (which says by how much the
    text is too long when even L does not fit).
    """
    plan = plan_qr(text, "M")
    return plan if plan.fits else plan_qr(text, "L")
