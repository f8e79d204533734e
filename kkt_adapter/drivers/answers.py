"""What a register answers the adapter, built from a document its fiscal drive signed (`fiscal.fn`).

One place for both registers, so the mock and the serial register answer a POS alike, field for field.
"""

from __future__ import annotations

from fiscal.fn import CORRECTION, FnDocument

from .base import FiscalData, RegisterDocument


def fiscal_data(document: FnDocument) -> FiscalData:
    """What the POS and the buffer get for a receipt the FN signed."""
    tags = document.tags
    return FiscalData(
        fn_serial=tags["fn_serial"],
        kkt_reg_number=tags["kkt_reg_number"],
        fiscal_doc_number=document.fd,
        fiscal_sign=document.fiscal_sign,
        shift_number=tags["shift_number"],
        receipt_number=tags["receipt_number"],
        datetime=tags["datetime"],
        operation=tags["operation"],
        total=tags["total"],
        qr=document.qr,
        ffd_version=tags.get("ffd_version", 4),
    )


def register_document(document: FnDocument) -> RegisterDocument:
    common = ("fn_serial", "fiscal_doc_number", "fiscal_sign", "doc_type", "shift_number", "datetime")
    qr = {"qr": document.qr} if document.doc_type == CORRECTION else {}  # printed on a correction as on a receipt
    return RegisterDocument(
        fn_serial=document.tags["fn_serial"],
        fiscal_doc_number=document.fd,
        fiscal_sign=document.fiscal_sign,
        doc_type=document.doc_type,
        shift_number=document.tags["shift_number"],
        datetime=document.datetime.isoformat(),
        fields={**{k: v for k, v in document.tags.items() if k not in common}, **qr},
    )
