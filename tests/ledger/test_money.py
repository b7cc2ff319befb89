"""Tests for fund_ledger.ledger.money: strict parsing, formatting and 大写金额."""

import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fund_ledger.ledger.money import (
    MAX_AMOUNT_FEN,
    MoneyError,
    _integer_capital,
    fen_to_str,
    format_amount,
    format_yuan,
    parse_amount,
    AMOUNT_PATTERN,
    MAX_LEDGER_TOTAL_FEN,
    MAX_TEXT_LEN,
    to_chinese_capital,
)

# --------------------------------------------------------------------------- parse

ACCEPTED = [
    ("100000", 10_000_000),
    ("100000.5", 10_000_050),
    ("100000.50", 10_000_050),
    ("100,000.00", 10_000_000),
    ("1,234", 123_400),
    ("1,234,567.89", 123_456_789),
    ("0.50", 50),
    ("0.05", 5),
    ("0.5", 50),
    ("1", 100),
    ("  100  ", 10_000),
    ("\t12.30\n", 1_230),
    ("999,999,999,999.99", MAX_AMOUNT_FEN),
    ("999999999999.99", MAX_AMOUNT_FEN),
]


@pytest.mark.parametrize(("text", "fen"), ACCEPTED)
def test_parse_accepts(text, fen):
    assert parse_amount(text) == fen


REJECTED = [
    ("", "empty amount"),
    ("   ", "empty amount"),
    ("\t\n", "empty amount"),
    ("1.001", "more than two decimal places"),
    ("1,000.123", "more than two decimal places"),
    ("1e5", "exponents are not allowed"),
    ("1E5", "exponents are not allowed"),
    ("1.5e-3", "exponents are not allowed"),
    ("NaN", "not a number"),
    ("nan", "not a number"),
    ("inf", "not a number"),
    ("-inf", "not a number"),
    ("Infinity", "not a number"),
    ("abc", "not a number"),
    ("12abc", "not a number"),
    ("-", "not a number"),
    ("1-2", "not a number"),
    ("--1", "not a number"),
    ("+100", "leading +"),
    (".", "both sides of the decimal point"),
    ("1.", "both sides of the decimal point"),
    (".5", "both sides of the decimal point"),
    ("-.5", "both sides of the decimal point"),
    ("1.2.3", "more than one decimal point"),
    ("1,00,000", "group digits in threes"),
    ("1000,000", "group digits in threes"),
    (",100", "group digits in threes"),
    ("1,0000", "group digits in threes"),
    ("1,000,00", "group digits in threes"),
    ("1.5,0", "not allowed after the decimal point"),
    ("1 000", "spaces are not allowed"),
    ("1\t000", "spaces are not allowed"),
    ("１００", "use ASCII digits"),
    ("1００", "use ASCII digits"),
    ("١٠٠", "use ASCII digits"),  # Arabic-Indic digits: \d and int() accept these
    ("1٠٠", "use ASCII digits"),
    ("1,٠٠٠", "use ASCII digits"),
    ("1٠,000", "use ASCII digits"),
    ("1.٥", "use ASCII digits"),
    ("1.٥٠", "use ASCII digits"),
    ("\u3000100", "use ASCII digits"),  # ideographic space is not stripped
    ("¥100", "currency symbols"),
    ("￥100", "currency symbols"),
    ("$5", "currency symbols"),
    ("007", "leading zeros"),
    ("00.50", "leading zeros"),
    ("0,100", "leading zeros"),
    ("1_000", "underscores are not allowed"),
    ("1000000000000", "too large"),
    ("1,000,000,000,000.00", "too large"),
    ("x" * 33, "too long"),
    ("1" * 33, "too long"),
    (" " * 40, "too long"),  # length is checked before stripping
    ("0", "greater than zero"),
    ("0.00", "greater than zero"),
    ("-0", "greater than zero"),
    ("-5", "must not be negative"),
    ("-0.01", "must not be negative"),
]


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_parse_rejects_with_specific_message(text, message):
    with pytest.raises(MoneyError) as exc:
        parse_amount(text)
    assert message in str(exc.value)


