/// Layers and models (FAMAE, the T5-style SID generator, SASRec) built on the Tensor autograd.
