import json, urllib.request, time, subprocess, sys, os, threading
# Time to first token for a ~580-token prompt and the per-token streaming cost, through a running server:
#   python3 scripts/serve-ttft.py jollama PORT   (a model named "tl" must exist)  |  python3 scripts/serve-ttft.py llama PORT (llama-server)
words = ("the quick brown fox jumps over a lazy dog while seven small birds sing about rivers mountains and "
         "old stone bridges near quiet villages where people bake bread every morning ").split()
prompt = " ".join(words[i % len(words)] + ("" if i % 7 else ",") for i in range(440))

def stream(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    t0 = time.time(); first = None; last = None; lines = []
    with urllib.request.urlopen(req) as r:
        for line in r:
            line = line.strip()
            if not line: continue
            now = time.time()
            if first is None: first = now
            last = now
            lines.append(line)
    return t0, first, last, lines

def jollama(port):
    url = f"http://127.0.0.1:{port}/api/generate"
    # warm: load the model
    stream(url, {"model": "tl", "prompt": "hi", "raw": True, "options": {"num_predict": 1, "temperature": 0}})
    best = None
    for _ in range(3):
        t0, first, last, lines = stream(url, {"model": "tl", "prompt": str(time.time()) + " " + prompt, "raw": True,
                                           "options": {"num_predict": 1, "temperature": 0}})
        final = json.loads(lines[-1])
        ttft = first - t0
        best = ttft if best is None else min(best, ttft)
        print(f"jollama: prompt {final['prompt_eval_count']} tokens, first token after {ttft:.3f} s (prompt_eval {final['prompt_eval_duration']/1e9:.3f} s)")
    # per-token overhead: 256 streamed tokens
    t0, first, last, lines = stream(url, {"model": "tl", "prompt": "Once upon a time", "raw": True, "options": {"num_predict": 256, "temperature": 0}})
    final = json.loads(lines[-1])
    n = final["eval_count"]; ev = final["eval_duration"] / 1e9
    wall = last - first
    print(f"jollama: {n} tokens streamed in {wall:.3f} s wall between first and last line; engine eval {ev:.3f} s; "
          f"overhead {(wall - ev * (n - 1) / n) / n * 1000:.3f} ms/token (wall/token {wall/n*1000:.2f} ms, eval/token {ev/n*1000:.2f} ms)")
    return best

def llama(port):
    url = f"http://127.0.0.1:{port}/completion"
    stream(url, {"prompt": "hi", "n_predict": 1, "stream": True})
    best = None
    for _ in range(3):
        t0, first, last, lines = stream(url, {"prompt": str(time.time()) + " " + prompt, "n_predict": 1, "stream": True, "cache_prompt": False})
        ttft = first - t0
        best = ttft if best is None else min(best, ttft)
        last_json = json.loads(lines[-1].decode()[len("data: "):]) if lines[-1].startswith(b"data: ") else {}
        tim = last_json.get("timings", {})
        print(f"llama-server: prompt {tim.get('prompt_n')} tokens, first token after {ttft:.3f} s (prompt_ms {tim.get('prompt_ms')})")
    return best

if sys.argv[1] == "jollama": print("best", jollama(int(sys.argv[2])))
else: print("best", llama(int(sys.argv[2])))
