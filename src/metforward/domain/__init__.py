"""Vocabulary shared by every layer: crime categories, forces, areas, months. Standard library only."""
