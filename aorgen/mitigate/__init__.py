"""Mitigation of over-refusal: steering vectors, LoRA fine-tuning (RRS, SFT), and the
before/after comparison. Modules (torch is imported only by the ones that need it):

- ``targets``  — SFT target responses and refusal-opening words (no torch);
- ``training`` — dataset rows → label-masked chat batches;
- ``model``    — loading, and the language model's decoder layers / LM head;
- ``steering`` — difference-of-means vectors, layer selection, inference hooks;
- ``rrs``      — the representation-reshaping objective;
- ``finetune`` — the LoRA training loop with resumable checkpoints;
- ``compare``  — before/after table and safety-regression flag (no torch).
"""
