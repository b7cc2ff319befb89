"""The field types every input is declared with; each error is a ``Message`` (a code and its parameters).

One schema serves both edges. JSON gives typed values and the fields are strict about them (a JSON
number is not money, ``"5"`` is not an id, ``"yes"`` is not a boolean). A form gives text only, so before
loading, ``base.from_form`` turns each field's text into the JSON value that field expects, through the
field's ``from_text``:

* ``Money``, ``StrictDate``, ``Text``, ``Choice``: the text as it is (money is a string in both);
* ``Id``: ASCII digits become an int; anything else stays text and fails as ``id.invalid``, as in JSON;
* ``StrictBool``: a checkbox: ``"1"``/``"on"``/``"true"`` is true, ``"0"``/``"false"``/``""`` false;
* an empty box of an optional field is as if it were not sent (its default applies).

So the same bad value gives the same field and code on a page, in the API and in an import row.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from marshmallow import ValidationError, fields

from ..ledger.money import AMOUNT_PATTERN, MAX_TEXT_LEN, MoneyError, fen_to_str, parse_amount
from .messages import Message

MISSING_TEXT = object()
"""``from_text``'s answer for an empty box: treat the field as not sent."""


def _blank_is_missing(field: fields.Field, text: str):
    return MISSING_TEXT if not text.strip() and not field.required else text


class Money(fields.Field):
    """Yuan as a string with at most two decimals (``"100000.00"``) in JSON and in a form, held as integer fen."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_zero = allow_zero
        self.metadata.setdefault("type", "string")
        self.metadata.setdefault("pattern", AMOUNT_PATTERN)  # the parser's own grammar (ledger.money)
        self.metadata.setdefault("maxLength", MAX_TEXT_LEN)
        self.metadata.setdefault("example", "100000.00")

    def from_text(self, text: str):
        return _blank_is_missing(self, text)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not isinstance(value, str):
            raise ValidationError(Message("amount.not_string"))
        try:
            return parse_amount(value, allow_zero=self.allow_zero)
        except MoneyError as err:
            raise ValidationError(Message(err.code, **err.params)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else fen_to_str(value)


class MoneyOut(fields.Field):
    """An amount the API gives back (a balance, a total): yuan with two decimals, signed, as large as the ledger
    can hold (``MAX_LEDGER_TOTAL_FEN``): a sum of many gifts is larger than any one gift may be."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dump_only", True)
        super().__init__(**kwargs)
        self.metadata.setdefault("type", "string")
        self.metadata.setdefault("pattern", r"^-?[0-9]{1,16}\.[0-9]{2}$")
        self.metadata.setdefault("example", "100000.00")

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else fen_to_str(value)


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value) -> date:
    """``YYYY-MM-DD`` (ASCII digits) and nothing else; a ``Message`` ``date.format`` otherwise."""
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(Message("date.format"))


