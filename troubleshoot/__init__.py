"""troubleshoot: rule-based ergonomic troubleshooting for desk workers."""

__version__ = "0.1.0"
