"""QR codes printed on the fund's paper: an address drawn with segno as inline SVG.

Inline, not a file or a ``data:`` URL: the PDF renderer fetches nothing but ``static/`` (reports/pdf.py), and
an ``<svg>`` element in the page needs no fetching at all. segno draws the same symbol for the same text,
so an acknowledgement stays the same bytes download after download.
"""
from __future__ import annotations

import io

import segno
from markupsafe import Markup

QUIET_ZONE = 4
"""Modules of white around the symbol, as ISO/IEC 18004 asks: a scanner finds the code by that margin."""


def qr_svg(text: str) -> Markup:
    """``text`` as a QR code (error correction M: a crease or a stain still scans), an ``<svg>`` with a
    viewBox and no size of its own: the template gives it its printed size."""
    symbol = segno.make(text, error="m", micro=False)
    out = io.BytesIO()
    symbol.save(out, kind="svg", xmldecl=False, svgns=True, nl=False, scale=1, border=QUIET_ZONE, omitsize=True,
                svgclass="qr", lineclass=None)
    return Markup(out.getvalue().decode("utf-8").replace("<svg ", '<svg shape-rendering="crispEdges" ', 1))
