"""A backend plugin module whose import calls ``sys.exit()``: lucid must record it, not exit."""

import sys

sys.exit("lucid-broken-example: this backend module calls sys.exit() on import on purpose")
