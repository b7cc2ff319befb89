"""Words the services and a page say as plain English text (a refusal's detail or field message that has no
code of its own yet), marked here so that ``pybabel extract`` finds them and ``make extract`` keeps their Chinese
in the catalogue; the pages translate them through gettext when they show them. New refusals should get a code
in ``messages.py`` instead."""
from __future__ import annotations

from .messages import N_

SERVICE_WORDS = (
    N_('Choose a month (YYYY-MM) or a year (YYYY) to close'),
    N_('amount is too large (at most 999,999,999,999.99)'),
    N_('at most 200 characters'),
    N_('at most 120 characters'),
    N_('at most 64 characters'),
    N_('at most 2000 characters'),
    N_('at most 32 characters'),
    N_('choose a donor'),
    N_('choose a fund'),
    N_('reused with a different request'),
    N_('two instalments on the same date'),
    N_('each instalment is a positive amount'),
    N_('a restricted fund needs the purpose its donors set'),
    N_('2 to 32 ASCII capitals, digits or _, starting with a letter (e.g. AILILIANG)'),
    N_('choose a .csv or .xlsx file'),
    N_("the donor's name is required (at most 100 characters)"),
    N_("the fund's code or name is required"),
    N_('formulas are not accepted: paste the values instead'),
    N_('only .csv and .xlsx files can be imported'),
    N_('the file is neither UTF-8 nor GBK text; save it as CSV UTF-8'),
    N_('the sheet is empty'),
    N_('the file has no gifts in it'),
    N_('the file contains NUL characters: is it really a CSV file?'),
    N_('nobody approves a request they submitted'),
    N_('you have already approved this request; another manager must approve it too'),
    N_('the budget lines must add up to the amount'),
    N_('only PDF, PNG or JPEG'),
    N_('mislabelled'),
    N_('a file name is required'),
    N_('this request has no use report waiting for a decision'),
    N_('nobody receives a report they submitted'),
    N_('the bank reference of the money returned (1 to 64 characters)'),
)
