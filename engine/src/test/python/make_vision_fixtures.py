#!/usr/bin/env python3
"""Writes the random-weight vision projectors and test images of engine/src/test/resources/vision.

The projectors are written with llama.cpp's own gguf-py writer (metadata keys and tensor names as llama.cpp's clip
loader reads them), sized to feed the shared random text models of ../shared/testdata/models/arch (n_embd 128):
  - llava-mlp-f16.mmproj.gguf: a CLIP ViT (class embedding, pre-LayerNorm, 3 layers of which llava uses the first 2,
    quick GELU) with LLaVA's 2-layer MLP projector (mm.0, GELU, mm.2), 32x32 images in 8x8 patches;
  - llava-next-f16.mmproj.gguf: the same with LLaVA-NeXT's resolution candidates (64x32, 32x64, 64x64), so that
    larger images are cut into 32x32 tiles plus an overview;
  - gemma3-f16.mmproj.gguf: a SigLIP ViT (patch bias, no class embedding, post-LayerNorm, tanh GELU) with Gemma 3's
    4x4 average pooling, soft embedding RMSNorm and input projection, 64x64 images in 4x4 patches (16 image tokens).
Matrices are F16 as in real mmproj files; vectors F32. The images are PNGs (written here with zlib, no imaging
library), of sizes that are neither square nor the projector's, so resizing and padding are exercised.

Run: PYTHONPATH=<llama.cpp>/gguf-py python3 make_vision_fixtures.py <output dir>
 or: ... make_vision_fixtures.py --bench <dir>   (full-size projectors for timing, ~0.6 and ~0.8 GB)
"""
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import gguf


def matrix(rng, n_in, n_out, gain=1.0):
    return (rng.standard_normal((n_out, n_in), dtype=np.float32) * (gain / np.sqrt(n_in))).astype(np.float16)


def vector(rng, n, std=0.1, mean=0.0):
    return (mean + rng.standard_normal(n, dtype=np.float32) * std).astype(np.float32)


def vit(w, rng, prefix_layers, dim, ff, gelu_gain):
    for il in range(prefix_layers):
        p = f"v.blk.{il}."
        for t in ("attn_q", "attn_k", "attn_v"):
            w.add_tensor(p + t + ".weight", matrix(rng, dim, dim))
            w.add_tensor(p + t + ".bias", vector(rng, dim))
        w.add_tensor(p + "attn_out.weight", matrix(rng, dim, dim, 2.0))
        w.add_tensor(p + "attn_out.bias", vector(rng, dim))
        w.add_tensor(p + "ln1.weight", vector(rng, dim, 0.1, 1.0))
        w.add_tensor(p + "ln1.bias", vector(rng, dim))
        w.add_tensor(p + "ln2.weight", vector(rng, dim, 0.1, 1.0))
        w.add_tensor(p + "ln2.bias", vector(rng, dim))
        w.add_tensor(p + "ffn_up.weight", matrix(rng, dim, ff, gelu_gain))
        w.add_tensor(p + "ffn_up.bias", vector(rng, ff))
        w.add_tensor(p + "ffn_down.weight", matrix(rng, ff, dim, 2.0))
        w.add_tensor(p + "ffn_down.bias", vector(rng, dim))


def common(w, name, projector, image_size, patch, dim, ff, layers, heads, proj_dim, eps, mean, std):
    w.add_string("general.name", name)
    w.add_string("clip.projector_type", projector)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_uint32("clip.vision.image_size", image_size)
    w.add_uint32("clip.vision.patch_size", patch)
    w.add_uint32("clip.vision.embedding_length", dim)
    w.add_uint32("clip.vision.feed_forward_length", ff)
    w.add_uint32("clip.vision.block_count", layers)
    w.add_uint32("clip.vision.projection_dim", proj_dim)
    w.add_uint32("clip.vision.attention.head_count", heads)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", eps)
    w.add_array("clip.vision.image_mean", mean)
    w.add_array("clip.vision.image_std", std)


