"""Plain text and rows: tables for the terminal, rows for CSV, the manifest."""
