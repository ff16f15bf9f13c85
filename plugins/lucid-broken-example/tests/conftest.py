"""The plugins session's environment holds a backend whose import never returns.

Every ``lucid.backends.available()`` call (in-process and in the subprocesses the tests
start, which inherit this environment) waits for that import until its deadline. The default
deadline (60 s) is right for users; these tests shorten it so the session stays quick. Set at
import, because pytest imports this file before running any test of the session, including
the other plugins' tests that run beside these.
"""

import os

os.environ.setdefault("LUCID_PLUGIN_IMPORT_TIMEOUT", "5")
