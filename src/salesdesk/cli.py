"""The `salesdesk` console script: Django's manage.py under one name.

Our own verbs (serve, demo, synth, createuser, token, policy, ...) are management
commands in the apps; Django's (migrate, shell, ...) work as usual.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["salesdesk", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
