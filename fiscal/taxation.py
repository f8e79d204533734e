"""Tag 1055: the taxation systems a receipt can name.

In a receipt the tag holds exactly one system (a register's registration may list several, a receipt
cannot), so the OFD takes only these single-bit values. The adapter refuses any other value at start-up
rather than sign receipts the OFD is sure to reject.
"""

from __future__ import annotations

TAXATION_SYSTEMS: dict[int, str] = {
    1: "OSN",  # общая
    2: "USN income",  # УСН доход
    4: "USN income-expense",  # УСН доход − расход
    8: "ENVD",  # ЕНВД (abolished in 2021; an OFD still knows the code)
    16: "ESHN",  # ЕСХН
    32: "PSN",  # патент
}
