// Tests for Models are added with the module's code.
