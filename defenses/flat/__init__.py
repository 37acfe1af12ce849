"""FLAT: unlearning by f-divergence loss adjustment (Wang et al., ICLR 2025)."""
