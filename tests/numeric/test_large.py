"""Large buffers: the same tensors as torch.empty, with huge pages advised on Linux CPUs."""

import sys
from pathlib import Path

import pytest
import torch

from gradproof.numeric._gru._large import advise_huge_pages, large_empty


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_large_empty_is_an_empty_tensor_of_that_shape(dtype):
    like = torch.zeros(1, dtype=dtype)
    out = large_empty(3, 700, 1000, like=like)
    assert out.shape == (3, 700, 1000) and out.dtype == dtype and out.is_contiguous()
    out.fill_(2.5)
    assert float(out.sum()) == 2.5 * out.numel()


def test_small_tensors_are_not_advised():
    assert not advise_huge_pages(torch.empty(1000))


@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or "[never]" in (Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
                                     if Path("/sys/kernel/mm/transparent_hugepage/enabled").exists() else "[never]"),
                    reason="transparent huge pages are not offered here")
def test_the_kernel_takes_the_advice_for_a_large_cpu_tensor():
    assert advise_huge_pages(torch.empty(8 << 20, dtype=torch.uint8))
