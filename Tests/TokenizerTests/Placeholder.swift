// Tests for Tokenizer are added with the module's code.