def test_too_large_message_names_the_limit():
    with pytest.raises(MoneyError, match=re.escape("at most 999,999,999,999.99")):
        parse_amount("1000000000000.00")


@pytest.mark.parametrize("value", [1.5, 100, Decimal("1.00"), None, True, b"100", ["1"]])
def test_parse_requires_text(value):
    with pytest.raises(MoneyError, match="amount must be text"):
        parse_amount(value)


def test_money_error_is_value_error():
    assert issubclass(MoneyError, ValueError)


def test_zero_and_negative_flags():
    assert parse_amount("0", allow_zero=True) == 0
    assert parse_amount("0.00", allow_zero=True) == 0
    assert parse_amount("-0", allow_zero=True) == 0
    assert parse_amount("-0.00", allow_zero=True, allow_negative=True) == 0
    assert parse_amount("-5", allow_negative=True) == -500
    assert parse_amount("-1,234.50", allow_negative=True) == -123_450
    assert parse_amount("-999,999,999,999.99", allow_negative=True) == -MAX_AMOUNT_FEN
    with pytest.raises(MoneyError, match="too large"):
        parse_amount("-1000000000000", allow_negative=True)
    with pytest.raises(MoneyError, match="greater than zero"):
        parse_amount("0", allow_negative=True)
    with pytest.raises(MoneyError, match="must not be negative"):
        parse_amount("-5", allow_zero=True)


# ------------------------------------------------------------------------ formatting

FORMATS = [
    # fen, fen_to_str, format_amount, format_yuan
    (0, "0.00", "0.00", "¥0.00"),
    (5, "0.05", "0.05", "¥0.05"),
    (-5, "-0.05", "-0.05", "-¥0.05"),
    (-500, "-5.00", "-5.00", "-¥5.00"),
    (123_450, "1234.50", "1,234.50", "¥1,234.50"),
    (-123_450, "-1234.50", "-1,234.50", "-¥1,234.50"),
    (10_000_000, "100000.00", "100,000.00", "¥100,000.00"),
    (MAX_AMOUNT_FEN, "999999999999.99", "999,999,999,999.99", "¥999,999,999,999.99"),
]


@pytest.mark.parametrize(("fen", "plain", "grouped", "yuan"), FORMATS)
def test_formats(fen, plain, grouped, yuan):
    assert fen_to_str(fen) == plain
    assert format_amount(fen) == grouped
    assert format_yuan(fen) == yuan


@pytest.mark.parametrize("func", [fen_to_str, format_amount, format_yuan, to_chinese_capital])
@pytest.mark.parametrize("value", [1.0, Decimal("1"), "100", None, True, False])
def test_formatters_require_int(func, value):
    with pytest.raises(TypeError):
        func(value)


amounts = st.integers(min_value=0, max_value=MAX_AMOUNT_FEN)
signed_amounts = st.integers(min_value=-MAX_AMOUNT_FEN, max_value=MAX_AMOUNT_FEN)


@given(amounts)
@example(0)
@example(MAX_AMOUNT_FEN)
def test_round_trip_plain_and_grouped(f):
    assert parse_amount(fen_to_str(f), allow_zero=True) == f
    assert parse_amount(format_amount(f), allow_zero=True) == f


@given(signed_amounts)
def test_round_trip_negative(f):
    assert parse_amount(fen_to_str(f), allow_zero=True, allow_negative=True) == f
    assert parse_amount(format_amount(f), allow_zero=True, allow_negative=True) == f


@given(st.integers(min_value=MAX_AMOUNT_FEN + 1, max_value=10**20))
def test_absurd_amounts_rejected(f):
    with pytest.raises(MoneyError, match="too large"):
        parse_amount(fen_to_str(f))


@given(st.integers(min_value=MAX_LEDGER_TOTAL_FEN + 1, max_value=10**22))
def test_figures_beyond_what_the_ledger_can_hold_are_refused_in_words(f):
    with pytest.raises(MoneyError, match="too large"):
        to_chinese_capital(f)
    with pytest.raises(MoneyError, match="too large"):
        to_chinese_capital(-f)


