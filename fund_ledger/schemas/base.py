"""The base of every input schema: the same messages (codes) for a missing or unknown field, and the
two ways in: ``load_json`` (typed values) and ``load_form`` (text, turned into those values first).

Both raise marshmallow's ``ValidationError`` with ``{field: [Message]}``; ``flat_errors`` turns the
errors of a list (a budget line, an instalment) into ``line N: ...`` messages under the list's field,
so every edge names the same field with the same code.
"""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields

from .fields import MISSING_TEXT, Lines, StrictBool
from .messages import Message


class Input(Schema):
    """An input: every field's *required* and *null* messages are ``required``, an unknown key is ``unknown_field``."""

    error_messages = {"unknown": Message("unknown_field"), "type": Message("invalid")}

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.error_messages["required"] = Message("required")
        field_obj.error_messages["null"] = Message("required")
        field_obj.error_messages.setdefault("invalid", Message("invalid"))
        if isinstance(field_obj, fields.List):
            field_obj.error_messages["invalid"] = Message("invalid")


def load_json(schema: type[Schema] | Schema, data) -> dict:
    schema = schema() if isinstance(schema, type) else schema
    if not isinstance(data, Mapping):
        raise ValidationError({"_schema": [Message("invalid")]})
    return schema.load(data)


def form_values(schema: Schema, form: Mapping) -> dict:
    """The JSON a form means: each field's text through its ``from_text``; boxes left empty are not sent."""
    data = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key not in form:
            if isinstance(field, StrictBool):  # a checkbox left unticked sends nothing: it is false
                data[key] = False
            continue
        if isinstance(field, fields.List) and not isinstance(field, Lines) and hasattr(form, "getlist"):
            inner = field.inner
            data[key] = [inner.from_text(x) if hasattr(inner, "from_text") else x for x in form.getlist(key)]
            continue
        text = form.get(key)
        if not isinstance(text, str):
            continue
        value = field.from_text(text) if hasattr(field, "from_text") else text
        if value is not MISSING_TEXT:
            data[key] = value
    return data


def load_form(schema: type[Schema] | Schema, form: Mapping, **extra) -> dict:
    """Load a form (text) through ``schema``; keys the schema does not know (CSRF, the idempotency key) are
    left out; ``extra`` (already typed: the grantee's own organisation) is added as JSON would give it."""
    schema = schema(unknown=EXCLUDE) if isinstance(schema, type) else schema
    return schema.load({**form_values(schema, form), **extra}, unknown=EXCLUDE)


def flat_errors(messages) -> dict[str, list]:
    """``{field: [Message]}``: a list's errors ``{field: {index: {sub: [m]}}}`` become ``line N: m`` under field."""
    if not isinstance(messages, Mapping):
        return {"_schema": [m for m in (messages if isinstance(messages, list) else [messages])]}
    out: dict[str, list] = {}
    for field, value in messages.items():
        if isinstance(value, Mapping):
            lines = []
            for index, sub in sorted(value.items(), key=lambda kv: int(kv[0]) if str(kv[0]).isdigit() else -1):
                problems = [x for v in (sub.values() if isinstance(sub, Mapping) else [sub])
                            for x in (v if isinstance(v, list) else [v])]
                for problem in problems:
                    if str(index).isdigit():
                        lines.append(Message("line.problem", line=int(index) + 1, problem=problem))
                    else:
                        lines.append(problem)
            out[str(field)] = lines
        else:
            out[str(field)] = list(value) if isinstance(value, list) else [value]
    return out
