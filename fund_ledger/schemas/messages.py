"""Messages are data: an error is a code and its parameters; the words come from this catalogue.

``Message("text.too_long", max=100)`` is what a schema, a service or an import row says about a field.
It *is* a ``str`` (its English words, ``"at most 100 characters"``), so logs, ``detail`` texts and older
callers keep reading it as text, and it carries ``.code`` and ``.params`` for whoever renders it: the API
puts the codes beside the words (``codes: {field: [code]}``), the pages show the words in the page's
language (``render(message, "zh", gettext)``).

Each code's English template is marked with ``N_`` so that ``pybabel extract`` finds it; the Chinese is in
the gettext catalogue (translations/zh_CN/LC_MESSAGES/messages.po), the template as its msgid. Pure
Python: no Flask, no marshmallow, so the services, the schemas and the command line can all import it;
the edges pass their translator (Flask-Babel's ``gettext``) to ``render``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping


def N_(text: str) -> str:
    """Marks a template for extraction (``pybabel extract -k N_``); translates nothing by itself."""
    return text


CATALOGUE: dict[str, str] = {
    # any field
    "required": N_("required"),
    "unknown_field": N_("unknown field"),
    "invalid": N_("not valid"),
    "line.problem": N_("line %(line)s: %(problem)s"),
    "lines.count": N_("at most %(max)s lines"),
    "choice": N_("one of %(choices)s"),
    "bool.invalid": N_("true or false"),
    "id.invalid": N_("an id: a whole number from 1 to 2147483647"),
    # text
    "text.type": N_("must be text"),
    "text.too_long": N_("at most %(max)s characters"),
    "text.length": N_("%(min)s to %(max)s characters"),
    "text.control": N_("contains control or invisible characters"),
    "text.nul": N_("NUL characters are not allowed"),
    # dates
    "date.format": N_("a date written YYYY-MM-DD"),
    "disclosure.period": N_("a year (2026), a quarter (2026-Q3), a half (2026-H1) or a month (2026-10)"),
    "date.future": N_("%(date)s is in the future"),
    # amounts (ledger.money's MoneyError codes)
    "amount.not_string": N_('money is a JSON string with at most two decimals, like "100000.00"'),
    "amount.type": N_("amount must be text"),
    "amount.too_long": N_("amount text is too long"),
    "amount.empty": N_("empty amount"),
    "amount.too_large": N_("amount is too large (at most %(max)s)"),
    "amount.zero": N_("amount must be greater than zero"),
    "amount.negative": N_("amount must not be negative"),
    "amount.currency_symbol": N_("currency symbols are not allowed"),
    "amount.not_ascii": N_("use ASCII digits and punctuation only (found %(char)s)"),
    "amount.not_a_number": N_("not a number"),
    "amount.exponent": N_("exponents are not allowed"),
    "amount.underscore": N_("underscores are not allowed"),
    "amount.space": N_("spaces are not allowed inside an amount"),
    "amount.plus": N_("a leading + is not allowed"),
    "amount.decimal_points": N_("more than one decimal point"),
    "amount.decimal_digits": N_("digits are required on both sides of the decimal point"),
    "amount.separator_after_point": N_("thousands separators are not allowed after the decimal point"),
    "amount.too_many_decimals": N_("more than two decimal places"),
    "amount.leading_zero": N_("leading zeros are not allowed"),
    "amount.grouping": N_("thousands separators must group digits in threes"),
    "amount.range": N_("between %(min)s and %(max)s"),
    # donors and gifts
    "donor.kind": N_("person or organisation"),
    "donor.missing": N_("no donor %(id)s"),
    "phone.format": N_("digits, spaces, + - ( ) only"),
    "email.format": N_("not an e-mail address"),
    "fund.missing": N_("no fund %(fund)s"),
    "fund.closed": N_("fund %(fund)s is closed"),
    "fund.ended": N_("fund %(fund)s ended on %(date)s"),
    "pledge.missing": N_("no pledge %(id)s"),
    "pledge.mismatch": N_("the pledge is from another donor or for another fund"),
    "channel.choice": N_("one of %(choices)s"),
    # disbursements
    "purpose.required": N_("1 to 2000 characters: what the money is for"),
    "reason.required": N_("a reason (1 to 500 characters) is required"),
    "reference.required": N_("the payment reference (1 to 64 characters) is required"),
    "budget.lines": N_("up to 100 lines, each an item and a positive amount"),
    "budget.line": N_("line %(line)s: write an item and an amount, e.g. books 12000"),
    "budget.line_amount": N_("line %(line)s: %(problem)s"),
    "budget.sum": N_("the budget lines add up to %(sum)s, not %(amount)s"),
    "instalments.line": N_("line %(line)s: write a date and an amount, e.g. 2026-12-31 50000"),
    "instalments.line_value": N_("line %(line)s: %(problem)s"),
    "instalments.count": N_("1 to 120 instalments"),
    "credit_code.invalid": N_("not a valid unified social credit code: %(problem)s"),
    "organisation.missing": N_("no organisation %(id)s"),
    "name.length": N_("1 to 100 characters"),
    "narrative.required": N_("1 to 5000 characters: what the money did"),
    "amount.at_least_zero": N_("an amount of at least ¥0.00"),
    "report.sum": N_("spent (%(spent)s) and returned (%(returned)s) add up to %(sum)s, not the %(paid)s paid"),
    "report.lines_sum": N_("the spending lines add up to %(sum)s, not the %(spent)s spent"),
    "received_on.range": N_("out of range"),
    "period.closed": N_("period %(period)s is closed"),
    "date.before_books": N_("%(date)s is before the books begin (%(begin)s)"),
    "import.unfinished": N_("the import of %(file)s (batch %(batch)s) is unfinished, %(written)s of %(rows)s gifts "
                            "written: let it finish, or import the same file again, before closing a month"),
    "import.kind": N_("person or organisation (个人 or 单位)"),
    "import.channel": N_("bank, cash, wechat, alipay or other (银行, 现金, 微信, 支付宝, 其他)"),
    "import.formula": N_("looks like a formula: remove the leading = + - @"),
    "import.duplicate_column": N_("two columns mean %(column)s"),
    "import.missing_columns": N_("missing column(s): %(columns)s"),
    "import.mixed_encoding": N_("row %(row)s is not in %(encoding)s like the rows before it: the file mixes "
                                "encodings; save the whole file again as CSV UTF-8"),
    "import.encoding": N_("row %(row)s is neither UTF-8 nor GBK text: save the file as CSV UTF-8"),
    "import.cell_too_long": N_("a cell longer than %(max)s characters: is this really a list of gifts?"),
    "import.csv": N_("not readable as CSV: %(problem)s"),
    "import.too_many_problems": N_("%(max)s problems up to row %(row)s: the rest of the file was not checked"),
    "import.too_many_columns": N_("a value beyond column %(max)s: only the first %(max)s columns are read; "
                                  "remove what is further right"),
    "period.format": N_("a month (YYYY-MM) or a year (YYYY) from 2000 on"),
    "related.dates": N_("the relation cannot end before it began"),
    "date.range": N_("a date from %(min)s to %(max)s"),
    "period.order": N_("the period starts (%(start)s) after it ends (%(end)s)"),
    "fund.close_before_last": N_("on or after the fund's last entry, %(date)s"),
    "fund.not_empty": N_("the fund still holds or owes something: %(accounts)s"),
    "fund.requests_waiting": N_("%(count)s grant request(s) waiting: decide them first"),
    "disclosure.no_duty": N_("the books owe no duty %(duty)s"),
    "disclosure.kind_for_duty": N_("this duty is answered by an item of kind %(kind)s"),
    "disclosure.pdf_only": N_("an annual report or financial statements are published as a PDF"),
    "related.kind.person": N_("the linked donor is a person: so is the party"),
    "related.kind.organisation": N_("the linked donor or grantee is an organisation: so is the party"),
    "related.registered": N_("already in the register as No. %(id)s for some of these days"),
    "report_text.year": N_("a year from %(first)s to %(last)s: a year of the books, or this year"),
    "notes.whole_year": N_("the notes cover one whole calendar year: from 1 January to 31 December of one year"),
    "annual.year": N_("a year written YYYY, from 1901 to 9998"),
    "annual.not_ended": N_("%(year)s has not ended yet: its annual report can be submitted from 1 January %(next)s"),
    "annual.reason": N_("%(year)s was already submitted: a resubmission needs a reason"),
    "annual.not_submitted": N_("%(year)s has not been submitted: submit it first, then publish it"),
    "annual.published": N_("this submission of %(year)s is already published"),
}

class Message(str):
    """A code and its parameters, which reads as its English words."""

    code: str
    params: dict

    def __new__(cls, code: str, **params):
        template = CATALOGUE.get(code, code)
        self = super().__new__(cls, _fill(template, params))
        self.code = code
        self.params = params
        return self

    def __reduce__(self):  # pickling / copying keeps the code
        return (_rebuild, (self.code, self.params))

    def __repr__(self) -> str:
        return f"Message({self.code!r}, {self.params!r})"

    def format(self, *args, **kwargs) -> "Message":  # marshmallow formats its messages: ours are filled already
        return self


def _rebuild(code: str, params: dict) -> Message:
    return Message(code, **params)


def _fill(template: str, params: Mapping) -> str:
    if not params:
        return template
    try:
        return template % params
    except (KeyError, ValueError, TypeError):
        return template


def code_of(text) -> str:
    """The code of a message; a plain string (a message no one has given a code yet) is ``invalid``.
    A list's ``line N: problem`` has the problem's code (the line number is in the words)."""
    if isinstance(text, Message) and text.code == "line.problem":
        return code_of(text.params.get("problem"))
    return getattr(text, "code", None) or "invalid"


def render(text, language: str = "en", gettext: Callable[[str], str] | None = None) -> str:
    """The words of ``text`` in ``language`` ("zh" or "en"); ``gettext`` is the request's translator, if any.

    A nested message parameter (a budget line's problem) is rendered in the same language."""
    if not isinstance(text, Message):
        return str(text)
    params = {k: render(v, language, gettext) if isinstance(v, Message) else v for k, v in text.params.items()}
    template = CATALOGUE.get(text.code, text.code)
    if language == "en" or gettext is None:
        return _fill(template, params)
    return _fill(gettext(template), params)


def codes_of(errors: Mapping) -> dict:
    """``{field: [code]}`` for ``{field: [message]}`` (nested dicts, as marshmallow gives for lists, kept)."""
    out: dict = {}
    for field, value in (errors or {}).items():
        if isinstance(value, Mapping):
            out[field] = codes_of(value)
        elif isinstance(value, (list, tuple)):
            out[field] = [codes_of(v) if isinstance(v, Mapping) else code_of(v) for v in value]
        else:
            out[field] = [code_of(value)]
    return out
