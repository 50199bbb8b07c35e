"""cityops — 城市运行和治理平台, an open-source city operation and governance platform."""

__version__ = "0.1.0"