def llava(path, dim=64, ff=128, layers=3, heads=4, size=32, patch=8, text=128, hidden=None, pinpoints=None):
    rng = np.random.default_rng(11)
    hidden = hidden or text
    n_pos = (size // patch) ** 2 + 1
    w = gguf.GGUFWriter(str(path), "clip")
    common(w, "random-llava-clip", "mlp", size, patch, dim, ff, layers, heads, text, 1e-5,
           [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
    w.add_bool("clip.has_llava_projector", True)
    w.add_bool("clip.use_gelu", False)
    if pinpoints:
        # LLaVA-NeXT: resolution candidates (width, height pairs) for tiling larger images
        w.add_array("clip.vision.image_grid_pinpoints", pinpoints)
        w.add_string("clip.vision.mm_patch_merge_type", "spatial_unpad")
    w.add_tensor("v.patch_embd.weight", (rng.standard_normal((dim, 3, patch, patch), dtype=np.float32)
                                         / np.sqrt(3 * patch * patch)).astype(np.float16))
    w.add_tensor("v.class_embd", vector(rng, dim, 1.0))
    w.add_tensor("v.position_embd.weight", rng.standard_normal((n_pos, dim), dtype=np.float32) * 0.5)
    w.add_tensor("v.pre_ln.weight", vector(rng, dim, 0.1, 1.0))
    w.add_tensor("v.pre_ln.bias", vector(rng, dim))
    vit(w, rng, layers, dim, ff, 1.0)
    w.add_tensor("mm.0.weight", matrix(rng, dim, hidden))
    w.add_tensor("mm.0.bias", vector(rng, hidden))
    w.add_tensor("mm.2.weight", matrix(rng, hidden, text, 1.0))
    w.add_tensor("mm.2.bias", vector(rng, text))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def gemma3(path, dim=64, ff=128, layers=2, heads=4, size=64, patch=4, text=128):
    rng = np.random.default_rng(12)
    n_pos = (size // patch) ** 2
    w = gguf.GGUFWriter(str(path), "clip")
    common(w, "random-gemma3-siglip", "gemma3", size, patch, dim, ff, layers, heads, text, 1e-6,
           [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    w.add_bool("clip.use_gelu", True)
    w.add_tensor("v.patch_embd.weight", (rng.standard_normal((dim, 3, patch, patch), dtype=np.float32)
                                         / np.sqrt(3 * patch * patch)).astype(np.float16))
    w.add_tensor("v.patch_embd.bias", vector(rng, dim))
    w.add_tensor("v.position_embd.weight", rng.standard_normal((n_pos, dim), dtype=np.float32) * 0.5)
    vit(w, rng, layers, dim, ff, 1.0)
    w.add_tensor("v.post_ln.weight", vector(rng, dim, 0.1, 1.0))
    w.add_tensor("v.post_ln.bias", vector(rng, dim))
    w.add_tensor("mm.soft_emb_norm.weight", vector(rng, dim, 0.1, 1.0))
    # ne = [text, dim]: llama.cpp multiplies by its transpose
    w.add_tensor("mm.input_projection.weight", (rng.standard_normal((dim, text), dtype=np.float32) * (0.5 / np.sqrt(dim))).astype(np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].astype(np.uint8).tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def images(out):
    # a wide picture: a gradient sky, a red disc and a green band
    h, w = 37, 50
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.float32)
    img[..., 0] = 40 + 3 * y
    img[..., 1] = 90 + 2 * x
    img[..., 2] = 230 - 2 * y
    disc = (x - 33) ** 2 + (y - 14) ** 2 < 64
    img[disc] = [220, 30, 30]
    img[(y > 27) & (y < 33)] = [20, 160, 40]
    png(out / "scene-50x37.png", np.clip(img, 0, 255))
    # a tall picture: stripes and noise
    rng = np.random.default_rng(5)
    h, w = 41, 23
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 11) % 256, (y * 7 + 60) % 256, ((x + y) * 5) % 256], axis=-1).astype(np.float32)
    img += rng.integers(-20, 20, img.shape)
    png(out / "stripes-23x41.png", np.clip(img, 0, 255))
    # a picture smaller than the projectors' squares
    h, w = 14, 20
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([200 - 9 * x, 40 + 12 * y, 120 + 0 * x], axis=-1).astype(np.float32)
    png(out / "small-20x14.png", np.clip(img, 0, 255))


if __name__ == "__main__":
    if sys.argv[1] == "--bench":
        # full-size towers for timing image encoding (not test fixtures): LLaVA 1.5's CLIP ViT-L/14 at 336 pixels
        # (the MLP's output narrowed to the shared text models' 128) and Gemma 3's SigLIP at 896 pixels
        out = Path(sys.argv[2])
        out.mkdir(parents=True, exist_ok=True)
        llava(out / "clip-l-336-f16.mmproj.gguf", dim=1024, ff=4096, layers=24, heads=16, size=336, patch=14, text=128, hidden=4096)
        gemma3(out / "siglip-896-f16.mmproj.gguf", dim=1152, ff=4304, layers=27, heads=16, size=896, patch=14, text=128)
        sys.exit(0)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    llava(out / "llava-mlp-f16.mmproj.gguf")
    llava(out / "llava-next-f16.mmproj.gguf", pinpoints=[64, 32, 32, 64, 64, 64])
    gemma3(out / "gemma3-f16.mmproj.gguf")
    images(out)
