"""Chat confirmations: after a confirmation form got no answer, the user's yes given in chat may delete.

A ticket is issued only when a form was shown and nobody answered it in time, and it names one ISO of
one VPS for one HostUp key, for a few minutes. So a model cannot skip a form that works (it has no
ticket), cannot carry a yes over to another ISO or another user, and a client whose forms never reach
a person is not stuck, and each ticket deletes once. Tickets are HMACs under a per-process secret; only
redeemed ones are remembered, until they expire.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from collections.abc import Callable

TICKET_PREFIX = "chat_"
TICKET_PATTERN = re.compile(r"chat_(\d{1,12})_([0-9a-f]{32})")
TICKET_MAX_LENGTH = 64


class ChatConfirmations:
    def __init__(
        self, *, lifetime_seconds: float, secret: bytes | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.lifetime_seconds = lifetime_seconds
        self._secret = secret or os.urandom(32)
        self._clock = clock
        self._redeemed: dict[str, int] = {}

    def issue(self, key_fingerprint: str, vps_id: str, volid: str) -> str:
        expires = int(self._clock() + self.lifetime_seconds)
        return f"{TICKET_PREFIX}{expires}_{self._mac(expires, key_fingerprint, vps_id, volid)}"

    def accepts(self, ticket: str, key_fingerprint: str, vps_id: str, volid: str) -> bool:
        match = TICKET_PATTERN.fullmatch(ticket)
        if match is None:
            return False
        expires = int(match[1])
        expected = self._mac(expires, key_fingerprint, vps_id, volid)
        return hmac.compare_digest(match[2], expected) and self._clock() < expires

    def redeem(self, ticket: str, key_fingerprint: str, vps_id: str, volid: str) -> bool:
        """`accepts`, once: one yes deletes once. Redeemed tickets are remembered until they expire."""
        now = self._clock()
        self._redeemed = {used: expires for used, expires in self._redeemed.items() if expires > now}
        if ticket in self._redeemed or not self.accepts(ticket, key_fingerprint, vps_id, volid):
            return False
        self._redeemed[ticket] = int(ticket.split("_")[1])
        return True

    def _mac(self, expires: int, key_fingerprint: str, vps_id: str, volid: str) -> str:
        message = "\x00".join((str(expires), key_fingerprint, vps_id, volid)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]
