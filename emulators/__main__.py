"""`python -m emulators ...`, the same commands as `opticserp emulator ...`."""

from emulators.cli import app

app(prog_name="python -m emulators")
