"""Backward warping, the one resampling FILM and the flow method share."""
import torch
import torch.nn.functional as F


def warp(image, flow, top=0):
    """Backward warp: output(x, y) = image(x + flow_x, y + flow_y), bilinear, borders repeated.

    Channel 0 of the flow is dx, in pixels. The flow may cover only the rows from `top` on (a strip of the
    output); the image is always whole. Sampling coordinates are built in fp32 even for half-precision
    inputs: in fp16 a normalized coordinate near 1 has a step of 1/1024, a whole pixel on a 2K frame.
    """
    h, w = image.shape[-2:]
    # With align_corners=False, grid_sample puts the centre of pixel x at (2x + 1) / w - 1.
    xs = torch.linspace(1 / w - 1, 1 - 1 / w, w, device=flow.device)
    ys = torch.linspace(1 / h - 1, 1 - 1 / h, h, device=flow.device)[top:top + flow.shape[-2]]
    flow = flow.float()
    grid = torch.stack((xs + flow[:, 0] * (2 / w), ys[:, None] + flow[:, 1] * (2 / h)), dim=-1)
    out = F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out.to(image.dtype)
