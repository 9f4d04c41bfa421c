"""The VC Data Model 2.0 rules for the unsecured document (W3C REC, 15 May 2025).

Every MUST of VCDM 2.0 §4 (and the advanced concepts of §5 that constrain a document's
shape) is one check here with one error class and one stable code, so a refusal names the
rule it broke. The checks are pure functions of the JSON document; they know nothing of
securing mechanisms, keys or time.

* :func:`check_credential` — a verifiable credential (§4.2-§4.11, §5.3-§5.6).
* :func:`check_presentation` — a verifiable presentation (§4.13).
* :func:`check_envelope` — an ``EnvelopedVerifiableCredential`` / ``...Presentation``
  object (§4.13.1, §4.13.2).

Called by the issuer on every credential it is asked to sign and by the VCDM 2.0
credential formats (``vc+jwt``, Data Integrity) when they parse a document.

JSON-LD (§4.3, §5.2): the checks run a small, bounded subset of JSON-LD 1.1 context
processing: the base context's protected terms may not be redefined by a later inline
context, terms an inline context protects may not be redefined after it, every IRI an
inline context maps a term to must be an absolute IRI (or a compact IRI / term), and a
``type`` must map to an IRI (it fails when ``@vocab`` was reset to null and no context
defines it). A context URL whose terms are not known here is assumed to define anything,
so nothing valid is refused for want of knowledge; the Data Integrity format, which
canonicalises, processes contexts in full with the bundled, hash-pinned documents.

Digests of related resources (§5.3) are compared with what is known without fetching:
the digest the specification publishes for the base context (§B.1, which implementations
"MUST treat ... as already retrieved"), and the digests of any resource whose exact bytes
the caller hands in (``resources``); other resources are checked for shape only, since
this package fetches nothing.

Modules, by the rules they check: :mod:`~vcore.vcdm.identifiers` (§4.4, URLs),
:mod:`~vcore.vcdm.contexts` (§4.3, §5.2), :mod:`~vcore.vcdm.type_values` (§4.5),
:mod:`~vcore.vcdm.names` (§4.6), :mod:`~vcore.vcdm.parties` (§4.7 issuer, §4.8 subjects),
:mod:`~vcore.vcdm.validity` (§4.9), :mod:`~vcore.vcdm.related_resources` (§5.3),
:mod:`~vcore.vcdm.credentials` (the credential check) and
:mod:`~vcore.vcdm.presentations` (§4.13). Import the public names from here.
"""

from __future__ import annotations

from vcore.vcdm.contexts import (
    EXAMPLES_V2_CONTEXT,
    MAX_CONTEXTS,
    MAX_INLINE_CONTEXT_BYTES,
    VC2_BASE_TERMS,
    VC2_CONTEXT,
)
from vcore.vcdm.credentials import check_credential
from vcore.vcdm.identifiers import MAX_URL_LENGTH, is_url
from vcore.vcdm.parties import issuer_id_of
from vcore.vcdm.presentations import check_envelope, check_presentation
from vcore.vcdm.related_resources import PUBLISHED_DIGESTS
from vcore.vcdm.validity import parse_date_time_stamp

__all__ = [
    "EXAMPLES_V2_CONTEXT",
    "MAX_CONTEXTS",
    "MAX_INLINE_CONTEXT_BYTES",
    "MAX_URL_LENGTH",
    "PUBLISHED_DIGESTS",
    "VC2_BASE_TERMS",
    "VC2_CONTEXT",
    "check_credential",
    "check_envelope",
    "check_presentation",
    "is_url",
    "issuer_id_of",
    "parse_date_time_stamp",
]
