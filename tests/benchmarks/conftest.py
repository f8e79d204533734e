"""Benchmarks print their figures (the plugin's `report_figure`); they assert correctness, not speed."""
