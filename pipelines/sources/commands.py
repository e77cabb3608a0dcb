"""`edumon generate` (sample exports) and `edumon docs` (docs/sources.md, ref_indicators.csv)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from pipelines.weeks import parse_week


def _week(value: str) -> str:
    try:
        parse_week(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def _regions(value: str) -> list[str]:
    codes = [code.strip() for code in value.split(",") if code.strip()]
    if not codes:
        raise argparse.ArgumentTypeError("name at least one region code")
    return codes


def _scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 < scale <= 1:
        raise argparse.ArgumentTypeError(f"--scale must be in (0, 1], got {value}")
    return scale


def register(subparsers: Any) -> None:
    generate = subparsers.add_parser(
        "generate",
        help="write realistic sample exports in the contract formats",
        description="Sample exports, one file per dataset × region × week, in each region's format "
        "(orchestration.yaml). Same seed → byte-identical files.",
    )
    generate.add_argument("--preset", choices=["demo", "national"], default="demo")
    generate.add_argument("--out", type=Path, required=True, help="folder to write into (e.g. data/landing)")
    generate.add_argument("--weeks", type=int, help="number of weeks ending at --last-week (preset default)")
    generate.add_argument("--seed", type=int, help="random seed (default: samples.seed)")
    generate.add_argument(
        "--last-week", type=_week, help="last ISO week, e.g. 2026-W47 (default: samples.last_week)"
    )
    generate.add_argument("--defects", action="store_true", help="also write one file per delivery fault")
    generate.add_argument(
        "--regions",
        type=_regions,
        help="comma-separated region codes, e.g. RU-MOW,RU-SMO: only these regions of the preset",
    )
    generate.add_argument(
        "--scale",
        type=_scale,
        default=1.0,
        help="shrink the national preset: schools and students × F, 0 < F ≤ 1 (formats unchanged; "
        "e.g. 0.01 for a CI-sized country)",
    )
    generate.add_argument(
        "--demo-home",
        type=Path,
        metavar="HOME",
        help="also mark HOME as a demo home (file HOME/.edumon-demo): it holds generated data only, so "
        "it may run on the documented development keys (docs/security.md); never for real exports",
    )
    generate.set_defaults(handler=run_generate)

    docs = subparsers.add_parser(
        "docs", help="regenerate docs/sources.md and dbt_project/seeds/ref_indicators.csv from configuration"
    )
    docs.add_argument(
        "--check", action="store_true", help="only report whether the committed files are current"
    )
    docs.set_defaults(handler=run_docs)


def run_generate(args: argparse.Namespace) -> int:
    from pipelines.sources.generate import generate

    if args.weeks is not None and args.weeks < 1:
        print("--weeks must be at least 1", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        result = generate(
            args.preset,
            args.out,
            args.weeks,
            args.seed,
            args.last_week,
            args.defects,
            progress=print,
            regions=args.regions,
            scale=args.scale,
        )
    except ValueError as error:
        print(f"edumon generate: {error}", file=sys.stderr)
        return 2
    print(
        f"{len(result.files)} files for {len(result.regions)} regions × {len(result.weeks)} weeks "
        f"({result.weeks[0]} … {result.weeks[-1]}) in {args.out} in {time.monotonic() - started:.1f} s"
    )
    for dataset, rows in sorted(result.rows.items()):
        print(f"  {dataset:<14} {rows:>12,} rows")
    if result.defects:
        print(f"  {len(result.defects)} defect files, listed in {args.out / 'defects.json'}")
    if args.demo_home:
        from pipelines.secrets import mark_demo

        print(f"demo home: {mark_demo(args.demo_home)} (development keys allowed there, never real data)")
    return 0


def run_docs(args: argparse.Namespace) -> int:
    from pipelines.sources.docs import write_docs

    stale = write_docs(check_only=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'written'}: {path}")
    return 1 if args.check and stale else 0
