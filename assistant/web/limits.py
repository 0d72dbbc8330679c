"""Per-client rate limits kept in memory only, keyed by a salted hash of the client address.

The address itself is never stored: each process draws a random key at start, so the hashes
cannot be linked to addresses or across restarts. The table of clients is bounded (least
recently seen clients are forgotten first).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable


class ClientKeys:
    """Turns a client address into an opaque key that is only meaningful inside this process."""

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(16)

    def __call__(self, address: str) -> bytes:
        return hashlib.blake2b(address.encode(), key=self._salt, digest_size=12).digest()


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests in a burst, refilled evenly.

    Not thread-safe by design: it is used from the server's event loop only.
    """

    def __init__(
        self,
        per_minute: int,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()

    def allow(self, client: bytes) -> bool:
        """Take one token for this client; False when its bucket is empty (or limits are off)."""
        if self.capacity == 0:
            return True  # 0 per minute means: no limit
        now = self._clock()
        tokens, last = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self) -> int:
        """Whole seconds until one more request is allowed for an exhausted client."""
        return max(1, int(1.0 / self.refill_per_second + 0.999)) if self.capacity else 0

    def __len__(self) -> int:
        return len(self._buckets)
