"""Decode the bytes of an HTML page the way a careful crawler would.

Order of evidence: a byte-order mark, then the charset of the HTTP ``Content-Type`` header, then
``<meta charset>`` / ``<meta http-equiv=Content-Type>`` in the first bytes, then a guess. A
declaration is only believed when the bytes agree with it: many servers send
``charset=iso-8859-1`` for pages that are really UTF-8, and many pages declare ``utf-8`` while
their bytes are windows-1252. Bytes that are valid UTF-8 and contain non-ASCII sequences are
UTF-8 whatever the declaration says (legacy text is almost never valid UTF-8 by chance).
"""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_html", "normalize_charset"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: the UTF-32 LE BOM starts with it
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,500}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
#: How far into the document a ``<meta charset>`` is looked for (HTML says 1024 bytes; real
#: pages put long scripts first, so look further).
_META_SCAN_BYTES = 16_384
#: WHATWG: these labels mean windows-1252 in a browser, which is a superset of them.
_AS_CP1252 = {"latin_1", "iso8859_1", "ascii", "cp1252"}
#: Guesses charset_normalizer makes for short Western text; a browser would use windows-1252.
_LATIN_GUESSES = {
    "cp1250",
    "cp1252",
    "cp1254",
    "cp1257",
    "cp1006",
    "cp437",
    "cp850",
    "cp858",
    "latin_1",
    "iso8859_2",
    "iso8859_3",
    "iso8859_4",
    "iso8859_9",
    "iso8859_10",
    "iso8859_13",
    "iso8859_14",
    "iso8859_15",
    "iso8859_16",
    "mac_roman",
    "mac_latin2",
    "mac_iceland",
    "mac_turkish",
}
_TAG_OR_SCRIPT = re.compile(rb"<script.*?</script>|<style.*?</style>|<[^>]*>", re.I | re.S)
_LETTERISH = re.compile(rb"[A-Za-z\x80-\xff]")
_HIGH = re.compile(rb"[\x80-\xff]")


def normalize_charset(label: str | None) -> str | None:
    """Python codec name for a charset label (``"ISO-8859-1"`` -> ``"cp1252"``), None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    if name in _AS_CP1252:
        return "cp1252"
    if name == "utf_8" or name == "utf_8_sig":
        return "utf-8"
    return name


def _declared(body: bytes, content_type: str | None) -> str | None:
    if content_type:
        header = _HEADER_CHARSET.search(content_type)
        if header:
            found = normalize_charset(header.group(1))
            if found:
                return found
    meta = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    if meta:
        found = normalize_charset(meta.group(1).decode("ascii", "replace"))
        # A document read as bytes cannot really be UTF-16/32 if its <meta> is ASCII-readable.
        if found and not found.startswith(("utf_16", "utf_32")):
            return found
    return None


def _utf8_state(body: bytes) -> bool | None:
    """True: valid UTF-8 with non-ASCII; None: pure ASCII; False: not valid UTF-8."""
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A page cut in the middle of a multi-byte character is still UTF-8.
        return exc.start >= len(body) - 3 and exc.reason == "unexpected end of data"
    return True


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _high_byte_share(body: bytes) -> float:
    """Share of letter-like bytes in the visible text that are non-ASCII.

    Western text with a few accents stays far below 0.3; Cyrillic, Greek, Arabic or CJK text in
    a legacy encoding is mostly high bytes.
    """
    text = _TAG_OR_SCRIPT.sub(b" ", body[:400_000])
    letters = len(_LETTERISH.findall(text))
    return len(_HIGH.findall(text)) / letters if letters else 0.0


def _guess(body: bytes) -> str:
    if _high_byte_share(body) < 0.3:
        return "cp1252" if _decodes(body, "cp1252") else "latin-1"
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is a declared dependency
        return "cp1252"
    best = from_bytes(body[:200_000]).best()
    name = normalize_charset(best.encoding) if best is not None else None
    if not name or name in _LATIN_GUESSES:
        return "cp1252" if _decodes(body, "cp1252") else "latin-1"
    return name


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML page.

    Args:
        body: the bytes as served.
        content_type: the HTTP ``Content-Type`` header, if known.

    Returns:
        ``(text, encoding)``: the decoded text (never raises; undecodable bytes become U+FFFD)
        and the Python codec name used, e.g. ``"utf-8"`` or ``"cp1252"``.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    utf8 = _utf8_state(body)
    if utf8 is None:  # pure ASCII: every ASCII-compatible declaration decodes it the same
        declared = _declared(body, content_type)
        if declared and declared.startswith(("iso2022", "hz")) and _decodes(body, declared):
            return body.decode(declared), declared  # 7-bit encodings of CJK text
        return body.decode("ascii"), "utf-8"
    if utf8:
        return body.decode("utf-8", errors="replace"), "utf-8"
    declared = _declared(body, content_type)
    if declared and declared != "utf-8" and _decodes(body, declared):
        return body.decode(declared), declared
    encoding = _guess(body)
    if declared and declared != "utf-8" and encoding in ("cp1252", "latin-1"):
        # The declaration was nearly right (a stray byte); trust it over a default.
        encoding = declared
    return body.decode(encoding, errors="replace"), encoding
