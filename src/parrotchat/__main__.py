"""Allow `python -m parrotchat`."""

from parrotchat.cli import main

raise SystemExit(main())
