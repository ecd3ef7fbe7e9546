import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from comfy_fixtures import comfy, models_dir  # noqa: E402,F401


def frontends():
    """Every browser test runs on the frontend the host pins and on the newest one, which scripts/install.sh
    puts in its own folder and exports as TEMPO_FRONTEND_NEW."""
    newest = os.environ.get("TEMPO_FRONTEND_NEW")
    if not newest or not os.path.isfile(os.path.join(newest, "index.html")):
        raise RuntimeError(f"TEMPO_FRONTEND_NEW={newest!r} is not a frontend folder: run the tier through "
                           "scripts/test.sh, or eval \"$(scripts/install.sh)\" first")
    return {"pinned": (), "newest": ("--front-end-root", newest)}


FRONTENDS = frontends()


@pytest.fixture(scope="session", params=list(FRONTENDS))
def frontend(request):
    return request.param


@pytest.fixture(scope="session")
def comfy_args(frontend):
    return FRONTENDS[frontend]