AMOUNT_CHARS = "0123456789.,-+eE _ ¥１٠٥"


@given(st.one_of(st.text(max_size=40), st.text(alphabet=AMOUNT_CHARS, max_size=24)))
def test_parse_never_crashes_and_agrees_with_decimal(text):
    try:
        fen = parse_amount(text, allow_zero=True, allow_negative=True)
    except MoneyError as err:
        assert str(err)
        return
    assert type(fen) is int and abs(fen) <= MAX_AMOUNT_FEN
    assert text.isascii()
    # Only reached for text the strict parser accepted, so Decimal is a fair oracle here.
    assert Decimal(text.strip().replace(",", "")) * 100 == fen


# ------------------------------------------------------------------------------ 大写

CAPITALS = [
    ("0.00", "零元整"),
    ("0.01", "壹分"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.55", "伍角伍分"),
    ("1.00", "壹元整"),
    ("1.05", "壹元零伍分"),
    ("1.50", "壹元伍角"),
    ("9.99", "玖元玖角玖分"),
    ("10.00", "壹拾元整"),
    ("10.05", "壹拾元零伍分"),
    ("10.50", "壹拾元零伍角"),
    ("11.00", "壹拾壹元整"),
    ("15.00", "壹拾伍元整"),
    ("100.00", "壹佰元整"),
    ("101.00", "壹佰零壹元整"),
    ("110.00", "壹佰壹拾元整"),
    ("200.20", "贰佰元零贰角"),
    ("1001.00", "壹仟零壹元整"),
    ("1010.00", "壹仟零壹拾元整"),
    ("1100.00", "壹仟壹佰元整"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("3000.03", "叁仟元零叁分"),
    ("10000.00", "壹万元整"),
    ("10005.00", "壹万零伍元整"),
    ("10005.50", "壹万零伍元伍角"),
    ("10010.00", "壹万零壹拾元整"),
    ("10100.00", "壹万零壹佰元整"),
    ("11000.00", "壹万壹仟元整"),
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("100000.00", "壹拾万元整"),
    ("100500.00", "壹拾万零伍佰元整"),
    ("107000.00", "壹拾万柒仟元整"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("1000000.00", "壹佰万元整"),
    ("1000001.00", "壹佰万零壹元整"),
    ("1020304.05", "壹佰零贰万零叁佰零肆元零伍分"),
    ("10000000.00", "壹仟万元整"),
    ("10001000.00", "壹仟万壹仟元整"),
    ("50000000.50", "伍仟万元零伍角"),
    ("100000000.00", "壹亿元整"),
    ("100000000.10", "壹亿元零壹角"),
    ("100000001.00", "壹亿零壹元整"),
    ("100001000.00", "壹亿零壹仟元整"),
    ("100010000.00", "壹亿零壹万元整"),
    ("110000000.00", "壹亿壹仟万元整"),
    ("1000100000.00", "壹拾亿零壹拾万元整"),
    ("1010101010.10", "壹拾亿壹仟零壹拾万壹仟零壹拾元零壹角"),
    ("20000000000.00", "贰佰亿元整"),
    ("100000000000.00", "壹仟亿元整"),
    ("100000000000.01", "壹仟亿元零壹分"),
    ("100000010000.10", "壹仟亿零壹万元零壹角"),
    ("123456789012.34", "壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-5.00", "负伍元整"),
    ("-0.05", "负伍分"),
    ("-1680.32", "负壹仟陆佰捌拾元零叁角贰分"),
]


@pytest.mark.parametrize(("text", "capital"), CAPITALS)
def test_chinese_capital_known_answers(text, capital):
    fen = parse_amount(text, allow_zero=True, allow_negative=True)
    assert to_chinese_capital(fen) == capital


def test_wan_yi_section_unit():
    # 10**12 yuan is one fen above the largest single amount, but a sum of amounts (a trial balance's total, a
    # fund's balance) reaches it: every figure up to MAX_LEDGER_TOTAL_FEN prints in words.
    assert _integer_capital(1_000_000_000_000) == "壹万亿"
    assert _integer_capital(1_000_000_000_001) == "壹万亿零壹"
    assert to_chinese_capital(100_000_000_000_000) == "壹万亿元整"
    assert to_chinese_capital(2 * MAX_AMOUNT_FEN) == "壹万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角捌分"
    assert to_chinese_capital(MAX_LEDGER_TOTAL_FEN) == (
        "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分")


DIGIT_VALUES = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
FRACTION_RE = re.compile(r"(零)?(?:([壹贰叁肆伍陆柒捌玖])角)?(?:([壹贰叁肆伍陆柒捌玖])分)?(整)?")


def _decode_section(text):
    total, digit = 0, 0
    for ch in text:
        if ch in DIGIT_VALUES:
            digit = DIGIT_VALUES[ch]
        else:
            assert digit, f"unit {ch} without a digit in {text!r}"  # 壹拾, never bare 拾
            total += digit * SMALL_UNITS[ch]
            digit = 0
    return total + digit


def _decode_integer(text):
    for unit, mult in (("万亿", 10**12), ("亿", 10**8), ("万", 10**4)):  # 万亿 is one unit (10**12)
        head, sep, tail = text.partition(unit)
        if sep:
            return _decode_integer(head) * mult + _decode_integer(tail)
    return _decode_section(text)


def decode_capital(text):
    """Independent decoder: 大写金额 back to fen."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负")
    if text == "零元整":
        return 0
    whole, sep, rest = text.rpartition("元")
    m = FRACTION_RE.fullmatch(rest)
    assert m, f"bad fraction {rest!r}"
    zero, jiao, fen, whole_mark = m.groups()
    assert bool(whole_mark) == (not jiao and not fen), text
    assert not (zero and not sep), "零 after nothing"
    yuan = _decode_integer(whole) if sep else 0
    return sign * (yuan * 100 + DIGIT_VALUES.get(jiao, 0) * 10 + DIGIT_VALUES.get(fen, 0))


@pytest.mark.parametrize(("text", "capital"), CAPITALS)
def test_decoder_agrees_with_table(text, capital):
    assert decode_capital(capital) == parse_amount(text, allow_zero=True, allow_negative=True)


# Digits drawn with many zeros, so zero runs, empty sections and 零 rules get exercised.
zero_heavy = st.text(alphabet="00000123456789", min_size=1, max_size=18).map(int).filter(
    lambda n: n <= MAX_LEDGER_TOTAL_FEN
)


@given(st.one_of(signed_amounts, zero_heavy))
@example(1_680_32)
@example(10_000_000_000_000)
@example(MAX_LEDGER_TOTAL_FEN)
@example(10**16 + 1)
def test_chinese_capital_properties(f):
    text = to_chinese_capital(f)
    assert "零零" not in text
    assert not text.endswith("零")
    assert text.endswith(("整", "角", "分"))
    assert decode_capital(text) == f


@given(st.one_of(amounts, zero_heavy))
def test_chinese_capital_negative_is_prefixed(f):
    if f:
        assert to_chinese_capital(-f) == "负" + to_chinese_capital(f)


@given(st.one_of(st.text(alphabet="0123456789,. -\t+e", max_size=24),
                 st.from_regex(AMOUNT_PATTERN, fullmatch=True).filter(lambda t: len(t) <= 40)))
@example("1,000")
@example(" 100 ")
@example("999,999,999,999.99")
@example("1,000,000,000,000")
@example("1000000000000")
@example(" " * 30 + "1")
@example("-0")
@example("-0.00")
@example("-0.5")
def test_the_openapi_pattern_is_the_parsers_grammar(text):
    """The API documents exactly what it accepts: the pattern (and maxLength) and the parser agree on every text."""
    matches = re.fullmatch(AMOUNT_PATTERN, text) is not None and len(text) <= MAX_TEXT_LEN
    try:
        parse_amount(text, allow_zero=True)
        parsed = True
    except MoneyError:
        parsed = False
    assert matches == parsed, text
