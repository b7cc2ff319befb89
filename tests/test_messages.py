"""Messages are data: every code has an English template (N_-marked for pybabel) and Chinese in the catalogue;
MoneyError's code and parameters give the same words as its text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from fund_ledger.ledger.money import MoneyError, parse_amount
from fund_ledger.schemas.messages import CATALOGUE, Message, code_of, codes_of, render

PO = Path(__file__).resolve().parents[1] / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def _catalogue() -> dict[str, str]:
    from babel.messages.pofile import read_po

    with PO.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def test_every_code_has_chinese_in_the_catalogue_with_the_same_parameters():
    po = _catalogue()
    for code, english in CATALOGUE.items():
        assert po.get(english), (code, english)
        assert sorted(re.findall(r"%\((\w+)\)s", english)) == sorted(re.findall(r"%\((\w+)\)s", po[english])), code


@pytest.mark.parametrize("text", ["1e5", "NaN", "-5", "0.001", "１００", "1,00", "", "¥5", "1_0", "1 0", "+1", "1..2",
                                  ".5", "1.0,0", "01", "100000000000000000", "x" * 40, "0"])
def test_money_errors_carry_a_code_whose_words_are_their_text(text):
    with pytest.raises(MoneyError) as err:
        parse_amount(text)
    message = Message(err.value.code, **err.value.params)
    assert err.value.code in CATALOGUE and str(message) == str(err.value)


def test_a_message_reads_as_its_english_and_renders_in_chinese():
    zh = {"at most %(max)s characters": "最多 %(max)s 个字符"}.get
    message = Message("text.too_long", max=100)
    assert message == "at most 100 characters" and message.code == "text.too_long"
    assert render(message, "zh", lambda s: zh(s) or s) == "最多 100 个字符"
    line = Message("line.problem", line=2, problem=Message("amount.too_many_decimals"))
    assert code_of(line) == "amount.too_many_decimals" and str(line) == "line 2: more than two decimal places"
    assert codes_of({"a": [message, "plain words"]}) == {"a": ["text.too_long", "invalid"]}
