"""What the adapter and the emulators must agree on, kept once below both (DESIGN.md, "Layers").

Neither `kkt_adapter` nor `emulators` may import the other; both import from here. This package imports
neither.
"""
