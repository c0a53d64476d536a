import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# grcc must find THIS checkout's blocks, whatever ~/.gnuradio/config.conf says (another checkout's
# set-up may have pointed it elsewhere): GNU Radio reads GR_CONF_<SECTION>_<OPTION> first.
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["GR_CONF_GRC_LOCAL_BLOCKS_PATH"] = os.path.join(_REPO, "gr-semcom", "grc")

import pytest  # noqa: E402
import sionna.phy  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same seed (Sionna's config seeds torch, numpy and Python)."""
    sionna.phy.config.seed = 1234
    torch.manual_seed(1234)
    yield


@pytest.fixture
def one_torch_thread():
    """torch on one thread for the test (many tiny ops: fastest on the shared 2-core box), restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """grcc on every flowgraph of grc/ once per test session -> {name: generated .py}."""
    import shutil
    if shutil.which("grcc") is None:
        pytest.skip("grcc not installed")
    from flowgraphs import compile_all
    return compile_all(tmp_path_factory.mktemp("grcc"))
