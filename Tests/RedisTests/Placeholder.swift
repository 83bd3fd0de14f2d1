// Tests for Redis are added with the module's code.
