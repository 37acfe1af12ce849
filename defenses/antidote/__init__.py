"""Antidote: one-shot pruning of harmful fine-tuning (Huang et al. 2024)."""
