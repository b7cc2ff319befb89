"""Money as integer fen: strict parsing of yuan text, display formats and 大写金额.

Pure standard library. Every amount is an ``int`` of fen (1 yuan = 100 fen);
floats never appear, so no rounding can creep into the books.
"""

import re
import unicodedata

MAX_AMOUNT_FEN: int = 100_000_000_000_000 - 1  # 999,999,999,999.99 yuan; larger is "absurd"
MAX_LEDGER_TOTAL_FEN: int = 10**18 - 1
"""The most the ledger holds in all: the sum of every debit ever posted (= every credit) stays at or below
¥9,999,999,999,999,999.99. Every figure a report can print (a balance, a turnover, a column total) is a sum of
some of those postings, so it is at most this too: within the 大写 printer's range (below 10**16 yuan), within
a 64-bit integer in both databases, and 10,000 times the largest single amount, so reversals always fit."""
MAX_TEXT_LEN = 32

_TOO_LARGE = "amount is too large (at most 999,999,999,999.99)"
_ASCII_SPACE = " \t\n\r\x0b\x0c"

# The grammar of an amount, in one place: the parser below and the OpenAPI pattern (``AMOUNT_PATTERN``) are both
# built from it. [0-9] rather than \d: \d would also match full-width and other Unicode digits.
_WHOLE = r"0|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*"
_FRACTION = r"(?:\.([0-9]{1,2}))?"
_AMOUNT_RE = re.compile(rf"(-?)({_WHOLE}){_FRACTION}")
_SPACE_CLASS = "[ \\t\\n\\r\\x0b\\x0c]*"
AMOUNT_PATTERN = (rf"^{_SPACE_CLASS}(?:-?0(?:\.0{{1,2}})?|(?:0|[1-9][0-9]{{0,2}}(?:,[0-9]{{3}}){{1,3}}|[1-9][0-9]{{0,11}})"
                  rf"(?:\.[0-9]{{1,2}})?){_SPACE_CLASS}$")
"""What ``parse_amount(text, allow_zero=True)`` accepts, as a JSON-schema pattern (with ``maxLength``
``MAX_TEXT_LEN``): ASCII digits, thousands grouped in threes or none, at most two decimals, at most
999,999,999,999.99, ASCII white space around it; "-0" is zero. (Zero matches; the fields that need more say so.)"""
_EXPONENT_RE = re.compile(r"[-+]?[0-9.,]*[0-9][0-9.,]*[eE][-+]?[0-9]+")
_GROUPED_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


class MoneyError(ValueError):
    """A text that is not an amount: ``code`` and ``params`` say why (the catalogue in
    ``schemas/messages.py`` has the words for each code); ``str(err)`` is the same in plain English."""

    def __init__(self, text: str, code: str = "amount.not_a_number", **params):
        super().__init__(text)
        self.code = code
        self.params = params


def parse_amount(text: str, *, allow_zero: bool = False, allow_negative: bool = False) -> int:
    """Strictly parse a yuan amount such as ``"100,000.50"`` into fen."""
    if not isinstance(text, str):
        raise MoneyError("amount must be text", "amount.type")
    # Length check first so hostile input costs nothing beyond this.
    if len(text) > MAX_TEXT_LEN:
        raise MoneyError("amount text is too long", "amount.too_long")
    s = text.strip(_ASCII_SPACE)
    if not s:
        raise MoneyError("empty amount", "amount.empty")
    m = _AMOUNT_RE.fullmatch(s)
    if m is None:
        text, code, *params = _diagnose(s)
        raise MoneyError(text, code, **(params[0] if params else {}))
    sign, whole, frac = m.groups()
    fen = int(whole.replace(",", "")) * 100 + int((frac or "").ljust(2, "0"))
    if fen > MAX_AMOUNT_FEN:
        raise MoneyError(_TOO_LARGE, "amount.too_large", max="999,999,999,999.99")
    if fen == 0:  # "-0" lands here too: it is zero, not a negative amount
        if not allow_zero:
            raise MoneyError("amount must be greater than zero", "amount.zero")
        return 0
    if sign:
        if not allow_negative:
            raise MoneyError("amount must not be negative", "amount.negative")
        return -fen
    return fen


