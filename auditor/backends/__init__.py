"""Built-in backends, registered through the `register_backends` hook."""

from auditor.hookspecs import hookimpl


@hookimpl
def register_backends(register):
    register("auditor.backends.hf:HFBackend", name="hf",
             description="Hugging Face transformers on cpu or cuda: batched, length-sorted generation")
