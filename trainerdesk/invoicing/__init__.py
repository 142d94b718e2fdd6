"""Invoices and credit notes with EU VAT rules, gapless numbering per series, and their PDFs."""
