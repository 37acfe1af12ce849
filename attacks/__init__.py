"""Built-in attack plugins. Each module registers itself through the `auditor` entry-point group."""
