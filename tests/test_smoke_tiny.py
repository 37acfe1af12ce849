from auditor.backends.hf import HFBackend
from auditor.models import resolve_model
from auditor.types import GenerationRequest


def test_tiny_model_generates_batched(tiny_model_dir):
    target = resolve_model(str(tiny_model_dir))
    backend = HFBackend(target, batch_size=4)
    reqs = [GenerationRequest.chat(f"question number {i} " * (i + 1), max_new_tokens=5) for i in range(6)]
    outs = backend.generate(reqs)
    assert len(outs) == 6
    assert all(0 < o.num_tokens <= 5 for o in outs)
    # Batched output equals one-at-a-time output for greedy decoding.
    single = HFBackend(target, batch_size=1).generate(reqs[:2])
    assert [o.text for o in single] == [o.text for o in outs[:2]]
