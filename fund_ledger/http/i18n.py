"""Which language a page speaks: Chinese (the default) or English, chosen with ``?lang=en`` / ``?lang=zh``.

Both texts stay side by side in the templates, so nothing can drift out of step and there is no
catalog to extract or compile: ``bi("概览", "Overview")`` renders the Chinese with the English small
beside it (the Chinese page, as it has always looked) or the English alone; ``t(zh, en)`` gives one
plain string for the current language (titles, attributes, options, notices). Flask-Babel picks the
locale, so ``flask_babel.get_locale()`` and its formatters agree with the page. Amounts keep their
own formatting (``ledger.money``) in both languages.

The choice is kept in the session cookie; without one, a signed-in user's ``users.language`` applies.
"""
from __future__ import annotations

from flask import Flask, has_request_context, request, session, url_for
from flask_babel import Babel, get_locale
from markupsafe import Markup
from werkzeug.routing import BuildError

LANGUAGES = {"zh": "zh-CN", "en": "en"}
"""Language code -> the value of ``<html lang>``."""
DEFAULT = "zh"
SESSION_KEY = "lang"

babel = Babel()


def init_i18n(app: Flask) -> None:
    babel.init_app(app, default_locale=DEFAULT, locale_selector=_select_locale)
    # First, so that a page the access check redirects (to /login) still remembers the choice.
    app.before_request_funcs.setdefault(None, []).insert(0, _remember_choice)
    app.jinja_env.globals.update(t=t, bi=bi, language=language, html_lang=html_lang, language_url=language_url)


def _is_page_request() -> bool:
    # The API answers in JSON and never reads the session cookie.
    return has_request_context() and not request.path.startswith("/api/")


def _asked() -> str | None:
    choice = request.args.get("lang")
    return choice if choice in LANGUAGES else None


def _select_locale() -> str:
    if not _is_page_request():
        return DEFAULT
    choice = _asked() or session.get(SESSION_KEY)
    if choice in LANGUAGES:
        return choice
    from .security import principal

    who = principal()
    own = getattr(who, "language", None)
    return own if own in LANGUAGES else DEFAULT


def _remember_choice() -> None:
    if _is_page_request() and (choice := _asked()) and session.get(SESSION_KEY) != choice:
        session[SESSION_KEY] = choice


def clear_session_keeping_language() -> None:
    """``session.clear()`` on log-in and log-out (no state survives), except the language the person chose."""
    choice = session.get(SESSION_KEY)
    session.clear()
    if choice in LANGUAGES:
        session[SESSION_KEY] = choice


def language() -> str:
    """``"zh"`` or ``"en"``."""
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT


def html_lang() -> str:
    return LANGUAGES[language()]


def t(zh: str, en: str) -> str:
    """The text for the current language."""
    return en if language() == "en" else zh


def bi(zh: str, en: str) -> Markup:
    """Chinese with the English small beside it, or, on an English page, the English alone."""
    if language() == "en":
        return Markup("{}").format(en)
    return Markup("{} <small>{}</small>").format(zh, en)


def language_url(code: str) -> str:
    """This page again, in another language (keeping its query)."""
    if request.endpoint and request.endpoint != "static":
        values = {**request.args.to_dict(flat=False), **(request.view_args or {}), "lang": code}
        try:
            return url_for(request.endpoint, **values)
        except BuildError:
            pass
    return f"?lang={code}"  # no route (a 404 page): the query alone will do
