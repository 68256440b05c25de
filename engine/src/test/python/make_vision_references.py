#!/usr/bin/env python3
"""Takes llama.cpp's outputs for the vision fixtures (make_vision_fixtures.py) with llama-mtmd-cli.

For each projector beside its shared random text model, each test image and each prompt: the greedy text of
llama-mtmd-cli (temperature 0, F16 KV cache and flash attention as its defaults) and, with MTMD_DEBUG_EMBEDDINGS,
the first and last 16 values of the image's first embedding row. Writes vision-reference.json beside the fixtures.

Run: python3 make_vision_references.py <llama.cpp bin dir> <shared testdata dir> <fixtures dir>
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

CASES = [
    # projector, text model, llama.cpp's built-in chat template, the same template as an Ollama TEMPLATE
    ("gemma3-f16.mmproj.gguf", "gemma3-f32.gguf", "gemma",
     "<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n"),
    ("llava-mlp-f16.mmproj.gguf", "llama-bpe-f32.gguf", "chatml",
     "<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n"),
    ("llava-next-f16.mmproj.gguf", "llama-bpe-f32.gguf", "chatml",
     "<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n"),
]
IMAGES = ["scene-50x37.png", "stripes-23x41.png", "small-20x14.png"]
# a JPEG: its decoders (stb_image here, the JDK's in Jollama) may round pixels differently, so only its embeddings
# are compared, by cosine
LOSSY = ["stripes-23x41.jpg"]
PROMPTS = ["Describe this.", "What color is it?"]
N_PREDICT = 24


def run(bins, model, proj, image, prompt, template):
    env = dict(os.environ, MTMD_DEBUG_EMBEDDINGS="1")
    p = subprocess.run([str(bins / "llama-mtmd-cli"), "-m", str(model), "--mmproj", str(proj), "--image", str(image),
                        "-p", prompt, "-n", str(N_PREDICT), "--temp", "0", "--chat-template", template, "-t", "2",
                        "--seed", "0", "-lv", "4"], capture_output=True, env=env, check=True)
    err = p.stderr.decode("utf-8", "replace")
    # with -lv 4 every value of the dump carries its own log prefix: "<time> I <value> "
    def values(label):
        line = next(l for l in err.splitlines() if label in l)
        return [float(v) for v in re.findall(r" I (-?\d+\.\d+)(?= |$)", line)]
    shape = re.search(r"Shape: \[(\d+), (\d+)\]", err)
    stats = re.search(r"Stats: mean=(-?[\d.]+), std=(-?[\d.]+)", err)
    # mtmd-cli prints a newline, the generated pieces, then newlines (which its log thread does not always flush
    # before the process ends): the text is what lies between, less trailing newlines
    out = p.stdout.decode("utf-8")
    if not out.startswith("\n"):
        raise SystemExit(f"unexpected llama-mtmd-cli output {out!r}")
    text = out[1:].rstrip("\n")
    return {
        "image": image.name, "prompt": prompt, "text": text,
        "embedding_shape": [int(shape.group(1)), int(shape.group(2))],
        "embedding_first16": values("Token 0 (first 16 values)"),
        "embedding_last16": values("Token 0 (last 16 values)"),
        "embedding_mean": float(stats.group(1)), "embedding_std": float(stats.group(2)),
    }


def main():
    bins, shared, fixtures = (Path(a) for a in sys.argv[1:4])
    commit = subprocess.run(["git", "-C", str(bins.parent.parent), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    out = {"llama_cpp_commit": commit, "n_predict": N_PREDICT, "cases": []}
    for proj, model, template, ollama_template in CASES:
        case = {"projector": proj, "text_model": model, "chat_template": template, "ollama_template": ollama_template,
                "runs": []}
        for image in IMAGES:
            for prompt in PROMPTS:
                case["runs"].append(run(bins, shared / "models" / "arch" / model, fixtures / proj, fixtures / image,
                                        prompt, template))
        for image in LOSSY:
            r = run(bins, shared / "models" / "arch" / model, fixtures / proj, fixtures / image, PROMPTS[0], template)
            r["lossy"] = True
            case["runs"].append(r)
        out["cases"].append(case)
    (fixtures / "vision-reference.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
