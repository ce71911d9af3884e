"""The `parrotchat` command: parse flags, load the configuration, run the TUI or print mode."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from parrotchat import __version__
from parrotchat.cli_words import is_history_command, positive
from parrotchat.core.records import LAST

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


HISTORY_HELP = """\
history commands (each has its own --help, e.g. parrotchat export --help):
  list [-n N] [--json]          list recent conversations
  export [ID] [--format md|json] [-o FILE]
                                write a conversation (the last one without ID)
  import FILE                   add a conversation from a JSON export
  search WORD...                find conversations by their words

Keys come from the environment variable named by each provider's api_key_env
(PARROTCHAT_API_KEY for ParrotRouter). Try it offline: parrotchat --demo"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parrotchat",
        usage="%(prog)s [options]\n       %(prog)s {list,export,import,search} ...",
        description="A fast terminal chat for LLMs over OpenAI-compatible APIs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=HISTORY_HELP,
    )
    add = parser.add_argument
    add(
        "-p",
        "--print",
        dest="prompt",
        metavar="PROMPT",
        help="print mode: stream the answer to PROMPT to stdout and exit (stdin is appended)",
    )
    add(
        "-a",
        "--attach",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="print mode: attach a text file or an image (PNG, JPEG, GIF, WebP); repeatable",
    )
    add(
        "--demo",
        action="store_true",
        help="use the built-in offline demo model (no key, no network)",
    )
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        "-c",
        "--continue",
        dest="resume",
        action="store_const",
        const=LAST,
        help="continue the last conversation (its history, model and system prompt)",
    )
    resume.add_argument(
        "--resume",
        dest="resume",
        type=positive("a conversation id"),
        metavar="ID",
        help="continue the conversation with this id",
    )
    add("--provider", metavar="NAME", help="provider from the config file to use")
    add(
        "--base-url",
        metavar="URL",
        help="OpenAI-compatible base URL, e.g. http://localhost:11434/v1",
    )
    add("--model", metavar="ID", help="model id to use")
    add(
        "--compare",
        metavar="MODEL,MODEL",
        help="ask 2 to 4 models at once, side by side (with -p: each answer under a header); "
        "MODEL is a model id on the current provider, or PROVIDER:MODEL for another one "
        "(e.g. --compare gpt-4o-mini,ollama:llama3:8b)",
    )
    add("--system", metavar="TEXT", help="system prompt for the conversation")
    add("--temperature", type=float, metavar="T", help="sampling temperature")
    add("--max-tokens", type=int, metavar="N", help="maximum tokens in the answer")
    add(
        "--stats",
        action="store_true",
        help="print mode: time to first token, tokens, tokens/s and cost on stderr",
    )
    add(
        "-x",
        "--extract-code",
        action="store_true",
        help="print mode: print only the answer's code blocks, once it is complete "
        "(separated by a blank line; nothing if the answer fails)",
    )
    add(
        "--no-history",
        action="store_true",
        help="print mode: keep this turn out of the history (config: print_history = false)",
    )
    add(
        "--raw",
        action="store_true",
        help="print mode: pass control characters through instead of neutralising them",
    )
    add(
        "--config",
        type=Path,
        metavar="PATH",
        help="config file (default: $PARROTCHAT_CONFIG or the platform config dir)",
    )
    add(
        "--show-config",
        action="store_true",
        help="print the effective configuration and where each value came from, then exit",
    )
    add(
        "--list-models",
        action="store_true",
        help="print every provider's models, configured and found on this machine, one per "
        "line: provider<TAB>model[<TAB>context]; with --provider or --demo, that one only",
    )
    add("--version", action="version", version=f"parrotchat {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run parrotchat; returns the process exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    from parrotchat.config import ConfigError, Paths, load_settings, show_config

    paths = Paths.default()  # the one place parrotchat asks where its files go
    if is_history_command(words):
        from parrotchat.history_cli import main as run_history_command

        return run_history_command(words, history_path=paths.history)

    parser = build_parser()
    args = parser.parse_args(words)
    if args.max_tokens is not None and args.max_tokens < 1:
        parser.error("--max-tokens must be at least 1")
    if args.config is not None and not args.config.is_file():
        print(f"parrotchat: error: config file {args.config} does not exist", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = load_settings(
            config_path=args.config,
            env=os.environ,
            provider=args.provider,
            base_url=args.base_url,
            model=args.model,
            system=args.system,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            demo=args.demo,
        )
    except ConfigError as exc:
        print(f"parrotchat: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for warning in settings.warnings:
        print(f"parrotchat: warning: {warning}", file=sys.stderr)
    if args.show_config:
        print(show_config(settings))
        return EXIT_OK
    if args.list_models:
        from parrotchat.model_listing import run_list_models

        return run_list_models(settings, only_active=args.demo or args.provider is not None)
    compare: list[tuple[str, str]] = []
    if args.compare is not None:
        from parrotchat.core.compare import CompareError, parse_models

        try:
            compare = parse_models(args.compare, settings.providers, settings.provider)
        except CompareError as exc:
            print(f"parrotchat: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if args.extract_code:
            parser.error("--extract-code does not go with --compare")
    if args.prompt is not None:
        from parrotchat.printmode import run_print_mode

        return run_print_mode(
            settings,
            args.prompt,
            stats=args.stats,
            raw=args.raw,
            paths=paths,
            resume=args.resume,
            attach=args.attach,
            extract_code=args.extract_code,
            keep=settings.print_history and not args.no_history,
            compare=compare,
        )
    if args.stats or args.raw or args.attach or args.extract_code or args.no_history:
        parser.error(
            "--stats, --raw, -a/--attach, --extract-code and --no-history go with -p/--print"
        )
    from parrotchat.tui import run_tui

    return run_tui(settings, paths, args.resume, compare=compare)
