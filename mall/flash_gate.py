"""The Redis gate in front of flash-sale orders (used where ``REDIS_URL`` is set).

Before the order's database transaction, one atomic Lua script per item
decrements the item's counter (``mall:flash:<id>:left``, set lazily with
SETNX from the database's ``sale_stock - sold``) and adds the member's units
to a hash (``mall:flash:<id>:taken``, the member's field set lazily with
HSETNX from the units their non-cancelled orders hold).  A rush is answered
``sold_out`` / ``limit_reached`` there without touching the database.  The
database stays the source of truth (its conditional UPDATE still guards): when
the transaction then fails, or an order is cancelled or expires, the units go
back with ``give_back``.  Without ``REDIS_URL`` the gate lets everything
through (``take`` returns ``PASSED`` and remembers nothing).  Redis being down is
logged and the database alone guards."""

from __future__ import annotations

import logging

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

OK = "ok"
PASSED = "pass"  # no gate (no REDIS_URL, or Redis down): nothing taken, nothing to give back
SOLD_OUT = "sold_out"
LIMIT_REACHED = "limit_reached"
TTL_SECONDS = 8 * 24 * 3600  # an occurrence lasts hours; keys outlive it and then go

_TAKE = """
local left_key, taken_key = KEYS[1], KEYS[2]
local member, qty, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('SET', left_key, ARGV[4], 'NX', 'EX', ARGV[6])
if redis.call('HSETNX', taken_key, member, ARGV[5]) == 1 then redis.call('EXPIRE', taken_key, ARGV[6]) end
local taken = tonumber(redis.call('HGET', taken_key, member))
if taken + qty > limit then return 2 end
local left = tonumber(redis.call('GET', left_key))
if left < qty then return 1 end
redis.call('DECRBY', left_key, qty)
redis.call('HINCRBY', taken_key, member, qty)
return 0
"""

_GIVE_BACK = """
local left_key, taken_key = KEYS[1], KEYS[2]
local member, qty = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', left_key) == 1 then redis.call('INCRBY', left_key, qty) end
if redis.call('HEXISTS', taken_key, member) == 1 then
  if tonumber(redis.call('HINCRBY', taken_key, member, -qty)) < 0 then redis.call('HSET', taken_key, member, 0) end
end
return 0
"""

_clients: dict[str, tuple[redis.Redis, object, object]] = {}


def _client():
    url = settings.REDIS_URL
    if not url:
        return None
    if url not in _clients:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _clients[url] = (client, client.register_script(_TAKE), client.register_script(_GIVE_BACK))
    return _clients[url]


def _keys(item_id: int) -> list[str]:
    return [f"mall:flash:{item_id}:left", f"mall:flash:{item_id}:taken"]


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def take(item_id: int, member_id: int, qty: int, limit: int, *, stock_left: int, held: int) -> str:
    """Take ``qty`` units of the item for the member: ``OK``, ``SOLD_OUT`` or
    ``LIMIT_REACHED``.  ``stock_left`` and ``held`` (the database's view) only
    initialise keys that do not exist yet."""
    gate = _client()
    if gate is None:
        return PASSED
    _client_, take_script, _give = gate
    try:
        answer = int(take_script(keys=_keys(item_id),
                                 args=[member_id, qty, limit, max(stock_left, 0), max(held, 0), TTL_SECONDS]))
    except redis.RedisError:
        logger.warning("flash gate: Redis unavailable, the database alone guards item %s", item_id, exc_info=True)
        return PASSED
    return {0: OK, 1: SOLD_OUT, 2: LIMIT_REACHED}[answer]


def sold_out(wanted: dict[int, int]) -> bool:
    """Does the gate already know that one of these items ({item id: units}) has
    fewer units left than wanted?  One MGET, read only: what a rush's late
    buyers are answered with before anything is written (the keys exist once
    the first order of the occurrence went through ``take``).  False without
    Redis, for keys not set yet, or when Redis is down."""
    gate = _client()
    if gate is None or not wanted:
        return False
    ids = list(wanted)
    try:
        values = gate[0].mget([_keys(item_id)[0] for item_id in ids])
    except redis.RedisError:
        logger.warning("flash gate: Redis unavailable for the sold-out check", exc_info=True)
        return False
    return any(value is not None and int(value) < wanted[item_id] for item_id, value in zip(ids, values))


def give_back(item_id: int, member_id: int, qty: int) -> None:
    """Return units taken by ``take`` (a failed transaction, a cancelled or
    expired order).  Never raises."""
    gate = _client()
    if gate is None:
        return
    try:
        gate[2](keys=_keys(item_id), args=[member_id, qty])
    except redis.RedisError:
        logger.warning("flash gate: could not give back %s of item %s", qty, item_id, exc_info=True)


def forget(item_id: int) -> None:
    """Drop an item's keys (its stock was changed in the database)."""
    gate = _client()
    if gate is not None:
        try:
            gate[0].delete(*_keys(item_id))
        except redis.RedisError:
            logger.warning("flash gate: could not forget item %s", item_id, exc_info=True)
