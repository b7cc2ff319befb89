"""Which language a page speaks: Chinese (the default) or English, chosen with ``?lang=en`` / ``?lang=zh``.

The words live in gettext catalogues (Flask-Babel): every msgid is the English text, and
``translations/zh_CN/LC_MESSAGES/messages.po`` holds the Chinese (``translations/en`` needs no msgstr).
Templates and Python say ``_("Overview")`` / ``gettext`` for one plain string in the page's language
(titles, attributes, options, notices) and ``bi("Overview")`` for the Chinese with the English small
beside it (the Chinese page, as it has always looked) or the English alone; ``pbi(context, text)`` and
``pgettext`` where one English text has two Chinese translations. Named parameters are gettext's:
``bi("Closed %(n)s entries", n=5)``. ``pybabel extract -F babel.cfg`` finds them all (``make translations``).

The ``.mo`` files are compiled from the ``.po`` files by ``make translations`` and, when one is missing
or older than its ``.po`` (a fresh clone), by :func:`compile_catalogues` as the app starts.

Flask-Babel picks the locale, so ``flask_babel.get_locale()`` and its formatters agree with the page.
Amounts keep their own formatting (``ledger.money``) in both languages. The choice is kept in the
session cookie; without one, a signed-in user's ``users.language`` applies.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel import support
from flask import Flask, has_request_context, request, session, url_for
from flask_babel import Babel, Domain, get_locale, gettext, pgettext
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from ..config import PROJECT_ROOT

LANGUAGES = {"zh": "zh-CN", "en": "en"}
"""Language code -> the value of ``<html lang>``."""
LOCALES = {"zh": "zh_CN", "en": "en"}
"""Language code -> the Babel locale and the catalogue's folder under ``translations/``."""
DEFAULT = "zh"
SESSION_KEY = "lang"
TRANSLATIONS = PROJECT_ROOT / "translations"
DOMAIN = "messages"



class _Catalogues(Domain):
    """Flask-Babel's message domain, finding a locale's catalogue by language and territory: Babel parses
    "zh_CN" as ``zh_Hans_CN``, a name gettext would look for in vain (the folder is ``zh_CN``)."""

    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        key = str(locale)
        if key not in self.cache:
            names = [f"{locale.language}_{locale.territory}"] if locale.territory else []
            translations = support.Translations()
            for directory in self.translation_directories:
                catalog = support.Translations.load(directory, [*names, locale.language], self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            self.cache[key] = translations
        return self.cache[key]


babel = Babel()
babel.domain_instance = _Catalogues()


def compile_catalogues(directory: Path = TRANSLATIONS, force: bool = False) -> list[Path]:
    """Compile each ``messages.po`` under ``directory`` whose ``.mo`` is missing or older; the ``.mo`` written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name, domain=DOMAIN)
        # Written beside and renamed into place: a test session or a second worker never reads half a file.
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo)
    return written


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    for folder in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"):
        compile_catalogues(Path(app.root_path, folder))
    babel.init_app(app, default_locale=LOCALES[DEFAULT], locale_selector=_select_locale)
    # First, so that a page the access check redirects (to /login) still remembers the choice.
    app.before_request_funcs.setdefault(None, []).insert(0, _remember_choice)
    app.jinja_env.globals.update(bi=bi, pbi=pbi, both=both, localized=localized, language=language,
                                 html_lang=html_lang, language_url=language_url)


def _is_page_request() -> bool:
    # The API answers in JSON and never reads the session cookie.
    return has_request_context() and not request.path.startswith("/api/")


def _asked() -> str | None:
    choice = request.args.get("lang")
    return choice if choice in LANGUAGES else None


def _select_locale() -> str:
    if not _is_page_request():
        return LOCALES[DEFAULT]
    choice = _asked() or session.get(SESSION_KEY)
    if choice not in LANGUAGES:
        from .security import principal

        own = getattr(principal(), "language", None)
        choice = own if own in LANGUAGES else DEFAULT
    return LOCALES[choice]


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


def _format(text: str, values: dict) -> Markup:
    # As Jinja's gettext does: the catalogue's text is the markup, the values are escaped into it.
    return Markup(text) % {k: escape(v) for k, v in values.items()}


def bi(text: str, **values) -> Markup:
    """The msgid ``text`` translated, with the English small beside it on a Chinese page; on an English
    page the English alone. ``values`` fill gettext's named parameters (``%(name)s``)."""
    return _both(gettext(text), text, values)


def pbi(context: str, text: str, **values) -> Markup:
    """:func:`bi` for a msgid that needs a context (one English text, two Chinese translations)."""
    return _both(pgettext(context, text), text, values)


def _both(translated: str, english: str, values: dict) -> Markup:
    if language() == "en" or translated == english:
        return _format(english, values) if language() == "en" else _format(translated, values)
    return Markup("{} <small>{}</small>").format(_format(translated, values), _format(english, values))


def both(zh: str, en: str | None) -> Markup:
    """Two texts kept in the data (an account's name and name_en), shown as :func:`bi` shows a msgid."""
    en = en or zh
    return Markup("{}").format(en) if language() == "en" else Markup("{} <small>{}</small>").format(zh, en)


def N_(text: str) -> str:
    """Marks a msgid for ``pybabel extract`` where it is defined (a table, a service's message); it is
    translated where it is shown."""
    return text


def NP_(context: str, text: str) -> str:
    """:func:`N_` for a msgid with a context (``pgettext(context, text)`` where it is shown)."""
    return text


def localized(zh: str | None, en: str | None) -> str:
    """One of two texts kept in the data (an account's name and name_en): the English one on an English page."""
    return (en or zh or "") if language() == "en" else (zh or en or "")


def language_url(code: str) -> str:
    """This page again, in another language (keeping its query)."""
    if request.endpoint and request.endpoint != "static":
        values = {**request.args.to_dict(flat=False), **(request.view_args or {}), "lang": code}
        try:
            return url_for(request.endpoint, **values)
        except BuildError:
            pass
    return f"?lang={code}"  # no route (a 404 page): the query alone will do
