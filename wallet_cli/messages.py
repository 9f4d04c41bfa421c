"""The wallet's texts in English and Simplified Chinese, by key.

Every sentence the citizen reads on the terminal (tables, prompts, confirmations, the
common errors) is a key here with one ``str.format`` template per locale; both
catalogues have the same keys and the same placeholders (a test checks it). ``--json``
output never goes through this module: its keys and values stay language-neutral.

The locale is ``--lang`` or the POSIX environment (:func:`vcore.i18n.locale_from_environment`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcore.i18n import Locale

__all__ = ["CATALOGUES", "Texts", "message"]

_EN: dict[str, str] = {
    # list
    "list.empty": "No credentials yet. Receive one with: trustid-wallet receive FILE",
    "list.title": "{count} credential(s)",
    "col.id": "ID",
    "col.type": "Type",
    "col.issuer": "Issuer",
    "col.holder": "Holder",
    "col.valid_until": "Valid until",
    "col.status": "Status",
    "no_expiry": "no expiry",
    # status words (the values of --json "status" stay the English identifiers)
    "status.valid": "valid",
    "status.revoked": "revoked",
    "status.suspended": "suspended",
    "status.expired": "expired",
    "status.not_yet_valid": "not yet valid",
    "status.unknown": "unknown",
    "status.no_list": "{status} (no status list)",
    "status.as_of": "{status} (as of {time} UTC)",
    # show
    "row.type": "Type",
    "row.id": "ID",
    "row.issuer": "Issuer",
    "row.holder": "Holder",
    "row.name": "Name",
    "row.valid_from": "Valid from",
    "row.valid_until": "Valid until",
    "row.status": "Status",
    "row.format": "Format",
    "row.received": "Received",
    "row.status_error": "Last status error",
    "row.note": "Note",
    "holder.bearer": "(none: bearer credential)",
    "holder.this_wallet": "(this wallet)",
    "claims.title": "Claims",
    "claims.claim": "Claim",
    "claims.value": "Value",
    "mark.self_declared": "(self-declared)",
    "mark.self_issued": "(self-issued, self-declared)",
    # show --claims
    "mode.always": "always shown",
    "mode.selective": "you choose",
    "mode.not_held": "not in this credential",
    # receive
    "receive.stored": "Stored {type} from {issuer} as {id}",
    "receive.already": "Already in your wallet: {type} {id}",
    "offer.offers": "{name} ({issuer}) offers: {offered}",
    "offer.tx_code": "Transaction code, {length} characters{hint}: ",
    # present
    "present.leaving": "Leaving the wallet: {claims}",
    "present.nothing_but_holding": "no claim (only that you hold this credential)",
    "present.show_claim": "Show {claim}?",
    "present.wrote": "Wrote the presentation ({size:,} characters) to {path}",
    "qr.plan": "QR code: {plan}",
    "wrote": "Wrote {path}",
    # answer (OpenID4VP consent)
    "answer.asked_by": "Asked by {who}",
    "answer.signed": "{name}({identifier}, signature checked)",
    "answer.unsigned": "{name}(unsigned development request from {host})",
    "answer.item": "{type} {id}: {claims}",
    "answer.whole": "the whole credential",
    "answer.only_holding": "only that you hold it",
    "answer.confirm": "Send exactly this?",
    "answer.sent": "Sent. The verifier accepted the answer.",
    "answer.continue": "Continue at {url}",
    # init, verify
    "init.created": "Created a wallet at {home}",
    "init.did": "Your holder DID (give it to the issuing agency):",
    "checks.verified": "VERIFIED",
    "checks.not_verified": "NOT VERIFIED",
    "checks.check": "Check",
    "checks.result": "Result",
    "checks.detail": "Detail",
    # remove
    "remove.confirm": "Remove {label}?",
    "remove.done": "Removed {label}",
    # the line prefixes and the common errors
    "error": "error: {message}",
    "warning": "warning: ",
    "warn.not_valid": "credential {id} is {state}",
    "err.no_passphrase": "no passphrase: set {env} or run in a terminal",  # nosec B105 - a message
    "err.empty_passphrase": "an empty passphrase is not accepted",  # nosec B105 - a message
    "err.passphrases_differ": "the two passphrases differ; nothing was changed",
    "err.wrong_passphrase": "wrong passphrase for this {what}",  # nosec B105 - a message
    "err.no_wallet": "no wallet at {home}: create one with `trustid-wallet init`",
    "err.unknown_credential": "no credential {ref} in this wallet (see: trustid-wallet list)",
    "err.id_too_short": "id {ref} is too short: give at least {least} characters",
    "err.ambiguous_id": "id {ref} matches several credentials ({names}): type more of it",
    "err.nothing_sent": "nothing was sent",
    "err.nothing_presented": "nothing was presented",
    "err.nothing_removed": "nothing removed",
    "err.approve_with_yes": "approve with --yes, or run in a terminal to be asked",
    "err.remove_with_yes": "pass --yes to remove without a question",
    "err.tx_code_needed": "this offer needs its transaction code: pass --tx-code CODE",
    "err.answer_source": "give the openid4vp:// link or --qr IMAGE (one of them)",
    # what a failure of each class is about, before the detail (Chinese only: the English
    # detail is itself the message)
    "kind.InputError": "",
    "kind.VaultError": "",
    "kind.NotFoundError": "",
    "kind.VerificationError": "",
    "kind.NetworkError": "",
    "kind.DoesNotFitError": "",
    "kind.BusyError": "",
    "kind.unexpected": "",
}

_ZH: dict[str, str] = {
    "list.empty": "钱包里还没有凭证。接收凭证：trustid-wallet receive 文件",
    "list.title": "共 {count} 个凭证",
    "col.id": "编号",
    "col.type": "类型",
    "col.issuer": "签发方",
    "col.holder": "持有人",
    "col.valid_until": "有效期至",
    "col.status": "状态",
    "no_expiry": "长期有效",
    "status.valid": "有效",
    "status.revoked": "已撤销",
    "status.suspended": "已暂停",
    "status.expired": "已过期",
    "status.not_yet_valid": "尚未生效",
    "status.unknown": "未知",
    "status.no_list": "{status}（无状态列表）",
    "status.as_of": "{status}（截至 {time} UTC）",
    "row.type": "类型",
    "row.id": "编号",
    "row.issuer": "签发方",
    "row.holder": "持有人",
    "row.name": "姓名",
    "row.valid_from": "生效时间",
    "row.valid_until": "有效期至",
    "row.status": "状态",
    "row.format": "格式",
    "row.received": "接收时间",
    "row.status_error": "上次状态查询错误",
    "row.note": "备注",
    "holder.bearer": "（无：不记名凭证）",
    "holder.this_wallet": "（本钱包）",
    "claims.title": "凭证内容",
    "claims.claim": "项目",
    "claims.value": "内容",
    "mark.self_declared": "（自称）",
    "mark.self_issued": "（自签发，自称）",
    "mode.always": "始终出示",
    "mode.selective": "由你选择",
    "mode.not_held": "此凭证中没有",
    "receive.stored": "已保存来自 {issuer} 的{type}，编号 {id}",
    "receive.already": "钱包里已有：{type} {id}",
    "offer.offers": "{name}（{issuer}）提供：{offered}",
    "offer.tx_code": "交易码，{length} 位{hint}：",
    "present.leaving": "将离开钱包：{claims}",
    "present.nothing_but_holding": "不含任何项目（仅证明你持有此凭证）",
    "present.show_claim": "出示{claim}？",
    "present.wrote": "已将出示内容（{size:,} 个字符）写入 {path}",
    "qr.plan": "二维码：{plan}",
    "wrote": "已写入 {path}",
    "answer.asked_by": "请求方：{who}",
    "answer.signed": "{name}（{identifier}，签名已验证）",
    "answer.unsigned": "{name}（来自 {host} 的未签名开发请求）",
    "answer.item": "{type} {id}：{claims}",
    "answer.whole": "整个凭证",
    "answer.only_holding": "仅证明你持有此凭证",
    "answer.confirm": "确认只发送以上内容？",
    "answer.sent": "已发送，验证方已接受。",
    "answer.continue": "请在此继续：{url}",
    "init.created": "已在 {home} 创建钱包",
    "init.did": "你的持有人 DID（请提供给签发机构）：",
    "checks.verified": "验证通过",
    "checks.not_verified": "验证未通过",
    "checks.check": "检查项",
    "checks.result": "结果",
    "checks.detail": "详情",
    "remove.confirm": "删除{label}？",
    "remove.done": "已删除{label}",
    "error": "错误：{message}",
    "warning": "警告：",
    "warn.not_valid": "凭证 {id} {state}",
    "err.no_passphrase": "没有密码：请设置 {env}，或在终端中运行",  # nosec B105 - a message
    "err.empty_passphrase": "密码不能为空",  # nosec B105 - a message
    "err.passphrases_differ": "两次输入的密码不一致，未做任何更改",
    "err.wrong_passphrase": "{what}的密码错误",  # nosec B105 - a message
    "err.no_wallet": "{home} 没有钱包：请先运行 `trustid-wallet init` 创建",
    "err.unknown_credential": "钱包里没有凭证 {ref}（查看：trustid-wallet list）",
    "err.id_too_short": "编号 {ref} 太短：至少输入 {least} 个字符",
    "err.ambiguous_id": "编号 {ref} 对应多个凭证（{names}）：请多输入几个字符",
    "err.nothing_sent": "未发送任何内容",
    "err.nothing_presented": "未出示任何内容",
    "err.nothing_removed": "未删除任何内容",
    "err.approve_with_yes": "请用 --yes 确认，或在终端中运行以便询问你",
    "err.remove_with_yes": "不经询问直接删除请加 --yes",
    "err.tx_code_needed": "此凭证发放需要交易码：请使用 --tx-code 交易码",
    "err.answer_source": "请提供 openid4vp:// 链接或 --qr 图片（二者之一）",
    "kind.InputError": "输入有误：",
    "kind.VaultError": "无法打开钱包：",
    "kind.NotFoundError": "未找到：",
    "kind.VerificationError": "验证未通过：",
    "kind.NetworkError": "网络错误：",
    "kind.DoesNotFitError": "一个二维码放不下：",
    "kind.BusyError": "钱包正忙：",
    "kind.unexpected": "意外错误：",
}

_WHAT_ZH = {"vault": "钱包", "wallet": "钱包", "backup": "备份"}

CATALOGUES: Mapping[Locale, Mapping[str, str]] = {Locale.EN: _EN, Locale.ZH_HANS: _ZH}
"""Every locale's templates; English is complete and the fallback."""


def message(locale: Locale, key: str, /, **values: Any) -> str:
    """The text of ``key`` in ``locale`` with ``values`` filled in.

    Raises:
        KeyError: no such key (a bug: keys are literals in the wallet's code).
    """
    template = CATALOGUES.get(locale, _EN).get(key) or _EN[key]
    if locale is Locale.ZH_HANS and isinstance(values.get("what"), str):
        values = {**values, "what": _WHAT_ZH.get(values["what"], values["what"])}
    return template.format(**values)


class Texts:
    """:func:`message` bound to one locale: ``texts("list.title", count=3)``."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale

    def __call__(self, key: str, /, **values: Any) -> str:
        return message(self.locale, key, **values)
