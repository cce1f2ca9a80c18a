"""Mitigation of over-refusal: steering vectors, LoRA fine-tuning (RRS, SFT), and the
before/after comparison. Modules (torch is imported only by the ones that need it):

- ``targets``  — SFT target responses and refusal-opening words (no torch);
- ``training`` — dataset rows → label-masked chat batches;
- ``model``    — loading, and the language model's decoder layers / LM head;
- ``steering`` — difference-of-means vectors, layer selection, inference hooks;
- ``refusal``  — the refusal score (log-odds of refusal tokens at the first position);
- ``arditi``   — refusal directions per layer x post-instruction position, causal selection;
- ``overrefusal`` — the over-refusal direction orthogonal to the refusal direction;
- ``sarsteer`` — per-layer refusal steering with the benign subspace projected out;
- ``rrs``      — the representation-reshaping objective;
- ``finetune`` — the LoRA training loop with resumable checkpoints;
- ``compare``  — before/after table and safety-regression flag (no torch).
"""
