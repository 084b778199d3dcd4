"""The store in Redis, for replicas: each operation is one command or one script, so it is atomic across them."""

from __future__ import annotations

from typing import Any

from hostup_mcp.oauth.store import StoreError

# Replace the live refresh token only if it is still the one presented: two replicas refreshing the same token at
# once must not both succeed.
ADVANCE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


class RedisStore:
    def __init__(self, url: str) -> None:
        try:
            import redis.asyncio
        except ImportError:
            raise StoreError(
                "HOSTUP_MCP_OAUTH_STORE is a Redis URL but the redis package is not installed: "
                "pip install 'hostup-mcp[redis]'"
            ) from None
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._redis: Any = redis.asyncio.Redis.from_url(
            url, decode_responses=True, socket_timeout=3, socket_connect_timeout=3
        )
        self._advance = self._redis.register_script(ADVANCE)

    async def _do(self, operation: Any) -> Any:
        try:
            return await operation
        except self._errors as exc:
            raise StoreError(f"the OAuth store (Redis) failed: {type(exc).__name__}") from None

    async def put_client(self, client_id: str, document: str, ttl: float) -> None:
        await self._do(self._redis.set(f"hostup-mcp:client:{client_id}", document, px=milliseconds(ttl)))

    async def client(self, client_id: str) -> str | None:
        value = await self._do(self._redis.get(f"hostup-mcp:client:{client_id}"))
        return None if value is None else str(value)

    async def claim(self, name: str, ttl: float) -> bool:
        return bool(await self._do(self._redis.set(f"hostup-mcp:claimed:{name}", "1", nx=True, px=milliseconds(ttl))))

    async def start(self, family: str, jti: str, ttl: float) -> None:
        await self._do(self._redis.set(f"hostup-mcp:live:{family}", jti, px=milliseconds(ttl)))

    async def advance(self, family: str, jti: str, successor: str, ttl: float) -> bool:
        keys = [f"hostup-mcp:live:{family}"]
        return bool(await self._do(self._advance(keys=keys, args=[jti, successor, milliseconds(ttl)])))

    async def revoke(self, family: str, ttl: float) -> None:
        async def both() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(f"hostup-mcp:revoked:{family}", "1", px=milliseconds(ttl))
                pipe.delete(f"hostup-mcp:live:{family}")
                await pipe.execute()

        await self._do(both())

    async def live(self, family: str) -> bool:
        live, revoked = await self._do(self._redis.mget(f"hostup-mcp:live:{family}", f"hostup-mcp:revoked:{family}"))
        return live is not None and revoked is None

    async def close(self) -> None:
        await self._redis.aclose()


def milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))
