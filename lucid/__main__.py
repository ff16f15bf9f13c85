"""``python -m lucid``: the lucid command line."""

from .cli import main

raise SystemExit(main())
