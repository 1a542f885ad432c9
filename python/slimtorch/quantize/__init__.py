"""int8 export: slimtorch's PT2E quantizer (quantizer.py), the PT2E driver (driver.py) and the
lowering of the quantized graph to upstream ExecuTorch's `cortex_m::` operators (lowering.py,
ops.py, qparams.py). Entry point: slimtorch.exporter.export_int8 (`slimtorch export
--quantize int8`)."""
