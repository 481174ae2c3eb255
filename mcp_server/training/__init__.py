"""Producing the task model: labelled training commands, a LoRA fine-tune of the small base model,
and its export as a GGUF adapter that Ollama and the embedded backend load.

The training code needs the optional extra: `pip install '.[train]'`.
"""
