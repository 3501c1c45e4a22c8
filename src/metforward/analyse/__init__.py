"""Pure statistical functions: exact Poisson comparisons, funnel plots and control charts (NumPy/SciPy, no I/O)."""
