"""`python -m parrotchat.demo`: serve the demo models alone until Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio

from parrotchat.demo.hostile import FLOOD_KINDS, Flood
from parrotchat.demo.server import DemoServer


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m parrotchat.demo",
        description="Serve the offline parrot models on an OpenAI-compatible API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--tps", type=float, default=60.0, help="tokens/s of parrot, parrot-think (0 = unlimited)"
    )
    parser.add_argument(
        "--tokens", type=int, default=None, help="default reply length (default: a few hundred)"
    )
    parser.add_argument(
        "--hostile",
        choices=[kind.replace("_", "-") for kind in FLOOD_KINDS],
        help="answer every chat request with this attack (huge-json: the model list too)",
    )
    return parser.parse_args(argv)


async def _serve(server: DemoServer) -> None:
    async with server:
        print(f"parrotchat demo server at {server.base_url}  (Ctrl+C to stop)", flush=True)
        print(f"  curl {server.base_url}/models", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    """Run the demo server; return the exit status (130 after Ctrl+C)."""
    args = _arguments(argv)
    server = DemoServer(args.host, args.port, args.tps, default_tokens=args.tokens)
    if args.hostile:
        server.hostile = Flood(args.hostile.replace("-", "_"))
    try:
        asyncio.run(_serve(server))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
