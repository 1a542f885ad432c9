"""slimtorch: export PyTorch models to ExecuTorch .pte programs and run them on small devices."""

__version__ = "0.1.0"
