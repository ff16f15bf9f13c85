"""A backend plugin module whose import never returns (a deadlock, a network call that waits).

lucid must not hang on it when asked for another name (a typo is answered from entry-point
metadata alone), and ``lucid.backends.available()`` reports it once its import deadline
(``LUCID_PLUGIN_IMPORT_TIMEOUT``) has passed, abandoning the import's thread.
"""

import threading

threading.Event().wait()  # never set: this import never returns
