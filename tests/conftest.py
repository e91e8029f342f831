import os

import pytest
import torch
from hypothesis import settings

settings.register_profile("gradproof", max_examples=40, deadline=None)
settings.load_profile("gradproof")

os.environ.setdefault("MPLBACKEND", "Agg")
# float32 witnesses on a GPU must be full float32: cuDNN may otherwise run RNNs in TF32
torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False


def devices():
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=devices())
def device(request):
    return torch.device(request.param)
