"""The wallet in English and Simplified Chinese: LANG / LC_* / --lang, texts from the
catalogue, type names and claim labels from the Type Metadata kept at receipt, names in
the order the locale expects, and --json output the same in every language."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.issuer.support import RESIDENT, MutableClock, issue_body, make_settings
from tests.issuer.support import running_issuer as run_issuer
from tests.wallet_cli.conftest import OfflineIssuer, WalletRunner
from tests.wallet_cli.test_sd_jwt_wallet import Served, _store
from vcore.formats import unwrap_credential
from vcore.i18n import Locale
from wallet_cli.errors import InputError, NotFoundError, VaultError, describe
from wallet_cli.messages import CATALOGUES, message

ZH = {"LANG": "zh_CN.UTF-8", "COLUMNS": "250"}
EN = {"LANG": "en_US.UTF-8", "COLUMNS": "250"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with run_issuer(make_settings(tmp_path / "issuer"), MutableClock()) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield Served(harness, [])


def _han_credential(served: Served, wallet: WalletRunner) -> str:
    """An SD-JWT resident credential for 张伟 (no nationality), stored with its Type Metadata; its short id."""
    holder = wallet.did()
    body = issue_body(holder=holder, options={"format": "dc+sd-jwt"})
    body["credential"]["credentialSubject"].update(givenName="伟", familyName="张")
    del body["credential"]["credentialSubject"]["nationality"]  # a claim the type has, this lacks
    response = served.harness.issue(served.harness.agencies["Resident Registry"], body)
    assert response.status_code == 201, response.text
    token = unwrap_credential(response.json()["verifiableCredential"])
    record = served.accept(token, holder).record
    assert record.type_metadata is not None
    _store(wallet.home, record)
    return str(record.short_id)


def _ok(wallet: WalletRunner, *args: str, env: dict[str, str]) -> str:
    result = wallet(*args, env=env)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result.stdout


def test_list_and_show_in_chinese_from_lang(served: Served, wallet: WalletRunner) -> None:
    short = _han_credential(served, wallet)
    listed = _ok(wallet, "list", env=ZH)
    assert "共 1 个凭证" in listed
    for text in ("编号", "类型", "签发方", "持有人", "有效期至", "状态", "居民身份证明", "张伟"):
        assert text in listed, text
    assert "credential(s)" not in listed
    shown = _ok(wallet, "show", short, env=ZH)
    for text in ("居民身份证明", "签发方", "持有人", "姓名", "张伟", "凭证内容", "姓", "名"):
        assert text in shown, text
    assert "出生日期" in shown  # birthDate's label
    assert "区" in shown  # address.locality's label
    assert "（自称）" in shown  # the issuer's name is self-declared here
    assert "Date of birth" not in shown


def test_list_and_show_in_english_labels_from_type_metadata(
    served: Served, wallet: WalletRunner
) -> None:
    short = _han_credential(served, wallet)
    listed = _ok(wallet, "list", env=EN)
    assert "1 credential(s)" in listed
    assert "Resident Identity" in listed
    assert "张伟" in listed  # a name in Han characters is family name first in any locale
    shown = _ok(wallet, "show", short, env=EN)
    for text in ("Date of birth", "Family name", "District", "(self-declared)", "Issuer"):
        assert text in shown, text
    assert "居民身份证明" not in shown


def test_lang_option_beats_the_environment(served: Served, wallet: WalletRunner) -> None:
    _han_credential(served, wallet)
    assert "1 credential(s)" in _ok(wallet, "--lang", "en", "list", env=ZH)
    assert "共 1 个凭证" in _ok(wallet, "--lang", "zh-Hans", "list", env=EN)
    assert "共 1 个凭证" in _ok(wallet, "--lang", "zh-CN", "list", env=EN)
    # LC_ALL before LANG, as gettext reads them; C means the default.
    assert "共 1 个凭证" in _ok(wallet, "list", env={**EN, "LC_ALL": "zh_CN.UTF-8"})
    assert "1 credential(s)" in _ok(wallet, "list", env={"LANG": "C", "COLUMNS": "250"})


def test_an_unknown_lang_is_a_usage_error(wallet: WalletRunner) -> None:
    result = wallet("--lang", "klingon", "list")
    assert result.exit_code == 2
    assert "--lang" in result.stderr
    assert "Traceback" not in result.stderr


def test_latin_names_follow_the_locale(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    token = issuer.issue(wallet.did())
    received = _ok(wallet, "receive", token, env=ZH)
    assert received.startswith("已保存来自 ")
    assert "Zhang Wei" in _ok(wallet, "list", env=ZH)
    assert "Wei Zhang" in _ok(wallet, "list", env=EN)
    again = _ok(wallet, "receive", token, env=ZH)
    assert again.startswith("钱包里已有：")


def test_json_is_the_same_in_every_language(served: Served, wallet: WalletRunner) -> None:
    short = _han_credential(served, wallet)
    for args in (
        ("list", "--json"),
        ("show", short, "--json"),
        ("show", short, "--claims", "--json"),
    ):
        zh, en = _ok(wallet, *args, env=ZH), _ok(wallet, *args, env=EN)
        assert json.loads(zh) == json.loads(en), args
    claims = json.loads(_ok(wallet, "show", short, "--claims", "--json", env=ZH))
    assert claims["givenName"] == "you choose"


def test_show_claims_in_chinese(served: Served, wallet: WalletRunner) -> None:
    short = _han_credential(served, wallet)
    lines = _ok(wallet, "show", short, "--claims", env=ZH).splitlines()
    given = next(line for line in lines if line.startswith("givenName "))
    assert given.split() == ["givenName", "由你选择", "名"]
    missing = next(line for line in lines if line.startswith("nationality "))
    assert missing.split() == ["nationality", "此凭证中没有", "国籍"]


def test_errors_in_chinese(served: Served, wallet: WalletRunner) -> None:
    _han_credential(served, wallet)
    unknown = wallet("show", "ffffffffff", env=ZH)
    assert unknown.exit_code == 4
    assert (
        unknown.stderr.strip() == "错误：钱包里没有凭证 'ffffffffff'（查看：trustid-wallet list）"
    )
    wrong = wallet("list", env={**ZH, "TRUSTID_WALLET_PASSPHRASE": "not the passphrase at all"})
    assert wrong.exit_code == 3
    assert wrong.stderr.strip() == "错误：钱包的密码错误"
    # The same failures in English are unchanged.
    unknown_en = wallet("show", "ffffffffff", env=EN)
    assert unknown_en.stderr.strip() == (
        "error: no credential 'ffffffffff' in this wallet (see: trustid-wallet list)"
    )
    # An error without its own translation says in Chinese what kind of failure it is.
    both = wallet("show", "ffffffffff", "--json", "--qr", env=ZH)
    assert both.exit_code == 2
    assert both.stderr.strip() == "错误：输入有误：choose one of --json, --qr and --png"


def test_describe_localises_by_class_and_key() -> None:
    assert describe(NotFoundError.keyed("no_wallet", home="/h"), Locale.ZH_HANS) == (
        4,
        "/h 没有钱包：请先运行 `trustid-wallet init` 创建",
    )
    assert describe(NotFoundError.keyed("no_wallet", home="/h")) == (
        4,
        "no wallet at /h: create one with `trustid-wallet init`",
    )
    assert describe(VaultError("the wallet is truncated"), Locale.ZH_HANS)[1] == (
        "无法打开钱包：the wallet is truncated"
    )
    assert describe(InputError("x"), Locale.EN) == (2, "x")
    code, text = describe(RuntimeError("boom"), Locale.ZH_HANS)
    assert code == 1
    assert text.startswith("意外错误：unexpected error (RuntimeError)")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    english = CATALOGUES[Locale.EN]
    for locale, catalogue in CATALOGUES.items():
        assert set(catalogue) == set(english), locale
        for key, template in catalogue.items():
            assert _fields(template) == _fields(english[key]), (locale, key)
    assert set(CATALOGUES) == set(Locale)
    assert message(Locale.ZH_HANS, "list.title", count=3) == "共 3 个凭证"


def test_labels_from_type_metadata_cannot_drive_the_terminal(
    served: Served, wallet: WalletRunner
) -> None:
    # An issuer's labels are data like its claims: no control or bidi character reaches
    # the screen, and a line break cannot forge another row.
    holder = wallet.did()
    body = issue_body(holder=holder, options={"format": "dc+sd-jwt"})
    response = served.harness.issue(served.harness.agencies["Resident Registry"], body)
    record = served.accept(
        unwrap_credential(response.json()["verifiableCredential"]), holder
    ).record
    metadata = json.loads(json.dumps(record.type_metadata))
    metadata["display"] = [{"locale": "zh-Hans", "name": "证\x1b[2J明\u202e"}]
    for claim in metadata["claims"]:
        if claim["path"] == ["familyName"]:
            claim["display"] = [{"locale": "zh-Hans", "label": "姓\nStatus  revoked\x07"}]
    _store(wallet.home, replace(record, type_metadata=metadata))
    for args in (("list",), ("show", record.short_id), ("show", record.short_id, "--claims")):
        out = _ok(wallet, *args, env=ZH)
        for unsafe in ("\x1b", "\u202e", "\x07"):
            assert unsafe not in out, args
        assert "证[2J明" in out or args[-1] == "--claims"
    claims = _ok(wallet, "show", record.short_id, "--claims", env=ZH)
    assert not any(line.startswith("Status") for line in claims.splitlines())
    assert "姓 Status revoked" in claims


def test_init_texts_in_chinese(home: Path) -> None:
    runner = WalletRunner(home)
    created = runner("init", env=ZH)
    assert created.exit_code == 0, created.stderr
    assert created.stdout.startswith("已在 ")
    assert "你的持有人 DID" in created.stdout
