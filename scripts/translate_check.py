#!/usr/bin/env python3
"""List msgids in the English catalogue that still need a translator.

Reports entries that are untranslated (empty msgstr / any empty msgstr[n]),
marked ``#, fuzzy`` (ignored at runtime) or whose %(name)s placeholders differ
from the msgid's.  Obsolete ``#~`` entries are skipped.  Exit 1 if any.

    python scripts/translate_check.py [path/to/django.po]

Typical loop after adding strings:
    manage.py makemessages -l en -l zh_Hans --ignore .venv --ignore var \
        --ignore staticfiles --ignore tests --ignore bench
    python scripts/translate_check.py      # translate what it lists, drop fuzzy
    manage.py compilemessages --ignore .venv
Standard library only.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")


def entries(text: str):
    """Yield (flags, fields, line_no) per entry; fields maps msgid/msgstr[n]/... to text."""
    flags: set[str] = set()
    fields: dict[str, str] = {}
    key = None
    start = 0

    def flush():
        nonlocal flags, fields, key
        if "msgid" in fields:
            yield flags, fields, start
        flags, fields, key = set(), {}, None

    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#~"):
            yield from flush()
            continue
        if line.startswith("#"):
            if "msgstr" in "".join(fields):
                yield from flush()
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",")}
            continue
        m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$", line)
        if m:
            if m.group(1) in ("msgctxt", "msgid") and "msgstr" in "".join(fields):
                yield from flush()
            if not fields:
                start = no
            key = m.group(1)
            fields[key] = ast.literal_eval(m.group(2))
        elif line.startswith('"') and key:
            fields[key] += ast.literal_eval(line)
    yield from flush()


def placeholders(s: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(s)}


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    problems = []
    total = 0
    for flags, fields, line in entries(path.read_text("utf-8")):
        if fields["msgid"] == "" and "msgctxt" not in fields:
            continue  # header
        total += 1
        msgid = fields["msgid"]
        strs = [v for k, v in fields.items() if k.startswith("msgstr")]
        if "fuzzy" in flags:
            problems.append((line, "fuzzy", msgid))
        elif not strs or any(not s for s in strs):
            problems.append((line, "untranslated", msgid))
        elif "python-format" in flags or "python-brace-format" in flags:
            want = placeholders(msgid) | placeholders(fields.get("msgid_plural", ""))
            # extra names break at runtime; for non-plural entries dropped ones lose data
            plural = "msgid_plural" in fields
            if any(placeholders(s) - want or (not plural and want - placeholders(s)) for s in strs):
                problems.append((line, "placeholders", msgid))
    for line, kind, msgid in problems:
        print(f"{path}:{line}: {kind}: {msgid!r}")
    print(f"{total - len(problems)}/{total} translated", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
