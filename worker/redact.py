"""Secrets out of text: what reprs, logs and error messages show instead of a password or a token.

* a URL's password: ``redis://user:s3cret@host`` -> ``redis://user:***@host``;
* a URL query value whose name says it is a secret: ``?password=...``, ``?token=...`` -> ``=***``;
* a Standard Webhooks secret: ``whsec_<base64>`` -> ``whsec_***``.

Notification and webhook targets have their own, stricter mask
(``alerts.subscriptions.mask_target``: apprise knows where each service keeps
its tokens); this module is the net under everything else.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# the password runs to the last '@' before the host: a raw '@' in it must not leave its tail behind
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^\s/]+@", re.I)
_SECRET_QUERY = re.compile(
    r"(?P<head>[?&;](?:password|passwd|pass|pwd|token|access_token|secret|key|apikey|api_key|auth|sig|signature)=)"
    r"[^&;#\s]+",
    re.I,
)
_WEBHOOK_SECRET = re.compile(r"\bwhsec_[A-Za-z0-9+/=]+")


def redact_text(text: str) -> str:
    """``text`` with every URL password, secret query value and webhook secret replaced by ``***``."""
    if "@" in text:
        text = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    if "=" in text:
        text = _SECRET_QUERY.sub(rf"\g<head>{MASK}", text)
    if "whsec_" in text:
        text = _WEBHOOK_SECRET.sub(f"whsec_{MASK}", text)
    return text


def redact_url(url: str | None) -> str | None:
    """``redis://user:secret@host`` -> ``redis://user:***@host`` (and secret query values masked)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is not None:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        url = urlunsplit((parts.scheme, f"{user}:{MASK}@{hostport}", parts.path, parts.query, parts.fragment))
    return _SECRET_QUERY.sub(rf"\g<head>{MASK}", url) if "=" in url else url
