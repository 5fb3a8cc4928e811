"""``python -m course_utils``: the course's command line.

    python -m course_utils check           # start the sandbox and make a few calls
    python -m course_utils toc             # the table of contents, as Markdown
    python -m course_utils badges [--fix]  # check (or rewrite) every notebook's Binder badge
    python -m course_utils bank validate   # check the question bank (bank stats --json: counts)
    python -m course_utils syllabus coverage  # where each DVA-C03 skill is taught and tested
    python -m course_utils exam blueprint --seed N  # the practice exam's draw for a seed
    python -m course_utils grade ...       # instructors: sandboxed, parallel nbgrader grading
    python -m course_utils cheatsheet [-o F]  # the printable cheat sheet (PDF), by task statement
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import meta, toc

__all__ = ["main", "build_parser"]


def _cmd_check(args: argparse.Namespace) -> int:
    from . import sandbox

    info = sandbox.start(quiet=True)
    import boto3

    identity = boto3.client("sts").get_caller_identity()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="course-sandbox-check")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    print(info.banner_text())
    print(f"caller: {identity['Arn']}")
    print(f"buckets: {buckets}")
    ok = identity["Account"] == info.account_id and "course-sandbox-check" in buckets
    print("sandbox check: OK" if ok else "sandbox check: FAILED")
    return 0 if ok else 1


def _cmd_toc(args: argparse.Namespace) -> int:
    print(toc.toc_markdown(Path(args.notebooks) if args.notebooks else None))
    return 0


def badge_problems(folder: Path, fix: bool = False) -> list[str]:
    """Notebooks whose first cell lacks the Binder badge for their own path (fixed if asked)."""
    problems = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        cell = nb["cells"][0]
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        badge = meta.binder_badge(path.name)
        if badge in source:
            continue
        problems.append(path.name)
        if fix:
            lines = [line for line in source.splitlines() if "mybinder.org" not in line]
            cell["source"] = "\n".join(lines).rstrip() + "\n\n" + badge
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return problems


def _cmd_badges(args: argparse.Namespace) -> int:
    folder = Path(args.notebooks) if args.notebooks else meta.notebooks_dir()
    problems = badge_problems(folder, fix=args.fix)
    for name in problems:
        print(f"{name}: {'badge rewritten' if args.fix else 'missing or wrong Binder badge'}")
    if not problems:
        print(f"all badges point to {meta.REPO_SLUG}")
    return 1 if problems and not args.fix else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="start the sandbox and make a few AWS calls").set_defaults(func=_cmd_check)
    p = sub.add_parser("toc", help="print the table of contents as Markdown")
    p.add_argument("--notebooks", help="notebooks folder (default: found from the working directory)")
    p.set_defaults(func=_cmd_toc)
    p = sub.add_parser("badges", help="check every notebook's Binder badge")
    p.add_argument("--fix", action="store_true", help="rewrite wrong or missing badges")
    p.add_argument("--notebooks", help="notebooks folder")
    p.set_defaults(func=_cmd_badges)
    from .quiz import bank_cli

    bank_cli.register(sub)
    from .quiz import exam_cli

    exam_cli.register(sub)
    from .syllabus import cli as syllabus_cli

    syllabus_cli.register(sub)
    from .grade import cli as grade_cli

    grade_cli.register(sub)
    from . import cheatsheet

    cheatsheet.register(sub)  # `cheatsheet`: the printable PDF (issue 21)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
