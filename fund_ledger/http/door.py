"""What every request body must be before anything reads it: checked at the door, a 400 that names the problem.

A JSON body is parsed once here with limits (nesting depth, text that is real Unicode), because the parsers
behind the API (webargs, Flask) would otherwise meet a 50,000-deep array as a RecursionError or a lone
surrogate (``"\\ud800"``) as an encoding error deep in the database driver: 500s. A multipart part without a
name, which werkzeug keeps under the key ``None``, is refused the same way before CSRF or a view looks at it.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 32
"""Deeper than any body the API takes (its deepest is an object holding a list of objects)."""


class BodyError(ValueError):
    """The body is not acceptable; the message says why, for the client."""


def strict_json_loads(data: str | bytes) -> Any:
    """``json.loads`` that refuses bodies nested deeper than ``MAX_JSON_DEPTH`` and text with lone surrogates."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyError("the JSON body is not UTF-8") from None
    _check_depth(data)
    try:
        value = json.loads(data)
    except RecursionError:
        raise BodyError(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    _check_text(value)
    return value


def _check_depth(text: str) -> None:
    """Count brackets outside strings before parsing, so a deep body never reaches the recursive parser."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise BodyError(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep")
        elif ch in "]}":
            depth -= 1


def _check_text(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _unicode(item)
        elif isinstance(item, dict):
            for k, v in item.items():
                _unicode(k)
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)


def _unicode(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError("the JSON body holds text that is not Unicode (a lone surrogate such as \\ud800)") from None


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_json_loads(s)


class LedgerRequest(Request):
    """Flask's request, refusing a form part that has no name (werkzeug files it under ``None``)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if None in self.form or None in self.files:
            raise BadRequest(description="a part of the form has no name")


def _check_json_body() -> None:
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        strict_json_loads(data)
    except BodyError as err:
        error = BadRequest(description=str(err))
        error.data = {"messages": {"json": {"_body": [str(err)]}}}
        raise error from None
    except ValueError:
        return  # plainly malformed JSON: the API's own parser answers it (400) as it always has


def init_door(app: Flask) -> None:
    app.request_class = LedgerRequest
    app.json = StrictJSONProvider(app)
    # First of all the request hooks: nothing (CSRF, log-in, a view) reads a body the door would refuse.
    app.before_request_funcs.setdefault(None, []).insert(0, _check_json_body)
