"""gr-semcom: generative semantic image communication over a real physical layer.

The core (``semcom.phy``, ``semcom.channels``, ``semcom.codecs``, ``semcom.metrics``) needs no
GNU Radio; ``semcom.gr`` holds the GNU Radio blocks that wrap the same objects.
"""
import os as _os

# numba's OpenMP workers spin after each parallel region and starve torch on small machines.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Nothing is ever fetched from a model hub.
_os.environ.setdefault("HF_HUB_OFFLINE", "1")

__version__ = "0.1.0"


def repo_root():
    """The checkout this package lives in (``gr-semcom/python/semcom`` -> top)."""
    from pathlib import Path
    return Path(__file__).resolve().parents[3]


def models_dir():
    """Folder of shipped weights: ``$SEMCOM_MODELS`` or ``<checkout>/models``."""
    from pathlib import Path
    return Path(_os.environ.get("SEMCOM_MODELS", repo_root() / "models"))


def portable_path(path) -> str:
    """``path`` relative to the working directory when inside it, else as given (a codec spec
    naming a model folder then does not name this machine's checkout)."""
    from pathlib import Path
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
