"""How a typed name is compared with the catalogue's names (pure: no
database, so the data migrations use it as the services do)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

_IGNORED = re.compile(r"[\s\-_.·]+")
_ALIAS_SEPARATORS = re.compile(r"[,，、;；/]")


def name_key(text: str) -> str:
    """Names compare with case, spaces, dots and dashes ignored: "Model 3",
    "model3" and "MODEL-3" are one name, and "ID.4 X" is "ID4X"."""
    return _IGNORED.sub("", text or "").casefold()


def split_aliases(text: str) -> list[str]:
    """A comma-separated alias list (Chinese or ASCII commas, 、 ; /)."""
    return [part.strip() for part in _ALIAS_SEPARATORS.split(text or "") if part.strip()]


def name_keys(name: str, code: str = "", aliases: str = "") -> set[str]:
    """Every key a brand or series answers to: its name, code and aliases."""
    return {name_key(name), name_key(code), *(name_key(a) for a in split_aliases(aliases))} - {""}


class SeriesIndex:
    """The catalogue's series by key: within a brand (where the brand's name
    may be left off: "L7" under 理想 is 理想L7) and across the catalogue
    (where the brand's name may lead: "大众朗逸"; a key two brands' series
    share, like "E5", names both, so neither).  Rows are ``(pk, brand_id, code, name, aliases,
    brand_name)``."""

    def __init__(self, rows: Iterable[tuple]):
        self.within: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.anywhere: dict[str, set[int]] = defaultdict(set)
        self.brand_of: dict[int, int] = {}
        for pk, brand_id, code, name, aliases, brand_name in rows:
            self.brand_of[pk] = brand_id
            keys = name_keys(name, code, aliases) | {name_key(brand_name + name)}  # "大众朗逸"
            for key in keys:
                self.anywhere[key].add(pk)
            brand_key, own = name_key(brand_name), name_key(name)
            if brand_key and own.startswith(brand_key) and own != brand_key:
                keys.add(own[len(brand_key):])  # "L7" under 理想 for 理想L7
            for key in keys:
                self.within[brand_id][key].add(pk)

    def find(self, text: str, *, brand_id: int | None = None) -> set[int]:
        """The series ``text`` may name: within the brand (also trying it
        with the brand's name in front), else across the catalogue."""
        key = name_key(text)
        if not key:
            return set()
        if brand_id is not None:
            return set(self.within.get(brand_id, {}).get(key, ()))
        return set(self.anywhere.get(key, ()))
