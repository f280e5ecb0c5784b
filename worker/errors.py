"""The project's own exceptions: one family, so that callers tell our errors from a library's or a bug.

    TransferwatchError
    ├── ConfigError         bad configuration or input: the CLI prints one line and exits 2
    │   └── InputError          bad input a person gave (a ``--since``...), also a ``ValueError``
    │       └── SubscriptionError   a bad subscription (target, name, category, secret)
    ├── RedisUnavailable    Redis does not answer, or the embedded server does not start: exit 1
    ├── ListenError         an address the service must listen on is taken or refused: exit 1
    ├── FeedError           a feed's response cannot be read (an unsupported encoding...)
    ├── ExtractionError     the extractor raised on an article; the original error is ``__cause__``
    └── LedgerError         the ledger could not record an article

Errors that callers (or pydantic) catch as ``ValueError`` stay ``ValueError`` too.
Anything else that escapes is a bug, and is left to show: in the logs, in RQ's
failed registry, in a traceback.
"""

from __future__ import annotations


class TransferwatchError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(TransferwatchError):
    """Bad configuration or usage input: the CLI prints it on one line and exits 2."""


class InputError(ConfigError, ValueError):
    """Bad input a person gave on the command line or in a request: one line, exit 2 (HTTP 400)."""


class SubscriptionError(InputError):
    """Bad subscription input: the CLI prints it on one line and exits 2."""


class RedisUnavailable(TransferwatchError):
    """Redis cannot be reached (after the retries allowed), or the embedded server did not start."""


class ListenError(TransferwatchError):
    """An address the service must listen on (the dashboard's) is taken or refused."""


class FeedError(TransferwatchError, ValueError):
    """A feed's response that cannot be read."""


class ExtractionError(TransferwatchError):
    """The extractor raised on an article: a bug, never "no events". Raised ``from`` the original error."""

    def __init__(self, article_id: str, cause: BaseException):
        super().__init__(f"article {article_id}: extractor raised {type(cause).__name__}: {cause}")
        self.article_id = article_id


class LedgerError(TransferwatchError):
    """The ledger could not record an article (its script failed)."""
