"""Unit tier: the core packages (motion/, sampling/, prompts/, interp/, media/) as plain PyTorch, with no ComfyUI in the process."""
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture
def one_thread():
    """Small FILM configs run hundreds of tiny ops: on a busy 2-core machine a second OpenMP thread makes each
    op wait for a descheduled peer, 20x slower. Results do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
