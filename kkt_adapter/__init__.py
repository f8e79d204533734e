"""The KKT adapter: the service a POS calls to fiscalize receipts (54-FZ), offline-first."""

__version__ = "0.1.0"
