"""Artefacts from results: map layers, tables, charts, reports. Never runs SQL."""
