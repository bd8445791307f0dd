"""The operator's commands (onboard, import-tokens, service, backup, restore), added to
`mihub`'s parser.

Each command's module adds its own subparser with a ``handler``; ``hub.cli`` calls this once.
"""

from __future__ import annotations

import argparse

from hub.onboarding import provision, tokens
from hub.service import backup, systemd


def add_operator_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str
) -> None:
    provision.add_parser(sub, config_help)
    tokens.add_parser(sub, config_help)
    systemd.add_parser(sub, config_help)
    backup.add_parsers(sub, config_help)
