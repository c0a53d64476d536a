"""``from gnuradio import semcom``: the GNU Radio blocks of gr-semcom (:mod:`semcom.gr`).

This folder has no ``gnuradio/__init__.py`` of its own: GNU Radio's package uses
``pkgutil.extend_path``, so any ``<dir>/gnuradio/semcom`` with ``<dir>`` on ``sys.path`` joins it.
"""
from semcom.gr import *  # noqa: F401,F403
from semcom.gr import __all__  # noqa: F401
