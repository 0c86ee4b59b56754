"""URL normalisation: the key that makes one article one row.

An article is keyed by its canonical URL: the page's ``<link rel=canonical>`` when it points to the
same site, else the fetched URL normalised by :func:`normalize_url` (lower-cased scheme and host,
default port dropped, no fragment, tracking parameters such as ``utm_*`` removed, the remaining
query parameters sorted).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "host_of", "normalize_url", "same_site"]

#: Query parameters that identify a campaign or a click, never the content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "ref_src",
        "smid",
        "share",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(_TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """Return the normalised form of an absolute http(s) URL.

    Args:
        url: an absolute URL.

    Returns:
        The URL with scheme and host lower-cased, the default port, the fragment and tracking
        parameters removed, the query sorted and the path percent-encoded consistently.

    Raises:
        ValueError: if the URL is not an absolute http(s) URL.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port in URL: {url!r}") from exc
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` without a leading ``www.`` (empty if there is none)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(a: str, b: str) -> bool:
    """True when two URLs are on the same site (same host, ignoring ``www.`` and sub-domains of one
    another, e.g. ``example.com`` and ``sport.example.com``)."""
    ha, hb = host_of(a), host_of(b)
    if not ha or not hb:
        return False
    return ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha)


def canonical_url(page_url: str, declared: str | None) -> str:
    """Choose the key of an article fetched from ``page_url``.

    Args:
        page_url: the URL the page was fetched from (after redirects).
        declared: the ``<link rel=canonical>`` href of the page, if any (may be relative).

    Returns:
        The normalised declared canonical when it is an http(s) URL on the same site, else the
        normalised ``page_url``.
    """
    if declared:
        try:
            candidate = normalize_url(urljoin(page_url, declared.strip()))
        except ValueError:
            candidate = None
        if candidate and same_site(candidate, page_url):
            return candidate
    return normalize_url(page_url)