def _diagnose(s: str) -> tuple:
    """(English, code[, params]) for why ``s`` (stripped, non-empty, rejected by the regex) is not an amount."""
    for ch in s:
        if unicodedata.category(ch) == "Sc":
            return "currency symbols are not allowed", "amount.currency_symbol"
    for ch in s:
        if not ch.isascii():
            return f"use ASCII digits and punctuation only (found U+{ord(ch):04X})", "amount.not_ascii", {"char": f"U+{ord(ch):04X}"}
    if s.lstrip("+-").lower() in ("nan", "inf", "infinity"):
        return "not a number", "amount.not_a_number"
    if _EXPONENT_RE.fullmatch(s):
        return "exponents are not allowed", "amount.exponent"
    if "_" in s:
        return "underscores are not allowed", "amount.underscore"
    if any(ch in _ASCII_SPACE for ch in s):
        return "spaces are not allowed inside an amount", "amount.space"
    if s.startswith("+"):
        return "a leading + is not allowed", "amount.plus"
    body = s[1:] if s.startswith("-") else s
    if not body or any(ch not in "0123456789.," for ch in body):
        return "not a number", "amount.not_a_number"
    if body.count(".") > 1:
        return "more than one decimal point", "amount.decimal_points"
    whole, dot, frac = body.partition(".")
    if dot and (not whole.strip(",") or not frac):
        return "digits are required on both sides of the decimal point", "amount.decimal_digits"
    if "," in frac:
        return "thousands separators are not allowed after the decimal point", "amount.separator_after_point"
    if len(frac) > 2:
        return "more than two decimal places", "amount.too_many_decimals"
    if len(whole) > 1 and whole[0] == "0":
        return "leading zeros are not allowed", "amount.leading_zero"
    if "," in whole and not _GROUPED_RE.fullmatch(whole):
        return "thousands separators must group digits in threes", "amount.grouping"
    return "not a number", "amount.not_a_number"


def _check_fen(fen: int) -> None:
    # bool is an int subclass; True yuan-cents would be a silent bug.
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"amount must be an int of fen, not {type(fen).__name__}")


def _split(fen: int) -> tuple[str, int, int]:
    _check_fen(fen)
    yuan, cents = divmod(abs(fen), 100)
    return ("-" if fen < 0 else ""), yuan, cents


def fen_to_str(fen: int) -> str:
    """Plain form for APIs and CSV: ``"100000.00"``, ``"-5.00"``, ``"0.05"``."""
    sign, yuan, cents = _split(fen)
    return f"{sign}{yuan}.{cents:02d}"


def format_amount(fen: int) -> str:
    """Grouped form for people: ``"100,000.00"``, ``"-1,234.50"``."""
    sign, yuan, cents = _split(fen)
    return f"{sign}{yuan:,}.{cents:02d}"


def format_yuan(fen: int) -> str:
    """Grouped form with the yuan sign: ``"¥100,000.00"``, ``"-¥5.00"``."""
    sign, yuan, cents = _split(fen)
    return f"{sign}¥{yuan:,}.{cents:02d}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTION_UNITS = ("", "万", "亿", "万亿")


def _section_capital(sec: int) -> str:
    """0 < sec < 10000 without leading 零; inner zero runs become one 零."""
    out: list[str] = []
    pending_zero = False
    for pos in (3, 2, 1, 0):
        d = sec // 10**pos % 10
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[d] + _UNITS[pos])
    return "".join(out)


def _integer_capital(n: int) -> str:
    """大写 of a whole number of yuan, 0 < n < 10**16, without 元."""
    sections = []
    while n:
        n, sec = divmod(n, 10000)
        sections.append(sec)
    out: list[str] = []
    gap = False  # an all-zero section was skipped since the last output
    for i in reversed(range(len(sections))):
        sec = sections[i]
        if sec == 0:
            gap = gap or bool(out)
            continue
        # A missing 千 digit (or a skipped section) is read aloud as 零.
        if out and (gap or sec < 1000):
            out.append("零")
        out.append(_section_capital(sec) + _SECTION_UNITS[i])
        gap = False
    return "".join(out)


def to_chinese_capital(fen: int) -> str:
    """大写金额 as printed on cheques and receipts, e.g. 壹仟陆佰捌拾元零叁角贰分."""
    _check_fen(fen)
    if abs(fen) > MAX_LEDGER_TOTAL_FEN:  # any figure the ledger can hold prints
        raise MoneyError("amount is too large to print in words", "amount.too_large",
                         max=format_amount(MAX_LEDGER_TOTAL_FEN))
    if fen == 0:
        return "零元整"
    yuan, cents = divmod(abs(fen), 100)
    jiao, fen_digit = divmod(cents, 10)
    out = "负" if fen < 0 else ""
    if yuan:
        out += _integer_capital(yuan) + "元"
        if cents == 0:
            return out + "整"
        # 零 marks a zero 元位 before 角, or a zero 角 before 分.
        if (yuan % 10 == 0 and jiao) or not jiao:
            out += "零"
    if jiao:
        out += _DIGITS[jiao] + "角"
    if fen_digit:
        out += _DIGITS[fen_digit] + "分"
    return out
