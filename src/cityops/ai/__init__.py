"""AI assistance that learns from the city's own closed events: category and owner suggestion, near
duplicates, hot spots (热点问题) and summaries."""
