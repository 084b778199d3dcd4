"""What replicas must share about sign-ins, and nothing else: registered clients, used codes, the live refresh
token of each sign-in, and revoked sign-ins. No HostUp key and no token is ever written here: codes and tokens are
known by their id (`jti`), a random name inside the sealed value.

Two stores run the same tests: a SQLite file for one process (the default), Redis for replicas.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

import anyio

Statement = tuple[str, tuple[object, ...]]


class StoreError(RuntimeError):
    """The store cannot be reached or used; nothing was written."""


class Store(Protocol):
    async def put_client(self, client_id: str, document: str, ttl: float) -> None: ...

    async def client(self, client_id: str) -> str | None: ...

    async def claim(self, name: str, ttl: float) -> bool:
        """True for the first claim of `name` while it lives (a code is exchanged once), False after."""
        ...

    async def start(self, family: str, jti: str, ttl: float) -> None:
        """A sign-in's first refresh token."""
        ...

    async def advance(self, family: str, jti: str, successor: str, ttl: float) -> bool:
        """Replace the sign-in's live refresh token `jti` with `successor`; False if `jti` is not the live one."""
        ...

    async def revoke(self, family: str, ttl: float) -> None: ...

    async def live(self, family: str) -> bool:
        """Whether the sign-in holds: started and neither revoked nor forgotten. A store that lost its data
        (a Redis restarted without its volume) so signs everyone out instead of forgetting revocations."""
        ...

    async def close(self) -> None: ...


def open_store(location: str) -> Store:
    if location.startswith(("redis://", "rediss://", "unix://")):
        from hostup_mcp.oauth.redis_store import RedisStore  # only replicas need the redis package

        return RedisStore(location)
    return SqliteStore(Path(location))


class SqliteStore:
    """One file, one connection, used from worker threads one at a time; every change is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS entries (name TEXT PRIMARY KEY, value TEXT, until REAL)")
            except sqlite3.Error as exc:
                raise StoreError(f"the OAuth store {self.path} cannot be opened: {exc}") from None
            self._db = db
        return self._db

    async def _run(self, statements: list[Statement], check: Statement | None = None) -> bool:
        """Run `statements` in one transaction; with `check`, only if it selects a row (else nothing changes)."""

        def run() -> bool:
            with self._lock:
                db = self._connection()
                try:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute("DELETE FROM entries WHERE until < ?", (time.time(),))
                    if check is not None and db.execute(*check).fetchone() is None:
                        db.execute("ROLLBACK")
                        return False
                    for sql, parameters in statements:
                        db.execute(sql, parameters)
                    db.execute("COMMIT")
                    return True
                except sqlite3.Error as exc:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise StoreError(f"the OAuth store {self.path} failed: {exc}") from None

        return await anyio.to_thread.run_sync(run)

    async def _get(self, name: str) -> str | None:
        def get() -> str | None:
            with self._lock:
                try:
                    row = (
                        self._connection()
                        .execute("SELECT value FROM entries WHERE name = ? AND until >= ?", (name, time.time()))
                        .fetchone()
                    )
                except sqlite3.Error as exc:
                    raise StoreError(f"the OAuth store {self.path} failed: {exc}") from None
            return None if row is None else str(row[0])

        return await anyio.to_thread.run_sync(get)

    @staticmethod
    def _put(name: str, value: str, ttl: float) -> Statement:
        return ("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (name, value, time.time() + ttl))

    async def put_client(self, client_id: str, document: str, ttl: float) -> None:
        await self._run([self._put(f"client:{client_id}", document, ttl)])

    async def client(self, client_id: str) -> str | None:
        return await self._get(f"client:{client_id}")

    async def claim(self, name: str, ttl: float) -> bool:
        key = f"claimed:{name}"
        unclaimed = ("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM entries WHERE name = ?)", (key,))
        return await self._run([self._put(key, "1", ttl)], check=unclaimed)

    async def start(self, family: str, jti: str, ttl: float) -> None:
        await self._run([self._put(f"live:{family}", jti, ttl)])

    async def advance(self, family: str, jti: str, successor: str, ttl: float) -> bool:
        key = f"live:{family}"
        live = ("SELECT 1 FROM entries WHERE name = ? AND value = ?", (key, jti))
        return await self._run([self._put(key, successor, ttl)], check=live)

    async def revoke(self, family: str, ttl: float) -> None:
        forget = ("DELETE FROM entries WHERE name = ?", (f"live:{family}",))
        await self._run([self._put(f"revoked:{family}", "1", ttl), forget])

    async def live(self, family: str) -> bool:
        return await self._get(f"live:{family}") is not None and await self._get(f"revoked:{family}") is None

    async def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
