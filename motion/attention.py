"""The default attention backend: torch's scaled-dot-product attention, in the host's calling convention.

Any callable `attention(q, k, v, heads) -> out` with q, k, v and out of shape (N, F, heads * dim) can replace it,
e.g. ComfyUI's `optimized_attention`. Softmax runs over the last-but-one axis (frames) with no mask.
"""
import torch.nn.functional as F
from einops import rearrange


def sdpa_attention(q, k, v, heads):
    q, k, v = (rearrange(t, "n f (h d) -> n h f d", h=heads) for t in (q, k, v))
    return rearrange(F.scaled_dot_product_attention(q, k, v), "n h f d -> n f (h d)")
