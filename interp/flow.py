"""In-betweens without weights: dense optical flow from OpenCV (DIS), both directions, and both frames warped to
time t with occlusion-aware blending.

Per pair, once: flow 0→1 and 1→0, and each frame's consistency, how well a pixel's flow is undone by the flow
back; low consistency means the pixel is hidden in the other frame (Sundaram, Brox & Keutzer, ECCV 2010).
Per time t: every pixel of both frames is splatted forward to where it is at t, carrying the flows from there
back to both frames; consistent pixels outweigh occluded ones, so a moving object's motion wins over the
background it covers. Both frames are then warped back with those flows and blended by time, each side trusted
as much as the other side's source pixel is visible in both frames.
"""
import cv2
import torch
from einops import rearrange

from .warp import warp

# A floor on every weight: an occluded pixel still counts where nothing better lands.
FLOOR = 1e-3


class OpticalFlow:
    min_size = 16  # DIS needs 12 pixels

    def __init__(self, preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM):
        self.dis = cv2.DISOpticalFlow_create(preset)

    def prepare(self, frames):
        return [frames]

    def motion(self, a, b):
        a, b = a[0], b[0]
        forward = torch.stack([self.flow(x, y) for x, y in zip(a, b)]).to(a.device)
        backward = torch.stack([self.flow(y, x) for x, y in zip(a, b)]).to(a.device)
        return forward, backward, consistency(forward, backward), consistency(backward, forward)

    def flow(self, source, target):
        """(2,H,W) float32 flow in pixels, channel 0 dx: source(p) shows up in target at p + flow(p)."""
        gray = [cv2.cvtColor(to_uint8(image), cv2.COLOR_RGB2GRAY) for image in (source, target)]
        return torch.from_numpy(self.dis.calc(*gray, None)).permute(2, 0, 1)

    def between(self, a, b, motion, t):
        forward, backward, visible_0, visible_1 = motion
        a, b = a[0], b[0]
        t = t.reshape(-1, 1, 1, 1).float()
        to_0, to_1 = flows_at(forward, backward, visible_0, visible_1, t)
        weight_0 = (1 - t) * (warp(visible_1, to_1) + FLOOR)
        weight_1 = t * (warp(visible_0, to_0) + FLOOR)
        frame = (weight_0 * warp(a.float(), to_0) + weight_1 * warp(b.float(), to_1)) / (weight_0 + weight_1)
        return frame.to(a.dtype)


def to_uint8(image):
    return (image.float().clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()


def consistency(forward, backward):
    """~1 where the flow back undoes the flow out (the pixel is visible in both frames), ~0 where it does not.
    The tolerance grows with the motion, as in Sundaram et al."""
    back = warp(backward, forward)
    error = (forward + back).square().sum(1, keepdim=True)
    tolerance = 0.01 * (forward.square().sum(1, keepdim=True) + back.square().sum(1, keepdim=True)) + 0.5
    return torch.exp(-error / tolerance)


def flows_at(forward, backward, visible_0, visible_1, t):
    """Flows from the frame at time t back to frames 0 and 1, by forward splatting both frames' motion.
    Frame 0's pixels move by t·forward, frame 1's by (1 - t)·backward; the nearer frame weighs more."""
    from_0 = splat(torch.cat([-t * forward, (1 - t) * forward], 1), t * forward, (1 - t) * (visible_0 + FLOOR))
    from_1 = splat(torch.cat([t * backward, -(1 - t) * backward], 1), (1 - t) * backward, t * (visible_1 + FLOOR))
    sums, weights = (from_0 + from_1).split([4, 1], dim=1)
    # Where nothing lands (the motion stretches apart), read the flows at the in-between's own pixel, as FILM does.
    fallback = torch.cat([t * backward, (1 - t) * forward], 1)
    flows = torch.where(weights > 0, sums / weights.clamp_min(1e-12), fallback)
    return flows.split(2, dim=1)


def splat(values, flow, weight):
    """Sends values (B,C,H,W) from every pixel p to p + flow(p), spread bilinearly over the four nearest pixels,
    times weight (B,1,H,W). Returns the weighted sums and, as the last channel, the summed weights."""
    batch, _, height, width = values.shape
    payload = rearrange(torch.cat([values * weight, weight], 1), "b c h w -> (b h w) c")
    ys, xs = torch.meshgrid(torch.arange(height, device=flow.device), torch.arange(width, device=flow.device),
                            indexing="ij")
    x, y = xs + flow[:, 0], ys + flow[:, 1]
    left, top = x.floor(), y.floor()
    right_share, bottom_share = x - left, y - top
    images = torch.arange(batch, device=flow.device).view(-1, 1, 1)
    sums = payload.new_zeros(payload.shape)
    for dx, x_share in ((0, 1 - right_share), (1, right_share)):
        for dy, y_share in ((0, 1 - bottom_share), (1, bottom_share)):
            column, row = left + dx, top + dy
            inside = (column >= 0) & (column < width) & (row >= 0) & (row < height)
            index = (images * height + row.clamp(0, height - 1).long()) * width + column.clamp(0, width - 1).long()
            sums.index_add_(0, index.flatten(), payload * (x_share * y_share * inside).flatten()[:, None])
    return rearrange(sums, "(b h w) c -> b c h w", b=batch, h=height)
