"""The gettext catalogues: every user-visible string the source marks (babel.cfg: templates/ and fund_ledger/)
has a Chinese translation in translations/zh_CN, and the catalogues compile.

A failure here names the msgid: add it to translations/zh_CN/LC_MESSAGES/messages.po (``make extract``
merges new msgids into the catalogues; then write the Chinese).
"""
from __future__ import annotations

import re
import shutil

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from fund_ledger.config import PROJECT_ROOT
from fund_ledger.http.i18n import compile_catalogues
from fund_ledger.services import users

ZH = PROJECT_ROOT / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str | None, str], list[str]]:
    """(context, msgid) -> where it is used, as ``pybabel extract -F babel.cfg`` finds them."""
    with open(PROJECT_ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[tuple[str | None, str], list[str]] = {}
    # (Babel skips folders starting with "." or "_": a .venv inside the clone is not walked.)
    for filename, lineno, message, _comments, context in extract_from_dir(PROJECT_ROOT, method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def chinese():
    with open(ZH, "rb") as f:
        return read_po(f)


def test_the_extraction_finds_the_pages_words(extracted):
    assert len(extracted) > 500
    assert (None, "Log out") in extracted and (None, "Funds and trial balance") in extracted  # templates
    assert (None, "Overview") in extracted and ("role", "Auditor") in extracted  # Python tables (N_, NP_)
    assert (None, "Password changed") in extracted  # a notice


def test_every_msgid_has_a_chinese_translation(extracted, chinese):
    missing = []
    for (context, msgid), where in sorted(extracted.items(), key=lambda kv: kv[1][0]):
        entry = chinese.get(msgid, context=context)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{where[0]}: {msgid!r}" + (f" (context {context!r})" if context else ""))
    assert not missing, f"{len(missing)} without Chinese in {ZH.name}:\n" + "\n".join(missing)


def _chinese_only(msgid: str) -> bool:
    # (An English text may quote a Chinese name: "爱心人士 (a friend of the fund)".)
    return bool(CJK.search(msgid)) and not re.search(r"[A-Za-z]{3,}", re.sub(r"%\(\w+\)\w", "", msgid))


def test_msgids_are_english(extracted):
    chinese_ids = [f"{where[0]}: {msgid!r}" for (_c, msgid), where in extracted.items() if _chinese_only(msgid)]
    assert not chinese_ids, "msgids are the English text; bi(zh, en) left in:\n" + "\n".join(chinese_ids)


def test_translations_keep_their_placeholders(chinese):
    problems = [f"{msg.id!r}: {errors}" for msg, errors in chinese.check()]
    assert not problems, "\n".join(problems)
    for msg in chinese:
        if msg.id and msg.string:
            assert set(re.findall(r"%\((\w+)\)", msg.string)) <= set(re.findall(r"%\((\w+)\)", msg.id)), msg.id


def test_the_catalogues_compile(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(PROJECT_ROOT / "translations", copy, ignore=shutil.ignore_patterns("*.mo"))
    written = compile_catalogues(copy)
    assert sorted(p.parent.parent.name for p in written) == ["en", "zh_CN"]
    with open(copy / "zh_CN" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = read_mo(f)
    assert mo.get("Log out").string == "退出"
    assert compile_catalogues(copy) == []  # up to date: nothing compiled again


def test_the_service_messages_the_catalogue_names_are_the_services_words(chinese):
    # web/people.py lists these as literals, for the extraction; the service builds them from its limits
    for text in (f"at least {users.MIN_PASSWORD} characters", f"at most {users.MAX_PASSWORD} characters"):
        assert chinese.get(text) is not None and chinese.get(text).string, text


# The scheme before the catalogues: a call with the Chinese and the English side by side (t("中文", "English"),
# bi("中文", "English"), _notice(f"已…", f"…")), or a table of such pairs. pbi("context", "text") is not one.
TWO_TEXTS = re.compile(r"""(?<![\w.])(?:t|bi|_notice)\(\s*f?(["'])(?:(?!\1).)*\1\s*,\s*f?["']""")
PAIR = re.compile(r"""(["'])[^"'\n]*[\u3400-\u9fff][^"'\n]*\1\s*,\s*f?["']|"""
                  r"""(["'])[^"'\n]*[A-Za-z]{3}[^"'\n]*\2\s*,\s*f?(["'])[^"'\n]*[\u3400-\u9fff][^"'\n]*\3""")


def _pages_sources():
    yield from sorted((PROJECT_ROOT / "templates" / "web").rglob("*.html"))
    yield from sorted((PROJECT_ROOT / "fund_ledger" / "web").rglob("*.py"))


def test_no_page_writes_its_chinese_beside_its_english():
    found = []
    for path in _pages_sources():
        text = path.read_text(encoding="utf-8")
        for pattern in (TWO_TEXTS, PAIR):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{line}: {m.group(0)[:80]!r}")
    assert not found, "texts are msgids (English) with their Chinese in the catalogue:\n" + "\n".join(found)


def test_the_web_modules_keep_no_chinese_of_their_own():
    # A Chinese string in fund_ledger/web (other than in documentation) is a translation kept beside the catalogue.
    import ast

    found = []
    for path in sorted((PROJECT_ROOT / "fund_ledger" / "web").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and re.search(r"[\u3400-\u9fff]", node.value)):
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


def test_the_old_two_text_helpers_are_gone():
    from fund_ledger.http import i18n

    assert not hasattr(i18n, "t")
    with pytest.raises(TypeError):
        i18n.bi("中文", "English")  # noqa: the two-text form is no more


def test_every_translated_msgid_is_found_by_the_extraction(extracted, chinese):
    """``make extract`` (pybabel update) comments out what the extraction no longer finds: a msgid translated only
    in the catalogue (a service's plain-English refusal) would lose its Chinese. Mark such words with N_ (see
    schemas/service_words.py) so that they stay."""
    lost = sorted(f"{context or ''}|{message.id}" for (context, msgid), message in
                  ((k, v) for k, v in _catalogue_messages(chinese)) if (context, msgid) not in extracted)
    assert not lost, "translated in the catalogue but not found in the source: " + "; ".join(lost[:20])


def _catalogue_messages(catalogue):
    for message in catalogue:
        if message.id and isinstance(message.id, str):
            yield (message.context, message.id), message
