"""Lines of fixed-width text written straight into a WeasyPrint PDF: the body of the 序时账 and the 明细账.

WeasyPrint lays out and draws a line of text in ~1 ms of Python (pango shaping, line boxes, drawing), so a
10,000-line journal took ~15 s. These lines need none of it: one monospaced face at one size, no wrapping,
each glyph advancing by its width in the font. So WeasyPrint lays out the page around them (title block,
running header and footer, the column header and the total, and an empty block of the body's height with
an ``id``), and :class:`LineWriter`, given to WeasyPrint as the *finisher* of the PDF, writes each page's
lines as text where that block is, in Noto Sans Mono CJK SC embedded as a CFF subset (fontTools) with a
ToUnicode map, so the text is found and copied as before.

The same look as WeasyPrint's: the face is the one fontconfig gives for the family, a character's glyph
is the font's cmap entry, advances are the font's widths, the size is rounded as pango rounds it and the
baseline sits where CSS puts it (half the leading, then the ascent). A character the face cannot draw
that way (missing from it, a mark or control character, or one that a lookup HarfBuzz applies by default
could change: a ligature, a local form, a mark's position) sends its page the old way: WeasyPrint lays
that page's lines out itself (:meth:`MonoFace.can_write`).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import pydyf
from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "Noto Sans Mono CJK SC"
FONT_SIZE = 6.8
"""Points, as ``pre.t`` in ``templates/reports/_parts.html`` (which takes it from here)."""
LINE_HEIGHT = 10
"""Points from one line to the next."""
LANGUAGE = "ZHS "
"""The OpenType language system of ``lang="zh-CN"`` (the templates' language)."""

PX = 0.75  # PDF points per CSS pixel
PANGO_UNITS = 1024  # pango keeps sizes in 1/1024 of a CSS pixel, truncated (WeasyPrint's units_from_double)

DEFAULT_FEATURES = frozenset((  # the features HarfBuzz applies unasked to horizontal text, any script
    "abvf", "abvm", "abvs", "akhn", "blwf", "blwm", "blws", "calt", "ccmp", "cfar", "cjct", "clig", "curs", "dist",
    "fin2", "fin3", "fina", "half", "haln", "init", "isol", "kern", "liga", "ljmo", "locl", "med2", "medi", "mkmk",
    "mark", "mset", "nukt", "pref", "pres", "pstf", "psts", "rclt", "rkrf", "rlig", "rphf", "stch", "tjmo", "vjmo",
))


@dataclass(frozen=True)
class MonoFont:
    """The face WeasyPrint uses for the lines, cut down to the characters of one document: those it writes
    without shaping, their glyphs (CIDs) and widths, the embedded program and what a font descriptor says."""

    cids: dict[str, int]
    """Character -> CID, for the characters written without shaping (see :meth:`can_write`)."""
    widths: dict[int, int]
    """CID -> advance in thousandths of an em, for those characters' glyphs and .notdef."""
    program: bytes
    """The CFF table cut down to those glyphs (CIDs kept), without hints or subroutines, as WeasyPrint
    embeds its fonts."""
    name: str
    """A subset tag, ``+`` and the face's PostScript name."""
    registry: str
    ordering: str
    supplement: int
    bbox: tuple[int, ...]
    ascent: int
    descent: int
    cap_height: int

    def can_write(self, lines: Iterable[str]) -> bool:
        return self.cids.keys() >= set("".join(lines))


def load_mono_font(characters: Iterable[str]) -> MonoFont | None:
    """Noto Sans Mono CJK SC as fontconfig finds it (as WeasyPrint does) for ``characters``, or None when it
    is not installed or is not a CID-keyed CFF face: then every page goes through WeasyPrint.

    Read for each document (~0.4 s, ~60 MB for a moment: fontTools reads the collection's glyph list and
    tables) rather than kept: the process keeps nothing but what it found where the font is."""
    found = _fontconfig_match(f"{FAMILY}:weight=80:slant=0")  # regular, upright: pango's ask for the lines
    if found is None:
        return None
    with TTFont(found[0], fontNumber=found[1], lazy=True) as font:
        return _cut(font, characters)


def _cut(font: TTFont, characters: Iterable[str]) -> MonoFont | None:
    """The face's glyphs and widths for ``characters`` it can write as is, and its CFF cut down to them."""
    names = {font["name"].getDebugName(i) for i in (1, 4, 16)}
    if FAMILY not in names or "CFF " not in font or "fvar" in font:
        return None
    top = font["CFF "].cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return None
    upem, hmtx, cmap = font["head"].unitsPerEm, font["hmtx"], font.getBestCmap()
    touched = _shaped_glyphs(font)
    cids, widths = {}, {0: round(hmtx[".notdef"][0] * 1000 / upem)}
    for ch in sorted(set(characters)):
        glyph, kind = cmap.get(ord(ch)), unicodedata.category(ch)[0]
        if glyph is None or glyph in touched or not glyph.startswith("cid") or kind in "MC" or \
                kind == "Z" and ch not in " \u3000":
            continue  # missing, shaped, marks, controls, unusual spaces: left to WeasyPrint
        cids[ch] = int(glyph[3:])
        widths[cids[ch]] = round(hmtx[glyph][0] * 1000 / upem)
    name = font["name"].getDebugName(6) or FAMILY.replace(" ", "")
    registry, ordering, supplement = top.ROS
    os2, hhea = font["OS/2"], font["hhea"]
    bbox = tuple(round(v * 1000 / upem) for v in top.FontBBox)
    ascent, descent = round(hhea.ascent * 1000 / upem), round(hhea.descent * 1000 / upem)
    subsetter = subset.Subsetter(subset.Options(hinting=False, desubroutinize=True, notdef_outline=True,
                                                layout_features=[], name_IDs=[], glyph_names=True))
    subsetter.populate(glyphs=[".notdef"] + [f"cid{cid:05d}" for cid in sorted(set(cids.values()))])
    subsetter.subset(font)
    program = font["CFF "].compile(font)
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(program).digest()[:6])
    return MonoFont(cids=cids, widths=widths, program=program, name=f"{tag}+{name}", registry=registry,
                    ordering=ordering, supplement=supplement, bbox=bbox, ascent=ascent, descent=descent,
                    cap_height=round(os2.sCapHeight * 1000 / upem))


