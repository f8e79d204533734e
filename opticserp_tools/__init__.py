"""The developer's tools, at the top of the layers: the `opticserp` command, the dev stack and the load runner.

They use the pytest plugin's executors to start the emulators and the adapter; nothing below imports them.
"""
