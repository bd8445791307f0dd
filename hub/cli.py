"""The `mihub` command line."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mihub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="simulated devices plus the hub, on loopback")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from firmware_sim.__main__ import main as sim_main

        return sim_main(["--count", "3", "--manifest", "run/demo-manifest.json"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