def _shaped_glyphs(font: TTFont) -> set[str]:
    """Glyphs that a lookup HarfBuzz applies by default to zh-CN text could replace or move: the first glyph
    of a substitution or context, a mark, a glyph kerned against the next. A line without any of them comes
    out of HarfBuzz glyph for character, each at its advance."""
    touched: set[str] = set()
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        table = font[tag].table
        if table.ScriptList is None or table.FeatureList is None:
            continue
        features = table.FeatureList.FeatureRecord
        lookups = set()
        for record in table.ScriptList.ScriptRecord:
            systems = {s.LangSysTag: s.LangSys for s in record.Script.LangSysRecord}
            system = systems.get(LANGUAGE, record.Script.DefaultLangSys)
            if system is None:
                continue
            indices = list(system.FeatureIndex) + ([system.ReqFeatureIndex] if system.ReqFeatureIndex != 0xFFFF else [])
            lookups.update(i for f in indices if features[f].FeatureTag in DEFAULT_FEATURES
                           for i in features[f].Feature.LookupListIndex)
        for i in lookups:
            for sub in table.LookupList.Lookup[i].SubTable:
                touched.update(_first_glyphs(sub))
    return touched


def _first_glyphs(sub) -> Iterable[str]:
    sub = getattr(sub, "ExtSubTable", sub)  # an extension lookup holds the real one
    for attr in ("mapping", "ligatures", "alternates"):  # single, multiple, ligature, alternate substitution
        if isinstance(getattr(sub, attr, None), dict):
            return getattr(sub, attr).keys()
    for attr in ("MarkCoverage", "Mark1Coverage", "InputCoverage", "Coverage"):  # positioning, contexts
        coverage = getattr(sub, attr, None)
        if isinstance(coverage, list):
            coverage = coverage[0] if coverage else None
        if coverage is not None:
            return coverage.glyphs
    return ()


@cache
def _fontconfig_match(pattern: str) -> tuple[str, int] | None:
    """The file and face index fontconfig picks for ``pattern`` (as pango does for WeasyPrint)."""
    library = ctypes.util.find_library("fontconfig")
    if library is None:
        return None
    fc = ctypes.CDLL(library)
    ptr, text, num = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    fc.FcNameParse.restype, fc.FcNameParse.argtypes = ptr, [text]
    fc.FcConfigSubstitute.argtypes = [ptr, ptr, num]
    fc.FcDefaultSubstitute.argtypes = [ptr]
    fc.FcFontMatch.restype, fc.FcFontMatch.argtypes = ptr, [ptr, ptr, ctypes.POINTER(num)]
    fc.FcPatternGetString.argtypes = [ptr, text, num, ctypes.POINTER(text)]
    fc.FcPatternGetInteger.argtypes = [ptr, text, num, ctypes.POINTER(num)]
    fc.FcPatternDestroy.argtypes = [ptr]
    wanted = fc.FcNameParse(pattern.encode())
    if not wanted:
        return None
    try:
        fc.FcConfigSubstitute(None, wanted, 0)  # FcMatchPattern
        fc.FcDefaultSubstitute(wanted)
        result = num()
        match = fc.FcFontMatch(None, wanted, ctypes.byref(result))
        if not match:
            return None
        try:
            file, index = text(), num()
            if fc.FcPatternGetString(match, b"file", 0, ctypes.byref(file)) or \
                    fc.FcPatternGetInteger(match, b"index", 0, ctypes.byref(index)):
                return None
            return os.fsdecode(file.value), index.value
        finally:
            fc.FcPatternDestroy(match)
    finally:
        fc.FcPatternDestroy(wanted)


