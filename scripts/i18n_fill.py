#!/usr/bin/env python
"""Refresh an app's French catalogue and fill it from a JSON file of translations.

    .venv/bin/python scripts/i18n_fill.py <app> [translations.json]

1. runs ``tribu makemessages -l fr --no-location`` inside ``src/tribu/<app>``;
2. applies the JSON object ``{"English msgid": "French msgstr", "one %(n)s": ["un %(n)s", "des %(n)s"]}``
   (a list for plural messages; a key may be ``"context\\u0004msgid"`` for a message with a context),
   dropping the fuzzy flag of every message it fills;
3. prints the messages still untranslated or fuzzy (exit code 1 when there are some).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    app_dir = ROOT / "src" / "tribu" / sys.argv[1]
    (app_dir / "locale").mkdir(exist_ok=True)
    tribu = ROOT / ".venv" / "bin" / "tribu"
    subprocess.run([str(tribu), "makemessages", "-l", "fr", "--no-location", "-v0"], cwd=app_dir, check=True)
    po_path = app_dir / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path), wrapwidth=0)
    po.metadata.setdefault("Plural-Forms", "nplurals=2; plural=(n > 1);")
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
    translations = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
    for entry in po:
        key = f"{entry.msgctxt}\u0004{entry.msgid}" if entry.msgctxt else entry.msgid
        if key not in translations:
            continue
        value = translations[key]
        if entry.msgid_plural:
            forms = value if isinstance(value, list) else [value, value]
            entry.msgstr_plural = {0: forms[0], 1: forms[1]}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.save()
    missing = [e for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for entry in missing:
        print(f"untranslated: {entry.msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
