"""The verification decision: credential or presentation + trust list + fetched material.

Pure: every network fetch (DID documents, status lists, schemas) is the app's job. The
pipeline runs in two phases so an app can fetch concurrently and share fetches across
a batch: :func:`plan_credential` (offline checks; says what to fetch),
:func:`verify_signatures` (round 1: keys), then :func:`decide_credential` with the
fetched :class:`Material`. :func:`verify_credential_token` and
:func:`verify_presentation_token` run both phases with plain callables.

It never looks at a format or a status mechanism itself: both are reached through the
registries of :mod:`vcore.formats` and :mod:`vcore.status`.

Modules: :mod:`~vcore.verify.report` (check ids, reports), :mod:`~vcore.verify.evidence`
(material, resolver types), :mod:`~vcore.verify.plan`, :mod:`~vcore.verify.credential`,
:mod:`~vcore.verify.status`, :mod:`~vcore.verify.schema`,
:mod:`~vcore.verify.presentation`.
"""

from __future__ import annotations

from vcore.status import (
    MAX_STATUS_LIST_TOKEN,
    StatusListSnapshot,
    UnverifiedStatusList,
    parse_status_list_unverified,
    read_list_unverified,
    verify_list,
    verify_status_list_token,
)
from vcore.verify.credential import (
    decide_credential,
    plan_credential,
    verify_credential_token,
    verify_signatures,
)
from vcore.verify.evidence import KeyResolver, Material, SchemaResolver, StatusResolver
from vcore.verify.plan import CredentialPlan
from vcore.verify.presentation import (
    PresentationPlan,
    decide_presentation,
    plan_presentation,
    verify_presentation_token,
)
from vcore.verify.report import (
    CHECK_IDS,
    Check,
    CheckId,
    CheckStatus,
    PresentationReport,
    Problem,
    StatusPurpose,
    VerificationReport,
)

__all__ = [
    "CHECK_IDS",
    "MAX_STATUS_LIST_TOKEN",
    "Check",
    "CheckId",
    "CheckStatus",
    "CredentialPlan",
    "KeyResolver",
    "Material",
    "PresentationPlan",
    "PresentationReport",
    "Problem",
    "SchemaResolver",
    "StatusListSnapshot",
    "StatusPurpose",
    "StatusResolver",
    "UnverifiedStatusList",
    "VerificationReport",
    "decide_credential",
    "decide_presentation",
    "parse_status_list_unverified",
    "plan_credential",
    "plan_presentation",
    "read_list_unverified",
    "verify_credential_token",
    "verify_list",
    "verify_presentation_token",
    "verify_signatures",
    "verify_status_list_token",
]