class StrictDate(fields.Date):
    """``YYYY-MM-DD`` and nothing else (no times, no week dates, no full-width digits), in JSON and in a form.

    With ``today`` (a function, e.g. ``clock.local_today``) a date after it is refused (``date.future``)."""

    def __init__(self, *, today=None, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    def from_text(self, text: str):
        return _blank_is_missing(self, text.strip())

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        day = parse_date(value)
        if self.today is not None and day > self.today():
            raise ValidationError(Message("date.future", date=day.isoformat()))
        return day


class StrictBool(fields.Boolean):
    """JSON ``true`` or ``false`` only: not "yes", 1 or "on" (a form's checkbox is read by ``from_text``)."""

    def from_text(self, text: str):
        value = text.strip().lower()
        if value in ("1", "on", "true"):
            return True
        if value in ("", "0", "false"):
            return False
        return text

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(Message("bool.invalid"))
        return value


MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in the database: a larger number names nothing and must not reach it."""


class Id(fields.Integer):
    """A row id: a JSON integer (a form's ASCII digits) from 1 to 2**31-1; anything else is ``id.invalid``
    (a bigger one would overflow the column: a 400, not a 500). ``strict=False`` (a query string) takes digits."""

    def __init__(self, *, strict: bool = True, **kwargs):
        super().__init__(strict=strict, **kwargs)
        self.metadata.setdefault("minimum", 1)
        self.metadata.setdefault("maximum", MAX_ID)

    def from_text(self, text: str):
        value = text.strip()
        if not value and not self.required:
            return MISSING_TEXT
        if value.isascii() and value.isdigit() and len(value) <= 12:
            return int(value)
        return text

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, str) and not self.strict:
            value = self.from_text(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise ValidationError(Message("id.invalid"))
        return value


# Bidirectional overrides and isolates: they make a name read differently from what it is.
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


_INVISIBLE = {"Cf", "Zl", "Zp", "Co", "Cs", "Cn"}
"""Format characters (zero-width space and joiners, BOM, bidirectional controls), line and paragraph separators,
private-use, surrogate and unassigned code points: nothing a person can see or check on a page or a PDF."""


def _hidden(ch: str, allowed: str) -> bool:
    category = unicodedata.category(ch)
    return (category == "Cc" and ch not in allowed) or category in _INVISIBLE or ch in _BIDI


class Text(fields.String):
    """Text, stripped of surrounding spaces; ``required`` means not blank; at most ``max`` characters;
    no control characters (``\\n`` and ``\\t`` only where ``multiline``) and no bidirectional overrides;
    with ``pattern``, a value that does not match it is ``pattern_code``."""

    def __init__(self, *, max: int, min: int = 0, multiline: bool = False, pattern: re.Pattern | None = None,
                 pattern_code: str = "invalid", **kwargs):
        if not kwargs.get("required"):
            kwargs.setdefault("load_default", "")
        super().__init__(**kwargs)
        self.max, self.min, self.multiline = max, min, multiline
        self.pattern, self.pattern_code = pattern, pattern_code
        self.metadata.setdefault("maxLength", max)

    def from_text(self, text: str):
        return _blank_is_missing(self, text)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise ValidationError(Message("text.type"))
        if len(value) > self.max * 4 + 100:  # far too long: say so before looking at every character
            raise ValidationError(Message("text.too_long", max=self.max))
        value = value.strip()
        if not value and self.required:
            raise ValidationError(Message("required"))
        if "\x00" in value:  # (the door refuses it in a request: the same code here, for files and the CLI)
            raise ValidationError(Message("text.nul"))
        allowed = "\n\t\r" if self.multiline else ""
        if any(_hidden(ch, allowed) for ch in value):
            raise ValidationError(Message("text.control"))
        if len(value) > self.max:
            raise ValidationError(Message("text.too_long", max=self.max))
        if len(value) < self.min:
            raise ValidationError(Message("text.length", min=self.min, max=self.max))
        if self.pattern is not None and value and not self.pattern.fullmatch(value):
            raise ValidationError(Message(self.pattern_code))
        return value


class Choice(fields.String):
    """One of a few words (``channel``, ``kind``); ``code`` names the message when it is not one of them."""

    def __init__(self, choices, *, code: str = "choice", **kwargs):
        super().__init__(**kwargs)
        self.choices = list(choices)
        self.code = code
        self.metadata.setdefault("enum", self.choices)

    def from_text(self, text: str):
        return _blank_is_missing(self, text.strip())

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise ValidationError(Message(self.code, choices=", ".join(self.choices)))
        return value


class Lines(fields.List):
    """A list of small records (budget lines, instalments): a JSON list of objects, or, in a form, a textarea
    with one record a line, ``keys`` read from its words (``last_word``: the final word is the second key,
    as in ``books 12000``; otherwise the first word is the first key, as in ``2026-12-31 50000``)."""

    def __init__(self, nested, *, keys: tuple[str, str], last_word: bool, max_lines: int, **kwargs):
        super().__init__(fields.Nested(nested), **kwargs)
        self.keys, self.last_word, self.max_lines = keys, last_word, max_lines

    def from_text(self, text: str):
        out = []
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            parts = line.rsplit(None, 1) if self.last_word else line.split(None, 1)
            if len(parts) != 2:
                parts = [line, ""] if self.last_word else [line, ""]
            out.append(dict(zip(self.keys, (p.strip() for p in parts))))
        if not out and not self.required:
            return MISSING_TEXT
        return out

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and len(value) > self.max_lines:
            raise ValidationError(Message("lines.count", max=self.max_lines))
        return super()._deserialize(value, attr, data, **kwargs)
