"""Every write of the membership app, one module per topic:

- ``points``: the append-only ledger (earn, spend FIFO, refund, expire, adjust)
- ``cards``: card opening (开卡方案), tiers (upgrade now, downgrade with notice)
- ``coupons``: issue, redeem, void, expire
- ``transactions``: visits and spend from the DMS (import, API)
- ``profiles``: tags (manual and rule), lifecycle and RFM (set-based)
- ``daily``: the daily job (birthday care, win-back, expiry, re-evaluation)

Import the module you need: ``from membership.services import points``."""
