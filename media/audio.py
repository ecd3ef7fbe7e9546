"""ComfyUI AUDIO values ({"waveform": (batch, channels, samples) float tensor, "sample_rate": int}) into and out
of PyAV containers."""
from fractions import Fraction

import av
import numpy as np
import torch

from .errors import MediaError

_CHUNK = 4096  # samples handed to the encoder at a time


def encoder_rate(encoder, rate):
    """rate when the encoder takes it, else its highest rate (Opus runs at 48 kHz and a few lower rates only);
    PyAV resamples the frames fed to an encoder to the encoder's rate."""
    rates = av.codec.Codec(encoder, "w").audio_rates
    return rate if not rates or rate in rates else max(rates)


class AudioTrack:
    """An audio stream of an open output container, fed up to the video's current time so that the muxer can
    interleave both streams in one pass. Sound past the end of the video is dropped."""

    def __init__(self, container, encoder, audio):
        waveform = audio["waveform"]
        if waveform.ndim != 3 or waveform.shape[1] == 0:
            raise MediaError(f"audio: expected a waveform (batch, channels, samples), got {tuple(waveform.shape)}")
        # Batch item 0 is the track, as the float32 (channels, samples) array PyAV's planar float frames take.
        self.samples = waveform[0].to("cpu", torch.float32).numpy()
        self.rate = int(audio["sample_rate"])
        self.layout = "mono" if self.samples.shape[0] == 1 else "stereo"  # more channels are downmixed
        self.stream = container.add_stream(encoder, rate=encoder_rate(encoder, self.rate))
        self.stream.layout = self.layout
        self.container = container
        self.sent = 0

    def feed_until(self, seconds):
        end = min(self.samples.shape[1], int(Fraction(seconds) * self.rate))
        while self.sent < end:
            stop = min(end, self.sent + _CHUNK)
            frame = av.AudioFrame.from_ndarray(self._channels(self.sent, stop), format="fltp", layout=self.layout)
            frame.sample_rate = self.rate
            frame.pts = self.sent
            frame.time_base = Fraction(1, self.rate)
            self.container.mux(self.stream.encode(frame))
            self.sent = stop

    def finish(self, seconds):
        self.feed_until(seconds)
        self.container.mux(self.stream.encode(None))

    def _channels(self, start, stop):
        chunk = self.samples[:, start:stop]
        if chunk.shape[0] > 2:  # PyAV's resampler downmixes from a known layout; an average is layout-free
            chunk = np.repeat(chunk.mean(axis=0, keepdims=True), 2, axis=0)
        return np.ascontiguousarray(chunk)


def read_audio(path, start, end):
    """The first audio stream of path between start and end seconds as an AUDIO value, or None when the file
    has no sound."""
    with av.open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        # Resampling to planar float keeps every source sample format on one path.
        layout = "mono" if stream.layout.nb_channels == 1 else "stereo"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        chunks, first = [], None
        for frame in container.decode(stream):
            if first is None:
                first = frame.time or 0.0
            chunks.extend(plain.to_ndarray() for plain in resampler.resample(frame))
            if frame.time is not None and frame.time > end:
                break
        chunks.extend(plain.to_ndarray() for plain in resampler.resample(None))
    if not chunks:
        return None
    samples = np.concatenate(chunks, axis=1)
    lo = max(0, round((start - first) * rate))
    hi = max(lo, round((end - first) * rate))
    waveform = torch.from_numpy(np.ascontiguousarray(samples[:, lo:hi]))[None]
    return {"waveform": waveform, "sample_rate": rate}
