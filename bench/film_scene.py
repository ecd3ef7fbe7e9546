"""A moving test scene for interpolation: a slowly panning textured background, shapes that move and rotate,
and a line of text that travels and turns. Every position is a function of continuous time, so any frame rate
can be rendered and the frames an interpolator should make are known exactly.

    clip(count, height, width, step=1.0) -> (count, H, W, 3) float32 RGB in [0, 1], frame i at time i·step
"""
import cv2
import numpy as np


def background(height, width, seed=0):
    """Colour noise at several scales, like natural texture: flow has detail to lock on to everywhere, and
    nothing periodic to alias."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((height * 2, width * 2, 3), np.float32)
    for cells, weight in ((6, 0.5), (24, 0.25), (96, 0.15), (384, 0.1)):
        noise = rng.random((cells, cells, 3)).astype(np.float32)
        canvas += weight * cv2.resize(noise, (width * 2, height * 2), interpolation=cv2.INTER_CUBIC)
    return np.clip(canvas, 0, 1)


def polygon(center, radius, sides, angle):
    turns = angle + np.arange(sides) * 2 * np.pi / sides
    return np.stack([center[0] + radius * np.cos(turns), center[1] + radius * np.sin(turns)], 1)


def draw_text(frame, text, center, angle_deg, scale, colour):
    """Text drawn once at the frame's middle, then turned and moved to `center` with subpixel precision, and
    blended in by its antialiased coverage."""
    height, width = frame.shape[:2]
    layer = np.zeros((height, width), np.uint8)
    (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, 2)
    middle = (width // 2, height // 2)
    cv2.putText(layer, text, (middle[0] - w // 2, middle[1] + h // 2), cv2.FONT_HERSHEY_DUPLEX, scale, 255,
                max(1, int(2 * scale)), cv2.LINE_AA)
    motion = cv2.getRotationMatrix2D(middle, angle_deg, 1.0)
    motion[:, 2] += (center[0] - middle[0], center[1] - middle[1])
    alpha = cv2.warpAffine(layer.astype(np.float32) / 255, motion, (width, height), flags=cv2.INTER_LINEAR)
    frame[:] = frame * (1 - alpha[..., None]) + np.asarray(colour, np.float32) * alpha[..., None]


def render(time, height, width, canvas):
    s = width / 512
    # The camera pans across a canvas twice the frame size.
    pan = np.float32([[1, 0, -(width / 2 + 40 * s * np.sin(time * 0.05))], [0, 1, -(height / 4 + time * 0.8 * s)]])
    frame = cv2.warpAffine(canvas, pan, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    circle = (width * 0.2 + 9 * s * time, height * 0.3 + 30 * s * np.sin(time * 0.3))
    cv2.circle(frame, (int(circle[0] * 16), int(circle[1] * 16)), int(45 * s * 16), (0.9, 0.2, 0.1), -1,
               cv2.LINE_AA, shift=4)
    square = polygon((width * 0.7 - 6 * s * time, height * 0.65), 60 * s, 4, time * 0.08)
    cv2.fillPoly(frame, [np.round(square * 16).astype(np.int32)], (0.1, 0.3, 0.9), cv2.LINE_AA, shift=4)
    triangle = polygon((width * 0.45, height * 0.8 - 7 * s * time), 40 * s, 3, -time * 0.12)
    cv2.fillPoly(frame, [np.round(triangle * 16).astype(np.int32)], (0.95, 0.9, 0.2), cv2.LINE_AA, shift=4)
    draw_text(frame, "TEMPO 24", (width * 0.35 + 7 * s * time, height * 0.12 + 5 * s * time), time * 1.5,
              1.6 * s, (1.0, 1.0, 1.0))
    return frame


def clip(count, height=512, width=512, step=1.0, seed=0):
    canvas = background(height, width, seed)
    return np.stack([render(i * step, height, width, canvas) for i in range(count)]).astype(np.float32)
