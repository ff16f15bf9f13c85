"""Pictures of models and graphs as Mermaid flowchart source (render it in Markdown)."""

from .mermaid import build_module_mermaid_chart, build_tensor_mermaid_chart

__all__ = ["build_module_mermaid_chart", "build_tensor_mermaid_chart"]