class LineWriter:
    """A WeasyPrint finisher that writes lines of text into the blocks the template left for them.

    ``blocks`` maps an element ``id`` (an empty block as high as its lines) to its lines; set it for each
    part of a document. The parts embed the same font (``font``, one subset for the whole document).
    """

    resource = "FLmono"

    def __init__(self, font: MonoFont) -> None:
        self.font = font
        self.hex = str.maketrans({ch: f"{cid:04x}" for ch, cid in font.cids.items()})
        self.size_px = int(FONT_SIZE / PX * PANGO_UNITS) / PANGO_UNITS
        ascent, descent = font.ascent / 1000 * self.size_px, -font.descent / 1000 * self.size_px
        self.baseline_px = (LINE_HEIGHT / PX - ascent - descent) / 2 + ascent  # half-leading, then the ascent
        self.blocks: dict[str, Sequence[str]] = {}

    def __call__(self, document, pdf: pydyf.PDF) -> None:
        if not self.blocks:
            return
        font = self._embed(pdf)
        kids = pdf.pages["Kids"][::3]
        for page, number in zip(document.pages, kids, strict=True):
            ids = [i for i in page.anchors if i in self.blocks]
            if not ids:
                continue
            pdf_page = pdf.objects[number]
            resources = pdf.objects[int(pdf_page["Resources"].split()[0])]  # WeasyPrint's, shared by its pages
            pdf.objects[int(resources["Font"].split()[0])][self.resource] = font
            operations = [b"Q 0 0 0 rg BT", b"/%s %s Tf %s TL" % (self.resource.encode(), _num(self.size_px * PX),
                                                                   _num(LINE_HEIGHT))]
            for block in ids:
                x, y, _right, _bottom = page.anchors[block]  # its border box, in CSS pixels
                baseline = (page.height - y - self.baseline_px) * PX
                lines = self.blocks[block]
                operations.append(b"1 0 0 1 %s %s Tm" % (_num(x * PX), _num(baseline)))
                operations.extend(b"<%s> %s" % (line.translate(self.hex).encode(), b"Tj" if i == 0 else b"'")
                                  for i, line in enumerate(lines))
            operations.append(b"ET")
            before, after = pydyf.Stream([b"q"]), pydyf.Stream(operations, compress=True)
            pdf.add_object(before)
            pdf.add_object(after)
            pdf_page["Contents"] = pydyf.Array([before.reference, pdf_page["Contents"], after.reference])

    def _embed(self, pdf: pydyf.PDF) -> bytes:
        font = self.font
        program = pydyf.Stream([font.program], pydyf.Dictionary({"Subtype": "/CIDFontType0C"}), compress=True)
        pdf.add_object(program)
        descriptor = pydyf.Dictionary({
            "Type": "/FontDescriptor", "FontName": "/" + font.name, "Flags": 4, "FontBBox": pydyf.Array(font.bbox),
            "ItalicAngle": 0, "Ascent": font.ascent, "Descent": font.descent, "CapHeight": font.cap_height,
            "StemV": 80, "FontFile3": program.reference})
        pdf.add_object(descriptor)
        widths = pydyf.Array()
        for cid, width in sorted(font.widths.items()):
            if width != 1000:
                widths.extend([cid, pydyf.Array([width])])
        cid_font = pydyf.Dictionary({
            "Type": "/Font", "Subtype": "/CIDFontType0", "BaseFont": "/" + font.name,
            "CIDSystemInfo": pydyf.Dictionary({"Registry": pydyf.String(font.registry),
                                               "Ordering": pydyf.String(font.ordering),
                                               "Supplement": font.supplement}),
            "FontDescriptor": descriptor.reference, "DW": 1000, "W": widths})
        pdf.add_object(cid_font)
        to_unicode = pydyf.Stream(_to_unicode_cmap(font.cids), compress=True)
        pdf.add_object(to_unicode)
        type0 = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type0", "BaseFont": "/" + font.name,
                                  "Encoding": "/Identity-H", "DescendantFonts": pydyf.Array([cid_font.reference]),
                                  "ToUnicode": to_unicode.reference})
        pdf.add_object(type0)
        return type0.reference


def _num(value: float) -> bytes:
    return f"{value:.4f}".rstrip("0").rstrip(".").encode()


def _to_unicode_cmap(cids: dict[str, int]) -> list[bytes]:
    """The ToUnicode CMap: each CID back to its character (the first, if the font maps several to one)."""
    out = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
           b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
           b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
           b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    chars: dict[int, str] = {}
    for ch, cid in sorted(cids.items()):
        chars.setdefault(cid, ch)
    items = sorted(chars.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        out.append(b"%d beginbfchar" % len(batch))
        out.extend(b"<%04x> <%s>" % (cid, ch.encode("utf-16-be").hex().encode()) for cid, ch in batch)
        out.append(b"endbfchar")
    out += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return out
