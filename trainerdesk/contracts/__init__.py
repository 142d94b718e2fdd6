"""Contracts from versioned templates, their PDFs and acceptance evidence."""
