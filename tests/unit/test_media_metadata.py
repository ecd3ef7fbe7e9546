"""The prompt and workflow are where ComfyUI's frontend (1.32) looks when a file is dropped on the canvas. The
readers below follow the frontend's own parsing steps (its ISOBMFF, EBML, PNG and WebP EXIF readers)."""
import json
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from media import CombineOptions, ImageFrames, available_formats, combine

METADATA = {"prompt": {"3": {"class_type": "KSampler", "inputs": {"seed": 1}}},
            "workflow": {"nodes": [{"id": 3, "type": "KSampler"}], "links": [], "version": 0.4}}
CLIP = torch.rand(3, 64, 64, 3, generator=torch.Generator().manual_seed(0))  # 64: the H.265 minimum


def write(tmp_path, name, metadata=METADATA):
    return combine(ImageFrames(CLIP), str(tmp_path), "meta", CombineOptions(name), metadata)


def find_box(data, start, end, kind):
    """The frontend's box search: walk sibling boxes from start, return the payload range of the first `kind`."""
    at = start
    while at < end - 8:
        size = int.from_bytes(data[at:at + 4], "big")
        if size >= 8:
            if data[at + 4:at + 8] == kind:
                return at + 8, at + size
            if at + size > end:
                return None
            at += size
        else:
            at += 1
    return None


def isobmff_entries(data):
    """moov/udta/meta: keys (index -> name) and ilst (index -> data box), JSON values, names lower-cased."""
    data = data[:64 * 2**20]
    udta = find_box(data, 0, len(data), b"udta")
    if udta is None:
        moov = find_box(data, 0, len(data), b"moov")
        udta = find_box(data, *moov, b"udta")
    meta = find_box(data, *udta, b"meta")
    keys_start, keys_end = find_box(data, meta[0] + 4, meta[1], b"keys")
    names, at = {}, keys_start + 8
    for index in range(1, int.from_bytes(data[keys_start + 4:keys_start + 8], "big") + 1):
        size = int.from_bytes(data[at:at + 4], "big")
        names[index] = data[at + 8:at + size].decode()
        at += size
    entries, (at, end) = {}, find_box(data, meta[0] + 4, meta[1], b"ilst")
    while at < end - 8:
        size = int.from_bytes(data[at:at + 4], "big")
        name = names.get(int.from_bytes(data[at + 4:at + 8], "big"), "")
        value_start, value_end = find_box(data, at + 8, at + size, b"data")
        if name.lower() in ("prompt", "workflow"):
            text = data[value_start + 8:value_end].decode()
            entries[name.lower()] = json.loads(text[text.index("{"):])
        at += size
    return entries


def ebml_entries(data):
    """SimpleTag (0x67C8) elements in the first 2 MiB: TagName (0x45A3) exactly PROMPT/WORKFLOW, TagString
    (0x4487) JSON."""
    def payload(at):  # the element whose 2-byte id starts at `at`: (start, end) of its data after the size vint
        width = 9 - data[at + 2].bit_length()
        size = int.from_bytes(data[at + 2:at + 2 + width], "big") & ((1 << (7 * width)) - 1)
        return at + 2 + width, at + 2 + width + size

    data = data[:2 * 2**20]
    assert data[:4] == b"\x1a\x45\xdf\xa3"
    entries, at = {}, data.find(b"\x67\xc8")
    while at != -1:
        start, end = payload(at)
        name_at, value_at = data.find(b"\x45\xa3", start, end), data.find(b"\x44\x87", start, end)
        if end > len(data) or -1 in (name_at, value_at):  # the id bytes occurred inside other data
            at = data.find(b"\x67\xc8", at + 1)
            continue
        name = data[slice(*payload(name_at))]
        if name in (b"PROMPT", b"WORKFLOW"):
            entries[name.decode().lower()] = json.loads(data[slice(*payload(value_at))])
        at = data.find(b"\x67\xc8", end)
    return entries


def webp_exif_entries(data):
    """RIFF chunks walked as the frontend walks them (8 + size, no padding) to the EXIF chunk; its ASCII IFD
    entries split at the first ':' into name and JSON value."""
    at = 12
    while at < len(data):
        size = struct.unpack("<I", data[at + 4:at + 8])[0]
        if data[at:at + 4] == b"EXIF":
            tiff = data[at + 8:at + 8 + size]
            tiff = tiff[6:] if tiff.startswith(b"Exif\x00\x00") else tiff
            order = "<" if tiff[:2] == b"II" else ">"
            ifd = struct.unpack(order + "I", tiff[4:8])[0]
            entries = {}
            for i in range(struct.unpack(order + "H", tiff[ifd:ifd + 2])[0]):
                _, kind, count, offset = struct.unpack(order + "HHII", tiff[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
                if kind == 2:
                    text = tiff[offset:offset + count - 1].decode()
                    name, value = text.split(":", 1)
                    entries[name] = json.loads(value)
            return entries
        at += 8 + size
    return {}


@pytest.mark.parametrize("name", ["video/h264-mp4", "video/h265-mp4", "video/prores-mov"])
def test_mp4_and_mov_carry_the_workflow_where_the_frontend_reads(tmp_path, name):
    data = open(write(tmp_path, name).files[0], "rb").read()
    assert isobmff_entries(data) == METADATA
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: inside the first bytes the frontend reads


@pytest.mark.parametrize("name", [n for n in available_formats() if n.endswith("-webm")])
def test_webm_carries_the_workflow_where_the_frontend_reads(tmp_path, name):
    assert ebml_entries(open(write(tmp_path, name).files[0], "rb").read()) == METADATA


def test_webp_exif_carries_the_workflow_where_the_frontend_reads(tmp_path):
    path = write(tmp_path, "image/webp").files[0]
    assert webp_exif_entries(open(path, "rb").read()) == METADATA
    assert Image.open(path).n_frames == 3  # the chunk added after encoding leaves the animation intact


def test_a_one_frame_webp_gets_the_extended_header_its_exif_needs(tmp_path):
    path = combine(ImageFrames(CLIP[:1]), str(tmp_path), "one", CombineOptions("image/webp"), METADATA).files[0]
    data = open(path, "rb").read()
    assert data[12:16] == b"VP8X" and data[20] & 0x08
    assert webp_exif_entries(data) == METADATA and Image.open(path).size == (64, 64)


@pytest.mark.parametrize("name", [n for n in available_formats() if n != "image/png"])
def test_a_first_frame_png_with_the_workflow_sits_beside_every_animation(tmp_path, name):
    result = write(tmp_path, name)
    assert len(result.files) == 2 and result.files[1] == result.files[0].rsplit(".", 1)[0] + ".png"
    still = Image.open(result.files[1])
    assert {key: json.loads(still.text[key]) for key in METADATA} == METADATA
    assert (torch.from_numpy(np.array(still.convert("RGB"))) / 255 - CLIP[0]).abs().max() < 0.003


def test_png_sequences_carry_the_workflow_in_every_frame(tmp_path):
    result = write(tmp_path, "image/png")
    assert len(result.files) == 3
    assert all(json.loads(Image.open(path).text["workflow"]) == METADATA["workflow"] for path in result.files)


def test_without_metadata_nothing_is_embedded_and_no_still_is_written(tmp_path):
    result = write(tmp_path, "video/h264-mp4", metadata=None)
    assert len(result.files) == 1
    assert b"workflow" not in open(result.files[0], "rb").read()
