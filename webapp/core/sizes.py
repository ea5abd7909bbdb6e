"""Sizes as people read them."""


def megabytes(size: int) -> str:
    """'25.0 MB' or '0.06 MB', counting 1 MB as 1024 x 1024 bytes, as MAX_UPLOAD_MB does."""
    value = size / (1024 * 1024)
    return f"{value:,.1f} MB" if value >= 1 else f"{value:.2f} MB"
