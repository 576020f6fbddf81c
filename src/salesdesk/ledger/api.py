"""Ledger endpoints: posting deliveries, invoices and payments; aging; the order gate."""

from ninja import Router

router = Router(tags=["ledger"])
