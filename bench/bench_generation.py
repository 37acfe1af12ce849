"""Generation benchmark: the HF backend against a naive one-prompt-at-a-time loop.

Both run the demo workload (the default scan's prompts) on the same model in the same
process, greedy, with the same token budget; the script prints tokens/s and the ratio.

    python bench/bench_generation.py [--model REF] [--limit N] [--batch-size B]
"""

from __future__ import annotations

import argparse
import time

import torch

from auditor.backends.hf import HFBackend, render_prompt
from auditor.config import ScanConfig
from auditor.models import resolve_model
from auditor.plugins import make_plugin_host
from auditor.probes import load_probe_reference
from auditor.types import GenerationRequest


def demo_requests(limit: int | None, max_new_tokens: int) -> list[GenerationRequest]:
    cfg = ScanConfig()
    registry = make_plugin_host().registry("probe")
    requests = []
    for ref in cfg.probes:
        _, items = load_probe_reference(ref, registry)
        items = [i for i in items if i.split == "eval" or i.kind != "harmful"]
        requests += [GenerationRequest.chat(i.text, max_new_tokens=max_new_tokens) for i in items]
    return requests[:limit] if limit else requests


@torch.inference_mode()
def naive_loop(backend: HFBackend, requests: list[GenerationRequest]) -> int:
    """What a first script does: one prompt, one generate call, no batching."""
    model, tok = backend.model, backend.tokenizer
    tokens = 0
    for r in requests:
        enc = tok(render_prompt(tok, r), return_tensors="pt", add_special_tokens=False)
        out = model.generate(**enc, max_new_tokens=r.max_new_tokens, do_sample=False,
                             pad_token_id=tok.pad_token_id)
        tokens += out.shape[1] - enc["input_ids"].shape[1]
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=ScanConfig().model)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N prompts")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=ScanConfig().max_new_tokens)
    args = parser.parse_args()

    requests = demo_requests(args.limit, args.max_new_tokens)
    backend = HFBackend(resolve_model(args.model), batch_size=args.batch_size)
    print(f"workload: {len(requests)} prompts, max_new_tokens={args.max_new_tokens}, "
          f"torch threads={torch.get_num_threads()}")

    start = time.perf_counter()
    outs = backend.generate(requests)
    batched_s = time.perf_counter() - start
    batched_tokens = sum(o.num_tokens for o in outs)

    print(f"backend (batch {args.batch_size}, length-sorted): {batched_s:7.1f} s  "
          f"{batched_tokens / batched_s:7.1f} tokens/s", flush=True)

    start = time.perf_counter()
    naive_tokens = naive_loop(backend, requests)
    naive_s = time.perf_counter() - start
    print(f"naive loop (one prompt per call):      {naive_s:7.1f} s  {naive_tokens / naive_s:7.1f} tokens/s")
    print(f"speed-up (wall time, same prompts): {naive_s / batched_s:.2f}x")


if __name__ == "__main__":
    main()
