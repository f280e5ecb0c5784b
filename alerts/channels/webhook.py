"""Webhook delivery, signed as the Standard Webhooks specification says.

``webhook-id`` is the alert id, so a receiver can deduplicate our retries;
``webhook-timestamp`` and ``webhook-signature`` are made fresh on every attempt
(the reference verifier rejects timestamps older than five minutes, and a
retry may come much later than the first try).

Redirects are not followed: a signed POST re-sent to wherever a 3xx points
could leak the alert to another host or scheme, so a redirect is a permanent
failure the subscriber must fix by subscribing the final URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from email.utils import parsedate_to_datetime

import httpx

from alerts.channels.base import Outcome, Timeouts
from alerts.subscriptions import mask_target

_MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "transferwatch-webhook/1"


def decode_secret(secret: str) -> bytes:
    """``whsec_<base64>`` -> key bytes, as the reference implementation reads it."""
    raw = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    return base64.b64decode(raw + "==")


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in seconds, from either of its forms (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class WebhookChannel:
    """POSTs the alert JSON to one http(s) URL."""

    def __init__(self, url: str, secret: str, timeouts: Timeouts = Timeouts()):
        self.url = url
        self.key = decode_secret(secret)
        self.timeouts = timeouts
        self.client = httpx.Client(
            timeout=httpx.Timeout(min(timeouts.read, timeouts.total), connect=min(timeouts.connect, timeouts.total)),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )

    def __repr__(self) -> str:  # the URL may carry a token, and the key is the signing secret
        return f"WebhookChannel({mask_target(self.url)!r})"

    def headers(self, alert_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        return {
            "content-type": "application/json",
            "webhook-id": alert_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(self.key, alert_id, ts, body),
        }

    def deliver(self, alert_id: str, body: bytes, alert: dict) -> Outcome:
        """One signed POST; the response body is read (bounded) only to finish the exchange cleanly."""
        deadline = time.monotonic() + self.timeouts.total
        try:
            with self.client.stream("POST", self.url, content=body, headers=self.headers(alert_id, body)) as response:
                received = 0
                for chunk in response.iter_raw():
                    received += len(chunk)
                    if received > _MAX_RESPONSE_BYTES or time.monotonic() > deadline:
                        break  # the status is all we need; don't let a trickling body hold us
                return self._judge(response)
        except httpx.TimeoutException as exc:
            return Outcome.retryable(f"timeout ({type(exc).__name__})")
        except httpx.TransportError as exc:
            detail = str(exc).replace(self.url, mask_target(self.url))  # a webhook URL may hold a token
            return Outcome.retryable(f"connection error ({type(exc).__name__}: {detail})")

    @staticmethod
    def _judge(response: httpx.Response) -> Outcome:
        code = response.status_code
        if 200 <= code < 300:
            return Outcome.ok()
        if code == 429 or code >= 500:
            return Outcome.retryable(f"http {code}", parse_retry_after(response.headers.get("retry-after")))
        if 300 <= code < 400:
            return Outcome.permanent(f"http {code}: redirects are not followed; subscribe the final URL")
        return Outcome.permanent(f"http {code}")

    def close(self) -> None:
        self.client.close()
