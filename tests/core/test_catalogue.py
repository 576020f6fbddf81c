"""The zh-Hans catalogue is complete, compiled, and covers every marked string."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

import salesdesk

PACKAGE = Path(salesdesk.__file__).parent
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"


def _problems(po: polib.POFile) -> list[str]:
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


def test_it_translates_every_catalogue_entry():
    assert _problems(polib.pofile(str(CATALOGUE / "django.po"))) == []


def test_it_ships_a_compiled_catalogue_matching_the_source():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    with open(CATALOGUE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in po:
        if entry.obsolete or entry.msgid_plural:
            continue
        if entry.msgctxt:
            shipped = compiled.pgettext(entry.msgctxt, entry.msgid)
        else:
            shipped = compiled.gettext(entry.msgid)
        if shipped != entry.msgstr:
            stale.append(entry.msgid)
    assert stale == [], "run `make messages` to recompile the catalogue"


def test_it_has_a_translation_for_every_string_marked_in_the_code(tmp_path):
    # Extract the messages from a copy of the package, so the real catalogue is untouched,
    # and check that nothing new (or changed) came out untranslated.
    copy = tmp_path / "src" / "salesdesk"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "DATABASE_URL": "sqlite:///:memory:"}
    # The console script, not `python -m`: run from inside the package, `-m` would put the
    # package folder first on the path, where salesdesk/collections hides the standard
    # library's collections.
    script = Path(sys.executable).with_name("salesdesk")
    subprocess.run(
        [str(script), "makemessages", "-l", "zh_Hans",
         "--no-obsolete", "--no-location", "--verbosity", "0"],
        cwd=copy, env=env, check=True,
    )  # fmt: skip
    extracted = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert _problems(extracted) == [], "run `make messages` and translate the new entries"
