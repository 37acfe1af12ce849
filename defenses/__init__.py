"""Built-in defense plugins. Each module registers itself through the `auditor` entry-point group."""
